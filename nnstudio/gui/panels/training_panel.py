"""The training panel: backend, loss, optimiser, learning rate, regularisation, batch size, epochs, seed — and run
options.

The first group edits the experiment's `TrainingSpec` and emits a new one on every edit. The
"Run" group holds what is not part of the experiment (when to stop early) and reports it by its
own signal, so it is never saved into a file. (How fast to train is the toolbar's speed control.)
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
)

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.backends.base import torch_available
from nnstudio.core.engine.classification import suitable_losses
from nnstudio.core.engine.experiment import (
    BACKENDS,
    MAX_EPOCHS,
    MAX_POINTS,
    MAX_REGULARIZATION_RATE,
    OPTIMIZERS,
    REGULARIZATIONS,
    TrainingSpec,
)
from nnstudio.core.engine.losses import LOSSES
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.panels.spec_editor import SpecEditor
from nnstudio.gui.panels.widgets import (
    ScientificSpinBox,
    choice_combo,
    error_label,
    float_spin_box,
    int_spin_box,
    seed_spin_box,
    select_text,
)

LEARNING_RATE_MIN = 1e-6
LEARNING_RATE_MAX = 1000.0  # large enough to show a class what divergence looks like
SLIDER_STEPS_PER_DECADE = 100  # the slider moves log10(learning rate) in steps of 0.01
DEFAULT_STOP_BELOW = 0.01
REGULARIZATION_RATE_MIN = 1e-6  # the box's smallest rate; "none" stands for no penalty at all
DEFAULT_REGULARIZATION_RATE = 0.001  # shown while the experiment has no rate yet (Playground's small one)

BACKEND_NOTES = {
    "numpy": "Hand-written forward and backward passes in NumPy: the code a student can read",
    "torch": "PyTorch: nn.Sequential, autograd and torch.optim",
}


class TrainingPanel(SpecEditor):
    """Edits a TrainingSpec, plus the run option stop-below."""

    stop_below_changed = Signal(object)  # float loss threshold, or None

    # --- public -----------------------------------------------------------------------------------

    def set_dataset(self, dataset: Dataset) -> None:
        """Offer only the losses that fit the data: sse/mse for numbers, bce for 2 classes, cross_entropy for 3+."""
        fitting = suitable_losses(dataset)
        model = self.loss.model()
        for index in range(self.loss.count()):
            name = self.loss.itemText(index)
            formula = LOSSES[name].formula
            if isinstance(model, QStandardItemModel):
                model.item(index).setEnabled(name in fitting)
            note = "" if name in fitting else f"\nNot for this data: use {' or '.join(fitting)}"
            self.loss.setItemData(index, f"{name}: {formula}{note}", Qt.ItemDataRole.ToolTipRole)

    def stop_below(self) -> float | None:
        return self.stop_below_value.value() if self.stop_below_check.isChecked() else None

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.backend = QComboBox()
        self.backend.setToolTip("Which library computes the steps; switching keeps the weights and the optimiser")
        for name in BACKENDS:
            self.backend.addItem(name)
            self.backend.setItemData(
                self.backend.count() - 1, BACKEND_NOTES.get(name, name), Qt.ItemDataRole.ToolTipRole
            )
        usable, why_not = torch_available()
        if not usable:
            self._disable_backend("torch", why_not)

        self.loss = choice_combo({name: loss.formula for name, loss in LOSSES.items()}, "What training minimises")
        self.optimizer = choice_combo(OPTIMIZERS, "How each step changes the weights w, given the gradient g")
        self.learning_rate = ScientificSpinBox(
            LEARNING_RATE_MIN,
            LEARNING_RATE_MAX,
            "Learning rate lr: the size of each step, w ← w − lr·g.\n"
            "Too small: slow. Too large: the loss jumps or diverges. Arrows step 1, 2, 5, 10…",
        )
        self.learning_rate_slider = QSlider(Qt.Orientation.Horizontal)
        self.learning_rate_slider.setRange(
            round(math.log10(LEARNING_RATE_MIN) * SLIDER_STEPS_PER_DECADE),
            round(math.log10(LEARNING_RATE_MAX) * SLIDER_STEPS_PER_DECADE),
        )
        self.learning_rate_slider.setPageStep(SLIDER_STEPS_PER_DECADE)
        self.learning_rate_slider.setTickInterval(SLIDER_STEPS_PER_DECADE)
        self.learning_rate_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.learning_rate_slider.setToolTip(
            "Learning rate on a log scale: each tick is ten times the last (10⁻⁶ … 10³)"
        )
        self.momentum = float_spin_box(
            0.0, 0.9999, 4, 0.05, "Momentum μ (momentum optimiser only): v ← μ·v + g,  w ← w − lr·v"
        )
        self.regularization = choice_combo(
            REGULARIZATIONS,
            "A penalty on the weights (not the biases) added to the loss the optimiser minimises;\n"
            "the log and the loss plot show it beside the data loss",
        )
        self.regularization_rate = ScientificSpinBox(
            REGULARIZATION_RATE_MIN,
            MAX_REGULARIZATION_RATE,
            "Regularisation rate: how much the penalty counts.\n"
            "L1: + rate·Σ|w|, gradient rate·sign(w).   L2: + rate·½·Σw², gradient rate·w",
        )
        regularization_row = QHBoxLayout()
        regularization_row.addWidget(self.regularization)
        regularization_row.addWidget(QLabel("rate"))
        regularization_row.addWidget(self.regularization_rate, 1)
        self.full_batch = QCheckBox("Full batch")
        self.full_batch.setToolTip("Every step uses all the training points (one step = one epoch)")
        self.batch_size = int_spin_box(
            1, MAX_POINTS, "Points per mini-batch: an epoch is ⌈n / batch size⌉ steps on shuffled batches"
        )
        batch_row = QHBoxLayout()
        batch_row.addWidget(self.full_batch)
        batch_row.addWidget(self.batch_size, 1)
        self.epochs = int_spin_box(1, MAX_EPOCHS, "Play trains until this many epochs (passes over the data)")
        self.seed = seed_spin_box("Random seed for the initial weights and the mini-batch shuffling")

        experiment = QGroupBox("Learning (saved with the experiment)")
        form = QFormLayout(experiment)
        form.addRow("Backend", self.backend)
        form.addRow("Loss", self.loss)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        slider_row = QHBoxLayout()
        slider_row.addWidget(_small_label("10⁻⁶"))
        slider_row.addWidget(self.learning_rate_slider, 1)
        slider_row.addWidget(_small_label("10³"))
        form.addRow("", slider_row)
        form.addRow("Momentum μ", self.momentum)
        form.addRow("Regularisation", regularization_row)
        form.addRow("Batch", batch_row)
        form.addRow("Target epochs", self.epochs)
        form.addRow("Seed", self.seed)
        for widget, term in (
            (self.loss, "sse and mse"),
            (self.optimizer, "optimiser"),
            (self.learning_rate, "learning rate"),
            (self.learning_rate_slider, "learning rate"),
            (self.momentum, "momentum"),
            (self.full_batch, "batch"),
            (self.batch_size, "batch"),
            (self.epochs, "epoch and step"),
        ):
            explains(widget, term)  # F1 on it: the glossary's entry

        self.stop_below_check = QCheckBox("Stop when loss <")
        self.stop_below_check.setToolTip("Pause training as soon as the training loss falls below this value")
        self.stop_below_value = ScientificSpinBox(1e-12, 1e12, "The training loss at which training pauses")
        self.stop_below_value.setValue(DEFAULT_STOP_BELOW)
        stop_row = QHBoxLayout()
        stop_row.addWidget(self.stop_below_check)
        stop_row.addWidget(self.stop_below_value, 1)
        run = QGroupBox("This run only (not saved)")
        run_form = QFormLayout(run)
        run_form.addRow("Early stop", stop_row)

        self.error_label = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(experiment)
        layout.addWidget(run)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        self._update_run_enabled()

    def _disable_backend(self, name: str, reason: str) -> None:
        index = self.backend.findText(name)
        model = self.backend.model()
        if isinstance(model, QStandardItemModel):
            model.item(index).setEnabled(False)
        self.backend.setItemData(index, f"{name} is not available: {reason}", Qt.ItemDataRole.ToolTipRole)
        self.backend.setToolTip(f"{self.backend.toolTip()}\n{name} is not available: {reason}")

    def _connect(self) -> None:
        for combo in (self.backend, self.loss, self.optimizer, self.regularization):
            combo.currentIndexChanged.connect(self._on_edited)
        for box in (
            self.learning_rate,
            self.momentum,
            self.regularization_rate,
            self.batch_size,
            self.epochs,
            self.seed,
        ):
            box.valueChanged.connect(self._on_edited)
        self.full_batch.toggled.connect(self._on_edited)
        self.learning_rate.valueChanged.connect(self._sync_slider)
        self.learning_rate_slider.valueChanged.connect(self._on_slider_moved)
        self.learning_rate_slider.sliderReleased.connect(self._on_edited)
        self.stop_below_check.toggled.connect(self._on_stop_below_edited)
        self.stop_below_value.valueChanged.connect(self._on_stop_below_edited)

    # --- learning rate: spin box and log slider ---------------------------------------------------

    def _sync_slider(self, *_) -> None:
        position = round(math.log10(self.learning_rate.value()) * SLIDER_STEPS_PER_DECADE)
        self.learning_rate_slider.blockSignals(True)
        self.learning_rate_slider.setValue(position)
        self.learning_rate_slider.blockSignals(False)

    def _on_slider_moved(self, position: int) -> None:
        # Three significant digits: the slider picks 0.0126, not 0.012589254117941675.
        value = float(f"{10 ** (position / SLIDER_STEPS_PER_DECADE):.3g}")
        self.learning_rate.blockSignals(True)
        self.learning_rate.setValue(value)
        self.learning_rate.blockSignals(False)
        if not self.learning_rate_slider.isSliderDown():  # a drag reports once, on release
            self._on_edited()

    # --- editing ----------------------------------------------------------------------------------

    def _update_enabled(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentText() == "momentum")
        self.regularization_rate.setEnabled(self.regularization.currentText() != "none")
        self.batch_size.setEnabled(not self.full_batch.isChecked())

    def _update_run_enabled(self) -> None:
        self.stop_below_value.setEnabled(self.stop_below_check.isChecked())

    def _show_spec(self, spec: TrainingSpec) -> None:
        select_text(self.backend, spec.backend)
        select_text(self.loss, spec.loss)
        select_text(self.optimizer, spec.optimizer)
        self._exact.show(self.learning_rate, spec.learning_rate)
        self._sync_slider()
        self._exact.show(self.momentum, spec.momentum)
        select_text(self.regularization, spec.regularization)
        rate = spec.regularization_rate if spec.regularization_rate > 0 else DEFAULT_REGULARIZATION_RATE
        self._exact.show(self.regularization_rate, rate)
        self.full_batch.setChecked(spec.batch_size is None)
        if spec.batch_size is not None:
            self.batch_size.setValue(spec.batch_size)
        self.epochs.setValue(spec.epochs)
        self.seed.setValue(spec.seed)

    def _spec_from_widgets(self) -> TrainingSpec:
        return replace(
            self._spec,
            backend=self.backend.currentText(),
            loss=self.loss.currentText(),
            optimizer=self.optimizer.currentText(),
            learning_rate=self._exact.read(self.learning_rate),
            momentum=self._exact.read(self.momentum),
            **self._regularization_from_widgets(),
            batch_size=None if self.full_batch.isChecked() else self.batch_size.value(),
            epochs=self.epochs.value(),
            seed=int(self.seed.value()),
        )

    def _regularization_from_widgets(self) -> dict:
        kind = self.regularization.currentText()
        if kind == "none":  # the rate box is off: the experiment's own rate stays as it was
            return {"regularization": kind, "regularization_rate": self._spec.regularization_rate}
        return {"regularization": kind, "regularization_rate": self._exact.read(self.regularization_rate)}

    def _on_stop_below_edited(self, *_) -> None:
        self._update_run_enabled()
        self.stop_below_changed.emit(self.stop_below())


def _small_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip("The learning-rate slider's end: it spans 10⁻⁶ to 10³ on a log scale")
    return label
