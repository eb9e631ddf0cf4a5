"""The training loop, as an object with a generator: step, record, report, stop.

`Trainer.step()` makes exactly one optimiser step. `Trainer.run()` steps until a goal is met
(or its `CancelToken` is cancelled) and yields a frozen `Snapshot` at most every
`snapshot_interval` seconds: the loss points that are new since the last snapshot and the
current prediction curve. The window draws snapshots; the command line prints their log lines;
tests drive `run()` with `next()`. Between jobs the window sees a frozen `RunState`.
Nothing here knows about Qt.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from nnstudio.core.datasets.data import Dataset, prepare
from nnstudio.core.engine.backends.base import Backend, TrainingState, create_backend
from nnstudio.core.engine.classification import (
    ClassificationMetrics,
    check_task,
    class_probabilities,
    classification_metrics,
)
from nnstudio.core.engine.divergence import divergence
from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.history import LossHistory, StateHistory
from nnstudio.core.engine.live_changes import LiveChanges, SettingsChange, consequences
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import DenseLayer, check_memory, dense_layers, initial_parameters, parameter_count
from nnstudio.core.engine.prediction import prediction_from_outputs
from nnstudio.core.errors import NNStudioError

UNDO_DEPTH = 200  # how many manual steps Back can undo
PACE_CHECK_SECONDS = 0.1  # a paced run waiting for its next step looks at its pace this often


@dataclass(frozen=True)
class Progress:
    """A run's counters between two steps: what a saved run and an undo point need besides weights and histories."""

    epoch: int  # completed epochs
    step_count: int  # optimiser steps so far
    batch_in_epoch: int  # mini-batches done in the current epoch
    last_step_loss: float
    epoch_loss: float  # the current epoch's loss so far (its batches' weighted sum)
    epoch_test_loss: float  # the test loss measured when the current epoch began
    diverged_message: str

    @classmethod
    def start(cls) -> Progress:
        """The counters of a run that has not made a step."""
        return cls(0, 0, 0, float("nan"), 0.0, float("nan"), "")


@dataclass(frozen=True)
class _Checkpoint:
    """Everything a step changes, so Back can put it back exactly."""

    state: TrainingState
    progress: Progress
    epoch_order: np.ndarray | None


class CancelToken:
    """One job's stop request: a run stops after its current step once its token is cancelled.

    Each run gets its own token, so a request can never outlive the run it was meant for.
    Safe to cancel from another thread.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once when cancelled; True if it was."""
        return self._event.wait(max(0.0, seconds))


class RunEnd(StrEnum):
    """A snapshot's status: TRAINING while a run goes on, then why it ended (or CHANGED: a change's picture)."""

    TRAINING = "training"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    TARGET_REACHED = "target"
    CHANGED = "changed"


class RunStatus(StrEnum):
    """Where the run stands between and during jobs, as the window shows it."""

    IDLE = "idle"  # no step made yet
    TRAINING = "training"
    PAUSED = "paused"
    DIVERGED = "diverged"
    BUSY = "working"  # a change or a read is being made


# Why a run ended (or that it has not); equal to the strings they stand for.
TRAINING, FINISHED, STOPPED, DIVERGED, TARGET_REACHED = (
    RunEnd.TRAINING,
    RunEnd.FINISHED,
    RunEnd.STOPPED,
    RunEnd.DIVERGED,
    RunEnd.TARGET_REACHED,
)


@dataclass(frozen=True, eq=False)
class Metrics:
    """Fit quality in the data's original units."""

    mse: float
    rmse: float
    r2: float


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything the window needs to redraw, copied, so the trainer can go on meanwhile."""

    epoch: int  # completed epochs
    step: int  # optimiser steps so far
    new_epochs: np.ndarray  # epochs completed since the previous snapshot...
    new_train_loss: np.ndarray  # ...their training loss (model units, as the tutorial logs it)
    new_test_loss: np.ndarray  # ...and test loss (NaN without a test set)
    last_step_loss: float  # the loss of the most recent step's batch, measured before its update
    prediction: np.ndarray  # the model's output on dataset.x_grid_raw, original units; for classes (G, K) probabilities
    steps_per_second: float
    status: str  # TRAINING while running; then FINISHED, STOPPED, DIVERGED or TARGET_REACHED
    message: str = ""
    log_entries: tuple[tuple[int, float], ...] = ()  # (epoch, loss) every `log_every` epochs
    train_metrics: Metrics | ClassificationMetrics | None = None  # ClassificationMetrics for classes
    test_metrics: Metrics | ClassificationMetrics | None = None
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    backend: str = ""
    full_history: bool = False  # new_* hold the whole history: the window replaces, not appends
    settings_changes: tuple[SettingsChange, ...] = ()  # settings changed live since the previous snapshot
    # The last completed epoch's training loss: what the log and the loss plot show last (NaN before
    # the first epoch). With mini-batches it is not `last_step_loss`, one batch's.
    epoch_loss: float = math.nan
    batches_per_epoch: int = 1  # optimiser steps per epoch (1: full batches, a step is an epoch)
    # With regularisation: the weights' penalty of each of new_epochs, and of each log entry (else empty).
    new_penalty: np.ndarray = field(default_factory=lambda: np.empty(0))
    log_penalties: tuple[float, ...] = ()
    waiting: bool = False  # a paced run is ahead of its pace and waits: training leaves the CPU free

    @property
    def log_lines(self) -> tuple[str, ...]:
        if self.log_penalties:
            return tuple(
                format_log_line(epoch, loss, penalty)
                for (epoch, loss), penalty in zip(self.log_entries, self.log_penalties, strict=True)
            )
        return tuple(format_log_line(epoch, loss) for epoch, loss in self.log_entries)


@dataclass(frozen=True, eq=False)
class RunState:
    """The run as the window knows it after a job: copies, so nothing on the GUI side holds the trainer.

    The training session publishes one after every job; `generation` counts the jobs that changed
    the run (a step, a change, a rewind), so a view can tell whether what it holds is still current.
    """

    experiment: Experiment
    dataset: Dataset
    layers: tuple[DenseLayer, ...]
    points: tuple[np.ndarray, np.ndarray] | None  # imported (x, y), before subsample and split
    backend: str
    epoch: int  # completed epochs
    step: int  # optimiser steps so far
    parameters: dict[str, np.ndarray]
    gradients: dict[str, np.ndarray]  # those the last step used; empty before the first step
    can_undo: bool
    recorded_epochs: tuple[int, ...]  # the moments the timeline can rewind to...
    recorded_parameters: tuple[dict[str, np.ndarray], ...]  # ...and the weights then (shared: never changed)
    diverged_message: str
    status: RunStatus
    generation: int
    message: str = ""

    @property
    def target_epoch(self) -> int:
        return self.experiment.training.epochs

    def recorded_at_or_before(self, epoch: int) -> tuple[int, dict[str, np.ndarray]]:
        """The latest recorded (epoch, weights) not after `epoch` (IndexError when there is none)."""
        index = bisect.bisect_right(self.recorded_epochs, epoch) - 1
        if index < 0:
            raise IndexError(f"no recorded state at or before epoch {epoch}")
        return self.recorded_epochs[index], self.recorded_parameters[index]

    @property
    def parameter_count(self) -> int:
        return parameter_count(list(self.layers))


def format_log_line(epoch: int, loss: float, penalty: float | None = None) -> str:
    """The tutorial's log line; 7 significant digits, as R prints them. The loss is the data loss;
    with regularisation the weights' penalty follows it."""
    line = f"Epoch: {epoch} Loss: {loss:.7g}"
    return line if penalty is None else f"{line} Penalty: {penalty:.7g}"


def measure_fit(
    dataset: Dataset, loss_name: str, predict: Callable[[np.ndarray], np.ndarray]
) -> tuple[Metrics | ClassificationMetrics | None, Metrics | ClassificationMetrics | None]:
    """(train, test) fit quality of the network `predict` (model-unit x → model-unit output), in the
    data's original units (accuracy for classes); test is None without a test set (regression)."""
    data, scaler = dataset, dataset.scaler
    if data.is_classification:
        k = data.n_classes
        train = classification_metrics(class_probabilities(predict(data.x_train), loss_name), data.y_train_raw, k)
        test = classification_metrics(class_probabilities(predict(data.x_test), loss_name), data.y_test_raw, k)
        return train, test
    train = fit_metrics(scaler.y_from_model(predict(data.x_train)), data.y_train_raw)
    test = None
    if data.n_test:
        test = fit_metrics(scaler.y_from_model(predict(data.x_test)), data.y_test_raw)
    return train, test


def fit_metrics(prediction: np.ndarray, y: np.ndarray) -> Metrics | None:
    if len(y) == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        residual = float(np.sum((y - prediction) ** 2))
        spread = float(np.sum((y - y.mean(axis=0)) ** 2))
        mse = residual / y.size
        r2 = 1.0 - residual / spread if spread > 0 else float("nan")
    return Metrics(mse, math.sqrt(mse) if mse >= 0 else float("nan"), r2)


class Trainer:
    """One run of one experiment: its data, its backend, and what it has learned so far."""

    def __init__(
        self,
        experiment: Experiment,
        points: tuple[np.ndarray, np.ndarray] | None = None,
        dataset: Dataset | None = None,
    ) -> None:
        self.experiment = experiment
        self.points = points  # imported (x, y) before subsample and split, kept so that they travel with the run
        self.dataset = dataset if dataset is not None else prepare(experiment.data, points)
        check_task(experiment, self.dataset)  # e.g. bce on numbers, or mse on classes: say so now
        self.layers = dense_layers(experiment.model, self.dataset.n_model_inputs, self.dataset.n_outputs)
        check_memory(self.layers, max(self.dataset.n_train, self.dataset.n_test))  # refuse, don't crash
        self.backend: Backend = self._create_backend(experiment.training.backend, self._initial_state())
        self._begin_run()

    # --- set-up ---------------------------------------------------------------------------------

    @property
    def training(self):
        return self.experiment.training

    @property
    def parameter_count(self) -> int:
        return parameter_count(self.layers)

    def _initial_state(self) -> TrainingState:
        return TrainingState(initial_parameters(self.experiment.model, self.layers, self.training.seed))

    def _create_backend(self, name: str, state: TrainingState) -> Backend:
        training = replace(self.training, backend=name)
        backend = create_backend(name, self.layers, training, state)
        backend.set_training_data(self.dataset.x_train, self.dataset.y_train)
        return backend

    def _begin_run(self) -> None:
        """Forget the history and start counting from the backend's current weights."""
        self.loss_history = LossHistory()
        self.state_history = StateHistory()
        self.state_history.record(0, self.backend.state())
        self._checkpoints: deque[_Checkpoint] = deque(maxlen=UNDO_DEPTH)
        self.reported = 0  # loss records already sent in a snapshot (see `report()`)
        self._first_epoch_index = 0  # the epoch the divergence rule compares with (the first in this loss's units)
        self._set_progress(Progress.start())

    def _set_progress(self, progress: Progress, epoch_order: np.ndarray | None = None) -> None:
        """Set every counter at once (the one place they change other than by a step), and forget later epochs."""
        self.epoch, self.step_count, self.batch_in_epoch = progress.epoch, progress.step_count, progress.batch_in_epoch
        self.last_step_loss = progress.last_step_loss
        self._epoch_loss, self._epoch_test_loss = progress.epoch_loss, progress.epoch_test_loss
        self._epoch_order = epoch_order
        self.diverged_message = progress.diverged_message
        self._epoch_penalty = float("nan")  # measured again at the next step
        self.loss_history.truncate(self.epoch)
        self.state_history.truncate(self.epoch)
        self.reported = min(self.reported, len(self.loss_history))
        self._first_epoch_index = min(self._first_epoch_index, self.epoch)

    # --- controls -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the very same initial weights, so that reruns compare fairly."""
        self.backend.load_state(self._initial_state())
        self._begin_run()

    def new_weights(self, seed: int) -> None:
        """Draw new initial weights from `seed` and start again."""
        self.experiment = self.experiment.with_training(seed=seed)
        self.backend = self._create_backend(self.training.backend, self._initial_state())
        self._begin_run()

    def switch_backend(self, name: str) -> None:
        """Continue on another backend with the same weights and optimiser state."""
        state = self.backend.state()
        self.backend = self._create_backend(name, state)
        self.experiment = self.experiment.with_training(backend=name)

    def update_training(self, **changes) -> None:
        """Change training settings mid-run (learning rate, optimiser, ...), keeping the weights.

        A new optimiser starts with empty memory; a new seed means new initial weights.
        """
        old = self.training
        check_task(self.experiment.with_training(**changes), self.dataset)  # before anything changes
        self.experiment = self.experiment.with_training(**changes)
        if self.training.seed != old.seed:
            self.new_weights(self.training.seed)
            return
        if self.training.loss != old.loss:  # sse and mse differ by a factor n: compare like with like
            self._first_epoch_index = self.epoch
        state = self.backend.state()
        if self.training.optimizer != old.optimizer:
            state = TrainingState(state.parameters)
        self.backend = self._create_backend(self.training.backend, state)
        if self.training.batch_size != old.batch_size and self.batch_in_epoch:
            self._restart_epoch()  # its mini-batches so far were cut for another size

    def change_settings(self, **changes) -> SettingsChange | None:
        """Change training settings between two steps of a run (see core/engine/live_changes.py).

        Like `update_training`, but only what differs counts, and the change is described: None
        when nothing differs. A new seed is not a live change (it means new weights): refused.
        """
        changes = {name: value for name, value in changes.items() if getattr(self.training, name) != value}
        if not changes:
            return None
        if "seed" in changes:
            raise NNStudioError("a new seed means new initial weights: it cannot change while training")
        before, mid_epoch = self.training, self.batch_in_epoch > 0
        self.update_training(**changes)
        restarted = mid_epoch and self.batch_in_epoch == 0
        notes = consequences(before, self.training, started=self.step_count > 0, epoch_restarted=restarted)
        return SettingsChange(self.epoch, self.step_count, before, self.training, notes)

    def _restart_epoch(self) -> None:
        """Begin the current epoch again from its first mini-batch (the weights stay as they are)."""
        self.batch_in_epoch = 0
        self._epoch_loss = 0.0
        self._epoch_order = None

    def rewind(self, epoch: int) -> int:
        """Go back to the latest recorded moment at or before `epoch`; returns that epoch.

        Training on from there branches a new run: the later history is forgotten.
        """
        recorded_epoch, state = self.state_history.at_or_before(max(0, epoch))
        self.backend.load_state(state)
        last_loss = float(self.loss_history.train[recorded_epoch - 1]) if recorded_epoch else float("nan")
        steps = recorded_epoch * self.batches_per_epoch()
        self._set_progress(Progress(recorded_epoch, steps, 0, last_loss, 0.0, float("nan"), ""))
        self._checkpoints.clear()
        return recorded_epoch

    def progress(self) -> Progress:
        """Where the run stands between two steps (with `backend.state()` and the histories: a saved run)."""
        return Progress(
            self.epoch,
            self.step_count,
            self.batch_in_epoch,
            self.last_step_loss,
            self._epoch_loss,
            self._epoch_test_loss,
            self.diverged_message,
        )

    def restore(
        self, state: TrainingState, progress: Progress, loss_history: LossHistory, state_history: StateHistory
    ) -> None:
        """Continue a saved run exactly: weights, optimiser memory, counters and histories (see storage/archive.py).

        The epoch's mini-batch order is drawn again from (seed, epoch), so a run saved mid-epoch
        goes on with the very batches it would have had.
        """
        self.backend.load_state(state)
        self.loss_history, self.state_history = loss_history, state_history
        self.reported = 0  # the next snapshot sends the whole history, and its log lines
        self._checkpoints.clear()
        self._first_epoch_index = 0
        self._set_progress(progress)

    def push_checkpoint(self) -> None:
        """Remember this moment exactly, so that `undo()` can come back to it (before manual steps)."""
        order = None if self._epoch_order is None else self._epoch_order.copy()
        self._checkpoints.append(_Checkpoint(self.backend.state(), self.progress(), order))

    @property
    def can_undo(self) -> bool:
        return bool(self._checkpoints)

    def undo(self) -> bool:
        """Go back to the last checkpoint (Back); False when there is none."""
        if not self._checkpoints:
            return False
        point = self._checkpoints.pop()
        self.backend.load_state(point.state)
        self._set_progress(point.progress, point.epoch_order)
        return True

    # --- one step -------------------------------------------------------------------------------

    def _batch_rows(self) -> np.ndarray | None:
        """The rows of this step's mini-batch; None for full-batch training."""
        n, size = self.dataset.n_train, self.training.batch_size
        if size is None or size >= n:
            return None
        if self._epoch_order is None:  # a fresh shuffle per epoch, reproducible from (seed, epoch)
            self._epoch_order = np.random.default_rng([self.training.seed, self.epoch]).permutation(n)
        start = self.batch_in_epoch * size
        return self._epoch_order[start : start + size]

    def next_batch_rows(self) -> np.ndarray | None:
        """A copy of the rows the next step() will train on; None: the whole training set.

        For the step inspector. Asking changes nothing: the epoch's shuffle is drawn from
        (seed, epoch), so step() draws the very same one whether or not it was asked first.
        """
        rows = self._batch_rows()
        return None if rows is None else rows.copy()

    def batches_per_epoch(self) -> int:
        n, size = self.dataset.n_train, self.training.batch_size
        return 1 if size is None or size >= n else math.ceil(n / size)

    def step(self) -> float:
        """Exactly one optimiser step (one mini-batch). Returns that batch's loss before the update."""
        if self.diverged_message:
            raise NNStudioError("training has diverged: Reset, or choose a smaller learning rate")
        if self.batch_in_epoch == 0 and self.dataset.n_test:
            self._epoch_test_loss = self.backend.loss(self.dataset.x_test, self.dataset.y_test)
        if self.training.penalised and (self.batch_in_epoch == 0 or math.isnan(self._epoch_penalty)):
            self._epoch_penalty = self.backend.penalty()  # like the test loss: at the weights the epoch begins with
        rows = self._batch_rows()
        loss = self.backend.step(rows)
        self.step_count += 1
        self.last_step_loss = loss
        weight = len(rows) / self.dataset.n_train if rows is not None and self._averaged else 1.0
        self._epoch_loss += loss * weight if rows is not None else loss
        self.batch_in_epoch += 1
        if not math.isfinite(loss):
            self._diverge(self.epoch + 1, loss)
        elif self.batch_in_epoch == self.batches_per_epoch():
            self._finish_epoch()
            self._diverge(self.epoch, self._epoch_loss_of(self.epoch))
        return loss

    @property
    def _averaged(self) -> bool:
        return LOSSES[self.training.loss].averaged

    def _finish_epoch(self) -> None:
        self.epoch += 1
        penalty = self._epoch_penalty if self.training.penalised else float("nan")
        self.loss_history.append(self.epoch, self._epoch_loss, self._epoch_test_loss, penalty)
        self._epoch_penalty = float("nan")
        if self.state_history.wants(self.epoch):
            self.state_history.record(self.epoch, self.backend.state())
        self._epoch_loss = 0.0
        self.batch_in_epoch = 0
        self._epoch_order = None

    def _epoch_loss_of(self, epoch: int) -> float:
        return float(self.loss_history.train[epoch - 1])

    def _diverge(self, epoch: int, loss: float) -> None:
        """Stop the run if `loss` (of `epoch`, or of one of its steps) breaks the rule in core/engine/divergence.py."""
        first = self._first_epoch_index
        what = divergence(loss, self._epoch_loss_of(first + 1) if first < len(self.loss_history) else math.nan)
        if what:
            self.diverged_message = (
                f"Diverged at epoch {epoch}: the loss {what}. "
                f"The learning rate {self.training.learning_rate:g} is too large: try a smaller one."
            )

    # --- what the window shows ------------------------------------------------------------------

    def prediction_on_grid(self) -> np.ndarray:
        """The prediction on the dataset's grid: (G, outputs) in original units; for classes (G, K) probabilities."""
        return prediction_from_outputs(self.dataset, self.training.loss, self.backend.predict(self.dataset.x_grid))

    def class_probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(class k | x) for each row of x (model units): (n, K), rows summing to 1 (classification)."""
        return class_probabilities(self.backend.predict(x), self.training.loss)

    def metrics(self) -> tuple[Metrics | ClassificationMetrics | None, Metrics | ClassificationMetrics | None]:
        """(train, test) fit quality in original units (accuracy for classes); test is None without a test set."""
        return measure_fit(self.dataset, self.training.loss, self.backend.predict)

    def snapshot(
        self,
        status: str = TRAINING,
        message: str = "",
        steps_per_second: float = 0.0,
        with_metrics: bool = True,
        with_parameters: bool = False,
        full_history: bool = False,
        waiting: bool = False,
    ) -> Snapshot:
        """Copies of what is new since the last report (or all of it), and the current prediction curve.

        Changes nothing: `report()` is the snapshot that also marks its loss points as sent.
        """
        start = 0 if full_history else self.reported
        epochs, train, test = self.loss_history.since(start)
        every = self.training.log_every
        logged = epochs % every == 0
        entries = tuple((int(e), float(loss)) for e, loss in zip(epochs[logged], train[logged], strict=True))
        penalty = self.loss_history.penalty[start:].copy() if self.training.penalised else np.empty(0)
        log_penalties = tuple(float(p) for p in penalty[logged]) if self.training.penalised else ()
        train_metrics, test_metrics = self.metrics() if with_metrics else (None, None)
        return Snapshot(
            epoch=self.epoch,
            step=self.step_count,
            new_epochs=epochs,
            new_train_loss=train,
            new_test_loss=test,
            last_step_loss=self.last_step_loss,
            prediction=self.prediction_on_grid(),
            steps_per_second=steps_per_second,
            status=status,
            message=message,
            log_entries=entries,
            train_metrics=train_metrics,
            test_metrics=test_metrics,
            parameters=self.backend.parameters() if with_parameters else {},
            backend=self.backend.name,
            full_history=full_history,
            epoch_loss=float(self.loss_history.train[-1]) if len(self.loss_history) else math.nan,
            batches_per_epoch=self.batches_per_epoch(),
            new_penalty=penalty,
            log_penalties=log_penalties,
            waiting=waiting,
        )

    def report(self, status: str = TRAINING, message: str = "", **options) -> Snapshot:
        """A `snapshot()` whose loss points and log lines will not be sent again."""
        snapshot = self.snapshot(status, message, **options)
        self.reported = len(self.loss_history)
        return snapshot

    def run_state(self, status: RunStatus, generation: int, message: str = "") -> RunState:
        """A frozen copy of where the run stands, for the window (between jobs)."""
        return RunState(
            experiment=self.experiment,
            dataset=self.dataset,
            layers=tuple(self.layers),
            points=self.points,
            backend=self.backend.name,
            epoch=self.epoch,
            step=self.step_count,
            parameters=self.backend.parameters(),
            gradients=self.backend.last_gradients(),
            can_undo=self.can_undo,
            recorded_epochs=tuple(self.state_history.epochs),
            recorded_parameters=self.state_history.recorded_parameters(),
            diverged_message=self.diverged_message,
            status=status,
            generation=generation,
            message=message,
        )

    # --- the loop -------------------------------------------------------------------------------

    def run(
        self,
        until_epoch: int | None = None,
        max_steps: int | None = None,
        stop_below: float | None = None,
        epochs_per_second: float | Callable[[], float | None] | None = None,
        snapshot_interval: float = 1 / 30,
        paced_interval: float = 1 / 60,
        with_parameters: bool = False,
        cancel: CancelToken | None = None,
        live: LiveChanges | None = None,
    ) -> Generator[Snapshot, None, Snapshot]:
        """Train until a goal is met, yielding a snapshot at most every `snapshot_interval` s.

        Goals: reach `until_epoch`, make `max_steps` steps, or bring the epoch loss below
        `stop_below`; cancelling `cancel` ends it early. `epochs_per_second` (a number, or a function
        asked before every step, so that the window's speed control acts at once; None: full speed)
        paces it for a class to watch: its steps are spread evenly, and before each wait the run
        yields what is new (at most every `paced_interval` s: a display frame), so every epoch
        reaches the window. Waiting wakes at once on `cancel`.
        Settings posted to `live` take effect before the next step; the next snapshot lists them.
        The last snapshot yielded says why it ended, and is also the return value.
        """
        cancel = cancel or CancelToken()
        pace = epochs_per_second if callable(epochs_per_second) else lambda: epochs_per_second
        start_steps, started = self.step_count, time.perf_counter()
        last_yield, last_steps = started, self.step_count
        next_step_at = next_news_at = started  # paced: the next step, and the next frame of news (on a grid)
        last_step_at: float | None = None  # when the last paced step was due
        interval = snapshot_interval
        status, message = TRAINING, ""
        changed: list[SettingsChange] = []  # since the last snapshot
        while True:
            if live is not None and live.pending:
                change = self.change_settings(**live.take())
                if change is not None:
                    changed.append(change)
            if self.diverged_message:
                status, message = DIVERGED, self.diverged_message
            elif cancel.cancelled:
                status, message = STOPPED, f"Paused at epoch {self.epoch}."
            elif until_epoch is not None and self.epoch >= until_epoch:
                status, message = FINISHED, f"Reached epoch {self.epoch}."
            elif max_steps is not None and self.step_count - start_steps >= max_steps:
                status, message = FINISHED, f"Made {self.step_count - start_steps} step(s)."
            elif stop_below is not None and len(self.loss_history) and self.loss_history.train[-1] < stop_below:
                status = TARGET_REACHED
                message = f"The loss fell below {stop_below:g} at epoch {self.epoch}."
            if status != TRAINING:
                break
            paced = pace()
            if paced:
                now = time.perf_counter()
                step_interval = 1.0 / (paced * self.batches_per_epoch())
                if last_step_at is not None:  # one step after the last (at the pace of now: it may have changed)
                    next_step_at = last_step_at + step_interval
                if now < next_step_at:  # ahead of the pace: show what is new, then wait for the next step
                    if self.step_count != last_steps:
                        rate = _rate(self.step_count - last_steps, now - last_yield)
                        last_yield, last_steps = now, self.step_count
                        next_news_at = max(next_news_at + paced_interval, now)
                        news = self.report(
                            TRAINING, steps_per_second=rate, with_parameters=with_parameters, waiting=True
                        )
                        if changed:
                            news, changed = replace(news, settings_changes=tuple(changed)), []
                        yield news
                    # Not before the next frame (a fast pace makes several steps a frame); in short
                    # slices, so that a new pace applies at once too.
                    cancel.wait(min(max(next_step_at, next_news_at) - time.perf_counter(), PACE_CHECK_SECONDS))
                    continue
                # A late step (a slow one, a busy machine) may catch up by a frame's worth of steps, no more.
                last_step_at = max(next_step_at, now - paced_interval)
            self.step()
            now = time.perf_counter()
            # Paced, the news goes out before each wait (a frame's worth of steps); this is for a pace
            # the machine cannot keep, where the run never waits, and for full speed.
            overdue = max(interval, 2 * paced_interval) if paced else interval
            if now - last_yield >= overdue and not (paced and now < last_step_at + step_interval):
                rate = _rate(self.step_count - last_steps, now - last_yield)
                snapshot = self.report(TRAINING, steps_per_second=rate, with_parameters=with_parameters)
                if changed:
                    snapshot, changed = replace(snapshot, settings_changes=tuple(changed)), []
                # Keep drawing-side work to ~1/8 of the time, however big the data is (the interval runs
                # from one snapshot's start to the next, so that the news comes as often as it may).
                interval = max(snapshot_interval, 8 * (time.perf_counter() - now))
                last_yield, last_steps = now, self.step_count
                yield snapshot
        rate = _rate(self.step_count - start_steps, time.perf_counter() - started)
        final = self.report(status, message, steps_per_second=rate, with_parameters=with_parameters)
        if changed:
            final = replace(final, settings_changes=tuple(changed))
        yield final
        return final


def _rate(steps: int, seconds: float) -> float:
    """Steps per second (0 when no time has passed on the clock: a coarse one, or a test's)."""
    return steps / seconds if seconds > 0 else 0.0
