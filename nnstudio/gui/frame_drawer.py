"""The window's frames: snapshots collected as they come, drawn at most as often as the redraw pacer allows.

A frame is drawn when news arrives (every frame of a paced run; ~30 a second at full speed), keeping
only what is new, so however fast training runs, nothing queues up. Numbers and log lines that
would change too fast to be read are shown less often at full speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, SignalInstance

from nnstudio.core.engine.trainer import DIVERGED, TRAINING, RunEnd, Snapshot
from nnstudio.core.teaching.overfitting import OverfittingWatch
from nnstudio.gui.log_lines import LoggedEpochs, with_notes
from nnstudio.gui.pacing import (
    FULL_SPEED_FRAME_SECONDS,
    LOG_SECONDS_AT_FULL_SPEED,
    ReadableRate,
    RedrawPacer,
)
from nnstudio.gui.panels.log_panel import LogPanel
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.gui.status_bar import TrainingStatusBar

# At full speed the trainer sends news as often as the pacer allows frames, and news is drawn as it
# arrives, unless it comes more than this share of the time between frames early (then the redraw
# timer waits). One wake-up of the GUI thread a frame instead of two: a frame cost ~30 % less.
EARLY_NEWS = 0.25


class FrameDrawer:
    """Collects the session's snapshots and draws them: loss plot, prediction plot, log and status bar."""

    def __init__(
        self,
        parent: QObject,
        frame_ready: SignalInstance,
        loss_plot: LossPlot,
        prediction_plot: Callable[[], FitPlot | DecisionBoundaryPlot],
        log_panel: LogPanel,
        status: TrainingStatusBar,
        numbers_rate: ReadableRate,
    ) -> None:
        self._frame_ready = frame_ready
        self._loss_plot = loss_plot
        self._prediction_plot = prediction_plot  # asked at each frame: the fit, or the decision map
        self._log_panel = log_panel
        self._status = status
        self.frame: Snapshot | None = None  # the last frame drawn
        self._pending_loss: list[tuple[np.ndarray, ...]] = []  # epochs, train, test, penalty (NaN: none)
        # What the log prints next, in order: lines, or snapshots whose lines are formatted when the log is
        # drawn (at full speed twice a second: ~70 epoch lines a frame need not be formatted 33 times a second).
        self._pending_log: list[list[str] | tuple[Snapshot, list[tuple[int, str]]]] = []
        self._logged = LoggedEpochs()  # the epoch lines shown for the run on screen
        self._clear_loss = False
        self._latest: Snapshot | None = None
        self._overfitting = OverfittingWatch()  # says once when the test loss turns up (core/teaching/overfitting.py)
        self._overfitting_note, self._overfitting_shown = "", False  # for the status bar, until the run ends
        self._pacer = RedrawPacer()  # fewer frames where drawing would slow training
        self._redraw_timer = QTimer(parent)  # started by news: the next frame
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer fires up to 5 % late: fewer frames
        self._redraw_timer.timeout.connect(self.redraw)
        self._next_frame_at = 0.0  # perf_counter seconds: not sooner (the pacer's interval after the last frame)
        self._frame_seconds = FULL_SPEED_FRAME_SECONDS  # the pacer's interval at full speed, for the trainer
        self._log_rate = ReadableRate(LOG_SECONDS_AT_FULL_SPEED)
        self._numbers_rate = numbers_rate  # shared with the timeline: the numbers change together

    def log_later(self, lines: list[str]) -> None:
        """Lines for the log, after any log lines still waiting to be drawn."""
        self._pending_log.append(lines)

    def seconds_between_frames(self) -> float:
        """How often the trainer should send news at full speed: as often as frames may be drawn (asked
        from the training thread: a float read whole)."""
        return self._frame_seconds

    def stop(self) -> None:
        """No more frames (the window closes)."""
        self._redraw_timer.stop()

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Collect what is new; the redraw timer draws it (so a burst of snapshots costs one redraw), or, at
        full speed, this news itself when its frame is (nearly) due."""
        if snapshot.full_history:
            self._pending_loss.clear()
            self._clear_loss = True
            self._overfitting = OverfittingWatch(already_told=self._overfitting.told_epoch)
        if len(snapshot.new_epochs):
            penalty = snapshot.new_penalty if len(snapshot.new_penalty) else np.full(len(snapshot.new_epochs), np.nan)
            self._pending_loss.append((snapshot.new_epochs, snapshot.new_train_loss, snapshot.new_test_loss, penalty))
        notes = [(change.epoch, f"— {change.text}") for change in snapshot.settings_changes]
        overfitting = self._overfitting.update(snapshot.new_epochs, snapshot.new_train_loss, snapshot.new_test_loss)
        if overfitting is not None:
            notes.append((overfitting.epoch, f"— {overfitting.message} {overfitting.advice}"))
            self._overfitting_note = overfitting.headline
        if len(snapshot.log_entries) or notes or snapshot.full_history:  # (a full history resets what was printed)
            self._pending_log.append((snapshot, notes))
        self._latest = snapshot
        if not self._redraw_timer.isActive():
            wait = self._next_frame_at - time.perf_counter()
            if snapshot.at_full_speed and wait < EARLY_NEWS * self._frame_seconds:
                self.redraw()  # at once: a timer would wake the GUI thread a second time for this frame
                return
            self._redraw_timer.start(max(0, round(1000 * wait)))

    def _log_lines(self) -> list[str]:
        """The lines waiting for the log, formatted now (each snapshot's epoch lines once, with its notes)."""
        lines = []
        for waiting in self._pending_log:
            if isinstance(waiting, list):
                lines.extend(waiting)
            else:
                snapshot, notes = waiting
                lines.extend(with_notes(snapshot, notes, self._logged.new_entries(snapshot)))
        self._pending_log = []
        return lines

    def redraw(self) -> None:
        """Draw what is new (the redraw timer calls it when news has come; `draw_now` at once)."""
        if self._latest is None:
            return
        snapshot, self._latest = self._latest, None
        full_speed = snapshot.at_full_speed
        if self._clear_loss:
            self._loss_plot.clear()
            self._clear_loss = False
        if self._pending_loss:
            epochs, train, test, penalty = (np.concatenate(parts) for parts in zip(*self._pending_loss, strict=True))
            self._pending_loss.clear()
            self._loss_plot.append(epochs, train, test, penalty, at_full_speed=full_speed)
        if not full_speed:
            self._loss_plot.catch_up()
        if self._pending_log and self._log_rate.due(full_speed):
            self._log_panel.append_lines(self._log_lines())
        self.frame = snapshot
        self._frame_ready.emit(snapshot)
        self._prediction_plot().set_prediction(snapshot.prediction)
        if self._numbers_rate.due(full_speed, snapshot):
            self._loss_plot.set_metrics(snapshot.train_metrics, snapshot.test_metrics, snapshot.epoch)
            self._status.show_snapshot(snapshot)
        if snapshot.status == DIVERGED:
            self._log_panel.append_lines([f"— {snapshot.message}"])  # the status bar shows it in red
        elif snapshot.status not in (TRAINING, RunEnd.CHANGED) and snapshot.message:
            self._status.showMessage(snapshot.message, 8000)
        self._show_overfitting(snapshot)
        interval = self._pacer.next_interval_ms(training=full_speed) / 1000
        if full_speed:
            self._frame_seconds = interval
        self._next_frame_at = time.perf_counter() + interval

    def _show_overfitting(self, snapshot: Snapshot) -> None:
        """Say it when it is found, and again before the run's last message, so that it is read."""
        note = self._overfitting_note
        if not note or (snapshot.status == TRAINING and self._overfitting_shown):
            return
        if snapshot.status == TRAINING:
            self._status.showMessage(note, 15000)
            self._overfitting_shown = True
            return
        ended = snapshot.message if snapshot.status not in (DIVERGED, RunEnd.CHANGED) else ""
        self._status.showMessage(f"{note} {ended}".strip(), 15000)
        self._overfitting_note, self._overfitting_shown = "", False
