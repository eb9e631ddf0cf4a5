"""The network diagram's words: column titles, unit names, the caption under it, and what pointing shows.

Units and weights are counted from 1, as W1[1,2] and b1[2] are (`entry_name`), everywhere the diagram
writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.engine.model import DenseLayer, entry_name
from nnstudio.gui.instruments.diagram_canvas import MAX_NODES_PER_LAYER
from nnstudio.gui.instruments.instrument_support import NEGATIVE_COLOUR, POSITIVE_COLOUR, format_value

READOUT_PROMPT = (
    "Point at a line to see its weight and gradient; click a hidden node; double-click a line or a node to edit it."
)


def subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def column_title(layers: list[DenseLayer], column: int, input_names: tuple[str, ...] = ()) -> str:
    if column == 0:
        inputs = layers[0].n_in
        if len(input_names) == inputs <= 3:  # the run's inputs by name (X₁², X₂²); more would not fit
            return ("input " if inputs == 1 else "inputs ") + ", ".join(input_names)
        return "input x" if inputs == 1 else "inputs x₁, x₂" if inputs == 2 else f"{inputs} inputs"
    if column == len(layers):
        outputs = layers[-1].n_out
        return "output ŷ" if outputs == 1 else f"{outputs} outputs"
    layer = layers[column - 1]
    return f"hidden {column}\n{layer.n_out} {layer.activation}"


def unit_name(layers: list[DenseLayer], column: int, unit: int, input_names: tuple[str, ...] = ()) -> str:
    """Units are counted from 1, like the indices of W1[1,2]; inputs go by the run's names for them."""
    if column == 0:
        if unit < len(input_names):
            return f"input {input_names[unit]}"
        return "input x" if layers[0].n_in == 1 else f"input x{subscript(unit + 1)}"
    if column == len(layers):
        return "output ŷ" if layers[-1].n_out == 1 else f"output {unit + 1}"
    return f"unit {unit + 1} of hidden layer {column}"


def caption_text(
    layers: list[DenseLayer], lines_per_matrix: list[int], nodes_per_column: list[int], scale: float
) -> str:
    """The legend of colours and widths, and what a big network leaves out."""
    if not layers:
        return ""
    text = (
        f"<span style='color:{POSITIVE_COLOUR}'>■</span> positive weight &nbsp; "
        f"<span style='color:{NEGATIVE_COLOUR}'>■</span> negative weight &nbsp; "
        f"thicker = larger |w| (thickest: |w| = {scale:.3g})"
    )
    capped = []
    for layer, drawn in zip(layers, lines_per_matrix, strict=True):
        total = layer.n_in * layer.n_out
        if drawn < total:
            capped.append(f"{layer.weight_name}: the {drawn} strongest of {total} weights")
    widths = [layers[0].n_in, *(layer.n_out for layer in layers)]
    if any(nodes < width for nodes, width in zip(nodes_per_column, widths, strict=True)):
        capped.append(f"at most {MAX_NODES_PER_LAYER} units a layer")
    if capped:
        text += "<br>Drawn: " + "; ".join(capped) + "."
    return text


@dataclass
class Readout:
    """What the hover text is made of: the network, its weights, and the gradients of the last step."""

    layers: list[DenseLayer]
    parameters: dict[str, np.ndarray] | None
    gradients: dict[str, np.ndarray]
    gradient_note: str  # which step the gradients are from
    gradient_withheld: str  # why no gradient is shown now, or ""
    input_names: tuple[str, ...] = ()  # the network's inputs as the run's dataset names them

    def edge(self, index: int, row: int, column: int) -> str:
        layer = self.layers[index]
        name = entry_name(layer.weight_name, (row, column))
        value = self.parameters[layer.weight_name][row, column]
        source = unit_name(self.layers, index, row, self.input_names)
        target = unit_name(self.layers, index + 1, column)
        text = f"<b>{name} = {format_value(value)}</b> &nbsp; from {source} to {target}"
        return text + "<br>" + self.gradient(layer.weight_name, (row, column), name) + "<br>Double-click to edit it."

    def node(self, column: int, unit: int) -> str:
        name = unit_name(self.layers, column, unit, self.input_names)
        if column == 0:
            return f"<b>{name}</b>: the network's input"
        layer = self.layers[column - 1]
        text = f"<b>{name}</b> ({layer.activation})"
        if layer.bias and self.parameters is not None:
            bias, name = self.parameters[layer.bias_name][unit], entry_name(layer.bias_name, (unit,))
            text += f": bias {name} = {format_value(bias)}"
            text += "<br>" + self.gradient(layer.bias_name, (unit,), name)
            text += "<br>Double-click to edit the bias."
        if 0 < column < len(self.layers):
            text += "<br>Click to highlight this unit in the hidden-unit view."
        return text

    def gradient(self, parameter: str, index: tuple[int, ...], name: str) -> str:
        gradient = self.gradients.get(parameter)
        if self.gradient_withheld or gradient is None or gradient.shape != self.parameters[parameter].shape:
            return f"gradient: {self.gradient_withheld or self.gradient_note}"
        return f"gradient dL/d{name} = {format_value(gradient[index])} &nbsp; ({self.gradient_note})"
