"""The Compare-runs instrument: the Keep action (K), the training clock, and the dock with the runs view.

Keeping reads the run in the worker between jobs (a run in progress is paused first, so what is
kept is what is shown); `runs_view.RunsView` shows the kept runs.

Training time: the wall-clock seconds the session spent training this run since its weights
were last drawn or reset, summed over every Play, Step and Run-to (so it includes a slow-down
set with the speed slider; compare backends at full speed).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from nnstudio.core.engine.trainer import RunState, RunStatus, Trainer
from nnstudio.core.teaching.runs import RunRecord
from nnstudio.gui.app_context import TRAIN_MENU
from nnstudio.gui.instruments.instrument_support import add_dock, on_shown
from nnstudio.gui.instruments.runs_view import RunsView

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

DOCK_TOOLTIP = "Compare runs: kept runs' settings, final losses and loss curves side by side (Ctrl+5)"
KEEP_TOOLTIP = "Keep this run (its settings and loss curve) to compare it with others. Shortcut: K"


class TrainingClock(QObject):
    """Seconds the session has spent training the current run (see the module's docstring)."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self._total = 0.0
        self._since: float | None = None
        context.session.state_changed.connect(self._on_state_changed)
        context.session.run_replaced.connect(self._on_run_replaced)

    def seconds(self) -> float:
        running = time.perf_counter() - self._since if self._since is not None else 0.0
        return self._total + running

    def _on_state_changed(self, state: RunState) -> None:
        now = time.perf_counter()
        training = state.status == RunStatus.TRAINING
        if training and self._since is None:
            self._since = now
        elif not training and self._since is not None:
            self._total += now - self._since
            self._since = None

    def _on_run_replaced(self, state: RunState) -> None:
        if state.step == 0:  # new weights, new data, Reset: a new run starts
            self._total, self._since = 0.0, None


def keep_record(trainer: Trainer, seconds: float) -> RunRecord | None:
    """In the worker: the run as it is now, named after its configuration (None before any epoch)."""
    if not len(trainer.loss_history):
        return None
    return RunRecord.from_trainer(None, trainer, seconds)


class RunsInstrument:
    """The Keep action, the training clock, and the dock (its view built when first needed)."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.session = context.session
        self._view: RunsView | None = None
        self.dock = add_dock(context, "dock.runs", "Compare runs", QWidget(), "Ctrl+5", DOCK_TOOLTIP)
        self.clock = TrainingClock(context)
        self.keep_action = context.action("action.keep_run", "&Keep This Run", self.keep, "K", KEEP_TOOLTIP)
        on_shown(self.dock, lambda: self.view)
        train_menu = context.menu(TRAIN_MENU)
        train_menu.addSeparator()
        train_menu.addAction(self.keep_action)

    @property
    def view(self) -> RunsView:
        if self._view is None:
            self._view = RunsView()
            self._view.keep_button.setDefaultAction(self.keep_action)
            self.dock.setWidget(self._view)
        return self._view

    def keep(self) -> None:
        if self.context.state is None:
            return
        self.session.pause()  # keep what is on screen now, not wherever the run ends
        seconds = self.clock.seconds()
        self.session.read(lambda trainer: keep_record(trainer, seconds), self._on_kept)

    def keep_before_going_back(self, epoch: int) -> None:
        """Keep the run as it is now, before the timeline goes back to `epoch` and branches from there.

        The trainer forgets the epochs after it; the kept run remembers them (named "… (left at epoch N)")."""
        if self.context.state is None:
            return
        seconds = self.clock.seconds()

        def named(run: RunRecord | None) -> RunRecord | None:
            return None if run is None else replace(run, name=f"{run.name} (left at epoch {epoch})")

        self.session.read(lambda trainer: keep_record(trainer, seconds), lambda run: self._on_kept(named(run)))

    def _on_kept(self, run: RunRecord | None) -> None:
        if run is None:
            self.context.show_message("Nothing to keep yet: train at least one epoch first.", 6000)
            return
        kept = self.view.add_run(run)
        where = "" if self.dock.isVisible() else " (Ctrl+5 shows Compare runs)"
        self.context.show_message(f"Kept the run “{kept.name}”{where}.", 8000)


def install(context: AppContext) -> RunsInstrument:
    return context.register("compare_runs", RunsInstrument(context))
