"""What a trainer tells the window: a frozen `Snapshot` during a run, a `RunState` between jobs.

Copies, so the trainer can go on meanwhile and nothing on the GUI side holds it. The trainer's
`snapshot()`, `report()` and `run_state()` are these functions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.run_state import TRAINING, RunState, RunStatus, Snapshot

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer


def take_snapshot(
    trainer: Trainer,
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
    start = 0 if full_history else trainer.reported
    epochs, train, test = trainer.loss_history.since(start)
    every = trainer.training.log_every
    logged = epochs % every == 0
    entries = tuple((int(e), float(loss)) for e, loss in zip(epochs[logged], train[logged], strict=True))
    penalty = trainer.loss_history.penalty[start:].copy() if trainer.training.penalised else np.empty(0)
    log_penalties = tuple(float(p) for p in penalty[logged]) if trainer.training.penalised else ()
    train_metrics, test_metrics = trainer.metrics() if with_metrics else (None, None)
    return Snapshot(
        epoch=trainer.epoch,
        step=trainer.step_count,
        new_epochs=epochs,
        new_train_loss=train,
        new_test_loss=test,
        last_step_loss=trainer.last_step_loss,
        prediction=trainer.prediction_on_grid(),
        steps_per_second=steps_per_second,
        status=status,
        message=message,
        log_entries=entries,
        train_metrics=train_metrics,
        test_metrics=test_metrics,
        parameters=trainer.backend.parameters() if with_parameters else {},
        backend=trainer.backend.name,
        full_history=full_history,
        epoch_loss=float(trainer.loss_history.train[-1]) if len(trainer.loss_history) else math.nan,
        batches_per_epoch=trainer.batches_per_epoch(),
        new_penalty=penalty,
        log_penalties=log_penalties,
        waiting=waiting,
    )


def report(trainer: Trainer, status: str = TRAINING, message: str = "", **options) -> Snapshot:
    """A `snapshot()` whose loss points and log lines will not be sent again."""
    snapshot = take_snapshot(trainer, status, message, **options)
    trainer.reported = len(trainer.loss_history)
    return snapshot


def run_state_of(trainer: Trainer, status: RunStatus, generation: int, message: str = "") -> RunState:
    """A frozen copy of where the run stands, for the window (between jobs)."""
    return RunState(
        experiment=trainer.experiment,
        dataset=trainer.dataset,
        layers=tuple(trainer.layers),
        points=trainer.points,
        backend=trainer.backend.name,
        epoch=trainer.epoch,
        step=trainer.step_count,
        parameters=trainer.backend.parameters(),
        gradients=trainer.backend.last_gradients(),
        can_undo=trainer.can_undo,
        recorded_epochs=tuple(trainer.state_history.epochs),
        recorded_parameters=trainer.state_history.recorded_parameters(),
        diverged_message=trainer.diverged_message,
        status=status,
        generation=generation,
        message=message,
    )


# --- the loop -------------------------------------------------------------------------------
