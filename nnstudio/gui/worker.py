"""The one training worker: every use of the trainer from the window runs here, off the GUI thread.

`TrainingSession` owns the current `Trainer` and at most one running superqt worker. Jobs run
one after another: a *run* (Play, Step, Run to epoch) drives `Trainer.run()` and forwards its
throttled snapshots; a *change* (new data, new model, reset, switching backend...) alters or
replaces the trainer and reports the result. A change asked for during a run first pauses it.
Because only the worker ever touches the trainer, the window never trains and never blocks.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.trainer import DIVERGED, TRAINING, Snapshot, Trainer
from nnstudio.core.errors import NNStudioError

IDLE, PAUSED, BUSY = "idle", "paused", "working"


@dataclass
class _Run:
    goals: dict
    checkpoint: bool  # remember the moment before the run, so Back can return to it


@dataclass
class _Use:
    read: Callable[[Trainer], object]  # runs in the worker, between runs
    deliver: Callable[[object], None]  # then gets the result on the GUI thread


@dataclass(frozen=True)
class _Delivery:
    deliver: Callable[[object], None]
    value: object


@dataclass
class _Change:
    apply: Callable[[Trainer | None], Trainer]
    message: str


@dataclass(frozen=True)
class ChangeResult:
    """What a change job hands back to the GUI thread: the trainer to use from now on."""

    trainer: Trainer
    snapshot: Snapshot
    message: str


class TrainingSession(QObject):
    """The trainer plus the one worker that may touch it."""

    snapshot_ready = Signal(object)  # Snapshot, throttled at the source (≤ ~30 per second)
    trainer_changed = Signal(object, str)  # (Trainer, message): new data/model/weights — redraw all
    state_changed = Signal(str)  # IDLE, TRAINING, PAUSED, DIVERGED or BUSY
    failed = Signal(str)  # a change could not be made; the previous trainer is kept

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trainer: Trainer | None = None
        self.state = IDLE
        self._jobs: deque[_Run | _Change] = deque()
        self._worker = None
        self._unfinished: set = set()  # every worker started and not yet finished (runs, changes, computations)
        self._shutting_down = False
        self._announcing = False  # inside state_changed: jobs asked for now start after every listener heard

    # --- what the window asks for ---------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """A job is running or waiting to run: the trainer is not free to read."""
        return self._worker is not None or bool(self._jobs)

    @property
    def is_training(self) -> bool:
        return self.state == TRAINING

    def load(self, experiment: Experiment, points=None, message: str = "") -> None:
        """Build a fresh trainer for `experiment` (new data and initial weights)."""
        self.change(lambda _: Trainer(experiment, points), message or f"Loaded {experiment.name}.")

    def change(self, apply: Callable[[Trainer | None], Trainer | None], message: str) -> None:
        """Alter or replace the trainer in the worker; a run in progress is paused first."""
        self.pause()
        self._jobs.append(_Change(lambda trainer: apply(trainer) or trainer, message))
        self._start_next()

    def run(self, checkpoint: bool = False, **goals) -> None:
        """Train in the worker; `goals` are `Trainer.run()`'s (until_epoch, max_steps, ...)."""
        if self.trainer is None or self._shutting_down:
            return
        self._jobs.append(_Run(goals, checkpoint))
        self._start_next()

    def use_trainer(self, read: Callable[[Trainer], object], deliver: Callable[[object], None]) -> None:
        """Run `read(trainer)` in the worker when no run is going on; `deliver(result)` on the GUI thread.

        For instruments that must see (or step) the live trainer, e.g. the step inspector.
        """
        if self.trainer is None or self._shutting_down:
            return
        self._jobs.append(_Use(read, deliver))
        self._start_next()

    def compute(self, work: Callable[[], object], deliver: Callable[[object], None]) -> None:
        """Run a pure computation on copied data in a background thread (it never touches the trainer)."""
        if self._shutting_down:
            return
        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(deliver)
        worker.errored.connect(self._on_errored)
        self._launch(worker)

    def pause(self) -> None:
        """Stop the current run after its current step (within ~one snapshot interval)."""
        self._jobs = deque(job for job in self._jobs if not isinstance(job, _Run))
        if self.trainer is not None and self.state == TRAINING:
            self.trainer.request_stop()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop everything and wait for the worker threads to end (closing the window)."""
        self._shutting_down = True
        self._jobs.clear()
        if self.trainer is not None:
            self.trainer.request_stop()
        for worker in list(self._unfinished):
            worker.quit()
        # superqt hands a started worker to the thread pool one turn of the event loop later: let those
        # turns happen here, or a worker started just before closing would run after the window is gone.
        deadline = time.monotonic() + timeout_ms / 1000
        while self._unfinished and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)  # delivers `finished`
            QThreadPool.globalInstance().waitForDone(10)
        return QThreadPool.globalInstance().waitForDone(max(0, round(1000 * (deadline - time.monotonic()))))

    def _launch(self, worker) -> None:
        """Start `worker`, remembering it until it has finished, so that `shutdown` can wait for it."""
        self._unfinished.add(worker)
        worker.finished.connect(lambda: self._unfinished.discard(worker))
        worker.start()

    # --- the worker -----------------------------------------------------------------------------

    def _start_next(self) -> None:
        if self._announcing:  # a listener asked for work while hearing a state: let the others hear it first
            QTimer.singleShot(0, self._start_next)
            return
        if self._worker is not None or not self._jobs or self._shutting_down:
            return
        job = self._jobs.popleft()
        if isinstance(job, _Run):
            if self.trainer.diverged_message:
                self._set_state(DIVERGED)
                return self._start_next()
            state = TRAINING
            worker = create_worker(
                _run_job, self.trainer, job.goals, job.checkpoint, _start_thread=False, _ignore_errors=True
            )
        elif isinstance(job, _Use):
            state = BUSY
            worker = create_worker(_use_job, self.trainer, job, _start_thread=False, _ignore_errors=True)
        else:
            state = BUSY
            worker = create_worker(_change_job, self.trainer, job, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._on_yielded)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        self._worker = worker  # before announcing the state, so no listener can start a second worker
        self._set_state(state)
        self._launch(worker)

    def _on_yielded(self, item) -> None:
        if isinstance(item, _Delivery):
            item.deliver(item.value)
        elif isinstance(item, ChangeResult):
            self.trainer = item.trainer
            self.trainer_changed.emit(item.trainer, item.message)
            self.snapshot_ready.emit(item.snapshot)
        else:
            self.snapshot_ready.emit(item)

    def _on_errored(self, error: Exception) -> None:
        if isinstance(error, NNStudioError):
            self.failed.emit(str(error))
        else:  # a bug: say so in the window rather than crash, and keep the details for a report (the log file)
            logging.getLogger(__name__).error("Unexpected error while training", exc_info=error)
            self.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")

    def _on_finished(self) -> None:
        self._worker = None
        if self.trainer is None:
            self._set_state(IDLE)
        elif self.trainer.diverged_message:
            self._set_state(DIVERGED)
        elif self.trainer.step_count == 0:
            self._set_state(IDLE)
        else:
            self._set_state(PAUSED)
        self._start_next()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._announcing = True
            try:
                self.state_changed.emit(state)
            finally:
                self._announcing = False


def _run_job(trainer: Trainer, goals: dict, checkpoint: bool) -> Generator[Snapshot, None, None]:
    if checkpoint:
        trainer.push_checkpoint()
    yield from trainer.run(**goals)


def _use_job(trainer: Trainer, job: _Use) -> Generator[_Delivery, None, None]:
    yield _Delivery(job.deliver, job.read(trainer))


def _change_job(trainer: Trainer | None, job: _Change) -> Generator[ChangeResult, None, None]:
    changed = job.apply(trainer)
    status = DIVERGED if changed.diverged_message else "changed"
    yield ChangeResult(changed, changed.snapshot(status, job.message, full_history=True), job.message)
