"""The loss landscape's controls: which slice to cut through a bigger network, and when.

Along two weights, each picked as a parameter (W1, b1, W2, ...) and one entry of it, counted
from 1 as everywhere in the app ("[1,4]": row 1, column 4); or along two random directions drawn from a seed. For the
two-parameter line there is nothing to choose: the whole plane is shown, and the only control
forgets the dashed roads of earlier runs.
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from nnstudio.core.engine.model import DenseLayer

ALONG_WEIGHTS, ALONG_RANDOM = "weights", "random"


class WeightIndexBox(QSpinBox):
    """A flat index into one parameter, shown and typed as [row,column] counting from 1 (as in W1[1,4])."""

    def __init__(self) -> None:
        super().__init__()
        self.shape: tuple[int, ...] = (1,)

    def set_shape(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape) or (1,)
        self.setRange(0, int(np.prod(self.shape)) - 1)
        self.setValue(min(self.value(), self.maximum()))
        self.lineEdit().setText(self.textFromValue(self.value()))

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt's name)
        index = np.unravel_index(min(max(value, 0), int(np.prod(self.shape)) - 1), self.shape)
        return "[" + ",".join(str(int(i) + 1) for i in index) + "]"

    def valueFromText(self, text: str) -> int:  # noqa: N802
        numbers = [int(n) - 1 for n in re.findall(r"\d+", text)]
        if len(numbers) != len(self.shape) or any(not 0 <= n < s for n, s in zip(numbers, self.shape, strict=True)):
            return self.value()
        return int(np.ravel_multi_index(tuple(numbers), self.shape))

    def validate(self, text: str, position: int):
        return (
            QValidator.State.Acceptable if re.fullmatch(r"\[?[\d,\s]*\]?", text) else QValidator.State.Invalid,
            text,
            position,
        )


class WeightPicker(QWidget):
    """One weight of the network: a parameter and an entry of it."""

    def __init__(self, which: str) -> None:
        super().__init__()
        self.parameter = QComboBox()
        self.parameter.setToolTip(f"The parameter the {which} axis runs along (W: weights, b: biases; 1 = first layer)")
        self.index = WeightIndexBox()
        self.index.setToolTip(
            f"Which entry of it, counting from 1: [from unit,to unit] for a weight, [unit] for a bias ({which} axis)"
        )
        self._shapes: dict[str, tuple[int, ...]] = {}
        self.parameter.currentTextChanged.connect(self._on_parameter_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.parameter)
        layout.addWidget(self.index)

    def set_parameters(self, shapes: dict[str, tuple[int, ...]], default: str) -> None:
        keep = self.parameter.currentText() if self.parameter.currentText() in shapes else default
        self._shapes = shapes
        self.parameter.blockSignals(True)
        self.parameter.clear()
        self.parameter.addItems(list(shapes))
        self.parameter.setCurrentText(keep)
        self.parameter.blockSignals(False)
        self._on_parameter_changed(keep)

    def choice(self) -> tuple[str, int]:
        return self.parameter.currentText(), self.index.value()

    def set_choice(self, name: str, flat_index: int) -> None:
        self.parameter.setCurrentText(name)
        self.index.setValue(flat_index)

    def _on_parameter_changed(self, name: str) -> None:
        if name in self._shapes:
            self.index.set_shape(self._shapes[name])


class LandscapeControls(QWidget):
    recompute_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        self.mode.addItem("Along two weights", ALONG_WEIGHTS)
        self.mode.addItem("Along two random directions", ALONG_RANDOM)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(12)
        self.mode.setToolTip(
            "Along two weights: only those two change, every other weight stays put.\n"
            "Along two random directions: all weights change together, each unit by about its own size\n"
            "(filter-normalised, Li et al. 2018)."
        )
        self.first, self.second = WeightPicker("horizontal"), WeightPicker("vertical")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("The seed the two random directions are drawn from: another seed, another slice")
        self.span_box = QDoubleSpinBox()
        self.span_box.setRange(0.05, 20.0)
        self.span_box.setSingleStep(0.25)
        self.span_box.setValue(1.0)
        self.span_box.setToolTip("How far the slice reaches along each direction (1 = each unit's own size)")
        self.recompute_button = QPushButton("Recompute around current weights")
        self.recompute_button.setToolTip(
            "Cut a new slice through the weights of now, in the background (training pauses to read them)"
        )
        self.recompute_button.clicked.connect(self._recompute_now)
        self.clear_roads_button = QPushButton("Forget earlier roads")
        self.clear_roads_button.setToolTip("Remove the dashed roads of earlier runs (Reset keeps the last few)")
        self.clear_roads_button.setEnabled(False)
        self._labels: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._label("Slice:", self.mode), 0, 0)
        grid.addWidget(self.mode, 0, 1)
        grid.addWidget(self.recompute_button, 0, 2, 1, 2)
        grid.addWidget(self._label("Horizontal:", self.first.parameter), 1, 0)
        grid.addWidget(self.first, 1, 1)
        grid.addWidget(self._label("Vertical:", self.second.parameter), 1, 2)
        grid.addWidget(self.second, 1, 3)
        grid.addWidget(self._label("Seed:", self.seed_box), 2, 0)
        grid.addWidget(self.seed_box, 2, 1)
        grid.addWidget(self._label("Reach:", self.span_box), 2, 2)
        grid.addWidget(self.span_box, 2, 3)
        grid.addWidget(self.clear_roads_button, 3, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.kind = "line"
        self._show_mode()
        # A changed choice is a request too; typing a number asks once, when it settles.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(400)
        self._settle.timeout.connect(self.recompute_requested)
        self.mode.currentIndexChanged.connect(self._show_mode)
        self.mode.activated.connect(self._settle.start)
        for picker in (self.first, self.second):
            picker.parameter.activated.connect(self._settle.start)
            picker.index.valueChanged.connect(self._settle.start)
        self.seed_box.valueChanged.connect(self._settle.start)
        self.span_box.valueChanged.connect(self._settle.start)

    def _recompute_now(self) -> None:
        self._settle.stop()
        self.recompute_requested.emit()

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setToolTip(buddy.toolTip())
        label.setBuddy(buddy)
        self._labels[text] = label
        return label

    def set_model(self, layers: list[DenseLayer], kind: str) -> None:
        """Offer the parameters of `layers`; a two-parameter line ("line") needs no slice controls."""
        self.kind = kind
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in layers:
            shapes[layer.weight_name] = (layer.n_in, layer.n_out)
            if layer.bias:
                shapes[layer.bias_name] = (layer.n_out,)
        self.first.set_parameters(shapes, layers[0].weight_name)
        self.second.set_parameters(shapes, layers[-1].weight_name)
        self._show_mode()
        self._settle.stop()  # filling the boxes is not a request

    def along(self) -> tuple[tuple[str, int], tuple[str, int]] | None:
        """The two chosen weights, or None for random directions."""
        if self.mode.currentData() != ALONG_WEIGHTS:
            return None
        return self.first.choice(), self.second.choice()

    def seed(self) -> int:
        return self.seed_box.value()

    def span(self) -> float:
        return self.span_box.value()

    def _show_mode(self) -> None:
        slicing = self.kind != "line"
        weights = self.mode.currentData() == ALONG_WEIGHTS
        for widget in (self.mode, self.recompute_button, self._labels["Slice:"]):
            widget.setVisible(slicing)
        for widget in (self.first, self.second, self._labels["Horizontal:"], self._labels["Vertical:"]):
            widget.setVisible(slicing and weights)
        for widget in (self.seed_box, self.span_box, self._labels["Seed:"], self._labels["Reach:"]):
            widget.setVisible(slicing and not weights)
        self.clear_roads_button.setVisible(not slicing)
