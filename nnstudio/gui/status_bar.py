"""The status bar: epoch, current loss, steps per second, backend and state, at a glance."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from nnstudio.core.engine.trainer import DIVERGED, TRAINING, Snapshot

STATE_TEXT = {
    "idle": "idle",
    TRAINING: "training",
    "paused": "paused",
    DIVERGED: "DIVERGED",
    "working": "working…",
}


class TrainingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.epoch_label = self._field("epoch 0", "Completed epochs (and optimiser steps)")
        self.loss_label = self._field("loss –", "The loss of the most recent optimiser step's batch")
        self.speed_label = self._field("– steps/s", "Optimiser steps per second")
        self.backend_label = self._field("numpy", "Which backend computes the steps")
        self.state_label = self._field("idle", "idle / training / paused / diverged")
        self.alert_label = QLabel()
        self.alert_label.setStyleSheet("color: #b03a2e; font-weight: bold;")
        self.alert_label.setToolTip("Why training stopped by itself, and what to do")
        self.addWidget(self.alert_label, 1)

    def _field(self, text: str, tooltip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tooltip)
        label.setContentsMargins(6, 0, 6, 0)
        self.addPermanentWidget(label)
        return label

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.epoch_label.setText(f"epoch {snapshot.epoch}  (step {snapshot.step})")
        loss = snapshot.last_step_loss
        self.loss_label.setText("loss –" if math.isnan(loss) and snapshot.step == 0 else f"loss {loss:.6g}")
        if snapshot.status == TRAINING or snapshot.steps_per_second:
            self.speed_label.setText(f"{snapshot.steps_per_second:,.0f} steps/s")
        self.backend_label.setText(snapshot.backend)

    def show_state(self, state: str, detail: str = "") -> None:
        self.state_label.setText(STATE_TEXT.get(state, state))
        if state == DIVERGED:
            self.state_label.setStyleSheet("color: white; background: #c0392b; font-weight: bold; padding: 1px 6px;")
            self.clearMessage()
            self.alert_label.setText((detail or "Training diverged.") + " Reset (R) recovers.")
        else:
            self.state_label.setStyleSheet("")
            self.alert_label.clear()
