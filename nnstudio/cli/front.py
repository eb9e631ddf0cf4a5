"""The command line: a thin argparse front over the core (and the window). No logic of its own.

    nnstudio [FILE | --preset NAME]      open the window
    nnstudio train | gradcheck | presets | snapshot | record | export | bench | lessons ...

Bad input ends with one line on stderr and exit code 2, never a traceback.

With --json every line printed is one JSON object whose "type" says what it is: "epoch" and "summary"
(train), "gradcheck", "presets", "bench". Numbers that are not finite are null. The README documents the keys.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nnstudio import __version__
from nnstudio.cli import commands, record, train
from nnstudio.cli.output import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, OneLineParser, one_line
from nnstudio.core.errors import NNStudioError

COMMANDS = ("train", "gradcheck", "presets", "snapshot", "record", "export", "bench", "lessons")


def _command_parser() -> OneLineParser:
    parser = OneLineParser(prog="nnstudio", description="Watch a neural network learn.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    train.add_parser(subcommands)
    commands.add_parsers(subcommands)
    record.add_parser(subcommands)
    return parser


def _window_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="nnstudio",
        description="Open the nnstudio window. Commands: " + ", ".join(COMMANDS) + " (nnstudio COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    parser.add_argument("file", nargs="?", metavar="FILE", help="an experiment file to open (.nnstudio or .toml)")
    parser.add_argument("--preset", metavar="NAME", help="open a built-in experiment (default: sine)")
    return parser


def command_window(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.presets import DEFAULT_PRESET, preset
    from nnstudio.core.storage.archive import read_experiment_file

    if options.file and options.preset:
        raise NNStudioError("give either an experiment FILE or --preset, not both")
    # A bad file is reported here, in one line, before any window opens.
    experiment = (
        read_experiment_file(options.file).experiment if options.file else preset(options.preset or DEFAULT_PRESET)
    )
    from nnstudio.gui.app import run_app

    return run_app(experiment, path=options.file, reopen_last=not options.file and not options.preset)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            options = _command_parser().parse_args(argv)
            handler = options.handler  # each command's module names its own
        else:
            options = _window_parser().parse_args(argv)
            handler = command_window
        code = handler(options)
        sys.stdout.flush()  # a full disk (`> /dev/full`) is reported here, not by Python's message at exit
        return code
    except NNStudioError as error:
        print(f"nnstudio: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:  # the estimate in core.engine.model.check_memory is rough: the last line of defence
        print("nnstudio: error: out of memory: use fewer points or a smaller network", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl+C during a long gradient check, say (train reports its own)
        print("nnstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `nnstudio train | head -1`: the reader has all it wants
        _discard_stdout()
        return EXIT_OK
    except OSError as error:  # the files nnstudio reads and writes report their own errors: this is the output
        _discard_stdout()
        reason = one_line(error.strerror or str(error))
        what = "cannot write the output" if error.filename is None else one_line(str(error.filename))
        print(f"nnstudio: error: {what}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _discard_stdout() -> None:
    """Point stdout at the null device, so that Python's flush at exit does not fail (and print) again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (a test's capture, say): nothing is flushed to it
        pass
