"""The hidden-unit view's words: the caption over the plot, the legend under it, and the unit under the mouse.

Rich text built from the model and what is drawn (`ShownCurves`); the view only puts it in its labels.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.model import DenseLayer, entry_name
from nnstudio.gui import style
from nnstudio.gui.instruments.hidden_unit_curves import CONTRIBUTIONS, HINGED, MAPS, ShownCurves, diverged
from nnstudio.gui.instruments.instrument_support import NEGATIVE_LIGHT, POSITIVE_LIGHT, legend_entry

KEEP = None  # the axis keeps its label


def caption(
    layers: list[DenseLayer],
    dataset: Dataset | None,
    shown: ShownCurves | None,
    has_choice: bool,
    overlay_on: bool,
    map_level: float,
) -> tuple[str, str | None] | None:
    """(The caption, the left axis's label or KEEP), or None when nothing changes (no weights yet).

    `map_level`: the largest |a| of the unit maps' shared colour scale.
    """
    if not layers:
        return "", KEEP
    if shown is not None and shown.mode == MAPS:
        return _maps_caption(layers, shown, map_level), ""
    if dataset is not None and dataset.n_inputs != 1 and not has_choice:
        text = (
            f"Unit curves are drawn over one input x; this data has {dataset.n_inputs} inputs. "
            "The network diagram shows every unit and weight."
        )
        return text, ""
    if len(layers) == 1:
        return "This network has no hidden layer: its prediction is a straight line (or one curve).", ""
    if shown is None:
        return None
    units = shown.values.shape[1]
    if shown.mode == CONTRIBUTIONS:
        g = layers[0].activation
        text = (
            f"Each thin curve is one hidden unit's share  W2[j,1] · {g}(W1[1,j]·x + b1[j])  for unit j.  "
            f"Add all {units} and the output bias b2[1]: you get the thick green prediction."
        )
        axis = "contribution to ŷ"
    else:
        layer = layers[shown.layer - 1]
        text = f"Each curve is one unit's output  aⱼ = {layer.activation}(zⱼ)  in hidden layer {shown.layer}, over x."
        axis = f"output a of layer {shown.layer}"
    if len(shown.drawn_units) < units:
        text += f"  The {len(shown.drawn_units)} largest of {units} units are drawn."
    if overlay_on and shown.mode != CONTRIBUTIONS:
        text += "  (The fit plot shows unit shares only for one hidden layer.)"
    if diverged(shown):
        text = _diverged_text("curves")
    return text, axis


def _maps_caption(layers: list[DenseLayer], shown: ShownCurves, map_level: float) -> str:
    if diverged(shown):
        return _diverged_text("maps")
    layer = layers[shown.layer - 1]
    units = shown.values.shape[1]
    text = (
        f"Each map is one unit's output  aⱼ = {layer.activation}(zⱼ)  in hidden layer {shown.layer}, "
        "over the inputs (x₁ across, x₂ up); one colour scale for the layer: "
        f"blue below 0, white at 0, red above, |a| up to {map_level:.3g}."
    )
    if len(shown.drawn_units) < units:
        text += f"  The first {len(shown.drawn_units)} of {units} units are shown."
    return text


def _diverged_text(what: str) -> str:
    return (
        f"<span style='color:{style.ERROR_TEXT_COLOUR}'><b>The network diverged:</b> its weights are huge "
        f"(or not numbers), and so are these {what}. Reset (R) and try a smaller learning rate.</span>"
    )


def legend_entries(layers: list[DenseLayer], shown: ShownCurves | None) -> list[str]:
    """A legend in words (it wraps under the plot, where a row of entries above it would not fit)."""
    if shown is None or shown.mode != CONTRIBUTIONS:
        return []
    entries = [
        legend_entry(POSITIVE_LIGHT, "━━", "unit with W2[j,1] > 0"),
        legend_entry(NEGATIVE_LIGHT, "━━", "unit with W2[j,1] < 0"),
    ]
    if layers[0].activation in HINGED:
        entries.append(legend_entry("#444444", "●", "elbow: where the unit switches on"))
    entries += [
        legend_entry("#555555", "┅┅", "b2[1] (output bias)"),
        legend_entry(style.PREDICTION_COLOUR, "━━", "sum + b2[1] = prediction ŷ"),
    ]
    return entries


def describe_unit(
    layers: list[DenseLayer],
    parameters: dict[str, np.ndarray],
    dataset: Dataset,
    shown: ShownCurves,
    unit: int,
    prefix: str,
) -> str:
    """One unit's weights (and, for a ReLU share, where it switches on), for the readout line."""
    layer = layers[shown.layer - 1]
    weights = parameters[layer.weight_name][:, unit]
    text = f"<b>{prefix} {unit + 1}</b> of hidden layer {shown.layer}: "  # counted from 1, as in W1[1,2]
    if len(weights) == 1:
        text += f"{entry_name(layer.weight_name, (0, unit))} = {weights[0]:.4g}"
    else:
        text += f"|incoming weights| = {np.linalg.norm(weights):.4g}"
    if layer.bias:
        text += f", {entry_name(layer.bias_name, (unit,))} = {parameters[layer.bias_name][unit]:.4g}"
    if shown.mode == CONTRIBUTIONS:
        outgoing = layers[1].weight_name
        text += f", {entry_name(outgoing, (unit, 0))} = {parameters[outgoing][unit, 0]:.4g}"
        # x maps to the unit's input linearly only without features (with x² a ReLU switches twice or never)
        if layer.activation in HINGED and weights[0] != 0 and layer.bias and dataset.uses_raw_inputs:
            scaler = dataset.scaler
            x_at = scaler.x_mean + scaler.x_sd * (-parameters[layer.bias_name][unit] / weights[0])
            text += f";  switches on at x = {x_at:.3g}"
    return text
