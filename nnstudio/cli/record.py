"""`nnstudio record`: train an experiment headless and write the run as a film (GIF, WebP or MP4).

    nnstudio record --preset sine -o run.gif --seconds 6 --fps 15 --size 960x600 --view both

The experiment options are `train`'s. The output is checked first (its format, its folder, MP4's extra), then
the experiment, then the run is trained with the core trainer, keeping the prediction at each frame's epoch,
and the frames are painted offscreen with the window's plots. Progress goes to stderr: one updating line on
a terminal, one line a phase otherwise. The same command gives the same frames.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from nnstudio.cli.experiment_options import add_experiment_options, build_trainer
from nnstudio.cli.output import EXIT_OK, one_line
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.film_plan import (
    DEFAULT_FPS,
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    DEFAULT_VIEW,
    VIEWS,
    FilmSettings,
    frame_indices,
    parse_size,
    prediction_view,
)

PROGRESS_INTERVAL = 0.1  # seconds between two updates of the progress line on a terminal


def add_parser(commands: argparse._SubParsersAction) -> None:
    record = commands.add_parser("record", help="train headless and write the run as a film (GIF, WebP, MP4)")
    add_experiment_options(record)
    add_record_options(record)
    record.set_defaults(handler=command_record)


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """`record`'s own options, after the experiment options `train` has too."""
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the film: run.gif, run.webp or run.mp4")
    parser.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, metavar="S", help=f"its length (default {DEFAULT_SECONDS:g})"
    )
    parser.add_argument(
        "--fps", type=int, default=DEFAULT_FPS, metavar="N", help=f"frames a second (default {DEFAULT_FPS})"
    )
    width, height = DEFAULT_SIZE
    parser.add_argument(
        "--size", type=_size, default=DEFAULT_SIZE, metavar="WxH", help=f"frame size (default {width}x{height})"
    )
    parser.add_argument(
        "--view",
        choices=tuple(VIEWS),
        default=DEFAULT_VIEW,
        help="what a frame shows: the prediction beside the loss (both), the fit, the decision boundary, "
        f"the loss or the network diagram (default {DEFAULT_VIEW})",
    )


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_size(text)
    except NNStudioError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def command_record(options: argparse.Namespace) -> int:
    """Check everything, train, paint, write."""
    from nnstudio.core.storage.film_files import check_film_memory, check_film_output

    width, height = options.size
    settings = FilmSettings(options.seconds, options.fps, width, height, options.view)
    kind = check_film_output(options.output, settings.fps)
    trainer = build_trainer(options)
    prediction_view(settings.view, trainer.dataset.grid_shape is not None)
    last_epoch = max(trainer.training.epochs, trainer.epoch)
    check_film_memory(len(frame_indices(last_epoch - trainer.epoch + 1, settings.frames_wanted)), width, height)

    from nnstudio.core.teaching.film_recording import record_while_training
    from nnstudio.gui.app import create_application
    from nnstudio.gui.film.painter import write_film

    create_application(offscreen=True)
    progress = StderrProgress()
    try:
        progress.phase(f"training {last_epoch} epochs")
        recording = record_while_training(trainer, settings, lambda epoch, last: progress.update(epoch, last))
        progress.phase(f"drawing {len(recording.frames)} frames")
        writing = f"writing {one_line(str(options.output))}"
        frames = write_film(recording, settings, options.output, progress.update, lambda: progress.phase(writing))
    finally:
        progress.end()
    summary = {
        "type": "record",
        "output": str(options.output),
        "format": kind,
        "frames": frames,
        "first_epoch": recording.frames[0].epoch,
        "last_epoch": recording.last_epoch,
        "seconds": settings.seconds,
        "fps": settings.fps,
        "width": width,
        "height": height,
        "view": settings.view,
        "diverged": bool(recording.message),
        "message": recording.message,
    }
    text = (
        f"Wrote {one_line(str(options.output))}: {frames} frames, epochs {summary['first_epoch']} to "
        f"{summary['last_epoch']}, {settings.seconds:g} s at {settings.fps} frames a second, {width}x{height}"
    )
    print(json.dumps(summary) if options.json else text, flush=True)
    if recording.message and not options.json:
        print(f"nnstudio record: {recording.message} The film ends there.", file=sys.stderr)
    return EXIT_OK


class StderrProgress:
    """How far the work is, on stderr: one line rewritten in place on a terminal, one line a phase elsewhere."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._phase = ""
        self._shown_at = 0.0
        self._open = False  # a live line is on screen, not yet ended

    def phase(self, name: str) -> None:
        self._phase = name
        if self.live:
            self._show(f"{name}…")
        else:
            print(f"nnstudio record: {name}…", file=self.stream, flush=True)

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.live and (now - self._shown_at >= PROGRESS_INTERVAL or done >= total):
            self._shown_at = now
            self._show(f"{self._phase}: {done}/{total} ({100 * done // max(total, 1)} %)")

    def end(self) -> None:
        if self._open:
            print(file=self.stream, flush=True)
            self._open = False

    def _show(self, text: str) -> None:
        print(f"\r\033[Knnstudio record: {text}", end="", file=self.stream, flush=True)
        self._open = True
