"""What each of the step inspector's phase pages is built from.

A `PhasePage` is a formula box on top and `Section`s below (a heading, a note, one
`TensorTable` and a line under it), scrolling as a whole. The helpers here are shared by the
forward, backpropagation and update pages: what a heat map's rows and columns are for each
kind of tensor, and how a layer with very few parameters shows W and b in one table.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from nnstudio.core.teaching.inspector import LayerInspection
from nnstudio.gui.instruments.tensor_text import index_labeller, math_font
from nnstudio.gui.instruments.tensor_views import TensorTable

COMBINE_ENTRIES = 4  # a layer with at most this many weights and biases shows them in one table
BATCH_AXES = ("points", "units")  # z, a, dL/da, dL/dz: one row per data point, one column per unit
WEIGHT_AXES = ("inputs", "units")  # W and dL/dW: row i is input i, column j is unit j's weights
BIAS_AXES = ("", "units")  # b and dL/db: one value per unit


def joined(*arrays: np.ndarray | None) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays if a is not None])


def combined_labels(layer: LayerInspection) -> list[str] | None:
    """A layer with few parameters (the tutorial's line: one weight, one bias) shows W and b in one table."""
    if layer.biases is None or layer.weights.size + layer.biases.size > COMBINE_ENTRIES:
        return None
    w, b = layer.layer.weight_name, layer.layer.bias_name
    label_w, label_b = index_labeller(w), index_labeller(b)
    weights = [label_w(i) for i in np.ndindex(*layer.weights.shape)]
    return weights + [label_b(i) for i in np.ndindex(*layer.biases.shape)]


def list_labeller(labels: list[str]):
    return lambda index: labels[index[0]]


class Section(QWidget):
    """A heading, a line of explanation, one TensorTable and a line under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #444444;")
        self.note.setFont(math_font())
        self.table = TensorTable()
        self.footer = QLabel()
        self.footer.setWordWrap(True)
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(3)
        for widget in (self.heading, self.note, self.table, self.footer):
            layout.addWidget(widget)

    def set_text(self, heading: str, note: str = "", footer: str = "") -> None:
        self.heading.setText(f"<b>{heading}</b>")
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.footer.setText(footer)
        self.footer.setVisible(bool(footer))


def formula_box() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setStyleSheet("QLabel { background: #F3F6F9; padding: 6px; }")
    label.setFont(math_font())
    label.setToolTip("The equations this phase computes, with this layer's own names")
    return label


def formula_html(lines) -> str:
    return "<br>".join(f"<span style='font-size:large'>{line}</span>" for line in lines)


class PhasePage(QScrollArea):
    """One phase: a formula box on top and sections below, scrolling as a whole."""

    def __init__(self, section_keys: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        self.formulas = formula_box()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.sections = {key: Section() for key in section_keys}
        layout = self.content_layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.formulas)
        layout.addWidget(self.message)
        for section in self.sections.values():
            layout.addWidget(section)
        layout.addStretch(1)
        self.setWidget(content)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
