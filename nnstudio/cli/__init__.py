"""The command line (`nnstudio`, `python -m nnstudio`): a thin argparse front over the core and the window.

    front.py               main(): which parser, which command, and every error as one stderr line
    experiment_options.py  the options that build an experiment (train, gradcheck, snapshot)
    train.py               nnstudio train: the log, the summary, --save and --resume
    commands.py            gradcheck, presets, snapshot, export, bench, lessons
    record.py              nnstudio record: a run as a film
    output.py              exit codes, one-line messages, JSON or text lines

A command's module adds its own sub-parser and names its handler (`set_defaults(handler=...)`);
a new command also goes into `front.COMMANDS`.
"""

from nnstudio.cli.front import COMMANDS, _command_parser, _window_parser, main
from nnstudio.cli.output import EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_OK

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "_command_parser",
    "_window_parser",
    "main",
]
