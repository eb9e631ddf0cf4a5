"""A run as a film: what the teacher chose (length, rate, size, view) and which epochs become frames.

A film of `seconds` at `fps` frames a second shows seconds × fps moments of the run, spread evenly from its
first epoch to its last (both always shown), or every moment there is when the run has fewer; it lasts
`seconds` either way (core/storage/film_files.py times the frames). Nothing here knows about pictures or
files: the window (File ▸ Export ▸ Animation…) and `nnstudio record` both plan their films here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nnstudio.core.errors import NNStudioError

# What a frame shows: the prediction beside the loss, or one of them, or the network's weights.
VIEWS = {
    "both": "the prediction (the fit, or the decision map for two-input classes) beside the loss",
    "fit": "the fit: the points, the true function and the prediction",
    "boundary": "the decision map of a two-input classification",
    "loss": "the loss per epoch",
    "diagram": "the network diagram: every weight as a line",
}
DEFAULT_VIEW = "both"
DEFAULT_SECONDS, DEFAULT_FPS, DEFAULT_SIZE = 8.0, 15, (960, 600)
SECONDS_RANGE = (0.5, 300.0)
FPS_RANGE = (1, 60)
WIDTH_RANGE, HEIGHT_RANGE = (160, 3840), (100, 2160)


@dataclass(frozen=True)
class FilmSettings:
    """What the teacher chose: the film's length, its frame rate, its frame size and what a frame shows."""

    seconds: float = DEFAULT_SECONDS
    fps: int = DEFAULT_FPS
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    view: str = DEFAULT_VIEW
    log_loss: bool = False  # the loss on a logarithmic axis (as the window's loss plot may show it)

    def __post_init__(self) -> None:
        low, high = SECONDS_RANGE
        if not (math.isfinite(self.seconds) and low <= self.seconds <= high):
            raise NNStudioError(f"a film lasts from {low:g} to {high:g} seconds, not {self.seconds:g}")
        low, high = FPS_RANGE
        if not low <= self.fps <= high:
            raise NNStudioError(f"a film has from {low} to {high} frames a second, not {self.fps}")
        (w_low, w_high), (h_low, h_high) = WIDTH_RANGE, HEIGHT_RANGE
        if not (w_low <= self.width <= w_high and h_low <= self.height <= h_high):
            raise NNStudioError(
                f"a film's frames are from {w_low}x{h_low} to {w_high}x{h_high} pixels, not {self.width}x{self.height}"
            )
        if self.view not in VIEWS:
            raise NNStudioError(f"a film shows one of {', '.join(VIEWS)}, not {self.view!r}")

    @property
    def frames_wanted(self) -> int:
        """seconds × fps: how many moments the film shows when the run has that many."""
        return max(1, round(self.seconds * self.fps))

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def parse_size(text: str) -> tuple[int, int]:
    """ "960x600" → (960, 600); NNStudioError for anything else."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise NNStudioError(f"a size looks like 960x600, not {text!r}") from None
    return width, height


def prediction_view(view: str, has_class_map: bool) -> str | None:
    """The prediction plot a frame of `view` draws: "fit", "boundary" or None (loss, diagram).

    `has_class_map`: the data has two inputs, so its prediction is a map over (x₁, x₂), as in the window: the
    decision boundary for classes, the heat map for numbers (both are the "boundary" view).
    A view that does not suit the data is refused (NNStudioError) before anything is trained or drawn.
    """
    if view == "both":
        return "boundary" if has_class_map else "fit"
    if view == "fit" and has_class_map:
        raise NNStudioError("this run's data has two inputs: its prediction is drawn as a map (the boundary view)")
    if view == "boundary" and not has_class_map:
        raise NNStudioError("the boundary view is for two-input classification data: this run's prediction is a fit")
    return view if view in ("fit", "boundary") else None


def frame_indices(moments: int, wanted: int) -> list[int]:
    """Which of `moments` evenly spaced moments (0 … moments − 1) become frames: `wanted` of them spread
    evenly, the first and the last included, or all of them when there are no more than that."""
    if moments <= 0:
        return []
    if wanted >= moments:
        return list(range(moments))
    if wanted <= 1:
        return [moments - 1]  # a single frame: where the run ended
    step = (moments - 1) / (wanted - 1)  # ≥ 1, so rounding never repeats a moment
    return [math.floor(i * step + 0.5) for i in range(wanted)]


def frame_epochs(epochs: Sequence[int], wanted: int) -> list[int]:
    """The epochs of the frames, chosen among the recorded `epochs` (ascending), first and last included."""
    return [epochs[i] for i in frame_indices(len(epochs), wanted)]
