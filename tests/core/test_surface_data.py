"""Two-input regression data, as TensorFlow Playground's regressPlane and regressGaussian make it."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.datasets.data import GRID_SIDE, prepare
from nnstudio.core.datasets.surface_generators import gaussians, generate_surface, plane
from nnstudio.core.engine.experiment import DataSpec
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from tests.core.helpers import train_epochs


def test_plane_is_the_playgrounds_linear_scale_of_x1_plus_x2():
    # d3.scale.linear().domain([-10, 10]).range([-1, 1]) of x + y, not clamped
    x = np.array([[0.0, 0.0], [6.0, 4.0], [-6.0, -4.0], [3.0, -1.0], [6.0, 6.0]])
    assert plane(x) == pytest.approx([0.0, 1.0, -1.0, 0.2, 1.2])


def test_gaussians_take_the_largest_bump_in_size_with_its_sign():
    # centres (±4 or 0, ±2.5), signs + − + over − + −; each 1 − d/2 clamped to [0, 1]
    x = np.array([[-4.0, 2.5], [0.0, 2.5], [0.0, -2.5], [4.0, -1.5], [-2.0, 0.0], [0.0, 0.0], [-4.0, 3.5]])
    expected = [1.0, -1.0, 1.0, -0.5, 0.0, 0.0, 0.5]
    assert gaussians(x) == pytest.approx(expected)


def test_generated_points_fill_the_square_and_noise_moves_where_the_target_is_read():
    x, y = generate_surface("plane", 2000, 0.0, seed=3)
    assert x.shape == (2000, 2) and -6 <= x.min() < -5.9 and 5.9 < x.max() <= 6
    assert y == pytest.approx((x[:, 0] + x[:, 1]) / 10)
    x_noisy, y_noisy = generate_surface("plane", 2000, 0.5, seed=3)
    assert np.array_equal(x_noisy, x)  # the same places, read elsewhere
    shift = 10 * y_noisy - (x[:, 0] + x[:, 1])  # u₁ + u₂ of U(−3, 3) each
    assert 0.5 < np.abs(shift).max() <= 6.0 and abs(shift.mean()) < 0.3


def test_a_surface_dataset_has_two_inputs_one_output_and_a_square_grid():
    spec = DataSpec(generator="multi-gaussian", n_points=300, noise_sd=0.1, test_fraction=0.2, standardize=True)
    data = prepare(spec)
    assert (data.n_inputs, data.n_outputs, data.is_classification) == (2, 1, False)
    assert (data.n_train, data.n_test) == (240, 60)
    assert data.grid_shape == (GRID_SIDE, GRID_SIDE) and data.x_grid_raw.shape == (GRID_SIDE**2, 2)
    assert np.mean(data.x_train, axis=0) == pytest.approx([0, 0], abs=1e-12)  # each input on its own
    assert np.std(data.y_train, ddof=1) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["plane", "multi-gaussian"])
def test_the_surface_presets_fit_their_data(name):
    trainer = Trainer(PRESETS[name])
    train_epochs(trainer, PRESETS[name].training.epochs)
    train, test = trainer.metrics()
    assert train.r2 >= 0.9 and test.r2 >= 0.9
    assert test.rmse == pytest.approx(np.sqrt(test.mse))
    assert trainer.prediction_on_grid().shape == (GRID_SIDE**2, 1)


def test_an_experiment_file_keeps_the_surface_generator_and_its_noise():
    experiment = PRESETS["multi-gaussian"].with_data(noise_sd=0.25, standardize=True)
    again = type(experiment).from_toml(experiment.to_toml())
    assert again == experiment and again.data.task == "regression"
    np.testing.assert_array_equal(prepare(again.data).y_train_raw, prepare(experiment.data).y_train_raw)
