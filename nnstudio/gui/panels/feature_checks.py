"""The data panel's row of input-feature toggles (x, x², … or X₁, X₂, X₁², …), as in TensorFlow Playground.

It shows the features of the current data's input count, each a checkable button with its formula as
tooltip, and reads the choice back; the data panel turns that into `DataSpec.features`. Buttons, not
checkboxes: seven fit one line of a narrow dock (a second line made the panel taller than its dock).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from nnstudio.core.datasets.features import FEATURES_BY_INPUTS, chosen_features, is_raw


class FeatureChecks(QWidget):
    """One checkbox per feature of one-input or two-input data; `edited` when the user ticks one."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(2)
        self.n_inputs = 0
        self.checks: dict[str, QToolButton] = {}
        self.setToolTip(
            "Features: the network's inputs, computed from the raw inputs before any standardisation:\n"
            "tick X₁² and X₂² and a network with no hidden layer separates the circle"
        )

    def show_choice(self, features: tuple[str, ...] | None, n_inputs: int) -> None:
        """Tick the chosen features (None: the raw inputs) among those of data with `n_inputs` inputs."""
        if n_inputs != self.n_inputs:
            self._build(n_inputs)
        chosen = (
            {feature.name for feature in chosen_features(features, n_inputs)}
            if n_inputs in FEATURES_BY_INPUTS
            else set()
        )
        for name, check in self.checks.items():
            check.blockSignals(True)  # showing is not an edit
            check.setChecked(name in chosen)
            check.blockSignals(False)

    def choice(self) -> tuple[str, ...] | None:
        """The ticked features in the table's order; None when they are just the raw inputs."""
        ticked = tuple(name for name, check in self.checks.items() if check.isChecked())
        return None if is_raw(ticked, self.n_inputs) else ticked

    def _build(self, n_inputs: int) -> None:
        for check in self.checks.values():
            self._row.removeWidget(check)
            check.deleteLater()
        self.checks = {}
        self.n_inputs = n_inputs
        if self._row.count():
            self._row.takeAt(self._row.count() - 1)  # the stretch after the last button
        for feature in FEATURES_BY_INPUTS.get(n_inputs, ()):
            check = QToolButton()
            check.setText(feature.label)
            check.setCheckable(True)
            check.setToolTip(f"Feature {feature.formula}\n(on the command line: --features {feature.name})")
            check.toggled.connect(self.edited)
            self._row.addWidget(check)
            self.checks[feature.name] = check
        self._row.addStretch(1)
        self.setVisible(bool(self.checks))
