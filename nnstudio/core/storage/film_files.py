"""Writing a film: an animated GIF or WebP through Pillow, an MP4 through imageio's ffmpeg (an optional extra).

Frames arrive one at a time as RGB pictures. Each is reduced at once to the one palette of 255 colours the
whole film shares (made from sample pictures before the first frame) and kept like that, one byte a pixel:
a GIF needs it anyway, and a long film's memory stays within a budget that is checked before anything is
trained or drawn. `write()` encodes and writes the file atomically; a failure or a cancel leaves no file.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.trainer import CancelToken
from nnstudio.core.errors import NNStudioError
from nnstudio.core.saving import write_atomically
from nnstudio.core.storage.export import check_writable

if TYPE_CHECKING:
    from PIL import Image

FORMATS = {".gif": "GIF", ".webp": "WebP", ".mp4": "MP4"}  # suffix → the format's name
FILM_EXTRA = "pip install 'nnstudio[film]'"
MP4_MISSING = f"MP4 needs imageio and imageio-ffmpeg: {FILM_EXTRA} (or pip install imageio imageio-ffmpeg)"
GIF_MAX_FPS = 50  # a GIF counts time in 1/100 s, and browsers slow down frames shorter than 2/100 s
FRAME_BYTES_BUDGET = 1 << 30  # the frames kept until the film is written, one byte a pixel
# The palette keeps one of GIF's 256 entries free: Pillow then marks the pixels a frame leaves unchanged with it,
# and a GIF of plots (where little moves from frame to frame) shrinks about four times.
PALETTE_COLOURS = 255
WEBP_EFFORT = 0  # lossless WebP (sharp text and lines) at its fastest: "quality" is effort when lossless
MP4_QUALITY = 8  # imageio's scale: 0 (worst) … 10 (best)


def film_format(path: str | os.PathLike) -> str:
    """The film format a file name asks for ("GIF", "WebP" or "MP4"); NNStudioError for any other name."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise NNStudioError(f"a film is a .gif, .webp or .mp4 file, not {Path(path).name!r}")
    return FORMATS[suffix]


def mp4_available() -> bool:
    """Are imageio and its ffmpeg (the `film` extra) installed?"""
    return all(importlib.util.find_spec(name) is not None for name in ("imageio", "imageio_ffmpeg"))


def webp_available() -> bool:
    from PIL import features

    return bool(features.check_module("webp"))


def check_film_output(path: str | os.PathLike, fps: int) -> str:
    """Refuse now, before anything is trained or drawn, a film that could not be written; returns its format."""
    kind = film_format(path)
    if kind == "MP4" and not mp4_available():
        raise NNStudioError(MP4_MISSING)
    if kind == "WebP" and not webp_available():
        raise NNStudioError("this Pillow was built without WebP: write a .gif or an .mp4 instead")
    if kind == "GIF" and fps > GIF_MAX_FPS:
        raise NNStudioError(
            f"a GIF shows at most {GIF_MAX_FPS} frames a second, not {fps}: lower the rate, or write an MP4"
        )
    check_writable(path)
    return kind


def check_film_memory(frames: int, width: int, height: int) -> None:
    """Refuse a film whose frames would not fit the memory budget while it is made."""
    needed = frames * width * height
    if needed > FRAME_BYTES_BUDGET:
        raise NNStudioError(
            f"{frames} frames of {width}x{height} would take {needed / 2**30:.1f} GB of memory while the film is "
            f"made (at most {FRAME_BYTES_BUDGET / 2**30:.0f} GB): make it shorter, with fewer frames a second, "
            "or smaller"
        )


def frame_durations(count: int, seconds: float, tick_ms: int = 1) -> list[int]:
    """How long each of `count` frames stays on screen, in milliseconds that are whole `tick_ms` (a GIF counts
    in 10 ms), so that together they last `seconds`: frame i runs from round(i·T/count) to round((i+1)·T/count)."""
    ticks = seconds * 1000 / tick_ms
    edges = [round(i * ticks / count) for i in range(count + 1)]
    return [(end - start) * tick_ms for start, end in itertools.pairwise(edges)]


def frame_slots(count: int, seconds: float, fps: int) -> list[int]:
    """For a video at a fixed `fps`: which of `count` frames each of its seconds × fps pictures shows
    (a frame repeats when the run has fewer moments than the film has pictures)."""
    pictures = max(1, round(seconds * fps))
    return [min(count - 1, slot * count // pictures) for slot in range(pictures)]


class FilmWriter:
    """The frames of one film, reduced to a shared palette as they arrive, and the file they become."""

    def __init__(self, path: str | os.PathLike, seconds: float, fps: int) -> None:
        self.path = Path(path)
        self.kind = film_format(path)
        self.seconds, self.fps = seconds, fps
        self._palette: Image.Image | None = None
        self._frames: list[Image.Image] = []

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    def set_palette(self, pictures: Sequence[np.ndarray]) -> None:
        """Choose the film's colours from sample pictures (e.g. its first and its last frame), so that
        colours that only appear late in the run (a confident decision map) are in it too."""
        from PIL import Image

        # every other pixel each way: the same colours, a quarter of the work (it runs on the window's GUI thread)
        samples = Image.fromarray(np.concatenate([_rgb(picture)[::2, ::2] for picture in pictures], axis=0))
        self._palette = samples.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)

    def add(self, picture: np.ndarray) -> None:
        """The next frame, (height, width, 3) uint8 RGB."""
        from PIL import Image

        image = Image.fromarray(_rgb(picture))
        if self._palette is None:
            self.set_palette([picture])
        if self._frames and image.size != self._frames[0].size:
            raise ValueError(f"a frame of {image.size}, the film's are {self._frames[0].size}")
        self._frames.append(image.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def write(self, cancel: CancelToken | None = None) -> bool:
        """Encode the frames and write the file atomically; False (and no file) when `cancel` was cancelled."""
        cancel = cancel or CancelToken()
        if not self._frames:
            raise NNStudioError("a film needs at least one frame")
        if self.kind == "MP4":
            content = self._mp4_bytes(frame_slots(len(self._frames), self.seconds, self.fps), cancel)
        else:
            tick = 10 if self.kind == "GIF" else 1
            content = self._pillow_bytes(frame_durations(len(self._frames), self.seconds, tick))
        if content is None or cancel.cancelled:
            return False
        write_atomically(self.path, content)
        return True

    def _pillow_bytes(self, durations: list[int]) -> bytes:
        import io

        first, rest = self._frames[0], self._frames[1:]
        options = {"save_all": True, "append_images": rest, "duration": durations, "loop": 0}
        if self.kind == "GIF":
            options["optimize"] = True  # each frame stored as its change, unchanged pixels transparent
        else:
            options.update(lossless=True, quality=WEBP_EFFORT)
        stream = io.BytesIO()
        first.save(stream, self.kind.upper(), **options)
        return stream.getvalue()

    def _mp4_bytes(self, slots: list[int], cancel: CancelToken) -> bytes | None:
        import imageio.v2 as imageio

        with tempfile.TemporaryDirectory(prefix="nnstudio-film-") as folder:
            video_path = Path(folder) / "film.mp4"
            writer = imageio.get_writer(
                video_path,
                format="FFMPEG",
                mode="I",
                fps=self.fps,
                codec="libx264",
                quality=MP4_QUALITY,
                pixelformat="yuv420p",
                macro_block_size=1,  # the size is made even below, without a resize
                ffmpeg_log_level="error",
            )
            try:
                shown, picture = -1, None
                for index in slots:
                    if cancel.cancelled:
                        return None
                    if index != shown:
                        shown, picture = index, _even(np.asarray(self._frames[index].convert("RGB")))
                    writer.append_data(picture)
            finally:
                writer.close()
            return video_path.read_bytes()


def _rgb(picture: np.ndarray) -> np.ndarray:
    picture = np.asarray(picture)
    if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
        raise ValueError(f"a frame is (height, width, 3) uint8 RGB, not {picture.shape} {picture.dtype}")
    return np.ascontiguousarray(picture)


def _even(picture: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs an even width and height: a white row or column is added where one is odd."""
    height, width = picture.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return picture
    return np.pad(picture, ((0, height % 2), (0, width % 2), (0, 0)), constant_values=255)
