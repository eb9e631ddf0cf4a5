"""Lesson 3 (overfitting) done as a class does it: each page's Set up, Play, and what its text promises.

Registered in test_lessons_in_class.py's CLASS_DOES; a function returns the runs its [expect] describes.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.experiment import LayerSpec
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.teaching.overfitting import find_overfitting

OVERFITTING = "03-overfitting"


def _play(page) -> Trainer:
    """Set up, then Play (Space): trains to the target epoch."""
    trainer = Trainer(page.setup.experiment())
    for _ in trainer.run(until_epoch=trainer.training.epochs, snapshot_interval=1e9):
        pass
    return trainer


def _distance_from_the_sine(trainer: Trainer, parameters=None) -> float:
    """Root-mean-square distance of the fit from the true 4·sin(x) over the plot's grid."""
    if parameters is not None:
        trainer.backend.load_state(parameters)
    x = trainer.dataset.x_grid_raw[:, 0]
    return float(np.sqrt(np.mean((trainer.prediction_on_grid()[:, 0] - 4 * np.sin(x)) ** 2)))


def overfitting_1(page):
    trainer = _play(page)
    assert trainer.dataset.n_train == trainer.dataset.n_test == 20 and trainer.parameter_count == 4353
    history = trainer.loss_history
    assert history.train[-1] < 0.1 and history.test[-1] > 3  # "below 0.1" … "above 3"
    assert 45 <= int(np.argmin(history.test)) + 1 <= 60  # "until about epoch 50, then turns up"
    assert _distance_from_the_sine(trainer) > 1.0  # "wiggles between them"
    return [trainer]


def overfitting_2(page):
    trainer = _play(page)
    history = trainer.loss_history
    found = find_overfitting(history.epochs, history.train, history.test)
    assert found is not None and 130 <= found.epoch <= 150  # "near epoch 140"
    assert found.epoch - found.best_epoch == 84 and found.best_epoch == 54  # "risen for 84 epochs", "epoch 54"
    at_the_end = _distance_from_the_sine(trainer)
    recorded, state = trainer.state_history.at_or_before(54)  # the timeline dragged back to epoch 54
    assert recorded == 54 and _distance_from_the_sine(trainer, state) < 0.5 < at_the_end
    return [trainer]


def overfitting_3(page):
    trainer = _play(page)
    assert trainer.dataset.n_train == trainer.dataset.n_test == 100
    history = trainer.loss_history
    assert history.train[-1] == pytest.approx(0.8, abs=0.05) and history.test[-1] == pytest.approx(1.1, abs=0.05)
    assert find_overfitting(history.epochs, history.train, history.test) is None  # "nothing is said"
    assert _distance_from_the_sine(trainer) < 0.5  # "the green curve is the sine"
    # "a smaller network overfits less too: one hidden layer of 8 units", on the 40 points of page 1
    few_points = page.setup.experiment().with_data(n_points=40)
    smaller = Trainer(few_points.with_model(hidden=(LayerSpec(8, "tanh"),)))
    for _ in smaller.run(until_epoch=1000, snapshot_interval=1e9):
        pass
    small = smaller.loss_history
    assert find_overfitting(small.epochs, small.train, small.test) is None and small.test[-1] < 1.5
    return [trainer]


OVERFITTING_PAGES = {
    (OVERFITTING, 1): overfitting_1,
    (OVERFITTING, 2): overfitting_2,
    (OVERFITTING, 3): overfitting_3,
}
