"""Painting a recording's frames, one at a time, into a film file.

`FilmPainter.paint_next()` paints one picture on the stage and hands it to the `FilmWriter`; the command
line calls it in a loop (`write_film`), the window from a timer, a few pictures per tick (Qt paints on the
GUI thread only). The first call paints the last frame: the film's palette is made from it and the first
frame, so that colours which only appear late in the run are in it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nnstudio.core.storage.film_files import FilmWriter
from nnstudio.core.teaching.film_plan import FilmSettings
from nnstudio.core.teaching.film_recording import FilmRecording
from nnstudio.gui.film.stage import FilmStage


class FilmPainter:
    """A recording's frames, painted in order into a writer."""

    def __init__(self, recording: FilmRecording, settings: FilmSettings, writer: FilmWriter) -> None:
        self.stage = FilmStage(recording, settings)
        self.writer = writer
        self.painted = 0  # frames handed to the writer
        self._last_frame = None  # the last frame's picture, painted first for the palette

    @property
    def total(self) -> int:
        return self.stage.frame_count

    @property
    def done(self) -> bool:
        return self.painted >= self.total

    def paint_next(self) -> None:
        """Paint one picture: the last frame (for the palette) first, then the frames in order into the writer."""
        if self.painted == 0 and self._last_frame is None:
            self._last_frame = self._picture(self.total - 1)
            return
        picture = self._picture(self.painted)
        if self.painted == 0:
            self.writer.set_palette([picture, self._last_frame])
            self._last_frame = None
        self.writer.add(picture)
        self.painted += 1

    def _picture(self, index: int):
        self.stage.show_frame(index)
        return self.stage.picture()

    def close(self) -> None:
        self.stage.deleteLater()


def write_film(
    recording: FilmRecording,
    settings: FilmSettings,
    path: str | Path,
    progress: Callable[[int, int], None] | None = None,
    writing: Callable[[], None] | None = None,
) -> int:
    """Paint every frame and write the film (the command line: the caller made the QApplication, offscreen).

    `progress(painted, total)` after each frame, `writing()` when the file is being encoded. Returns the number
    of frames written.
    """
    writer = FilmWriter(path, settings.seconds, settings.fps)
    painter = FilmPainter(recording, settings, writer)
    try:
        while not painter.done:
            painter.paint_next()
            if progress is not None:
                progress(painter.painted, painter.total)
    finally:
        painter.close()
    if writing is not None:
        writing()
    writer.write()
    return writer.frame_count
