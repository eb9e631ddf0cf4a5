"""Small building blocks shared by the panels: spin boxes set up once, the same way everywhere."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget
from superqt import QLargeIntSpinBox

from nnstudio.gui.style import ERROR_TEXT_COLOUR

SEED_MAX = 2**32 - 1  # the specs accept any unsigned 32-bit seed; QSpinBox stops at 2³¹ − 1


def _configure_spin_box(box: QAbstractSpinBox, tooltip: str) -> None:
    # Typing "200" must not report 2, then 20, then 200: each report may rebuild the data.
    box.setKeyboardTracking(False)
    box.setToolTip(tooltip)
    box.setAccelerated(True)
    # Qt sizes a spin box for its largest value (10,000,000 points); a dock is narrower than that.
    box.setMinimumWidth(90)


def int_spin_box(low: int, high: int, tooltip: str, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    _configure_spin_box(box, tooltip)
    return box


def float_spin_box(low: float, high: float, decimals: int, step: float, tooltip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    _configure_spin_box(box, tooltip)
    return box


def seed_spin_box(tooltip: str) -> QLargeIntSpinBox:
    box = QLargeIntSpinBox()
    box.setRange(0, SEED_MAX)
    _configure_spin_box(box, tooltip)
    return box


def error_label() -> QLabel:
    """A red, word-wrapped line for what is wrong with the values typed; hidden when all is well."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_TEXT_COLOUR}; font-weight: bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def choice_combo(choices: dict[str, str], tooltip: str) -> QComboBox:
    """A combo of names, each item's tooltip its formula; the box's own tooltip follows the choice."""
    combo = QComboBox()
    for name, formula in choices.items():
        combo.addItem(name)
        combo.setItemData(combo.count() - 1, f"{name}: {formula}", Qt.ItemDataRole.ToolTipRole)

    def follow(index: int) -> None:
        formula = choices.get(combo.itemText(index), "")
        combo.setToolTip(f"{tooltip}\n{combo.itemText(index)}: {formula}" if formula else tooltip)

    combo.currentIndexChanged.connect(follow)
    follow(combo.currentIndex())
    return combo


def select_text(combo: QComboBox, text: str) -> None:
    """Show `text` in the combo (the caller blocks signals)."""
    index = combo.findText(text)
    if index >= 0:
        combo.setCurrentIndex(index)


# Arrow steps on a value that spans decades go 1, 2, 5, 10, 20, 50…: the steps a teacher tries.
_NICE_MANTISSAS = (1.0, 2.0, 5.0)


def nice_steps(low: float, high: float) -> list[float]:
    """1-2-5 values from `low` to `high`, both included."""
    values = {low, high}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in _NICE_MANTISSAS:
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                values.add(value)
    return sorted(values)


class ScientificSpinBox(QDoubleSpinBox):
    """A positive number over many decades: shown as 0.001 or 1e-05, stepped 1-2-5 by the arrows.

    QDoubleSpinBox rounds to `decimals()`, so decimals is set far beyond what is displayed:
    1e-6 stays 1e-6 instead of becoming 0.000001 → 0.
    """

    def __init__(self, low: float, high: float, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(14)
        self.setRange(low, high)
        self._steps = nice_steps(low, high)
        _configure_spin_box(self, tooltip)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int) -> object:
        stripped = text.strip()
        if not stripped:
            return QValidator.State.Intermediate, text, position
        try:
            value = float(stripped)
        except ValueError:
            # "1e" and "1e-" are on their way to a number
            ok = all(c in "0123456789.eE+-" for c in stripped)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, position
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, position
        return QValidator.State.Intermediate, text, position

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.value())

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        if steps > 0:
            larger = [s for s in self._steps if s > value * (1 + 1e-9)]
            target = larger[min(steps, len(larger)) - 1] if larger else self.maximum()
        else:
            smaller = [s for s in self._steps if s < value * (1 - 1e-9)]
            target = smaller[-min(-steps, len(smaller))] if smaller else self.minimum()
        self.setValue(target)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.value() < self.maximum():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.value() > self.minimum():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


class ExactFloats:
    """Hands back a spec's exact float when the user has not touched its (rounding) spin box.

    A noise of 0.12345 shows as 0.123; editing the seed must not quietly change the noise too.
    """

    def __init__(self) -> None:
        self._shown: dict[int, tuple[float, float]] = {}

    def show(self, box: QDoubleSpinBox, value: float) -> None:
        box.setValue(value)
        self._shown[id(box)] = (box.value(), value)

    def read(self, box: QDoubleSpinBox) -> float:
        shown, exact = self._shown.get(id(box), (None, None))
        return exact if box.value() == shown else box.value()
