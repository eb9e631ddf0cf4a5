"""The step inspector instrument: asks the training session for inspections and shows them in the panel.

"Inspect step" (I) makes exactly one optimiser step in the worker through the session's
`inspect_step` command (the GUI thread never trains; a checkpoint first, so Back undoes it): the
session hands the plots the resulting snapshot, and the step counts as training like any other.
"Inspect now" (Shift+I) shows the moment before the next step (`inspect_state`). With "Follow"
on and the panel open, the panel also shows the current moment whenever training stops, and a
moment picked on the timeline (computed off the GUI thread on a throwaway numpy trainer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget

from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.trainer import DIVERGED, FINISHED, RunState, RunStatus, Trainer
from nnstudio.core.teaching.inspector import StepInspection, inspect_state, inspect_step
from nnstudio.gui.app_context import STEP_INSPECTOR, TIMELINE, TRAIN_MENU
from nnstudio.gui.instruments.inspector_panel import StepInspectorPanel
from nnstudio.gui.instruments.instrument_support import show_moment_in_title
from nnstudio.gui.session import RESTING

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

MOMENT_DELAY_MS = 150  # dragging the timeline computes one inspection when the slider rests, not one per pixel
GRADIENTS_TAB, GRADIENT_SECTION = "gradients", "gradient.W"  # a lesson's tab: the gradient three ways
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
    return inspection, trainer.report(status, message, with_parameters=True)


def inspect_moment(trainer_like: tuple, epoch: int, parameters: dict[str, np.ndarray]) -> StepInspection:
    """Off the GUI thread: the gradients at a recorded moment, on a throwaway numpy trainer."""
    experiment, dataset = trainer_like
    trainer = Trainer(experiment.with_training(backend="numpy"), dataset=dataset)
    trainer.backend.load_state(TrainingState({name: value.copy() for name, value in parameters.items()}))
    trainer.epoch, trainer.step_count = epoch, epoch * trainer.batches_per_epoch()
    return inspect_state(trainer)


class StepInspector(QObject):
    """Wires the panel to the app: actions, the training session, the timeline."""

    shown = Signal(object)  # the StepInspection just shown

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.session = context.session
        self.timeline = None
        self.panel = StepInspectorPanel()
        self.dock = context.add_instrument_dock("dock.inspector", "Step inspector", self.panel, "Ctrl+1", DOCK_TOOLTIP)
        self.inspect_step_action = context.action(
            "action.inspect_step",
            "&Inspect Step",
            self.inspect_step,
            "I",
            "Make one optimiser step and take it apart in the Step inspector. Shortcut: I",
        )
        self.inspect_now_action = context.action(
            "action.inspect_now",
            "Inspect &Now",
            self.inspect_now,
            "Shift+I",
            "Show the gradients at the current weights, without stepping. Shift+I",
        )
        self.panel.inspect_step_button.setDefaultAction(self.inspect_step_action)
        self.panel.inspect_now_button.setDefaultAction(self.inspect_now_action)
        train_menu = context.menu(TRAIN_MENU)
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
        self._scroll_to: str | None = None  # a section to show with the next inspection (see open())
        self.session.state_changed.connect(self._on_state_changed)
        self.session.run_replaced.connect(self._on_run_replaced)
        self.dock.visibilityChanged.connect(self._on_visibility_changed)
        context.when_available(TIMELINE, self._follow_timeline)

    def _follow_timeline(self, timeline) -> None:
        self.timeline = timeline
        timeline.moment_selected.connect(self.inspect_moment)
        timeline.returned_to_now.connect(self._on_returned_to_now)

    @property
    def following(self) -> bool:
        return self.dock.isVisible() and self.panel.follow_check.isChecked()

    def inspect_step(self) -> None:
        if self.context.state is None:
            return
        self._stale = False  # revealing the panel must not ask for "now" as well
        self._reveal()
        request = self._next_request()
        self.session.inspect_step(step_and_inspect, lambda inspection: self._show(request, inspection))

    def inspect_now(self) -> None:
        """The gradients at the current weights, without a step (pausing training first)."""
        if self.context.state is None:
            return
        self._stale = False  # revealing the panel must not ask for "now" twice
        self._reveal()
        self.session.pause()
        self._ask_for_now()

    def _ask_for_now(self) -> None:
        self._stale = False
        request = self._next_request()
        self.session.read(inspect_state, lambda inspection: self._show(request, inspection))

    def inspect_moment(self, epoch: int, parameters: dict) -> None:
        """A moment picked on the timeline: the model as it was then (once the slider rests a moment)."""
        if self.following:
            self._moment = (epoch, parameters)
            self._moment_timer.start()

    def _inspect_moment_now(self) -> None:
        state, moment = self.context.state, self._moment
        if state is None or moment is None or not self.following or self.session.is_running:
            return
        epoch, parameters = moment
        request = self._next_request()
        context = (state.experiment, state.dataset)
        headline = (
            f"<b>Epoch {epoch}, picked on the timeline</b>: the model as it was then, and its gradients "
            f"on the batch its next step trained on (no step made)."
        )
        self.session.compute(
            lambda: inspect_moment(context, epoch, parameters),
            lambda inspection: self._show(request, inspection, headline, past_epoch=epoch),
        )

    # --- answers ----------------------------------------------------------------------------------

    def _show(
        self, request: int, inspection: StepInspection, headline: str = "", past_epoch: int | None = None
    ) -> None:
        if request != self._request:
            return
        self._stale = False
        self.panel.show_inspection(inspection, headline)
        show_moment_in_title(self.dock, past_epoch)
        if self._scroll_to is not None:  # asked for by open(): once there is something to scroll to
            self.panel.scroll_to(self._scroll_to)
            self._scroll_to = None
        self.shown.emit(inspection)

    def _next_request(self) -> int:
        self._request += 1
        return self._request

    def open(self, tab: str | None = None) -> None:
        """Show the panel (wide enough for three gradients side by side) on `tab`: a phase, or
        "gradients": the backward phase scrolled to the gradient three ways, once it shows them."""
        if tab == GRADIENTS_TAB:
            self.panel.set_phase("backward")
            self._scroll_to = GRADIENT_SECTION
        elif tab is not None:
            self.panel.set_phase(tab)
        self._reveal()

    def _reveal(self) -> None:
        was_hidden = not self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if was_hidden and not self.dock.isFloating():
            self.context.host.resizeDocks([self.dock], [self._opening_width()], Qt.Orientation.Horizontal)

    def _opening_width(self) -> int:
        """Wide enough for three gradients side by side, while the plots keep a good third of the window."""
        window = self.context.host
        left_area = Qt.DockWidgetArea.LeftDockWidgetArea
        docks = window.findChildren(QDockWidget)
        left = max((d.width() for d in docks if d.isVisible() and window.dockWidgetArea(d) == left_area), default=0)
        plots = max(window.centralWidget().minimumSizeHint().width(), round(window.width() * 0.35))
        spare = window.width() - left - plots
        return max(self.dock.minimumSizeHint().width(), min(round(window.width() * 0.4), spare))

    # --- following the session --------------------------------------------------------------------

    def _on_state_changed(self, state: RunState | None) -> None:
        """Following: show the moment training stopped at (never pausing anything to do so)."""
        if state is None:
            return
        if state.status == RunStatus.TRAINING:
            self._stale = True
            return
        # Only a resting state means the worker is free, and only if no other listener has
        # started a job in the meantime (the timeline's "Resume from here" starts training here).
        resting = state.status in RESTING and self.session.state is state and not self.session.is_running
        if not (resting and self._stale and self.following):
            return
        if self.timeline is None or self.timeline.is_live:
            self._ask_for_now()

    def _on_run_replaced(self, _state: RunState) -> None:
        self._stale = True

    def _on_returned_to_now(self) -> None:
        self._moment_timer.stop()
        self._stale = True
        self._on_state_changed(self.session.state)

    def _on_visibility_changed(self, visible: bool) -> None:
        if visible and self._stale:
            self._on_state_changed(self.session.state)


def install(context: AppContext) -> StepInspector:
    return context.register(STEP_INSPECTOR, StepInspector(context))
