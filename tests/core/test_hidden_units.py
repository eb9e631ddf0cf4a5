"""The hidden-unit view: the unit curves add up to the prediction, in model and original units."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.model import ACTIVATIONS
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.hidden_units import (
    contributions_in_original_units,
    layer_outputs,
    output_bias,
    supports_unit_contributions,
    unit_contributions,
)

ONE_HIDDEN = Experiment(
    name="one hidden layer",
    data=DataSpec(generator="bump", n_points=60, x_min=-4.0, x_max=4.0, noise_sd=0.3, seed=5),
    model=ModelSpec(hidden=(LayerSpec(12, "relu"),)),
    training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.05, seed=3),
)


def trained(experiment: Experiment, steps: int = 15) -> Trainer:
    trainer = Trainer(experiment)
    for _ in range(steps):
        trainer.step()
    return trainer


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("hidden_bias", [True, False])
def test_unit_curves_plus_b2_are_the_networks_output(activation, hidden_bias):
    trainer = trained(ONE_HIDDEN.with_model(hidden=(LayerSpec(12, activation, hidden_bias),)))
    parameters, x = trainer.backend.parameters(), trainer.dataset.x_grid
    contributions = unit_contributions(trainer.layers, parameters, x)
    assert contributions.shape == (len(x), 12)
    prediction = trainer.backend.predict(x)[:, 0]
    np.testing.assert_allclose(contributions.sum(axis=1) + parameters["b2"][0], prediction, rtol=0, atol=1e-9)


def test_each_curve_is_the_units_own_formula():
    trainer = trained(PRESETS["sine"])
    p = trainer.backend.parameters()
    x = np.linspace(-6.0, 6.0, 50)
    contributions = unit_contributions(trainer.layers, p, x)
    for j in (0, 17, 63):
        hinge = p["W2"][j, 0] * np.maximum(0.0, p["W1"][0, j] * x + p["b1"][j])  # w2_j · max(0, w1_j·x + b1_j)
        np.testing.assert_allclose(contributions[:, j], hinge, rtol=1e-14, atol=1e-15)


def test_a_network_without_an_output_bias_sums_to_its_output_alone():
    trainer = trained(ONE_HIDDEN.with_model(output_bias=False))
    parameters = trainer.backend.parameters()
    assert output_bias(trainer.layers, parameters) == 0.0
    contributions = unit_contributions(trainer.layers, parameters, trainer.dataset.x_grid)
    np.testing.assert_allclose(
        contributions.sum(axis=1), trainer.backend.predict(trainer.dataset.x_grid)[:, 0], rtol=0, atol=1e-9
    )


def test_original_units_curves_sum_to_the_fit_curve_of_standardised_data():
    experiment = ONE_HIDDEN.with_data(standardize=True, generator="line", x_min=2.0, x_max=9.0, noise_sd=2.0)
    trainer = trained(experiment.with_model(hidden=(LayerSpec(8, "tanh"),)), steps=30)
    scaler = trainer.dataset.scaler
    assert scaler.y_sd != 1.0 and scaler.y_mean > 5.0  # really un-standardising
    view = contributions_in_original_units(trainer.layers, trainer.backend.parameters(), trainer.dataset)
    fit = trainer.prediction_on_grid()[:, 0]
    np.testing.assert_allclose(view.prediction, fit, rtol=0, atol=1e-9)
    np.testing.assert_allclose(view.contributions.sum(axis=1) + view.offset, fit, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(view.x, trainer.dataset.x_grid_raw[:, 0])
    b2 = trainer.backend.parameters()["b2"][0]
    assert view.offset == pytest.approx(scaler.y_sd * b2 + scaler.y_mean, rel=1e-15)
    model_units = unit_contributions(trainer.layers, trainer.backend.parameters(), trainer.dataset.x_grid)
    np.testing.assert_allclose(view.contributions, scaler.y_sd * model_units, rtol=1e-15)
    assert view.units == 8


@pytest.mark.parametrize(
    "model",
    [
        ModelSpec(hidden=()),
        ModelSpec(hidden=(LayerSpec(4), LayerSpec(4))),
        ModelSpec(hidden=(LayerSpec(4),), output_activation="sigmoid"),
    ],
    ids=["no hidden layer", "two hidden layers", "squashed output"],
)
def test_other_networks_are_refused_with_a_clear_message(model):
    trainer = Trainer(ONE_HIDDEN.with_model(hidden=model.hidden, output_activation=model.output_activation))
    assert not supports_unit_contributions(trainer.layers)
    with pytest.raises(NNStudioError, match="one hidden layer"):
        unit_contributions(trainer.layers, trainer.backend.parameters(), trainer.dataset.x_grid)
    assert supports_unit_contributions(Trainer(ONE_HIDDEN).layers)


def test_layer_outputs_of_a_deeper_net_are_its_forward_pass():
    trainer = trained(PRESETS["sine-tanh-deep"])
    parameters, x = trainer.backend.parameters(), trainer.dataset.x_grid
    traces = forward(trainer.layers, parameters, x)
    for index in (1, 2, 3):
        np.testing.assert_array_equal(layer_outputs(trainer.layers, parameters, x, index), traces[index - 1].outputs)
        np.testing.assert_array_equal(
            layer_outputs(trainer.layers, parameters, x, index, pre_activation=True), traces[index - 1].pre_activation
        )
    second = layer_outputs(trainer.layers, parameters, x[:, 0], 2)  # a flat x is read as one column
    assert second.shape == (len(x), 32) and np.all(np.abs(second) < 1.0)  # tanh units
    np.testing.assert_allclose(layer_outputs(trainer.layers, parameters, x, 3), trainer.backend.predict(x), rtol=1e-15)
    for bad in (0, 4):
        with pytest.raises(NNStudioError, match="layers 1 to 3"):
            layer_outputs(trainer.layers, parameters, x, bad)


def test_a_diverged_network_is_drawn_without_warnings():
    trainer = Trainer(ONE_HIDDEN.with_model(hidden=(LayerSpec(5, "sigmoid"),)))
    state = trainer.backend.state()
    state.parameters["W1"][:] = 1e308  # e^(−z) overflows on one side of 0
    state.parameters["W2"][0, 0] = np.nan
    trainer.backend.load_state(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = contributions_in_original_units(trainer.layers, trainer.backend.parameters(), trainer.dataset)
        deep = layer_outputs(trainer.layers, trainer.backend.parameters(), trainer.dataset.x_grid, 2)
    assert np.all(np.isnan(view.contributions[:, 0])) and np.all(np.isnan(view.prediction))
    assert np.all(np.isfinite(view.contributions[:, 1:])) and np.all(np.isnan(deep))
