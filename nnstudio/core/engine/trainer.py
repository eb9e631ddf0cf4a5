"""The training loop, as an object with a generator: step, record, report, stop.

`Trainer.step()` makes exactly one optimiser step. `Trainer.run()` steps until a goal is met
(or its `CancelToken` is cancelled) and yields a frozen `Snapshot` at most every
`snapshot_interval` seconds: the loss points that are new since the last snapshot and the
current prediction curve. The window draws snapshots; the command line prints their log lines;
tests drive `run()` with `next()`. Between jobs the window sees a frozen `RunState`.
The loop is in run_loop.py, what is sent in reporting.py, the values sent in run_state.py.
Nothing here knows about Qt.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from nnstudio.core.datasets.data import Dataset, prepare
from nnstudio.core.engine import reporting, run_loop
from nnstudio.core.engine.backends.base import Backend, TrainingState, create_backend
from nnstudio.core.engine.classification import ClassificationMetrics, check_task, class_probabilities
from nnstudio.core.engine.divergence import SURELY_NOT_DIVERGED, divergence
from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.fit_quality import Metrics, fit_metrics, measure_fit
from nnstudio.core.engine.history import LossHistory, StateHistory
from nnstudio.core.engine.live_changes import SettingsChange, consequences
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import check_memory, dense_layers, initial_parameters, parameter_count
from nnstudio.core.engine.prediction import prediction_from_outputs
from nnstudio.core.engine.run_state import (
    DIVERGED,
    FINISHED,
    STOPPED,
    TARGET_REACHED,
    TRAINING,
    CancelToken,
    RunEnd,
    RunState,
    RunStatus,
    Snapshot,
    format_log_line,
)
from nnstudio.core.errors import NNStudioError

# The run's published values live in run_state.py and fit_quality.py; they are importable from here too.
__all__ = [
    "DIVERGED",
    "FINISHED",
    "STOPPED",
    "TARGET_REACHED",
    "TRAINING",
    "CancelToken",
    "Metrics",
    "Progress",
    "RunEnd",
    "RunState",
    "RunStatus",
    "Snapshot",
    "Trainer",
    "fit_metrics",
    "format_log_line",
    "measure_fit",
]

UNDO_DEPTH = 200  # how many manual steps Back can undo


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
        elif rows is None or self.batch_in_epoch == self.batches_per_epoch():  # full batch: every step ends an epoch
            epoch_loss = self._epoch_loss
            self._finish_epoch()
            if not epoch_loss < SURELY_NOT_DIVERGED:  # the rule needs the first loss only above this (or for NaN)
                self._diverge(self.epoch, epoch_loss)
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

    # What the window is sent (core/engine/reporting.py): `snapshot()` changes nothing; `report()` is
    # the snapshot that also marks its loss points as sent; `run_state()` is the run between jobs.
    snapshot = reporting.take_snapshot
    report = reporting.report
    run_state = reporting.run_state_of

    # The loop (core/engine/run_loop.py): step until a goal is met, yielding snapshots.
    run = run_loop.run
