"""The status bar: epoch, the epoch's loss (and the last batch's, with mini-batches), speed, backend and state.

The loss shown is the last completed epoch's training loss: the very number the log prints and the
loss plot draws last. With mini-batches a second, labelled field shows the last batch's loss, one
step's. Both say whose units they are in (standardised or original), as the loss plot's axis does.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from nnstudio.core.engine.losses import ORIGINAL_UNITS, STANDARDISED_UNITS
from nnstudio.core.engine.trainer import DIVERGED, TRAINING, Snapshot
from nnstudio.gui.steady_label import SteadyLabel

STATE_TEXT = {
    "idle": "idle",
    TRAINING: "training",
    "paused": "paused",
    DIVERGED: "DIVERGED",
    "working": "working…",
}
NO_LOSS = "–"
# What the loss field's tooltip says about units (see core.engine.losses.loss_units).
UNITS_NOTE = {
    STANDARDISED_UNITS: (
        "in standardised units: the data was standardised, (y − mean) / sd, before training,\n"
        "so this loss is not in the units of y. The MSE, RMSE and R² beside the loss plot undo\n"
        "that: they are in the data's original units."
    ),
    ORIGINAL_UNITS: "in the data's original units (the data is not standardised).",
    "": "a classification loss: the mean −ln of the probability given to each point's own class.",
}


# The status bar keeps room for a message of this many characters ("Reached epoch 200."), hiding
# its least needed fields where the window is too narrow for all of them (1024 px in presentation mode).
MESSAGE_ROOM_CHARS = 24
FIELD_GAP = 8  # pixels a status bar puts between its fields


class ElidedLabel(QLabel):
    """One line that takes the room the status bar has and ends in "…" where it does not fit, the whole
    text in its tooltip: a long message must never make the window wider than the screen."""

    def __init__(self, tooltip: str) -> None:
        super().__init__()
        self._text, self._tooltip = "", tooltip
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setToolTip(tooltip)

    def full_text(self) -> str:
        return self._text

    def set_full_text(self, text: str) -> None:
        self._text = text
        self.setToolTip(f"{text}\n\n{self._tooltip}" if text else self._tooltip)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, max(self.width(), 0)))


class TrainingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loss_name, self._units = "loss", ORIGINAL_UNITS
        self._epoch_loss = ""  # the last snapshot's epoch loss, as text ("" before any)
        self._mini_batches = False  # does the run have them (then the last batch's loss has a field)
        self.epoch_label = self._field("epoch 0", "Completed epochs (and optimiser steps)")
        self.loss_label = self._field(f"loss {NO_LOSS}", "")
        self.batch_loss_label = self._field("", "")
        self.batch_loss_label.hide()  # only with mini-batches, where a step is not an epoch
        self.speed_label = self._field("– steps/s", "Optimiser steps per second")
        self.backend_label = self._field("numpy", "Which backend computes the steps")
        self.state_label = self._field("idle", "idle / training / paused / diverged")
        self.alert_label = ElidedLabel("Why training stopped by itself, and what to do")
        self.alert_label.setStyleSheet("color: #b03a2e; font-weight: bold;")
        self.addWidget(self.alert_label, 1)
        self._explain_loss()

    def _field(self, text: str, tooltip: str) -> QLabel:
        label = SteadyLabel(text)  # numbers that change every frame
        label.setToolTip(tooltip)
        label.setContentsMargins(6, 0, 6, 0)
        self.addPermanentWidget(label)
        return label

    def set_loss(self, loss_name: str, units: str) -> None:
        """Which loss the run trains on and whose units it is in (core.engine.losses.loss_units)."""
        if (loss_name, units) != (self._loss_name, self._units):
            self._loss_name, self._units = loss_name, units
            self._explain_loss()
            self._show_loss()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.epoch_label.setText(f"epoch {snapshot.epoch}  (step {snapshot.step})")
        loss = snapshot.epoch_loss
        self._epoch_loss = "" if math.isnan(loss) and snapshot.epoch == 0 else f"{loss:.6g}"
        self._show_loss()
        mini_batches = snapshot.batches_per_epoch > 1
        if mini_batches:
            batch = snapshot.last_step_loss
            batch_text = NO_LOSS if math.isnan(batch) and snapshot.step == 0 else f"{batch:.6g}"
            self.batch_loss_label.setText(f"last batch {batch_text}")
        self._mini_batches = mini_batches
        if snapshot.status == TRAINING or snapshot.steps_per_second:
            self.speed_label.setText(f"{snapshot.steps_per_second:,.0f} steps/s")
        self.backend_label.setText(snapshot.backend)
        self._fit_fields()  # a longer number (the loss in standardised units) may leave a message no room

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_fields()

    def _fit_fields(self) -> None:
        """Show the fields that leave a message room to be read: on a narrow window or in presentation
        mode's large type the speed goes first, then the backend (the Train menu names it too)."""
        fields = [self.epoch_label, self.loss_label, self.state_label]
        if self._mini_batches:
            fields.append(self.batch_loss_label)
        room = self.width() - MESSAGE_ROOM_CHARS * self.fontMetrics().averageCharWidth()
        used = sum(field.sizeHint().width() + FIELD_GAP for field in fields)
        for optional in (self.backend_label, self.speed_label):  # the last to go first
            fits = used + optional.sizeHint().width() + FIELD_GAP <= room
            optional.setVisible(fits)
            used += optional.sizeHint().width() + FIELD_GAP if fits else 0
        self.batch_loss_label.setVisible(self._mini_batches)

    def show_state(self, state: str, detail: str = "") -> None:
        if state == TRAINING and self.state_label.text() != STATE_TEXT[TRAINING]:
            self.clearMessage()  # "Made 1 step(s)." is not news once a run trains on (what the run says comes after)
        self.state_label.setText(STATE_TEXT.get(state, state))
        if state == DIVERGED:
            self.state_label.setStyleSheet("color: white; background: #c0392b; font-weight: bold; padding: 1px 6px;")
            self.clearMessage()
            self.alert_label.set_full_text((detail or "Training diverged.") + " Reset (R) recovers.")
        else:
            self.state_label.setStyleSheet("")
            self.alert_label.set_full_text("")
        self._fit_fields()

    def _show_loss(self) -> None:
        units = " (standardised units)" if self._units == STANDARDISED_UNITS and self._epoch_loss else ""
        self.loss_label.setText(f"loss {self._epoch_loss or NO_LOSS}{units}")

    def _explain_loss(self) -> None:
        units = UNITS_NOTE.get(self._units, "")
        self.loss_label.setToolTip(
            f"The training loss ({self._loss_name}) of the last completed epoch: the number the log prints\n"
            f"and the loss plot draws last. Like the log, each epoch's loss is measured on its batches before\n"
            f"their updates. It is {units}"
        )
        self.batch_loss_label.setToolTip(
            f"The loss ({self._loss_name}) of the last mini-batch alone: one optimiser step's, measured before\n"
            f"its update. The epoch's loss (left) weighs all the batches of the epoch, so the two differ."
        )
