"""The step inspector instrument: asks the training worker for inspections and shows them in the panel.

"Inspect step" (I) makes exactly one optimiser step in the worker with `inspect_step` (the GUI
thread never trains; a checkpoint first, so Back undoes it) and hands the plots the resulting
snapshot like any other step. "Inspect now" (Shift+I) shows the moment before the next step
(`inspect_state`). With "Follow" on and the panel open, the panel also shows the current moment
whenever training stops, and a moment picked on the timeline (computed off the GUI thread on a
throwaway numpy trainer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.trainer import DIVERGED, FINISHED, TRAINING, Trainer
from nnstudio.core.teaching.inspector import StepInspection, inspect_state, inspect_step
from nnstudio.gui.instruments.inspector_panel import StepInspectorPanel
from nnstudio.gui.instruments.timeline import RESTING

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

MOMENT_DELAY_MS = 150  # dragging the timeline computes one inspection when the slider rests, not one per pixel
DOCK_TOOLTIP = "Step inspector: one optimiser step taken apart, layer by layer (Ctrl+1)"


def step_and_inspect(trainer: Trainer):
    """In the worker: one inspected step (with a checkpoint, so Back undoes it) and a snapshot for the plots."""
    if trainer.diverged_message:  # no step can be made; show what there is
        return inspect_state(trainer), None
    trainer.push_checkpoint()
    inspection = inspect_step(trainer)
    if trainer.diverged_message:
        status, message = DIVERGED, trainer.diverged_message
    else:
        status, message = FINISHED, f"Inspected step {inspection.step + 1}: see the Step inspector."
    return inspection, trainer.snapshot(status, message, with_parameters=True)


def inspect_moment(trainer_like: tuple, epoch: int, parameters: dict[str, np.ndarray]) -> StepInspection:
    """Off the GUI thread: the gradients at a recorded moment, on a throwaway numpy trainer."""
    experiment, dataset = trainer_like
    trainer = Trainer(experiment.with_training(backend="numpy"), dataset=dataset)
    trainer.backend.load_state(TrainingState({name: value.copy() for name, value in parameters.items()}))
    trainer.epoch, trainer.step_count = epoch, epoch * trainer.batches_per_epoch()
    return inspect_state(trainer)


class StepInspector(QObject):
    """Wires the panel to the window: actions, the training session, the timeline."""

    shown = Signal(object)  # the StepInspection just shown

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.panel = StepInspectorPanel()
        self.dock = window.add_instrument_dock("Step inspector", self.panel, "Ctrl+1", DOCK_TOOLTIP)
        self.inspect_step_action = _window_action(
            window, "&Inspect Step", "I", "Make one optimiser step and take it apart in the Step inspector. Shortcut: I"
        )
        self.inspect_now_action = _window_action(
            window, "Inspect &Now", "Shift+I", "Show the gradients at the current weights, without stepping. Shift+I"
        )
        self.inspect_step_action.triggered.connect(self.inspect_step)
        self.inspect_now_action.triggered.connect(self.inspect_now)
        self.panel.inspect_step_button.setDefaultAction(self.inspect_step_action)
        self.panel.inspect_now_button.setDefaultAction(self.inspect_now_action)
        train_menu = _menu(window, "Train")
        if train_menu is not None:
            train_menu.addSeparator()
            train_menu.addAction(self.inspect_step_action)
            train_menu.addAction(self.inspect_now_action)
        self._request = 0  # the newest request: older answers are dropped
        self._moment: tuple[int, dict] | None = None  # the timeline's latest pick, shown when dragging pauses
        self._moment_timer = QTimer(self)
        self._moment_timer.setSingleShot(True)
        self._moment_timer.setInterval(MOMENT_DELAY_MS)
        self._moment_timer.timeout.connect(self._inspect_moment_now)
        self._stale = True  # the trainer moved on since the panel last showed it
        self.session.state_changed.connect(self._on_state_changed)
        self.session.trainer_changed.connect(self._on_trainer_changed)
        self.dock.visibilityChanged.connect(self._on_visibility_changed)
        timeline = getattr(window, "timeline", None)
        if timeline is not None:
            timeline.moment_selected.connect(self.inspect_moment)
            timeline.returned_to_now.connect(self._on_returned_to_now)

    @property
    def following(self) -> bool:
        return self.dock.isVisible() and self.panel.follow_check.isChecked()

    def inspect_step(self) -> None:
        if self.session.trainer is None:
            return
        self._stale = False  # revealing the panel must not ask for "now" as well
        self._reveal()
        request = self._next_request()
        self.session.pause()
        self.session.use_trainer(step_and_inspect, lambda result: self._on_stepped(request, result))

    def inspect_now(self) -> None:
        """The gradients at the current weights, without a step (pausing training first)."""
        if self.session.trainer is None:
            return
        self._stale = False  # revealing the panel must not ask for "now" twice
        self._reveal()
        self.session.pause()
        self._ask_for_now()

    def _ask_for_now(self) -> None:
        self._stale = False
        request = self._next_request()
        self.session.use_trainer(inspect_state, lambda inspection: self._show(request, inspection))

    def inspect_moment(self, epoch: int, parameters: dict) -> None:
        """A moment picked on the timeline: the model as it was then (once the slider rests a moment)."""
        if self.following:
            self._moment = (epoch, parameters)
            self._moment_timer.start()

    def _inspect_moment_now(self) -> None:
        trainer, moment = self.session.trainer, self._moment
        if trainer is None or moment is None or not self.following or self.session.is_running:
            return
        epoch, parameters = moment
        request = self._next_request()
        context = (trainer.experiment, trainer.dataset)
        headline = (
            f"<b>Epoch {epoch}, picked on the timeline</b>: the model as it was then, and its gradients "
            f"on the batch its next step trained on (no step made)."
        )
        self.session.compute(
            lambda: inspect_moment(context, epoch, parameters),
            lambda inspection: self._show(request, inspection, headline),
        )

    # --- answers ----------------------------------------------------------------------------------

    def _on_stepped(self, request: int, result) -> None:
        inspection, snapshot = result
        if snapshot is not None:  # the plots and the timeline learn of the step like any other
            self.session.snapshot_ready.emit(snapshot)
        self._show(request, inspection)

    def _show(self, request: int, inspection: StepInspection, headline: str = "") -> None:
        if request != self._request:
            return
        self._stale = False
        self.panel.show_inspection(inspection, headline)
        self.shown.emit(inspection)

    def _next_request(self) -> int:
        self._request += 1
        return self._request

    def _reveal(self) -> None:
        was_hidden = not self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if was_hidden and not self.dock.isFloating():
            self.window.resizeDocks([self.dock], [self._opening_width()], Qt.Orientation.Horizontal)

    def _opening_width(self) -> int:
        """Wide enough for three gradients side by side, while the plots keep a good third of the window."""
        window = self.window
        left_area = Qt.DockWidgetArea.LeftDockWidgetArea
        docks = window.findChildren(QDockWidget)
        left = max((d.width() for d in docks if d.isVisible() and window.dockWidgetArea(d) == left_area), default=0)
        plots = max(window.centralWidget().minimumSizeHint().width(), round(window.width() * 0.35))
        spare = window.width() - left - plots
        return max(self.dock.minimumSizeHint().width(), min(round(window.width() * 0.4), spare))

    # --- following the session --------------------------------------------------------------------

    def _on_state_changed(self, state: str) -> None:
        """Following: show the moment training stopped at (never pausing anything to do so)."""
        if state == TRAINING:
            self._stale = True
            return
        # Only a resting state means the worker is free, and only if no other listener has
        # started a job in the meantime (the timeline's "Resume from here" starts training here).
        resting = state in RESTING and self.session.state == state and not self.session.is_running
        if not (resting and self._stale and self.following and self.session.trainer is not None):
            return
        timeline = getattr(self.window, "timeline", None)
        if timeline is None or timeline.is_live:
            self._ask_for_now()

    def _on_trainer_changed(self, *_) -> None:
        self._stale = True

    def _on_returned_to_now(self) -> None:
        self._moment_timer.stop()
        self._stale = True
        self._on_state_changed(self.session.state)

    def _on_visibility_changed(self, visible: bool) -> None:
        if visible and self._stale:
            self._on_state_changed(self.session.state)


def _window_action(window: QWidget, text: str, shortcut: str, tooltip: str) -> QAction:
    action = QAction(text, window)
    action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tooltip)
    action.setStatusTip(tooltip)
    window.addAction(action)
    return action


def _menu(window: QWidget, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


def install(window: MainWindow) -> None:
    window.step_inspector = StepInspector(window)
