"""Results out: exported scripts run on their own and print the core's losses; the weights load into
NumPy and into torch's nn.Sequential and predict what the app predicts; the loss CSV holds the history."""

import ast
import inspect
import io
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from nnstudio.core.engine import divergence, losses
from nnstudio.core.engine.backends import fast_arrays, numpy_backend, penalties
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus, Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import export
from nnstudio.core.storage.script_export import ScriptInputs, check_supported, script_source
from tests.core.helpers import relative_difference, train_epochs
from tests.portability import PRINTED, assert_log_lines

# A mini-batch run with a sum loss and momentum, and a float64 leaky-ReLU / softplus / sigmoid stack.
MIXED = Experiment(
    name="mixed",
    description='Quotes """ and a back\\slash must not break the docstring',
    data=DataSpec(generator="cubic", n_points=45, x_min=-3.0, x_max=3.0, noise_sd=0.5, seed=9, test_fraction=0.2),
    model=ModelSpec(hidden=(LayerSpec(5, "leaky_relu"), LayerSpec(4, "softplus"), LayerSpec(3, "sigmoid", bias=False))),
    training=TrainingSpec(loss="sse", optimizer="momentum", learning_rate=0.002, batch_size=8, epochs=30, log_every=5),
)

SCRIPT_CASES = [
    ("linear", "numpy", 200),  # gradient descent, sum of squares, subsample, standardised
    ("linear", "torch", 200),
    ("sine", "numpy", 60),  # Adam, ReLU
    ("sine", "torch", 60),
    ("sine-tanh-deep", "numpy", 40),  # mini-batches of 32, a test split, Xavier weights
    ("sine-tanh-deep", "torch", 40),
    ("bump-momentum", "numpy", 80),  # SGD with momentum
    ("bump-momentum", "torch", 80),
    ("line-manual", "numpy", 50),  # constant initial weights, raw data
    ("mixed", "numpy", 30),
    ("mixed", "torch", 30),
    # classification: two inputs, class numbers as labels, a test split, Adam
    ("circle", "numpy", 30),  # binary cross-entropy on a sigmoid output
    ("circle", "torch", 30),
    ("xor", "numpy", 30),
    ("xor", "torch", 30),
    ("spiral", "numpy", 30),  # three classes: cross-entropy on logits
    ("spiral", "torch", 30),
    ("two-gaussians", "numpy", 30),  # logistic regression: no hidden layer
    ("two-gaussians", "torch", 30),
    # regression on two inputs: a number per point, raw or each column standardised
    ("plane", "numpy", 10),
    ("plane-standardised", "torch", 10),
]


def experiment_called(name: str) -> Experiment:
    if name == "plane-standardised":
        return preset("plane").with_data(standardize=True)
    return MIXED if name == "mixed" else preset(name)


def run_script(tmp_path, source: str, *arguments: str) -> subprocess.CompletedProcess:
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(path), *arguments], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )


def printed_losses(output: str) -> dict[int, float]:
    return {int(line.split()[1]): float(line.split()[3]) for line in output.splitlines() if line.startswith("Epoch: ")}


@pytest.mark.parametrize(("name", "flavour", "epochs"), SCRIPT_CASES, ids=[f"{n}-{f}" for n, f, _ in SCRIPT_CASES])
def test_an_exported_script_prints_the_cores_losses(tmp_path, name, flavour, epochs):
    trainer = Trainer(experiment_called(name).with_training(backend=flavour))
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), flavour, epochs)
    assert "nnstudio" not in source.split('"""', 2)[2]  # standalone: nothing of nnstudio after the docstring
    result = run_script(tmp_path, source, "--precise")
    assert result.returncode == 0, result.stderr
    history = train_epochs(trainer, epochs)
    losses = printed_losses(result.stdout)
    every = trainer.training.log_every
    assert sorted(losses) == list(range(every, epochs + 1, every))
    for epoch, loss in losses.items():
        assert relative_difference(loss, history[epoch - 1]) <= 1e-8, (epoch, loss, history[epoch - 1])
    if trainer.dataset.n_test:
        test_line = result.stdout.splitlines()[-1]
        test_loss = trainer.backend.loss(trainer.dataset.x_test, trainer.dataset.y_test)
        assert test_line.startswith("Test loss: ")
        assert relative_difference(float(test_line.split()[-1]), test_loss) <= 1e-8


@pytest.mark.parametrize("name", ["sine", "bump-momentum", "linear", "circle", "spiral", "mixed"])
def test_the_numpy_scripts_arithmetic_is_the_backends_own_source(name):
    trainer = Trainer(experiment_called(name))
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), "numpy")
    names = [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef | ast.ClassDef)]
    assert len(names) == len(set(names))
    ours = {**vars(losses), **vars(numpy_backend), **vars(penalties), **vars(fast_arrays), **vars(divergence)}
    pasted = {name for name in names if name in ours}
    for name in pasted:  # word for word, so that a fix in the backend is a fix in every script
        assert inspect.getsource(ours[name]).strip("\n") in source, name
    optimizer = {"gd": "gd_update", "momentum": "momentum_update", "adam": "adam_update"}
    expected = {"dense_forward", "dense_backward", "forward", "backward", optimizer[trainer.training.optimizer]}
    expected |= {layer.activation for layer in trainer.layers} | {"divergence", "divergence_bound"}
    expected.add(losses.LOSSES[trainer.training.loss].gradient.__name__)
    assert expected <= pasted
    made_here = {"DenseLayer", "initial_parameters", "Optimizer", "predict", "number", "stop_diverged", "train"}
    assert set(names) - pasted == made_here


def test_without_its_source_files_the_app_says_why_it_cannot_export_a_script(monkeypatch):
    trainer = Trainer(preset("sine"))
    inputs = ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers)

    def no_source(item):
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect, "getsource", no_source)
    for flavour in ("numpy", "torch"):  # both paste the divergence rule; numpy the whole engine too
        with pytest.raises(NNStudioError, match="this installation has none"):
            script_source(inputs, flavour)


def test_without_precise_the_script_prints_the_apps_log_lines(tmp_path):
    trainer = Trainer(preset("linear"))
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), "numpy")
    result = run_script(tmp_path, source)
    history = train_epochs(trainer, 200)
    # The script's own arithmetic, equal to the core's to ~1e-15: a 7th digit may round either way.
    assert_log_lines(result.stdout.splitlines(), [(epoch, history[epoch - 1]) for epoch in range(10, 201, 10)])
    assert history[9] == pytest.approx(96.09053, rel=PRINTED)  # the README's number


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
@pytest.mark.parametrize("learning_rate", [0.03, 0.5])
def test_a_diverging_script_stops_where_the_app_stops_with_its_message_and_exit_1(tmp_path, flavour, learning_rate):
    trainer = Trainer(preset("linear").with_training(learning_rate=learning_rate))
    final = list(trainer.run(until_epoch=200))[-1]
    assert final.status == RunStatus.DIVERGED
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), flavour, 200)
    result = run_script(tmp_path, source)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == final.message  # the same epoch, loss and words as the window
    assert result.stderr == ""  # no overflow warnings


def test_the_exported_file_trains_as_far_as_the_run_went(tmp_path):
    trainer = Trainer(preset("sine-linear"))  # target: 200 epochs
    train_epochs(trainer, 230)
    path = tmp_path / "sine_linear.py"
    export.save_script(export.capture(trainer), path, "numpy")
    source = path.read_text(encoding="utf-8")
    assert "EPOCHS = 230" in source and "python sine_linear.py" in source
    with pytest.raises(NNStudioError, match="named \\*.py"):
        export.save_script(export.capture(trainer), tmp_path / "script.txt", "numpy")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda i: replace(i, experiment=SimpleNamespace(training=SimpleNamespace(loss="hinge"), model=None)),
            "does not support the hinge loss yet: only sse, mse, bce, cross_entropy",
        ),
        (
            lambda i: replace(i, layers=[replace(i.layers[0], activation="softmax")]),
            "does not support the softmax activation yet",
        ),
    ],
)
def test_settings_a_script_cannot_reproduce_are_refused_with_a_message(change, message):
    trainer = Trainer(preset("sine"))
    inputs = change(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers))
    with pytest.raises(NNStudioError, match=message):
        check_supported(inputs)


def test_too_much_data_to_embed_is_refused():
    trainer = Trainer(Experiment(data=DataSpec(n_points=600_000), model=ModelSpec(hidden=())))
    with pytest.raises(NNStudioError, match="too many to embed in a script"):
        script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), "numpy")


# --- the weights ----------------------------------------------------------------------------------


def trained_trainer(name="sine-tanh-deep", epochs=25):
    trainer = Trainer(preset(name))
    train_epochs(trainer, epochs)
    return trainer


def test_the_weights_npz_holds_the_layers_and_predicts_like_the_app(tmp_path):
    trainer = trained_trainer("linear", 50)  # standardised: the scaling must be in the file
    path = tmp_path / "weights.npz"
    export.save_weights_npz(export.capture(trainer), path)
    with np.load(path, allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    assert list(arrays) == ["W1", "b1", "activations", "x_mean", "x_sd", "y_mean", "y_sd"]
    for name, value in trainer.backend.parameters().items():
        np.testing.assert_array_equal(arrays[name], value)
    x = trainer.dataset.x_grid_raw
    prediction = ((x - arrays["x_mean"]) / arrays["x_sd"]) @ arrays["W1"] + arrays["b1"]
    np.testing.assert_allclose(prediction * arrays["y_sd"] + arrays["y_mean"], trainer.prediction_on_grid(), rtol=1e-12)


def test_the_state_dict_loads_into_the_matching_sequential_and_predicts_the_same(tmp_path):
    import torch

    from nnstudio.core.engine.backends.torch_backend import build_sequential

    trainer = trained_trainer()
    path = tmp_path / "model.pt"
    export.save_state_dict(export.capture(trainer), path)
    state = torch.load(path, weights_only=True)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    model = build_sequential(trainer.layers).double()
    model.load_state_dict(state)
    x = trainer.dataset.x_grid
    with torch.no_grad():
        predicted = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(predicted, trainer.backend.predict(x), rtol=1e-12, atol=1e-14)
    single = build_sequential(trainer.layers)  # the default float32 model takes the same file
    single.load_state_dict(state)
    with torch.no_grad():
        approximate = single(torch.from_numpy(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(approximate, trainer.backend.predict(x), rtol=1e-4, atol=1e-5)


def test_the_loss_history_csv_has_a_row_per_epoch():
    trainer = trained_trainer("cubic-overfit", 12)  # has a test set
    text = export.loss_history_csv(export.capture(trainer).loss_history)
    lines = text.splitlines()
    assert lines[0] == "epoch,train_loss,test_loss"
    assert len(lines) == 13
    epoch, train, test = lines[5].split(",")
    assert (
        int(epoch) == 5
        and float(train) == trainer.loss_history.train[4]
        and float(test) == trainer.loss_history.test[4]
    )


def test_the_loss_csv_leaves_the_test_column_empty_without_a_test_set(tmp_path):
    trainer = trained_trainer("sine", 3)
    path = tmp_path / "loss.csv"
    export.save_loss_csv(export.capture(trainer), path)
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    assert [row[0] for row in rows] == ["1", "2", "3"] and all(row[2] == "" for row in rows)
    np.testing.assert_array_equal([float(row[1]) for row in rows], trainer.loss_history.train)
    assert np.loadtxt(io.StringIO(path.read_text()), delimiter=",", skiprows=1, usecols=(0, 1)).shape == (3, 2)


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
@pytest.mark.parametrize("name", ["mtcars", "iris"])
def test_a_script_of_real_data_with_four_inputs_prints_the_cores_losses(tmp_path, name, flavour):
    from nnstudio.core.datasets.data import load_spec_csv
    from nnstudio.core.storage.examples import EXAMPLES_FOLDER, IRIS, MTCARS

    experiment = (MTCARS if name == "mtcars" else IRIS).with_training(backend=flavour)
    trainer = Trainer(experiment, load_spec_csv(experiment.data, EXAMPLES_FOLDER))
    assert trainer.dataset.n_inputs == 4
    source = script_source(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers), flavour, 20)
    result = run_script(tmp_path, source, "--precise")
    assert result.returncode == 0, result.stderr
    history = train_epochs(trainer, 20)
    losses = printed_losses(result.stdout)
    assert sorted(losses) == [10, 20]
    for epoch, loss in losses.items():
        assert relative_difference(loss, history[epoch - 1]) <= 1e-8, (epoch, loss, history[epoch - 1])
