"""What a run publishes: frozen values the window, the command line and tests read while the trainer goes on.

A `Snapshot` is what is new during a run; a `RunState` is the run between jobs; `RunEnd` and
`RunStatus` name where it stands; a `CancelToken` is one job's stop request. Nothing here knows
about Qt, nor holds the trainer.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.classification import ClassificationMetrics
from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.fit_quality import Metrics
from nnstudio.core.engine.live_changes import SettingsChange
from nnstudio.core.engine.model import DenseLayer, parameter_count


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


class NewsReceipt:
    """Whether the window has taken a run's last news (a snapshot): a full-speed run makes no more until
    it has. A window busy for a moment (a first paint, a dialog) then gets one snapshot with everything
    new when it is free, not a queue of them that it would only read to throw away.

    Written by the training thread (`sent`) and the GUI thread (`taken`): one bool, set whole.
    """

    def __init__(self) -> None:
        self.taken = True

    def sent(self) -> None:
        self.taken = False

    def take(self) -> None:
        self.taken = True


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
    def at_full_speed(self) -> bool:
        """Training as fast as it can (not a paced run waiting for its next step): time spent drawing
        this snapshot is time taken from training."""
        return self.status == TRAINING and not self.waiting

    @cached_property  # formatted once: the log and its bookkeeping both read them
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
