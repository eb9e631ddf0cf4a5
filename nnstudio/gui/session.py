"""The training session: the one owner of the trainer, and the one worker thread that touches it.

The GUI never holds a `Trainer`. It sends commands (`play`, `step`, `run_to`, `change`,
`reset`, `switch_backend`, `rewind`, `inspect_step`…) that the session queues as jobs and
runs one after another in a superqt worker; after every job the session publishes one frozen
`RunState` (`state_changed`), and while a run trains it forwards the trainer's throttled
snapshots (`snapshot_ready`). Every command that changes the run goes through here, so the
generation count (unsaved changes), undo and the log see all of them.

Each run gets its own `CancelToken`: Pause cancels the run it was meant for and nothing else.
`read()` lends the trainer to a function in the worker between jobs, for copies only (Save,
Export, the landscape's inputs); `compute()` runs a pure function on copied data.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from nnstudio.core.archive import points_to_keep
from nnstudio.core.classification import fit_to_data
from nnstudio.core.data import prepare
from nnstudio.core.errors import NNStudioError
from nnstudio.core.experiment import DataSpec, ModelSpec
from nnstudio.core.trainer import CancelToken, RunEnd, RunState, RunStatus, Snapshot, Trainer

RESTING = (RunStatus.IDLE, RunStatus.PAUSED, RunStatus.DIVERGED)  # no job is running

Apply = Callable[[Trainer | None], "Trainer | None"]


class Unchanged:
    """What a change returns when there was nothing to change (e.g. switching to the backend in use)."""


UNCHANGED = Unchanged()


@dataclass(frozen=True)
class Changed:
    """What a change returns when the worker words its message (e.g. which epoch Back went to)."""

    trainer: Trainer
    message: str


@dataclass
class _Job:
    """One unit of work for the worker. `changes_run`: whether it may alter the run (then it counts)."""

    status: RunStatus
    changes_run: bool
    deliver: Callable[[object], None] | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    generation: int = 0  # the run's generation when the job began


@dataclass
class _Run(_Job):
    goals: dict = field(default_factory=dict)
    checkpoint: bool = False  # remember the moment before the run, so Back can return to it
    to_target: bool = False  # until the experiment's epochs, if not yet reached (decided in the worker)


@dataclass
class _Change(_Job):
    apply: Apply | None = None
    message: str = ""
    needs_trainer: bool = True  # False: it builds a trainer of its own (loading)


@dataclass
class _Read(_Job):
    read: Callable[[Trainer], object] | None = None


@dataclass
class _Inspect(_Read):
    """A read that makes a step: its result is (inspection, snapshot for the plots)."""


@dataclass(frozen=True)
class _JobEnd:
    """What a job hands back to the GUI thread when it is done."""

    trainer: Trainer | None
    state: RunState | None  # the run when the job ended (None: there is no trainer yet)
    snapshot: Snapshot | None = None
    result: object = None


class TrainingSession(QObject):
    """The trainer, the queue of jobs for it, and the state the window shows."""

    snapshot_ready = Signal(object)  # Snapshot, throttled at the source (≤ ~30 per second)
    state_changed = Signal(object)  # RunState: after every job, and when one starts (status TRAINING or BUSY)
    run_replaced = Signal(object)  # RunState after a change (data, model, weights, backend, Back): redraw all
    failed = Signal(str)  # a job could not be done; the run is as it was

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._trainer: Trainer | None = None  # handed to each job; read on the GUI thread by no one
        self.state: RunState | None = None  # the last state published
        self._generation = 0
        self._jobs: deque[_Job] = deque()
        self._current: _Job | None = None
        self._worker = None
        self._end: _JobEnd | None = None
        self._unfinished: set = set()  # every worker started and not yet finished (jobs and computations)
        self._shutting_down = False
        self._announcing = False  # inside state_changed: jobs asked for now start after every listener heard

    # --- what the window sees -------------------------------------------------------------------

    @property
    def status(self) -> RunStatus:
        return self.state.status if self.state is not None else RunStatus.IDLE

    @property
    def is_running(self) -> bool:
        """A job is running or waiting to run."""
        return self._worker is not None or bool(self._jobs)

    @property
    def is_training(self) -> bool:
        return self.status == RunStatus.TRAINING

    @property
    def generation(self) -> int:
        """How many jobs have changed the run so far (a save remembers the one it wrote)."""
        return self._generation

    # --- commands -------------------------------------------------------------------------------

    def load(
        self, make: Callable[[], Trainer], message: str, on_loaded: Callable[[object], None] | None = None
    ) -> None:
        """Replace the run by the trainer `make()` builds in the worker; `on_loaded(state)` once it is in use."""
        self.pause()
        self._queue(
            _Change(RunStatus.BUSY, True, on_loaded, apply=lambda _old: make(), message=message, needs_trainer=False)
        )

    def change(self, apply: Apply, message: str) -> None:
        """Alter or replace the trainer in the worker, pausing a run first.

        `apply(trainer)` returns the trainer to use from now on (None: the same one), `Changed` to word
        the message itself, or UNCHANGED when there was nothing to do."""
        self.pause()
        self._queue(_Change(RunStatus.BUSY, True, apply=apply, message=message))

    def play(self, **goals) -> None:
        """Train on to the experiment's epochs (or on and on when they are reached)."""
        self._queue(_Run(RunStatus.TRAINING, True, goals=goals, to_target=True))

    def run(self, **goals) -> None:
        """Train in the worker; `goals` are `Trainer.run()`'s (until_epoch, max_steps, ...)."""
        self._queue(_Run(RunStatus.TRAINING, True, goals=goals))

    def step(self, count: int = 1, **goals) -> None:
        """Make `count` steps, remembering the moment before them so that Back returns to it."""
        self._queue(_Run(RunStatus.TRAINING, True, goals={**goals, "max_steps": count}, checkpoint=True))

    def reset(self) -> None:
        self.change(_reset, "Reset: back to the same initial weights.")

    def new_weights(self) -> None:
        self.change(_new_weights, "New initial weights drawn from the next seed.")

    def switch_backend(self, name: str) -> None:
        """Continue on backend `name` (compared in the worker, with whatever backend the queue leaves)."""
        self.change(
            lambda trainer: _switched(trainer, name),
            f"Switched to the {name} backend: same weights and optimiser state, so the loss continues.",
        )

    def update_training(self, **changes) -> None:
        """Change training settings (learning rate, optimiser...) keeping the weights; a new seed: new weights."""
        names = ", ".join(name.replace("_", " ") for name in changes)
        kept = "new initial weights" if "seed" in changes else "weights kept"
        self.change(lambda trainer: _updated(trainer, changes), f"Changed {names} ({kept}).")

    def use_data(self, spec: DataSpec, points=None, message: str = "New data: the model was re-initialised.") -> None:
        """Train on new data; imported points are given, or kept while the spec names the same source.

        The loss and output follow the data (bce for two classes, mse for numbers...)."""
        self.change(lambda trainer: _trainer_for_data(trainer, spec, points), message)

    def use_model(self, spec: ModelSpec) -> None:
        """A new network on the same data; its weights are drawn afresh."""
        self.change(
            lambda trainer: Trainer(replace(trainer.experiment, model=spec), trainer.points, trainer.dataset),
            "New model: its weights were re-initialised.",
        )

    def rewind(self, epoch: int, message: str) -> None:
        """Go back to the latest recorded moment at or before `epoch` (later history is forgotten)."""
        self.change(lambda trainer: _rewound(trainer, epoch), message)

    def back(self) -> None:
        """Undo the last step, else return to the previous recorded epoch (the state's message says which)."""
        self.change(_go_back, "")

    def inspect_step(self, inspect: Callable[[Trainer], tuple], deliver: Callable[[object], None]) -> None:
        """One step taken apart: `inspect(trainer)` steps and returns (inspection, snapshot or None).

        It changes the run like any step: the snapshot goes to the plots, the document becomes
        unsaved; `deliver(inspection)` on the GUI thread."""
        self.pause()
        self._queue(_Inspect(RunStatus.BUSY, True, deliver=deliver, read=inspect))

    def read(self, read: Callable[[Trainer], object], deliver: Callable[[object], None]) -> None:
        """Run `read(trainer)` in the worker between jobs, `deliver(result)` on the GUI thread.

        `read` must only copy: anything that changes the run is a command of its own.
        """
        self._queue(_Read(RunStatus.BUSY, False, deliver=deliver, read=read))

    def compute(self, work: Callable[[], object], deliver: Callable[[object], None]) -> None:
        """Run a pure computation on copied data in a background thread (it never touches the trainer)."""
        if self._shutting_down:
            return
        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda result: None if self._shutting_down else deliver(result))
        worker.errored.connect(self._on_errored)
        self._launch(worker)

    def pause(self) -> None:
        """Stop the current run after its current step, and drop the runs waiting."""
        self._jobs = deque(job for job in self._jobs if not isinstance(job, _Run))
        if isinstance(self._current, _Run):
            self._current.cancel.cancel()

    def shutdown(self) -> None:
        """Stop everything and wait until no job can deliver anything (closing the window).

        A job cannot be interrupted in the middle of a step or of importing torch, so this waits
        for it, keeping the event loop turning; what it delivers meanwhile goes nowhere.
        """
        self._shutting_down = True
        self._jobs.clear()
        if self._current is not None:
            self._current.cancel.cancel()
        for worker in list(self._unfinished):
            worker.quit()
        # superqt hands a started worker to the thread pool one turn of the event loop later: turn it,
        # or a worker started just before closing would run after the window is gone.
        while self._unfinished:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 10)
            QThreadPool.globalInstance().waitForDone(10)
        QThreadPool.globalInstance().waitForDone()

    # --- the queue --------------------------------------------------------------------------------

    def _queue(self, job: _Job) -> None:
        if self._shutting_down:
            return
        self._jobs.append(job)
        self._start_next()

    def _start_next(self) -> None:
        if self._announcing:  # a listener asked for work while hearing a state: let the others hear it first
            QTimer.singleShot(0, self._start_next)
            return
        if self._worker is not None or not self._jobs or self._shutting_down:
            return
        job = self._jobs.popleft()
        if self._trainer is None and (not isinstance(job, _Change) or job.needs_trainer):
            return self._start_next()  # nothing to train, change or read yet
        worker = create_worker(_work, self._trainer, job, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._on_yielded)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        job.generation = self._generation
        self._worker, self._current, self._end = worker, job, None  # before announcing: no second worker
        if self.state is not None:
            self._publish(replace(self.state, status=job.status, message=""))
        self._launch(worker)

    def _launch(self, worker) -> None:
        """Start `worker`, remembering it until it has finished, so that `shutdown` can wait for it."""
        self._unfinished.add(worker)
        worker.finished.connect(lambda: self._unfinished.discard(worker))
        worker.start()

    def _on_yielded(self, item) -> None:
        if self._shutting_down:
            return
        if isinstance(item, _JobEnd):
            self._end = item
        else:
            self.snapshot_ready.emit(item)

    def _on_errored(self, error: Exception) -> None:
        if self._shutting_down:
            return
        if isinstance(error, NNStudioError):
            self.failed.emit(str(error))
        else:  # a bug: say so in the window rather than crash, and keep the details for a report (the log file)
            logging.getLogger(__name__).error("Unexpected error while training", exc_info=error)
            self.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")

    def _on_finished(self) -> None:
        job, end = self._current, self._end
        self._worker, self._current, self._end = None, None, None
        if self._shutting_down:
            return
        if end is None or end.state is None:  # it failed (the run is as it was), or nothing was built
            if self.state is not None:
                self._publish(replace(self.state, status=self._resting_before(), message=""))
            self._start_next()
            return
        self._trainer, state = end.trainer, end.state
        changed = state.generation != self._generation
        self._generation = state.generation
        if job.deliver is not None:
            job.deliver(state if isinstance(job, _Change) else end.result)  # a change delivers its new state
        if changed and isinstance(job, _Change):
            self.run_replaced.emit(state)  # first, so that views are ready for the new run's picture
        if end.snapshot is not None:
            self.snapshot_ready.emit(end.snapshot)
        self._publish(state)
        self._start_next()

    def _resting_before(self) -> RunStatus:
        previous = self.state
        if previous.diverged_message:
            return RunStatus.DIVERGED
        return RunStatus.IDLE if previous.step == 0 else RunStatus.PAUSED

    def _publish(self, state: RunState) -> None:
        self.state = state
        self._announcing = True
        try:
            self.state_changed.emit(state)
        finally:
            self._announcing = False


def _resting_status(trainer: Trainer) -> RunStatus:
    if trainer.diverged_message:
        return RunStatus.DIVERGED
    return RunStatus.IDLE if trainer.step_count == 0 else RunStatus.PAUSED


# --- in the worker ----------------------------------------------------------------------------------


def _work(trainer: Trainer | None, job: _Job) -> Generator[object, None, None]:
    """One job, in the worker thread: snapshots while it trains, then one `_JobEnd`."""
    if isinstance(job, _Run):
        yield from _train(trainer, job)
    elif isinstance(job, _Change):
        yield _changed(trainer, job)
    elif isinstance(job, _Inspect):
        steps = trainer.step_count
        inspection, snapshot = job.read(trainer)
        yield _end(trainer, job, trainer.step_count != steps, snapshot=snapshot, result=inspection)
    else:
        yield _end(trainer, job, False, result=job.read(trainer))


def _end(trainer: Trainer | None, job: _Job, changed: bool, message: str = "", **extra) -> _JobEnd:
    """The job's end, with the run's state copied here, where the trainer lives."""
    if trainer is None:
        return _JobEnd(None, None)
    state = trainer.run_state(_resting_status(trainer), job.generation + int(changed), message)
    return _JobEnd(trainer, state, **extra)


def _changed(trainer: Trainer | None, job: _Change) -> _JobEnd:
    outcome = job.apply(trainer)
    if isinstance(outcome, Unchanged):
        return _end(trainer, job, False)
    message = job.message
    if isinstance(outcome, Changed):
        outcome, message = outcome.trainer, outcome.message
    changed = outcome or trainer
    status = RunEnd.DIVERGED if changed.diverged_message else RunEnd.CHANGED
    snapshot = changed.report(status, message, full_history=True)  # no weights: views take the state's
    return _end(changed, job, True, message, snapshot=snapshot, result=message)


def _train(trainer: Trainer, job: _Run) -> Generator[object, None, None]:
    steps = trainer.step_count
    goals = dict(job.goals)
    if job.to_target:
        target = trainer.training.epochs
        goals["until_epoch"] = target if trainer.epoch < target else None
    if job.checkpoint and not trainer.diverged_message:
        trainer.push_checkpoint()
    if not trainer.diverged_message:
        yield from trainer.run(cancel=job.cancel, **goals)
    yield _end(trainer, job, trainer.step_count != steps)


def _reset(trainer: Trainer) -> Trainer:
    trainer.reset()
    return trainer


def _new_weights(trainer: Trainer) -> Trainer:
    trainer.new_weights((trainer.training.seed + 1) % 2**32)
    return trainer


def _switched(trainer: Trainer, name: str) -> Trainer | Unchanged:
    if trainer.backend.name == name:
        return UNCHANGED
    trainer.switch_backend(name)
    return trainer


def _updated(trainer: Trainer, changes: dict) -> Trainer | Unchanged:
    changes = {name: value for name, value in changes.items() if getattr(trainer.training, name) != value}
    if not changes:
        return UNCHANGED
    trainer.update_training(**changes)
    return trainer


def _trainer_for_data(trainer: Trainer, spec: DataSpec, points) -> Trainer:
    experiment = replace(trainer.experiment, data=spec)
    points = points if points is not None else points_to_keep(trainer, spec)
    dataset = prepare(experiment.data, points)
    return Trainer(fit_to_data(experiment, dataset), points, dataset)


def _rewound(trainer: Trainer, epoch: int) -> Trainer:
    trainer.rewind(epoch)
    return trainer


def _go_back(trainer: Trainer) -> Changed | Unchanged:
    """Back: undo the last Step if there is a checkpoint, else return to the previous recorded epoch."""
    if trainer.undo():
        return Changed(trainer, "Back: the last step was undone.")
    if trainer.step_count == 0:
        return UNCHANGED
    target = trainer.epoch - 1 if trainer.batch_in_epoch == 0 else trainer.epoch
    epoch = trainer.rewind(max(0, target))
    return Changed(trainer, f"Back: to the recorded epoch {epoch}.")
