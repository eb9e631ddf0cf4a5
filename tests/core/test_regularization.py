"""Regularisation as TensorFlow Playground defines it: a penalty on the weights (not the biases) added to the
objective the optimiser minimises — L1 rate·Σ|w|, L2 rate·½·Σw² — the same on both backends, checked three ways,
and for a linear model with L2 the ridge regression closed form."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core.engine.experiment import Experiment, LayerSpec, TrainingSpec
from nnstudio.core.engine.gradcheck import AGREE, check_trainer
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer, format_log_line
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.script_export import ScriptInputs, script_source
from tests.core.helpers import max_relative_difference, step_losses

pytest.importorskip("torch")


def small_sine(regularization: str, rate: float, optimizer: str = "adam", **training) -> Experiment:
    return (
        preset("sine")
        .with_data(n_points=40)
        .with_model(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "relu")))
        .with_training(regularization=regularization, regularization_rate=rate, optimizer=optimizer, **training)
    )


def test_the_penalty_counts_the_weights_and_not_the_biases():
    trainer = Trainer(small_sine("l2", 0.5))
    weights = trainer.backend.parameters()
    squares = sum(float(np.sum(value**2)) for name, value in weights.items() if name.startswith("W"))
    assert trainer.backend.penalty() == pytest.approx(0.5 * 0.5 * squares, rel=1e-12)
    l1 = Trainer(small_sine("l1", 0.25))
    absolute = sum(float(np.sum(np.abs(value))) for name, value in weights.items() if name.startswith("W"))
    assert l1.backend.penalty() == pytest.approx(0.25 * absolute, rel=1e-12)
    assert Trainer(small_sine("none", 0.5)).backend.penalty() == 0.0


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_the_penalty_changes_only_the_weights_gradients(kind):
    plain, penalised = Trainer(small_sine("none", 0.0)), Trainer(small_sine(kind, 0.3))
    data = plain.dataset
    before = plain.backend.gradients(data.x_train, data.y_train)
    after = penalised.backend.gradients(data.x_train, data.y_train)
    weights = plain.backend.parameters()
    for name, value in weights.items():
        expected = before[name]
        if name.startswith("W"):
            expected = expected + 0.3 * (np.sign(value) if kind == "l1" else value)
        np.testing.assert_allclose(after[name], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_numpy_and_torch_train_alike_with_a_penalty(kind, optimizer):
    experiment = small_sine(kind, 0.05, optimizer, learning_rate=0.01, batch_size=16)
    numpy_run, torch_run = Trainer(experiment), Trainer(experiment.with_training(backend="torch"))
    losses = step_losses(numpy_run, 30), step_losses(torch_run, 30)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-8)
    assert max_relative_difference(numpy_run.backend.parameters(), torch_run.backend.parameters()) < 1e-8
    assert numpy_run.backend.penalty() == pytest.approx(torch_run.backend.penalty(), rel=1e-9)
    # and the penalty really changed the run
    unpenalised = Trainer(experiment.with_training(regularization="none"))
    step_losses(unpenalised, 30)
    assert max_relative_difference(numpy_run.backend.parameters(), unpenalised.backend.parameters()) > 1e-4


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_gradcheck_covers_the_penalised_objective(kind):
    trainer = Trainer(small_sine(kind, 2.0))
    result = check_trainer(trainer)
    assert result.verdict == AGREE
    assert result.penalty == pytest.approx(trainer.backend.penalty())
    assert result.max_rel_diff_manual_vs_autograd < 1e-12
    assert result.max_rel_diff_manual_vs_finite_diff < 1e-6
    # a gradient without the penalty would not pass: the rate is large enough to matter
    plain = check_trainer(Trainer(small_sine("none", 0.0)))
    assert not np.allclose(plain.parameters[0].manual, result.parameters[0].manual, rtol=1e-3)


def test_l2_gradient_descent_on_a_linear_model_converges_to_ridge_regression():
    """min Σ(y − xw − b)² + rate·½·w²  (sse, the `linear` preset): 2Xᵀ(Xθ − y) + diag(rate, 0)θ = 0."""
    rate = 20.0
    experiment = preset("linear").with_training(
        regularization="l2", regularization_rate=rate, learning_rate=0.004, epochs=3000
    )
    trainer = Trainer(experiment)
    assert experiment.training.loss == "sse" and len(trainer.layers) == 1
    for _ in trainer.run(until_epoch=3000):
        pass
    data = trainer.dataset
    design = np.column_stack([data.x_train[:, 0], np.ones(data.n_train)])
    y = data.y_train[:, 0]
    ridge = np.linalg.solve(2 * design.T @ design + np.diag([rate, 0.0]), 2 * design.T @ y)
    learned = trainer.backend.parameters()
    assert learned["W1"][0, 0] == pytest.approx(ridge[0], abs=1e-6)
    assert learned["b1"][0] == pytest.approx(ridge[1], abs=1e-6)
    # the penalty really shrank the slope: ordinary least squares is steeper
    least_squares = np.linalg.lstsq(design, y, rcond=None)[0]
    assert abs(ridge[0]) < abs(least_squares[0]) - 0.01


def test_ridge_with_mse_scales_the_penalty_by_the_points():
    """With mse the data term is (1/N)Σ(…)²: (2/N)Xᵀ(Xθ − y) + diag(rate, 0)θ = 0."""
    rate = 0.3
    experiment = preset("linear").with_training(
        loss="mse", regularization="l2", regularization_rate=rate, learning_rate=0.3, epochs=2000
    )
    trainer = Trainer(experiment)
    for _ in trainer.run(until_epoch=2000):
        pass
    data = trainer.dataset
    design = np.column_stack([data.x_train[:, 0], np.ones(data.n_train)])
    n = data.n_train
    ridge = np.linalg.solve(2 / n * design.T @ design + np.diag([rate, 0.0]), 2 / n * design.T @ data.y_train[:, 0])
    learned = trainer.backend.parameters()
    assert [learned["W1"][0, 0], learned["b1"][0]] == pytest.approx(list(ridge), abs=1e-6)


def test_the_history_log_and_snapshot_report_the_penalty_beside_the_data_loss():
    trainer = Trainer(small_sine("l2", 0.1, epochs=20, log_every=5))
    snapshots = list(trainer.run(until_epoch=20))
    history = trainer.loss_history
    assert np.all(np.isfinite(history.penalty)) and np.all(history.penalty > 0)
    entries = [entry for s in snapshots for entry in s.log_entries]
    penalties = [p for s in snapshots for p in s.log_penalties]
    assert [epoch for epoch, _ in entries] == [5, 10, 15, 20]
    assert penalties == pytest.approx(list(history.penalty[[4, 9, 14, 19]]))
    lines = [line for s in snapshots for line in s.log_lines]
    assert lines[-1] == format_log_line(20, entries[-1][1], penalties[-1])
    assert lines[-1].startswith("Epoch: 20 Loss: ") and " Penalty: " in lines[-1]
    # epoch 1's numbers are the data loss and the penalty at the initial weights (one full batch an epoch)
    fresh = Trainer(small_sine("l2", 0.1))
    data = fresh.dataset
    assert history.train[0] == pytest.approx(fresh.backend.loss(data.x_train, data.y_train), rel=1e-12)
    assert history.penalty[0] == pytest.approx(fresh.backend.penalty(), rel=1e-12)


def test_without_regularisation_nothing_new_is_reported():
    trainer = Trainer(small_sine("none", 0.0, epochs=10, log_every=5))
    snapshots = list(trainer.run(until_epoch=10))
    assert all(not s.log_penalties for s in snapshots)
    assert snapshots[-1].log_lines[-1].count("Penalty") == 0
    assert np.all(np.isnan(trainer.loss_history.penalty))


@pytest.mark.parametrize("rate", [-0.1, math.inf, math.nan, "0.1"])
def test_a_bad_rate_is_refused_by_name(rate):
    with pytest.raises(NNStudioError, match="training.regularization_rate"):
        TrainingSpec(regularization="l2", regularization_rate=rate)


def test_an_unknown_regularisation_is_refused_by_name():
    with pytest.raises(NNStudioError, match="training.regularization must be one of none, l1, l2"):
        TrainingSpec(regularization="l3")


def test_experiment_files_keep_the_regularisation_and_older_files_load_with_none():
    experiment = small_sine("l1", 0.02)
    again = Experiment.from_toml(experiment.to_toml())
    assert (again.training.regularization, again.training.regularization_rate) == ("l1", 0.02)
    tree = experiment.to_dict()
    del tree["training"]["regularization"], tree["training"]["regularization_rate"]
    older = Experiment.from_dict(tree)
    assert (older.training.regularization, older.training.regularization_rate) == ("none", 0.0)


@pytest.mark.parametrize(
    ("kind", "name", "flavour"),
    [
        ("l2", "sine-tanh-deep", "numpy"),
        ("l2", "sine-tanh-deep", "torch"),
        ("l1", "circle", "numpy"),
        ("l1", "circle", "torch"),
    ],
)
def test_an_exported_script_reproduces_the_penalised_run(tmp_path, kind, name, flavour):
    experiment = preset(name).with_training(backend=flavour, regularization=kind, regularization_rate=0.01, log_every=5)
    trainer = Trainer(experiment)
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), flavour, 20)
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path), "--precise"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for _ in trainer.run(until_epoch=20):
        pass
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("Epoch: ")]
    assert [int(words[1]) for words in lines] == [5, 10, 15, 20]
    history = trainer.loss_history
    for words in lines:
        epoch = int(words[1])
        assert words[4] == "Penalty:"
        assert float(words[3]) == pytest.approx(history.train[epoch - 1], rel=1e-8)
        assert float(words[5]) == pytest.approx(history.penalty[epoch - 1], rel=1e-8)


def test_the_step_inspector_shows_the_penalty_part_of_each_weight_gradient():
    from nnstudio.core.teaching.inspector import inspect_step

    trainer = Trainer(small_sine("l2", 0.5, learning_rate=0.01))
    before = trainer.backend.parameters()
    inspection = inspect_step(trainer, max_finite_difference_entries=50)
    for layer in inspection.layers:
        w = layer.layer.weight_name
        np.testing.assert_allclose(layer.penalty_gradient, 0.5 * before[w], rtol=1e-12)
        # the data part (the backward pass) plus the penalty part is the gradient the step used
        np.testing.assert_allclose(
            layer.backward.weight_gradient + layer.penalty_gradient, layer.weight_gradients.manual
        )
        assert layer.penalty_note().startswith(f"penalty part of dL/d{w}: rate·{w} = 0.5·{w}")
        assert " % of Σ|dL/d" in layer.penalty_note()
    plain = inspect_step(Trainer(small_sine("none", 0.0)), max_finite_difference_entries=50)
    assert all(layer.penalty_note() == "" for layer in plain.layers)
