"""What the hidden-unit view draws, as numbers: each unit's curve over x (or map over x₁, x₂), and where ReLUs bend.

No Qt here: `hidden_units_view` turns a `ShownCurves` into plot items. The values come from
`nnstudio.core.teaching.hidden_units`, in the data's original units as the fit curve is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.datasets.data import Dataset, Scaler
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.teaching.hidden_units import (
    contributions_in_original_units,
    layer_outputs,
    supports_unit_contributions,
)

MAX_CURVES = 128  # more thin curves than this are a grey smear: the largest ones are drawn
CONTRIBUTIONS, OUTPUTS, MAPS = "contributions", "outputs", "maps"  # MAPS: two inputs, one heat map a unit
HINGED = ("relu", "leaky_relu")  # activations with an elbow at z = 0
DIVERGED_SIZE = 1e12  # far beyond any data a class would plot


@dataclass(frozen=True, eq=False)
class ShownCurves:
    """What the view draws now: the grid, every unit's curve (all units, not just the drawn ones)."""

    mode: str  # CONTRIBUTIONS, OUTPUTS or MAPS
    layer: int  # 1-based hidden layer
    x: np.ndarray  # (G,) original units; MAPS: empty (the grid is the dataset's 2-D one)
    values: np.ndarray  # (G, units)
    drawn_units: np.ndarray  # the units that have a curve, largest first
    offset: float = 0.0  # contributions only: y_sd · b2 + y_mean
    total: np.ndarray | None = None  # contributions only: Σ values + offset, the prediction


def curve_choices(layers: list[DenseLayer], dataset: Dataset) -> list[tuple[str, tuple[str, int]]]:
    """What the view can show for this network and data: (the chooser's text, (mode, 1-based hidden layer))."""
    hidden = layers[:-1]
    if dataset.n_inputs != 1:  # curves over x need one x; two inputs on a 2-D grid get a map per unit
        if dataset.grid_shape is None:
            return []
        return [
            (f"Unit maps of hidden layer {layer.index}  ({layer.n_out} {layer.activation} units)", (MAPS, layer.index))
            for layer in hidden
        ]
    choices = []
    if supports_unit_contributions(layers):
        first = layers[0]
        choices.append((f"Each unit's share of ŷ  ({first.n_out} {first.activation} units)", (CONTRIBUTIONS, 1)))
    choices += [
        (f"Outputs of hidden layer {layer.index}  ({layer.n_out} {layer.activation} units)", (OUTPUTS, layer.index))
        for layer in hidden
    ]
    return choices


def shown_curves(
    layers: list[DenseLayer], parameters: dict[str, np.ndarray], dataset: Dataset, mode: str, layer: int
) -> ShownCurves:
    """One input: each unit's share of ŷ (CONTRIBUTIONS) or each unit's output a_j (OUTPUTS) over the grid."""
    with np.errstate(all="ignore"):  # a diverged network draws as gaps
        if mode == CONTRIBUTIONS:
            parts = contributions_in_original_units(layers, parameters, dataset)
            values = parts.contributions
            size = np.nanmax(np.abs(np.where(np.isfinite(values), values, np.nan)), axis=0, initial=0.0)
            return ShownCurves(mode, layer, parts.x, values, largest(size), parts.offset, parts.prediction)
        values = layer_outputs(layers, parameters, dataset.x_grid, layer)
        finite = np.where(np.isfinite(values), values, np.nan)
        spread = np.nan_to_num(np.nanmax(finite, axis=0, initial=-np.inf) - np.nanmin(finite, axis=0, initial=np.inf))
        return ShownCurves(mode, layer, dataset.x_grid_raw[:, 0], values, largest(spread))


def shown_maps(
    layers: list[DenseLayer], parameters: dict[str, np.ndarray], dataset: Dataset, layer: int, most: int
) -> ShownCurves:
    """Two inputs: each unit's output over the 2-D grid; the first `most` units get a map."""
    with np.errstate(all="ignore"):
        values = layer_outputs(layers, parameters, dataset.x_grid, layer)
    return ShownCurves(MAPS, layer, np.empty(0), values, np.arange(min(values.shape[1], most)))


def elbows(
    layers: list[DenseLayer], parameters: dict[str, np.ndarray], scaler: Scaler, shown: ShownCurves
) -> tuple[np.ndarray, np.ndarray]:
    """Where each drawn unit's ReLU switches on (w1·x + b1 = 0), in original x units, inside the grid;
    (x positions, their units)."""
    first = layers[0]
    w1 = parameters[first.weight_name][0]
    b1 = parameters[first.bias_name] if first.bias else np.zeros_like(w1)
    units = shown.drawn_units
    with np.errstate(all="ignore"):
        z_zero = -b1[units] / w1[units]  # model units of x
        x_at = scaler.x_mean + scaler.x_sd * z_zero
    inside = np.isfinite(x_at) & (x_at >= shown.x.min()) & (x_at <= shown.x.max())
    return x_at[inside], units[inside]


def diverged(shown: ShownCurves) -> bool:
    """Curves that are not numbers or absurdly large."""
    with np.errstate(invalid="ignore"):
        values = shown.values if shown.total is None else np.column_stack([shown.values, shown.total])
        return not np.all(np.isfinite(values)) or float(np.max(np.abs(values), initial=0.0)) > DIVERGED_SIZE


def largest(size: np.ndarray) -> np.ndarray:
    """Unit indices, largest first, at most MAX_CURVES of them."""
    order = np.argsort(-np.nan_to_num(size, nan=0.0), kind="stable")
    return order[:MAX_CURVES]


def nearest_unit(shown: ShownCurves, x: float, y: float, reach: float) -> int | None:
    """The drawn unit whose curve passes nearest above or below (x, y), if within `reach` (y units)."""
    column = int(np.clip(np.searchsorted(shown.x, x), 0, len(shown.x) - 1))
    values = shown.values[column, shown.drawn_units]
    with np.errstate(invalid="ignore"):
        distance = np.abs(values - y)
    if not np.isfinite(distance).any():
        return None
    best = int(np.nanargmin(distance))
    return int(shown.drawn_units[best]) if distance[best] <= reach else None
