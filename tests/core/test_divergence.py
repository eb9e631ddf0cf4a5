"""The divergence rule: a loss past 10⁴ × the first epoch's (floor 1) or not finite stops the run; nothing else does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core.engine.divergence import DIVERGENCE_FACTOR, DIVERGENCE_FLOOR, divergence, divergence_bound
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import DIVERGED, FINISHED
from tests.core.helpers import train_epochs, trainer_on

BACKENDS = ("numpy", "torch")


def test_the_rule_in_numbers():
    assert divergence_bound(114.6) == pytest.approx(1.146e6) and divergence_bound(0.01) == DIVERGENCE_FACTOR
    assert divergence(1.146e6 * 0.999, 114.6) == ""
    assert divergence(1.2e6, 114.6) == "became 1.2e+06, more than 10,000 × the first epoch's loss (114.6)"
    assert divergence(9_999.0, 0.05) == ""  # a first loss below the floor counts as 1
    assert divergence(10_001.0, 0.05).endswith("the first epoch's loss (0.05, counted as 1)")
    assert divergence(math.nan, 114.6) == "became NaN (not a number)"
    assert divergence(math.inf, 114.6) == divergence(-math.inf, 1.0) == "became infinite"
    assert divergence(1e300, math.nan) == ""  # nothing to compare with: only a non-finite loss counts
    assert DIVERGENCE_FLOOR == 1.0


def run_to_target(experiment, backend="numpy"):
    trainer = trainer_on(experiment, backend)
    final = list(trainer.run(until_epoch=experiment.training.epochs, snapshot_interval=1e9))[-1]
    return trainer, final


@pytest.mark.parametrize("name", PRESETS)
def test_no_preset_comes_near_the_bound_at_its_own_settings(name):
    trainer, final = run_to_target(PRESETS[name])
    losses = trainer.loss_history.train
    assert final.status == FINISHED and len(losses) == PRESETS[name].training.epochs
    # far from the bound, not just under it: the worst (Adam on sine) rises to 2.2 × its first loss
    assert np.max(losses) < divergence_bound(losses[0]) / 1000


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_tutorial_line_with_lr_0_03_stops_within_ten_epochs(backend):
    trainer, final = run_to_target(PRESETS["linear"].with_training(learning_rate=0.03), backend)
    losses = trainer.loss_history.train
    assert final.status == DIVERGED and trainer.epoch == len(losses) == 8  # not epoch 200 at loss 5.2e120
    assert losses[-1] > divergence_bound(losses[0]) > losses[-2]
    assert final.message == (
        f"Diverged at epoch 8: the loss became {losses[-1]:.3g}, more than 10,000 × the first epoch's loss "
        f"({losses[0]:.4g}). The learning rate 0.03 is too large: try a smaller one."
    )


def test_a_step_whose_loss_is_not_finite_stops_the_run_in_its_epoch():
    trainer = trainer_on(PRESETS["sine-tanh-deep"], "numpy")  # mini-batches: 5 steps per epoch
    train_epochs(trainer, 2)
    original = trainer.backend.step
    trainer.backend.step = lambda rows=None: (original(rows), math.nan)[1]
    final = list(trainer.run(until_epoch=10, snapshot_interval=1e9))[-1]
    assert final.status == DIVERGED and trainer.epoch == 2 and trainer.batch_in_epoch == 1
    assert final.message.startswith("Diverged at epoch 3: the loss became NaN (not a number). ")


def test_changing_the_loss_mid_run_compares_with_the_first_epoch_in_the_new_units():
    # 30,000 points: their sum of squares is 30,000 × their mean square, far past 10⁴ × the first mse
    experiment = PRESETS["linear"].with_data(n_points=30_000, subsample=None)
    trainer = trainer_on(experiment.with_training(loss="mse", learning_rate=0.001), "numpy")
    train_epochs(trainer, 2)
    trainer.update_training(loss="sse", learning_rate=1e-7)
    losses = train_epochs(trainer, 5)
    assert not trainer.diverged_message and losses[-1] > divergence_bound(losses[0])
    trainer.rewind(1)  # back before the change: the next epoch, in sse, is the one to compare with
    train_epochs(trainer, 4)
    assert not trainer.diverged_message
    trainer.update_training(learning_rate=1.0)  # now a real explosion, in sse units
    final = list(trainer.run(until_epoch=50, snapshot_interval=1e9))[-1]
    assert final.status == DIVERGED and "first epoch's loss" in final.message
