"""The training session: the one owner of the trainer, which only its jobs touch, one at a time.

The GUI never holds a `Trainer`. It sends commands (`play`, `run`, `step`, `change`, `reset`,
`switch_backend`, `rewind`, `back`, `inspect_step`…) that the session queues as jobs and runs
one after another, each in a superqt worker (a thread of Qt's pool; never two jobs at once);
after every job the session publishes one frozen `RunState` (`state_changed`), and it forwards
the trainer's throttled snapshots (`snapshot_ready`): while a run trains, one after a change or an inspected step.
Every command that changes the run goes through here, so the generation count (unsaved changes),
undo and the log see all of them.

Each run gets its own `CancelToken`: Pause cancels the run it was meant for and nothing else.
Training settings changed while a run trains (learning rate, optimiser, batch size, backend…)
go to that run's `LiveChanges`: it takes them before its next step and trains on, and
`settings_changed` says what changed when. A new seed, new data or a new model restart the run
instead: training stops, and the message says so.
`read()` lends the trainer to a function in the worker between jobs, for copies only (Save,
Export, the landscape's inputs); `compute()` runs a pure function on copied data.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from nnstudio.core.engine.classification import check_task
from nnstudio.core.engine.experiment import DataSpec, ModelSpec
from nnstudio.core.engine.live_changes import RESTARTING_SETTINGS
from nnstudio.core.engine.trainer import RunState, RunStatus, Snapshot, Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.gui.jobs import (
    Apply,
    Change,
    Inspect,
    Job,
    JobEnd,
    Notice,
    Read,
    Run,
    branched,
    draw_new_weights,
    go_back,
    reset_run,
    rewound,
    set_by_hand,
    switched,
    trainer_for_data,
    updated,
    work,
)

RESTING = (RunStatus.IDLE, RunStatus.PAUSED, RunStatus.DIVERGED)  # no job is running
STOPPED_NOTE = " Training stopped: press Space to train."
DATA_CHANGED = "Data changed: the model was re-initialised."


# A run holds one thread of Qt's pool for as long as it trains; computations (a landscape map) and
# background reads (a CSV) need others. Qt sizes the pool by the cores it sees: one on a one-core
# machine (or a container limited to one), where they would wait for the run's end.
POOL_THREADS = 4


class TrainingSession(QObject):
    """The trainer, the queue of jobs for it, and the state the window shows."""

    snapshot_ready = Signal(object)  # Snapshot, throttled at the source (≤ ~30 per second)
    state_changed = Signal(object)  # RunState: after every job, and when one starts (status TRAINING or BUSY)
    run_replaced = Signal(object)  # RunState after a change (data, model, weights, backend, Back): redraw all
    failed = Signal(str)  # a job could not be done; the run is as it was
    settings_changed = Signal(object)  # SettingsChange: settings a run took on while training (it goes on)
    notice = Signal(str)  # what a job does or why it does nothing (e.g. "next stop at epoch 200"): for the status bar

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        pool = QThreadPool.globalInstance()
        pool.setMaxThreadCount(max(pool.maxThreadCount(), POOL_THREADS))
        self._trainer: Trainer | None = None  # handed to each job; read on the GUI thread by no one
        self.state: RunState | None = None  # the last state published
        self._generation = 0
        self.edited_by_hand = False  # a weight of this run was set by hand: training cannot give it again
        self._jobs: deque[Job] = deque()
        self._current: Job | None = None
        self._worker = None
        self._end: JobEnd | None = None
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
        self.edited_by_hand = False
        self._queue(Change(RunStatus.BUSY, on_loaded, apply=lambda _old: make(), message=message, needs_trainer=False))

    def change(self, apply: Apply, message: str) -> None:
        """Alter or replace the trainer in the worker, pausing a run first.

        `apply(trainer)` returns the trainer to use from now on (None: the same one), `Changed` to word
        the message itself, or UNCHANGED when there was nothing to do."""
        self.pause()
        self._queue(Change(RunStatus.BUSY, apply=apply, message=message))

    def play(self, **goals) -> None:
        """Train on to the experiment's epochs; once they are reached, on to the next multiple of them."""
        self._queue(Run(RunStatus.TRAINING, goals=goals, to_target=True))

    def run(self, **goals) -> None:
        """Train in the worker; `goals` are `Trainer.run()`'s (until_epoch, max_steps, ...)."""
        self._queue(Run(RunStatus.TRAINING, goals=goals))

    def step(self, count: int = 1, **goals) -> None:
        """Make `count` steps, remembering the moment before them so that Back returns to it."""
        self._queue(Run(RunStatus.TRAINING, goals={**goals, "max_steps": count}, checkpoint=True))

    def reset(self) -> None:
        self.change(reset_run, "Reset: back to the same initial weights.")

    def new_weights(self) -> None:
        self.change(draw_new_weights, "New initial weights drawn from the next seed.")

    def switch_backend(self, name: str) -> None:
        """Continue on backend `name` (compared in the worker, with whatever backend the queue leaves).

        A run in progress goes on, on the new backend, from its next step."""
        if self._post_live({"backend": name}):
            return
        self._queue_before_runs(
            lambda trainer: switched(trainer, name),
            f"Switched to the {name} backend: same weights and optimiser state, so the loss continues.",
        )

    def update_training(self, **changes) -> None:
        """Change training settings (learning rate, optimiser...) keeping the weights; a new seed: new weights.

        A run in progress goes on with the new settings from its next step; a new seed stops it."""
        if RESTARTING_SETTINGS & changes.keys():
            message = "New seed: new initial weights were drawn."
            self.change(lambda trainer: updated(trainer, changes), self._stopping(message))
            return
        if self._post_live(changes):
            return
        self._queue_before_runs(lambda trainer: updated(trainer, changes), "")

    def use_data(self, spec: DataSpec, points=None, message: str = DATA_CHANGED) -> None:
        """Train on new data; imported points are given, or kept while the spec names the same source.

        The loss and output follow the data (bce for two classes, mse for numbers...)."""
        self.change(lambda trainer: trainer_for_data(trainer, spec, points), self._stopping(message))

    def use_model(self, spec: ModelSpec) -> None:
        """A new network on the same data; its weights are drawn afresh."""
        self.change(
            lambda trainer: Trainer(replace(trainer.experiment, model=spec), trainer.points, trainer.dataset),
            self._stopping("Model changed: weights re-initialised."),
        )

    def branch(self, epoch: int, changes: dict, note: str = "") -> None:
        """Go back to the recorded moment at or before `epoch` and take on the training `changes` there.

        The trainer forgets the later history: keep it first (Compare runs). `note` ends the message."""
        self.change(lambda trainer: branched(trainer, epoch, changes, note), "")

    def rewind(self, epoch: int, message: str) -> None:
        """Go back to the latest recorded moment at or before `epoch` (later history is forgotten)."""
        self.change(lambda trainer: rewound(trainer, epoch), message)

    def back(self) -> None:
        """Undo the last step, else return to the previous recorded epoch (the state's message says which)."""
        self.change(go_back, "")

    def set_parameter(self, name: str, index: tuple[int, ...], value: float) -> None:
        """Set one weight or bias (W1 at the 0-based (row, column), b1 at (unit,)) by hand; Back undoes it.

        A run in progress is paused first, and the message says so."""
        note = " Training paused." if self.is_training else ""
        self.edited_by_hand = True
        self.change(lambda trainer: set_by_hand(trainer, name, tuple(index), value, note), "")

    def inspect_step(self, inspect: Callable[[Trainer], tuple], deliver: Callable[[object], None]) -> None:
        """One step taken apart: `inspect(trainer)` steps and returns (inspection, snapshot or None).

        It changes the run like any step: the snapshot goes to the plots, the document becomes
        unsaved; `deliver(inspection)` on the GUI thread."""
        self.pause()
        self._queue(Inspect(RunStatus.BUSY, deliver=deliver, read=inspect))

    def read(self, read: Callable[[Trainer], object], deliver: Callable[[object], None]) -> None:
        """Run `read(trainer)` in the worker between jobs, `deliver(result)` on the GUI thread.

        `read` must only copy: anything that changes the run is a command of its own.
        """
        self._queue(Read(RunStatus.BUSY, deliver=deliver, read=read))

    def compute(self, work: Callable[[], object], deliver: Callable[[object], None]) -> None:
        """Run a pure computation on copied data in a background thread (it never touches the trainer)."""
        if self._shutting_down:
            return
        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda result: None if self._shutting_down else deliver(result))
        worker.errored.connect(self._on_errored)
        self._launch(worker)

    def _stopping(self, message: str) -> str:
        """`message`, saying that training stops if it is training (a restart pauses it)."""
        return message + STOPPED_NOTE if self.is_training else message

    def _post_live(self, changes: dict) -> bool:
        """Hand training settings to the run in progress, which takes them before its next step.

        False when no run is in progress (or it has just ended): change them by a job instead."""
        job, state = self._current, self.state
        if not isinstance(job, Run) or state is None:
            return False
        try:  # refuse here what the worker would refuse mid-run (e.g. a loss that does not fit the data)
            check_task(state.experiment.with_training(**changes), state.dataset)
        except NNStudioError as error:
            self.failed.emit(str(error))
            return True
        return job.live.post(**changes)

    def _queue_before_runs(self, apply: Apply, message: str) -> None:
        """A change of settings that keeps the weights: made before any run still waiting, which it does not stop."""
        job = Change(RunStatus.BUSY, apply=apply, message=message)
        first_run = next((index for index, waiting in enumerate(self._jobs) if isinstance(waiting, Run)), None)
        if first_run is None or self._shutting_down:
            self._queue(job)
            return
        self._jobs.insert(first_run, job)
        self._start_next()

    def pause(self) -> None:
        """Stop the current run after its current step, and drop the runs waiting."""
        self._jobs = deque(job for job in self._jobs if not isinstance(job, Run))
        if isinstance(self._current, Run):
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

    def _queue(self, job: Job) -> None:
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
        if self._trainer is None and (not isinstance(job, Change) or job.needs_trainer):
            return self._start_next()  # nothing to train, change or read yet
        worker = create_worker(work, self._trainer, job, _start_thread=False, _ignore_errors=True)
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
        if isinstance(item, JobEnd):
            self._end = item
            return
        if isinstance(item, Notice):
            self.notice.emit(item.text)
            return
        if isinstance(item, Snapshot) and item.settings_changes:
            self._changed_live(item)
        self.snapshot_ready.emit(item)
        if isinstance(self._current, Run):
            self._current.news.take()  # drawn (or due): the run may make the next

    def _changed_live(self, snapshot: Snapshot) -> None:
        """The run took on new settings and trains on: the state and the generation say so at once."""
        latest = snapshot.settings_changes[-1].after
        self._generation = self._current.generation + 1 if self._current is not None else self._generation + 1
        if self.state is not None:
            experiment = replace(self.state.experiment, training=latest)
            state = replace(self.state, experiment=experiment, backend=latest.backend, generation=self._generation)
            self._publish(state)
        for change in snapshot.settings_changes:
            self.settings_changed.emit(change)

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
        if _is_load(job) and any(_is_load(waiting) for waiting in self._jobs):
            state = replace(state, message="")  # another load replaces it at once: only that one has news
        changed = state.generation != self._generation
        self._generation = state.generation
        # Jobs asked for while the new state is handed round start once it is published: started
        # earlier, they would announce themselves with the old state (its generation, its status).
        self._announcing = True
        try:
            if job.deliver is not None:
                job.deliver(state if isinstance(job, Change) else end.result)  # a change delivers its new state
            if changed and isinstance(job, Change):
                self.run_replaced.emit(state)  # first, so that views are ready for the new run's picture
            if end.snapshot is not None:
                self.snapshot_ready.emit(end.snapshot)
        finally:
            self._announcing = False
        self._publish(state)
        if end.notice:
            self.notice.emit(end.notice)
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


def _is_load(job: Job | None) -> bool:
    """A job that replaces the whole run with a trainer it builds itself (an experiment, a file, a preset)."""
    return isinstance(job, Change) and not job.needs_trainer
