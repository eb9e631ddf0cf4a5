"""Overfitting pointed out: the rule on made-up loss curves, on the preset made to show it, and in the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.teaching.overfitting import PATIENCE, OverfittingWatch, find_overfitting

EPOCHS = np.arange(1, 401)


def curves(turn: int = 100, rise: float = 0.004, noise: float = 0.0, seed: int = 0):
    """A training loss that keeps falling, and a test loss that falls until `turn`, then climbs by `rise` per epoch."""
    train = 5.0 * np.exp(-EPOCHS / 60) + 0.01
    test = np.where(EPOCHS <= turn, 5.0 * np.exp(-EPOCHS / 60) + 1.0, 5.0 * np.exp(-turn / 60) + 1.0)
    test = test + rise * np.maximum(EPOCHS - turn, 0)
    test = test * (1 + noise * np.random.default_rng(seed).standard_normal(len(EPOCHS)))
    return train, test


def test_a_test_loss_that_turns_up_while_the_training_loss_falls_is_overfitting():
    train, test = curves(turn=100)
    found = find_overfitting(EPOCHS, train, test)
    assert found is not None and found.best_epoch == 100
    assert found.epoch >= 100 + PATIENCE and found.test_loss >= 1.1 * found.best_test_loss
    assert found.train_loss < 0.95 * found.train_loss_then
    assert found.message == (
        "Epoch 155: the test loss has risen for 55 epochs (1.94 → 2.15) while the training loss fell "
        "(0.954 → 0.388) — the network is overfitting."
    )
    assert "lowest at epoch 100" in found.advice
    assert (
        found.headline
        == "Overfitting: the test loss has risen since epoch 100 (1.94 → 2.15) while the training loss fell."
    )


@pytest.mark.parametrize(
    ("why", "train", "test"),
    [
        ("both still falling", *curves(turn=1000)),
        ("the test loss flat after its fall", *curves(turn=100, rise=0.0)),
        ("a rise too small to matter", *curves(turn=100, rise=0.0002)),
        ("no test set", curves()[0], np.full(len(EPOCHS), np.nan)),
        ("the training loss rising too (divergence)", np.linspace(1, 50, len(EPOCHS)), np.linspace(1, 60, len(EPOCHS))),
        ("a test loss that never fell", curves()[0], np.linspace(2.0, 3.0, len(EPOCHS))),
    ],
)
def test_no_false_alarm(why, train, test):
    assert find_overfitting(EPOCHS, train, test) is None, why


def test_noise_is_not_a_trend_but_a_noisy_turn_is_still_found():
    for seed in range(5):
        assert find_overfitting(EPOCHS, *curves(turn=1000, noise=0.03, seed=seed)) is None
        found = find_overfitting(EPOCHS, *curves(turn=100, noise=0.03, seed=seed))
        assert found is not None and 60 <= found.best_epoch <= 140


def test_the_watch_tells_once_fed_in_pieces_and_not_again_after_a_replay():
    train, test = curves(turn=100)
    whole = find_overfitting(EPOCHS, train, test)
    watch, told = OverfittingWatch(), []
    for start in range(0, len(EPOCHS), 7):  # as snapshots bring them
        piece = slice(start, start + 7)
        found = watch.update(EPOCHS[piece], train[piece], test[piece])
        told += [found] if found is not None else []
    assert told == [whole]
    replayed = OverfittingWatch(already_told=watch.told_epoch)  # the window redrew the whole history
    assert replayed.update(EPOCHS, train, test) is None and replayed.told_epoch == whole.epoch
    rewound = OverfittingWatch(already_told=watch.told_epoch)  # went back before it: news again later
    assert rewound.update(EPOCHS[:120], train[:120], test[:120]) is None
    assert rewound.update(EPOCHS[120:], train[120:], test[120:]) == whole


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_the_overfitting_preset_overfits_visibly_on_both_backends(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    experiment = PRESETS["sine-overfit"].with_training(backend=backend)
    trainer = Trainer(experiment)
    assert trainer.dataset.n_test == trainer.dataset.n_train == 20  # few points, and a test column
    for _ in trainer.run(until_epoch=experiment.training.epochs, snapshot_interval=np.inf):
        pass
    history = trainer.loss_history
    found = find_overfitting(history.epochs, history.train, history.test)
    assert found is not None and 40 <= found.best_epoch <= 70 and found.epoch <= 200
    assert history.train[-1] < 0.1 and history.test[-1] > 3 * found.best_test_loss  # memorised, and worse for it
    train, test = trainer.metrics()
    assert train.r2 > 0.99 and test.mse > 30 * train.mse


def test_train_json_reports_overfitting_and_null_without_it(capsys):
    assert main(["train", "--preset", "sine-overfit", "--epochs", "300", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["overfitting"]["best_epoch"] == 54 and summary["overfitting"]["epoch"] == 138
    assert main(["train", "--preset", "sine-tanh-deep", "--epochs", "20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["overfitting"] is None
    assert main(["train", "--preset", "sine", "--epochs", "5", "--json"]) == 0  # no test set: no key
    assert "overfitting" not in json.loads(capsys.readouterr().out.splitlines()[-1])
    assert main(["train", "--preset", "sine-overfit", "--epochs", "300"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Epoch 138: the test loss has risen for 84 epochs")
