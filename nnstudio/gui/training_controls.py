"""The Train menu and toolbar: Play/Pause, Step, Step ×10, the speed, Run to epoch, Reset, New weights.

Actions only emit intent; the window turns each into a command for the training session.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSpinBox, QStyle, QToolBar, QWidget

from nnstudio.core.engine.experiment import MAX_EPOCHS
from nnstudio.core.engine.trainer import DIVERGED, TRAINING
from nnstudio.gui.actions import make_action
from nnstudio.gui.pace_control import PaceControl

PLAY_TIP = "Train until the target epoch; once it is reached, on to the next multiple of it"


class TrainingControls(QObject):
    """One QAction per control, shared by the toolbar and the Train menu."""

    play_pause_requested = Signal()
    step_requested = Signal(int)  # how many optimiser steps
    run_to_requested = Signal(int)  # target epoch
    reset_requested = Signal()
    new_weights_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        style = parent.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        # One action per control, spelled out alike on purpose: a table of text, shortcut, tooltip, slot, icon.
        self.play_pause = self._action(
            parent,
            "&Play",
            "Space",
            f"{PLAY_TIP} (again: pause). Shortcut: Space",
            self.play_pause_requested.emit,
            self._play_icon,
        )
        self.step = self._action(
            parent,
            "&Step",
            "N",
            "Exactly one optimiser step: one mini-batch (one epoch when full batch). Shortcut: N",
            lambda: self.step_requested.emit(1),
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward),
        )
        self.step_ten = self._action(
            parent,
            "Step ×&10",
            "Shift+N",
            "Ten optimiser steps. Shortcut: Shift+N",
            lambda: self.step_requested.emit(10),
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward),
        )
        self.run_to = self._action(
            parent,
            "Run to &epoch",
            "Ctrl+E",
            "Train until the epoch in the box beside this button, at the speed chosen. Shortcut: Ctrl+E",
            lambda: self.run_to_requested.emit(self.target_epoch.value()),
            style.standardIcon(QStyle.StandardPixmap.SP_ArrowRight),
        )
        self.reset = self._action(
            parent,
            "&Reset",
            "R",
            "Back to the very same initial weights, so reruns compare fairly. Shortcut: R",
            self.reset_requested.emit,
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
        )
        self.new_weights = self._action(
            parent,
            "New &weights",
            "Shift+R",
            "Draw new initial weights from the next seed. Shortcut: Shift+R",
            self.new_weights_requested.emit,
            style.standardIcon(QStyle.StandardPixmap.SP_DialogResetButton),
        )
        self.target_epoch = QSpinBox()
        self.target_epoch.setRange(1, MAX_EPOCHS)
        self.target_epoch.setValue(100)
        self.target_epoch.setToolTip("The epoch that 'Run to epoch' trains to")
        self.target_epoch.setAccelerated(True)
        self.pace = PaceControl(parent)  # how many epochs a second they train

    @staticmethod
    def _action(parent, text, shortcut, tooltip, slot, icon) -> QAction:
        return make_action(parent, text, slot, shortcut, tooltip, icon=icon, window_shortcut=True)

    def actions(self) -> list[QAction]:
        return [self.play_pause, self.step, self.step_ten, self.run_to, self.reset, self.new_weights]

    def build_toolbar(self, parent: QWidget) -> QToolBar:
        toolbar = QToolBar("Training", parent)
        toolbar.setObjectName("training_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.play_pause, self.step, self.step_ten):
            toolbar.addAction(action)
        self.pace.add_to_toolbar(toolbar)
        toolbar.addSeparator()
        toolbar.addAction(self.run_to)  # "Run to epoch [100]": the box says which (no label: a 1024-pixel screen)
        toolbar.addWidget(self.target_epoch)
        toolbar.addSeparator()
        toolbar.addAction(self.reset)
        toolbar.addAction(self.new_weights)
        # Play becomes Pause: as wide either way, so that the toolbar does not shift (or overflow) as it trains
        play = toolbar.widgetForAction(self.play_pause)
        self.play_pause.setText("&Pause")
        play.setMinimumWidth(play.sizeHint().width())
        self.play_pause.setText("&Play")
        return toolbar

    def show_state(self, state: str) -> None:
        """Play becomes Pause while training; stepping is pointless after divergence."""
        training = state == TRAINING
        self.play_pause.setText("&Pause" if training else "&Play")
        self.play_pause.setIcon(self._pause_icon if training else self._play_icon)
        self.play_pause.setToolTip("Pause training. Shortcut: Space" if training else f"{PLAY_TIP}. Shortcut: Space")
        can_train = state != DIVERGED  # Play stays enabled: pressed, it says what to do
        for action in (self.step, self.step_ten, self.run_to):
            action.setEnabled(can_train and not training)
