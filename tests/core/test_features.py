"""Input features as in TensorFlow Playground: computed once from the raw inputs, standardised after, one network
input each — the same on both backends, in files, on the command line, in exported scripts and in gradcheck."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.datasets.data import prepare
from nnstudio.core.datasets.features import canonical_name, feature_matrix, input_names, parse_features
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec
from nnstudio.core.engine.gradcheck import AGREE, check_trainer
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.script_export import ScriptInputs, script_source
from tests.core.helpers import max_relative_difference, train_epochs

CIRCLE_SQUARES = ("x1^2", "x2^2")


def circle_with_squares(backend: str = "numpy") -> Experiment:
    """Playground's classic: only X₁² and X₂², no hidden layer: a straight cut in (X₁², X₂²) is a circle."""
    return preset("circle").with_data(features=CIRCLE_SQUARES).with_model(hidden=()).with_training(backend=backend)


def sine_with_features(**data) -> Experiment:
    features = ("x", "x^2", "sin(x)")
    return (
        preset("sine")
        .with_data(n_points=40, features=features, **data)
        .with_model(hidden=(LayerSpec(5, "tanh"),))
        .with_training(log_every=5)
    )


# --- the feature values --------------------------------------------------------------------------


def test_two_input_features_on_a_few_points():
    x = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.0]])
    every = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    expected = np.array(
        [
            [1.0, 2.0, 1.0, 4.0, 2.0, math.sin(1.0), math.sin(2.0)],
            [-3.0, 0.5, 9.0, 0.25, -1.5, math.sin(-3.0), math.sin(0.5)],
            [0.0, -1.0, 0.0, 1.0, -0.0, 0.0, math.sin(-1.0)],
        ]
    )
    np.testing.assert_array_equal(feature_matrix(x, every), expected)
    assert feature_matrix(x, ("x1", "x2")) is x  # the raw inputs: nothing computed, nothing copied
    assert feature_matrix(x, None) is x


def test_one_input_features_on_a_few_points():
    x = np.array([[2.0], [-1.0], [0.5]])
    every = ("x", "x^2", "x^3", "sin(x)", "cos(x)")
    expected = np.column_stack([x[:, 0], x[:, 0] ** 2, x[:, 0] ** 3, np.sin(x[:, 0]), np.cos(x[:, 0])])
    np.testing.assert_array_equal(feature_matrix(x, every), expected)
    np.testing.assert_array_equal(feature_matrix(x, ("x^3",))[:, 0], [8.0, -1.0, 0.125])


@pytest.mark.parametrize(
    ("typed", "name"),
    [("X1", "x1"), ("x₁²", "x1^2"), ("x2**2", "x2^2"), ("x1x2", "x1*x2"), ("X₁·X₂", "x1*x2"), ("sin x1", "sin(x1)"),
     ("SIN(X)", "sin(x)"), ("x³", "x^3"), ("cos x", "cos(x)"), ("x_1", "x1"), ("x3", None), ("tan(x)", None)],
)  # fmt: skip
def test_the_obvious_spellings_are_accepted_and_stored_by_one_name(typed, name):
    assert canonical_name(typed) == name


def test_a_choice_is_kept_in_the_table_s_order():
    assert parse_features("sin(x2), x1^2,x1") == ("x1", "x1^2", "sin(x2)")
    assert input_names(("x1^2", "x2^2"), 2) == ("X₁²", "X₂²")
    assert input_names(None, 1) == ("x",) and input_names(None, 2) == ("X₁", "X₂")


# --- the dataset ---------------------------------------------------------------------------------


def test_standardisation_applies_to_the_features_not_to_the_raw_inputs():
    data = prepare(DataSpec(generator="circle", standardize=True, features=CIRCLE_SQUARES))
    squares = data.x_train_raw**2
    np.testing.assert_allclose(data.scaler.x_mean, squares.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(data.scaler.x_sd, squares.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.x_train.std(axis=0, ddof=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(data.x_test, (data.x_test_raw**2 - data.scaler.x_mean) / data.scaler.x_sd)
    # the plots keep the raw inputs; the prediction grid goes through the same features
    assert data.x_train_raw.shape[1] == 2 and data.n_model_inputs == 2
    np.testing.assert_allclose(data.x_grid, (data.x_grid_raw**2 - data.scaler.x_mean) / data.scaler.x_sd)
    np.testing.assert_allclose(data.to_model_inputs(data.x_test_raw), data.x_test)


def test_one_input_data_with_three_features_is_standardised_column_by_column():
    data = prepare(sine_with_features(standardize=True).data)
    assert data.n_inputs == 1 and data.n_model_inputs == 3 and not data.uses_raw_inputs
    raw = data.x_train_raw[:, 0]
    columns = np.column_stack([raw, raw**2, np.sin(raw)])
    np.testing.assert_allclose(data.x_train, (columns - columns.mean(axis=0)) / columns.std(axis=0, ddof=1))
    assert data.y_train.std(ddof=1) == pytest.approx(1.0)


def test_features_are_computed_once_per_dataset():
    data = prepare(sine_with_features().data)
    assert data.features_train is data.features_train and data.features_grid is data.features_grid


# --- training ------------------------------------------------------------------------------------


def test_the_circle_is_separated_by_x1_squared_and_x2_squared_alone_on_both_backends():
    numpy_trainer, torch_trainer = Trainer(circle_with_squares("numpy")), Trainer(circle_with_squares("torch"))
    assert [(layer.n_in, layer.n_out) for layer in numpy_trainer.layers] == [(2, 1)]  # no hidden layer
    losses = {
        name: train_epochs(trainer, 300) for name, trainer in (("numpy", numpy_trainer), ("torch", torch_trainer))
    }
    np.testing.assert_allclose(losses["numpy"], losses["torch"], rtol=1e-9)
    assert max_relative_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-9
    for trainer in (numpy_trainer, torch_trainer):
        train, test = trainer.metrics()
        assert train.accuracy >= 0.95 and test.accuracy >= 0.95
    plain = Trainer(preset("circle").with_model(hidden=()))  # the raw X₁, X₂ cannot: a line cuts no disc out
    train_epochs(plain, 300)
    assert plain.metrics()[0].accuracy < 0.8


def test_numpy_and_torch_agree_on_one_input_features():
    experiment = sine_with_features(standardize=True)
    numpy_trainer = Trainer(experiment)
    torch_trainer = Trainer(experiment.with_training(backend="torch"))
    np.testing.assert_allclose(train_epochs(numpy_trainer, 30), train_epochs(torch_trainer, 30), rtol=1e-9)
    assert max_relative_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-9


@pytest.mark.parametrize("experiment", [circle_with_squares(), sine_with_features(standardize=True)])
def test_gradcheck_agrees_on_the_features(experiment):
    experiment = experiment.with_model(hidden=(LayerSpec(4, "tanh"),))
    trainer = Trainer(experiment)
    assert trainer.layers[0].n_in == len(experiment.data.features)
    result = check_trainer(trainer)
    assert result.verdict == AGREE


# --- files and the command line ------------------------------------------------------------------


def test_experiment_files_keep_the_features_and_older_files_load_with_the_raw_inputs():
    experiment = circle_with_squares()
    assert 'features = [\n    "x1^2",\n    "x2^2",\n]' in experiment.to_toml()
    again = Experiment.from_toml(experiment.to_toml())
    assert again.data.features == CIRCLE_SQUARES and again == experiment
    tree = experiment.to_dict()
    del tree["data"]["features"]
    assert Experiment.from_dict(tree).data.features is None
    typed = experiment.to_dict()
    typed["data"]["features"] = ["X₁²", "x2**2"]
    assert Experiment.from_dict(typed).data.features == CIRCLE_SQUARES
    assert DataSpec(generator="circle", features=["x2", "x1"]).features is None  # the raw inputs: the default


@pytest.mark.parametrize(
    ("features", "fragment"),
    [(["x^2"], "do not fit the circle data"), (["tan(x1)"], "unknown feature 'tan(x1)'"), ([], "at least one"),
     ("x1^2", "must be a list"), (["x1", "x1"], "chosen twice"), (["x", "x1"], "mixes one-input and two-input")],
)  # fmt: skip
def test_bad_features_are_refused_with_the_setting_named(features, fragment):
    with pytest.raises(NNStudioError, match="data.features") as error:
        DataSpec(generator="circle", features=features)
    assert fragment in str(error.value)


def test_the_command_line_trains_on_features(capsys):
    code = main(["train", "--preset", "circle", "--hidden", "none", "--features", "x1^2, x2^2", "--log-every", "100"])
    out = capsys.readouterr().out
    assert code == 0 and "test accuracy 100.0 %" in out


@pytest.mark.parametrize(
    ("features", "fragment"),
    [("x1,foo", "--features: unknown feature 'foo'"), ("x^2", "do not fit the circle data"), (",", "at least one")],
)
def test_the_command_line_refuses_an_unknown_feature_in_one_line(capsys, features, fragment):
    code = main(["train", "--preset", "circle", "--features", features])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and fragment in err and "Traceback" not in err


# --- exported scripts ----------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
@pytest.mark.parametrize(
    "experiment", [circle_with_squares(), sine_with_features(standardize=True)], ids=["circle", "sine"]
)
def test_an_exported_script_computes_the_same_features_and_reproduces_the_log(tmp_path, experiment, flavour):
    pytest.importorskip("torch")
    trainer = Trainer(experiment.with_training(backend=flavour, log_every=5))
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), flavour, 20)
    assert "def features(x):" in source
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path), "--precise"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    train_epochs(trainer, 20)
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("Epoch: ")]
    assert [int(words[1]) for words in lines] == [5, 10, 15, 20]
    for words in lines:
        assert float(words[3]) == pytest.approx(trainer.loss_history.train[int(words[1]) - 1], rel=1e-12)


def test_each_feature_s_script_source_computes_what_the_core_computes():
    from nnstudio.core.datasets.features import FEATURES_BY_INPUTS

    x = np.random.default_rng(0).normal(size=(7, 2)) * 3
    for inputs, features in FEATURES_BY_INPUTS.items():
        for feature in features:
            written = eval(feature.source, {"np": np, "x": x[:, :inputs]})  # noqa: S307 (our own text)
            np.testing.assert_array_equal(written, feature.compute(x[:, :inputs]))
