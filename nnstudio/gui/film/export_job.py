"""Exporting the run so far as a film from the window, without ever holding up the GUI thread.

Three steps: the training session's worker reads the run's recorded moments (`record_from_history`: it pauses
training first, as Save does); the GUI thread paints the frames on a hidden stage a few at a time, from a
zero-interval timer, so the window answers between them (Qt paints on the GUI thread only); a background
thread encodes the file (`session.compute`). Cancel stops it at any step, and no file is left behind.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from nnstudio.core.engine.trainer import CancelToken
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.film_files import FilmWriter
from nnstudio.core.teaching.film_plan import FilmSettings
from nnstudio.core.teaching.film_recording import record_from_history
from nnstudio.gui.film.painter import FilmPainter

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

SLICE_SECONDS = 0.03  # painting per timer tick: the window stays responsive between slices


@dataclass(frozen=True)
class _Failure:
    message: str


def _attempt(work, *arguments):
    """`work(*arguments)`, or a `_Failure` saying why not: the job must hear of every ending to end itself."""
    try:
        return work(*arguments)
    except NNStudioError as error:
        return _Failure(str(error))
    except Exception as error:  # a bug: say so in the dialog, keep the details in the log file
        logging.getLogger(__name__).error("Unexpected error while exporting an animation", exc_info=error)
        return _Failure(f"Unexpected error: {type(error).__name__}: {error}")


class FilmExport(QObject):
    """One film being made from the current run; `start()` it, `cancel()` it, hear how it ends."""

    progressed = Signal(int, int)  # frames painted, frames in all
    writing = Signal()  # every frame painted: the file is being encoded
    done = Signal(str, int)  # the file written, its frame count
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, context: AppContext, settings: FilmSettings, path: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context, self.settings, self.path = context, settings, path
        self._cancel = CancelToken()
        self._painter: FilmPainter | None = None
        self._writer: FilmWriter | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._paint_slice)
        self.running = False

    def start(self) -> None:
        self.running = True
        session, settings = self.context.session, self.settings
        session.pause()  # the film shows the run up to now, as Save does
        session.read(lambda trainer: _attempt(record_from_history, trainer, settings), self._on_recorded)

    def cancel(self) -> None:
        """Stop now; the file is not written (a write under way is dropped before it is renamed into place)."""
        if not self.running:
            return
        self._cancel.cancel()
        self._timer.stop()
        self._close_painter()
        self.running = False
        self.cancelled.emit()

    # --- the steps --------------------------------------------------------------------------------

    def _on_recorded(self, recording) -> None:
        if self._cancel.cancelled:
            return
        if isinstance(recording, _Failure):
            return self._fail(recording.message)
        self._writer = FilmWriter(self.path, self.settings.seconds, self.settings.fps)
        self._painter = FilmPainter(recording, self.settings, self._writer)
        self.progressed.emit(0, self._painter.total)
        self._timer.start()

    def _paint_slice(self) -> None:
        painter = self._painter
        painted = _attempt(_paint_for_a_while, painter)
        if isinstance(painted, _Failure):
            self._timer.stop()
            self._close_painter()
            return self._fail(painted.message)
        self.progressed.emit(painter.painted, painter.total)
        if not painter.done:
            return
        self._timer.stop()
        self._close_painter()
        self.writing.emit()
        writer, cancel = self._writer, self._cancel
        self.context.session.compute(lambda: _attempt(writer.write, cancel), self._on_written)

    def _on_written(self, written) -> None:
        if self._cancel.cancelled:
            return
        self.running = False
        if isinstance(written, _Failure):
            self.failed.emit(written.message)
        else:
            self.done.emit(self.path, self._writer.frame_count)

    def _fail(self, message: str) -> None:
        self.running = False
        self.failed.emit(message)

    def _close_painter(self) -> None:
        if self._painter is not None:
            self._painter.close()
            self._painter = None


def _paint_for_a_while(painter: FilmPainter) -> None:
    """Paint frames for about SLICE_SECONDS (at least one), or to the end."""
    started = time.perf_counter()
    while not painter.done and time.perf_counter() - started < SLICE_SECONDS:
        painter.paint_next()
