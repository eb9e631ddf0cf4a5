"""The loss-landscape pictures as data: computed in a background thread, drawn by `landscape_view`.

Nothing here touches Qt widgets or the trainer: each function takes copies (layers, loss name,
training data, weights, recorded states) and returns a `LandscapeMap` with the loss grid, its
log for the heat map, contour lines as NaN-separated polylines, the minimum to mark and, for a
slice, the recorded road projected onto the slice. The numbers are `nnstudio.core.teaching.landscape`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pyqtgraph import functions as pg_functions

from nnstudio.core.engine.model import DenseLayer, entry_name
from nnstudio.core.teaching.landscape import (
    default_line_ranges,
    least_squares_line,
    line_loss_grid,
    line_point,
    project_path,
    slice_along_random_directions,
    slice_along_weights,
)

Parameters = dict[str, np.ndarray]
LINE, SLICE = "line", "slice"
LINE_RESOLUTION = 101
SLICE_RESOLUTION = 41
CONTOUR_LEVELS = 10


@dataclass(frozen=True, eq=False)
class LandscapeMap:
    """One heat map of the loss: losses[i, j] is at (x_values[j], y_values[i])."""

    kind: str  # LINE: the whole (w, b) plane; SLICE: a plane through the current weights
    x_values: np.ndarray
    y_values: np.ndarray
    losses: np.ndarray
    log_losses: np.ndarray  # float32, C-contiguous: what the image shows
    levels: tuple[float, float]  # the image's colour range, log10 loss
    contour_x: np.ndarray  # contour polylines, NaN between pieces
    contour_y: np.ndarray
    minimum: tuple[float, float] | None  # the least-squares line, or the slice's lowest grid point
    minimum_name: str
    x_label: str
    y_label: str
    # a slice's plane, to place later weights on it: θ ≈ centre + α·d₁ + β·d₂, drawn at offset + (α, β)
    centre: Parameters = field(default_factory=dict)
    directions: tuple[Parameters, Parameters] | None = None
    offset: tuple[float, float] = (0.0, 0.0)
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # the recorded road, map coordinates
    computed_in_thread: int = 0  # threading.get_ident() of the thread that computed it

    def contains(self, points: np.ndarray, slack: float = 0.0) -> np.ndarray:
        """Which (x, y) rows lie inside the map, grown by `slack` of its size on each side."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        (x0, x1), (y0, y1) = (self.x_values[0], self.x_values[-1]), (self.y_values[0], self.y_values[-1])
        dx, dy = slack * (x1 - x0), slack * (y1 - y0)
        with np.errstate(invalid="ignore"):
            return (
                (points[:, 0] >= x0 - dx)
                & (points[:, 0] <= x1 + dx)
                & (points[:, 1] >= y0 - dy)
                & (points[:, 1] <= y1 + dy)
            )

    def place(self, parameters: Parameters) -> tuple[float, float]:
        """Where a set of weights lands on this map: (w, b) on a line map, its projection on a slice."""
        if self.kind == LINE:
            return line_point(parameters)
        alpha, beta = project_path([parameters], self.centre, self.directions)[0]
        return float(alpha + self.offset[0]), float(beta + self.offset[1])


def line_map(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    include: Sequence[tuple[float, float]] = (),
    resolution: int = LINE_RESOLUTION,
    standardised: bool = False,
) -> LandscapeMap:
    """The loss over the whole (w, b) plane of a two-parameter model, around the road and the minimum."""
    finite = [p for p in include if np.all(np.isfinite(p)) and max(abs(p[0]), abs(p[1])) < 1e6]
    # A square box, drawn at equal scales: a round bowl looks round, and a long valley is really long.
    w_range, b_range = squared(*default_line_ranges(layers[0], x, y, finite))
    w_grid, b_grid, losses = line_loss_grid(layers, loss_name, x, y, w_range, b_range, resolution, finite)
    w_values, b_values = w_grid[0].copy(), b_grid[:, 0].copy()
    if layers[0].activation == "identity":
        minimum, name = least_squares_line(x, y), "least-squares minimum"
    else:
        minimum, name = _lowest(w_values, b_values, losses), "lowest point on the map"
    units = " (standardised units)" if standardised else ""
    layer = layers[0]
    w_label, b_label = entry_name(layer.weight_name, (0, 0)), entry_name(layer.bias_name, (0,))
    return _finish(
        LINE, w_values, b_values, losses, minimum, name, f"{w_label} (slope){units}", f"{b_label} (bias){units}"
    )


def slice_map(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    centre: Parameters,
    states: Sequence[Parameters],
    along: tuple[tuple[str, int], tuple[str, int]] | None = None,
    seed: int = 0,
    span: float = 1.0,
    resolution: int = SLICE_RESOLUTION,
) -> LandscapeMap:
    """A slice through `centre`: along two weights (name, flat index), or two random directions.

    Along weights the axes show the weights' own values; the road is each recorded state's
    projection onto the plane (exact along weights; the nearest point for random directions).
    """
    if along is not None:
        (first, first_flat), (second, second_flat) = along
        result = slice_along_weights(
            layers,
            loss_name,
            x,
            y,
            centre,
            (first, np.unravel_index(first_flat, np.shape(centre[first]))),
            (second, np.unravel_index(second_flat, np.shape(centre[second]))),
            resolution,
        )
        # the axes show the two weights' own values, not their offsets from now
        offset = (float(np.ravel(centre[first])[first_flat]), float(np.ravel(centre[second])[second_flat]))
    else:
        result = slice_along_random_directions(layers, loss_name, x, y, centre, seed, span, resolution)
        offset = (0.0, 0.0)
    xs, ys = result.alphas + offset[0], result.betas + offset[1]
    directions = result.directions
    road = (
        project_path(list(states), result.centre, directions) + np.asarray(offset) if len(states) else np.zeros((0, 2))
    )
    picture = _finish(
        SLICE, xs, ys, result.losses, _lowest(xs, ys, result.losses), "lowest point on this slice", *result.labels
    )
    return LandscapeMap(
        **{**picture.__dict__, "centre": result.centre, "directions": directions, "offset": offset, "path": road}
    )


def squared(x_range: tuple[float, float], y_range: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """The two ranges widened about their centres to the larger one's span."""
    half = max(x_range[1] - x_range[0], y_range[1] - y_range[0]) / 2
    return tuple((sum(r) / 2 - half, sum(r) / 2 + half) for r in (x_range, y_range))


def contour_lines(
    values: np.ndarray, levels: Sequence[float], xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Iso-lines of values[i, j] (at xs[j], ys[i]) as one NaN-separated polyline in map coordinates."""
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    pieces_x, pieces_y = [], []
    for level in levels:
        # pyqtgraph's isocurve walks the first axis as x, and puts sample k at k + 0.5
        for line in pg_functions.isocurve(values.T, level, connected=True):
            points = np.asarray(line, dtype=np.float64)
            pieces_x += [xs[0] + (points[:, 0] - 0.5) * dx, [np.nan]]
            pieces_y += [ys[0] + (points[:, 1] - 0.5) * dy, [np.nan]]
    if not pieces_x:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(pieces_x), np.concatenate(pieces_y)


def _lowest(xs: np.ndarray, ys: np.ndarray, losses: np.ndarray) -> tuple[float, float] | None:
    if not np.isfinite(losses).any():
        return None
    i, j = np.unravel_index(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)), losses.shape)
    return float(xs[j]), float(ys[i])


def _finish(kind, xs, ys, losses, minimum, minimum_name, x_label, y_label) -> LandscapeMap:
    """Log-scale the losses for the picture (a bowl's walls would drown its floor) and trace contours."""
    with np.errstate(all="ignore"):
        log_losses = np.log10(np.maximum(losses, 1e-300))
    finite = np.isfinite(log_losses)
    if finite.any():
        low, high = float(log_losses[finite].min()), float(log_losses[finite].max())
        log_losses = np.where(finite, log_losses, high)  # a diverging corner shows as the highest loss
    else:
        low, high = 0.0, 1.0
        log_losses = np.zeros_like(log_losses)
    if high - low < 1e-9:
        high = low + 1.0
    levels = np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1]
    contour_x, contour_y = contour_lines(log_losses, levels, xs, ys)
    return LandscapeMap(
        kind=kind,
        x_values=np.asarray(xs, dtype=np.float64),
        y_values=np.asarray(ys, dtype=np.float64),
        losses=losses,
        log_losses=np.ascontiguousarray(log_losses, dtype=np.float32),
        levels=(low, high),
        contour_x=contour_x,
        contour_y=contour_y,
        minimum=minimum,
        minimum_name=minimum_name,
        x_label=x_label,
        y_label=y_label,
        computed_in_thread=threading.get_ident(),
    )
