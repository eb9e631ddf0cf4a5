"""Real data with any number of inputs: a CSV's k input columns and one target train on both backends alike,
linear regression on mtcars finds least squares, iris is learned, and the shipped files hold the canonical data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nnstudio.core.datasets.data import load_spec_csv, prepare
from nnstudio.core.engine.experiment import DataSpec, Experiment, ModelSpec, TrainingSpec
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.archive import capture, read_experiment_file, save
from nnstudio.core.storage.examples import EXAMPLES_FOLDER, IRIS, MTCARS
from tests.core.helpers import step_losses

MTCARS_CSV, IRIS_CSV = EXAMPLES_FOLDER / "mtcars.csv", EXAMPLES_FOLDER / "iris.csv"


def on_backend(experiment: Experiment, backend: str) -> Trainer:
    experiment = experiment.with_training(backend=backend)
    return Trainer(experiment, load_spec_csv(experiment.data, EXAMPLES_FOLDER))


def test_the_shipped_files_hold_the_canonical_data():
    cars = np.genfromtxt(MTCARS_CSV, delimiter=",", skip_header=1)[:, 1:]
    assert cars.shape == (32, 11)
    # R's colMeans(mtcars)
    means = [20.090625, 6.1875, 230.721875, 146.6875, 3.5965625, 3.21725, 17.84875, 0.4375, 0.40625, 3.6875, 2.8125]
    np.testing.assert_allclose(cars.mean(axis=0), means, rtol=1e-12)
    assert MTCARS_CSV.read_text().splitlines()[15] == "Cadillac Fleetwood,10.4,8,472,205,2.93,5.25,17.98,0,0,3,4"
    flowers = np.genfromtxt(IRIS_CSV, delimiter=",", skip_header=1, usecols=(0, 1, 2, 3, 5))
    assert flowers.shape == (150, 5) and np.bincount(flowers[:, 4].astype(int)).tolist() == [50, 50, 50]
    np.testing.assert_allclose(flowers[:, :4].mean(axis=0), [5.843333333, 3.057333333, 3.758, 1.199333333])
    lines = IRIS_CSV.read_text().splitlines()
    # R's iris (Fisher's values): rows 35 and 38 differ from the UCI copy's
    assert lines[35] == "4.9,3.1,1.5,0.2,setosa,0" and lines[38] == "4.9,3.6,1.4,0.1,setosa,0"
    assert lines[101] == "6.3,3.3,6.0,2.5,virginica,2"


@pytest.mark.parametrize("experiment", [MTCARS, IRIS], ids=["mtcars", "iris"])
def test_k_inputs_train_alike_on_numpy_and_torch(experiment):
    numpy_losses = step_losses(on_backend(experiment, "numpy"), 15)
    torch_losses = step_losses(on_backend(experiment, "torch"), 15)
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-10)
    assert numpy_losses[-1] < numpy_losses[0]


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_linear_regression_on_mtcars_reaches_least_squares(optimizer):
    rate = 0.3 if optimizer == "gd" else 0.05
    trainer = on_backend(MTCARS.with_training(optimizer=optimizer, learning_rate=rate), "numpy")
    data = trainer.dataset
    for _ in trainer.run(until_epoch=2000, snapshot_interval=1e9):
        pass
    x = np.column_stack([np.ones(data.n_train), data.x_train])  # the standardised inputs, and an intercept
    solution, *_ = np.linalg.lstsq(x, data.y_train, rcond=None)
    parameters = trainer.backend.parameters()
    np.testing.assert_allclose(parameters["W1"][:, 0], solution[1:, 0], atol=1e-6)
    assert parameters["b1"][0] == pytest.approx(solution[0, 0], abs=1e-6)


def test_iris_with_a_small_net_learns_the_species():
    trainer = on_backend(IRIS, "numpy")
    for _ in trainer.run(until_epoch=150, snapshot_interval=1e9):
        pass
    train, test = trainer.metrics()
    assert train.accuracy >= 0.9 and test.accuracy >= 0.9


def test_k_input_points_travel_in_an_experiment_file(tmp_path):
    trainer = on_backend(MTCARS, "numpy")
    step_losses(trainer, 3)
    save(capture(trainer), tmp_path / "cars.nnstudio")
    opened = read_experiment_file(tmp_path / "cars.nnstudio")
    assert opened.points[0].shape == (32, 4) and opened.experiment == MTCARS
    np.testing.assert_array_equal(opened.make_trainer().backend.parameters()["W1"], trainer.backend.parameters()["W1"])


def test_the_prediction_of_k_inputs_is_at_the_points_and_the_class_map_is_a_slice_at_the_means():
    data = prepare(replace(MTCARS.data, csv_path=str(MTCARS_CSV), test_fraction=0.25))
    assert data.predicts_points and data.n_test == 8
    np.testing.assert_array_equal(data.x_grid_raw, np.vstack([data.x_train_raw, data.x_test_raw]))
    flowers = prepare(replace(IRIS.data, csv_path=str(IRIS_CSV)))
    assert flowers.grid_shape == (64, 64) and flowers.x_grid_raw.shape == (4096, 4)
    np.testing.assert_allclose(flowers.x_grid_raw[:, 2:], np.tile(flowers.x_train_raw[:, 2:].mean(axis=0), (4096, 1)))


def test_impossible_column_settings_are_refused_by_name():
    with pytest.raises(NNStudioError, match=r"csv_y_column \(1\) is the target: it must not be one of the input"):
        DataSpec(generator="csv", csv_path="a.csv", csv_input_columns=(1, 2))
    with pytest.raises(NNStudioError, match="csv_input_names must be one name per input column"):
        DataSpec(generator="csv", csv_path="a.csv", csv_input_columns=(0, 2), csv_input_names=("a",))
    with pytest.raises(NNStudioError, match="csv_input_columns must be 2 to 100 column numbers"):
        DataSpec(generator="csv", csv_path="a.csv", csv_label_column=3, csv_input_columns=(1,))
    spec = DataSpec(
        generator="csv", csv_path=str(MTCARS_CSV), csv_header=True, csv_input_columns=(0, 6), csv_y_column=1
    )
    with pytest.raises(NNStudioError, match="mtcars.csv, line 2, column 1: 'Mazda RX4' is not a number"):
        prepare(spec)
    assert Experiment.from_toml(MTCARS.to_toml()) == MTCARS
    assert Experiment(data=MTCARS.data, model=ModelSpec(), training=TrainingSpec()).data.input_columns == (6, 4, 3, 7)
