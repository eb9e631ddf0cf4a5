"""The experiment tree: validation with clear messages, and TOML files that round-trip and fail politely."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from nnstudio.core.engine import experiment as experiment_module
from nnstudio.core.engine.experiment import (
    FORMAT_VERSION,
    DataSpec,
    Experiment,
    LayerSpec,
    ModelSpec,
    TrainingSpec,
    write_atomically,
)
from nnstudio.core.engine.presets import PRESETS, preset
from nnstudio.core.errors import NNStudioError

# --- validation --------------------------------------------------------------------------------------

BAD_VALUES = [
    # (what to build, the exact message a student sees)
    (lambda: TrainingSpec(learning_rate=0), "training.learning_rate must be in (0, 1e+09], got 0"),
    (lambda: TrainingSpec(learning_rate=-0.1), "training.learning_rate must be in (0, 1e+09], got -0.1"),
    (lambda: TrainingSpec(learning_rate=float("nan")), "training.learning_rate must be a finite number, got nan"),
    (lambda: TrainingSpec(learning_rate=float("inf")), "training.learning_rate must be a finite number, got inf"),
    (lambda: TrainingSpec(learning_rate="0.1"), "training.learning_rate must be a finite number, got '0.1'"),
    (lambda: TrainingSpec(learning_rate=True), "training.learning_rate must be a finite number, got True"),
    (lambda: TrainingSpec(learning_rate=10**400), "training.learning_rate must be in (0, 1e+09], got 1" + "0" * 400),
    (lambda: TrainingSpec(epochs=10**8), "training.epochs must be a whole number from 1 to 10000000, got 100000000"),
    (lambda: TrainingSpec(epochs=0), "training.epochs must be a whole number from 1 to 10000000, got 0"),
    (lambda: TrainingSpec(epochs=10.0), "training.epochs must be a whole number from 1 to 10000000, got 10.0"),
    (lambda: TrainingSpec(batch_size=0), "training.batch_size must be a whole number from 1 to 10000000, got 0"),
    (lambda: TrainingSpec(optimizer="sgd"), "training.optimizer must be one of gd, momentum, adam, got 'sgd'"),
    (lambda: TrainingSpec(optimizer=["adam"]), "training.optimizer must be one of gd, momentum, adam, got ['adam']"),
    (lambda: TrainingSpec(loss="mae"), "training.loss must be one of sse, mse, bce, cross_entropy, got 'mae'"),
    (lambda: TrainingSpec(backend="jax"), "training.backend must be one of numpy, torch, got 'jax'"),
    (lambda: TrainingSpec(dtype="float16"), "training.dtype must be one of float64, float32, got 'float16'"),
    (lambda: TrainingSpec(momentum=1.0), "training.momentum must be in [0, 0.999999], got 1.0"),
    (lambda: TrainingSpec(eps=0.0), "training.eps must be in (0, 1], got 0.0"),
    (lambda: TrainingSpec(seed=-1), "training.seed must be a whole number from 0 to 4294967295, got -1"),
    (lambda: TrainingSpec(log_every=0), "training.log_every must be a whole number from 1 to 10000000, got 0"),
    (lambda: LayerSpec(units=0), "model.hidden.units must be a whole number from 1 to 4096, got 0"),
    (lambda: LayerSpec(units=10**5), "model.hidden.units must be a whole number from 1 to 4096, got 100000"),
    (lambda: LayerSpec(units="64"), "model.hidden.units must be a whole number from 1 to 4096, got '64'"),
    (lambda: LayerSpec(units=True), "model.hidden.units must be a whole number from 1 to 4096, got True"),
    (
        lambda: LayerSpec(activation="swish"),
        "model.hidden.activation must be one of identity, relu, leaky_relu, tanh, sigmoid, softplus, got 'swish'",
    ),
    (
        lambda: LayerSpec(activation={"name": "relu"}),
        "model.hidden.activation must be one of identity, relu, leaky_relu, tanh, sigmoid, softplus, "
        "got {'name': 'relu'}",
    ),
    (lambda: LayerSpec(bias="yes"), "model.hidden.bias must be true or false, got 'yes'"),
    (lambda: ModelSpec(hidden=(LayerSpec(),) * 17), "model.hidden must be at most 16 hidden layers, got 17"),
    (lambda: ModelSpec(hidden=(64, 32)), "model.hidden must be a list of layers, got (64, 32)"),
    (lambda: ModelSpec(init="he"), "model.init must be one of kaiming_uniform, xavier_uniform, constant, got 'he'"),
    (lambda: DataSpec(n_points=1), "data.n_points must be a whole number from 2 to 10000000, got 1"),
    (
        lambda: DataSpec(generator="helix"),
        "data.generator must be one of line, sine, cubic, step, abs, bump, plane, multi-gaussian, "
        "gaussians, circle, xor, spiral, csv, got 'helix'",
    ),  # fmt: skip
    (lambda: DataSpec(x_min=3.0, x_max=1.0), "data.x_min (3) must be smaller than data.x_max (1)"),
    (lambda: DataSpec(noise_sd=-1.0), "data.noise_sd must be in [0, 1e+06], got -1.0"),
    (lambda: DataSpec(test_fraction=0.95), "data.test_fraction must be in [0, 0.9], got 0.95"),
    (lambda: DataSpec(standardize=1), "data.standardize must be true or false, got 1"),
    (lambda: DataSpec(subsample=1), "data.subsample must be a whole number from 2 to 10000000, got 1"),
    (lambda: DataSpec(generator="csv"), "data.csv_path is needed when data.generator is 'csv'"),
    (
        lambda: DataSpec(csv_x_column=1, csv_y_column=1),
        "data.csv_x_column and data.csv_y_column must be different columns",
    ),  # fmt: skip
    (lambda: Experiment(name=3), "experiment.name must be text, got 3"),
]


@pytest.mark.parametrize(("build", "message"), BAD_VALUES, ids=[message[:40] for _, message in BAD_VALUES])
def test_bad_values_are_reported_by_name(build, message):
    with pytest.raises(NNStudioError) as caught:
        build()
    assert str(caught.value) == message


def test_good_values_at_the_limits_are_accepted():
    TrainingSpec(learning_rate=1e-12, epochs=10_000_000, batch_size=1, momentum=0.0)
    LayerSpec(units=1)
    LayerSpec(units=4096)
    ModelSpec(hidden=(LayerSpec(4),) * 16)
    DataSpec(n_points=2, test_fraction=0.0)


def test_a_list_of_layers_becomes_a_tuple():
    model = ModelSpec(hidden=[LayerSpec(8, "tanh"), LayerSpec(4)])
    assert model.hidden == (LayerSpec(8, "tanh"), LayerSpec(4))


def test_specs_are_frozen_and_changed_by_copy():
    experiment = Experiment()
    with pytest.raises(AttributeError):
        experiment.training.learning_rate = 1.0  # type: ignore[misc]
    changed = experiment.with_training(learning_rate=0.5).with_data(n_points=20).with_model(hidden=())
    assert (changed.training.learning_rate, changed.data.n_points, changed.model.hidden) == (0.5, 20, ())
    assert experiment == Experiment()
    with pytest.raises(NNStudioError, match="training.learning_rate"):
        experiment.with_training(learning_rate=0)


def test_unknown_preset():
    assert preset("sine") is PRESETS["sine"]
    with pytest.raises(NNStudioError, match="^unknown preset 'sinus': choose one of linear, sine"):
        preset("sinus")


# --- TOML round trip ---------------------------------------------------------------------------------

FULL = Experiment(
    name="everything set",
    description='quotes " and \\ and ünïcödé\nand a second line',
    data=DataSpec(
        generator="csv",
        csv_path="data/points.csv",
        csv_x_column=2,
        csv_y_column=0,
        csv_header=False,
        csv_x_name="speed (mph) <b>",
        csv_y_name="ünïcödé distance",
        subsample=40,
        standardize=True,
        test_fraction=0.25,
        seed=99,
    ),  # fmt: skip
    model=ModelSpec(
        hidden=(LayerSpec(16, "tanh", bias=False), LayerSpec(3, "softplus")),
        output_activation="sigmoid",
        output_bias=False,
        init="constant",
        init_constant=-0.25,
    ),
    training=TrainingSpec(
        backend="torch",
        loss="sse",
        optimizer="momentum",
        learning_rate=1e-5,
        momentum=0.5,
        epochs=1234,
        batch_size=7,
        seed=3,
        dtype="float32",
        log_every=3,
    ),  # fmt: skip
)


@pytest.mark.parametrize("experiment", [*PRESETS.values(), FULL, Experiment()], ids=[*PRESETS, "full", "default"])
def test_toml_round_trip(experiment):
    text = experiment.to_toml()
    assert Experiment.from_toml(text) == experiment
    assert f"format_version = {FORMAT_VERSION}" in text


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "tab\there", "x" * 61, 3, ["a"]])
def test_a_column_name_is_one_printable_line_of_text(name):
    with pytest.raises(NNStudioError, match="data.csv_x_name must be a column name: one line of at most 60"):
        DataSpec(generator="csv", csv_path="a.csv", csv_x_name=name)


def test_toml_is_readable_by_a_teacher():
    text = PRESETS["sine"].to_toml()
    assert "[training]" in text and 'optimizer = "adam"' in text and "learning_rate = 0.1" in text
    assert 'units = 64, activation = "relu"' in text
    assert "batch_size" not in text  # TOML has no null: an unset value is left out


def test_save_and_load(tmp_path):
    path = tmp_path / "experiment.toml"
    FULL.save(path)
    assert Experiment.load(path) == FULL
    assert Experiment.load(str(path)) == FULL
    assert path.read_text(encoding="utf-8") == FULL.to_toml()
    # saving again replaces the file, and leaves no temporary files behind
    PRESETS["linear"].save(path)
    assert Experiment.load(path) == PRESETS["linear"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment.toml"]


def test_missing_keys_and_sections_take_their_defaults():
    assert Experiment.from_toml("") == Experiment()
    assert Experiment.from_toml("[training]\nlearning_rate = 0.5\n") == Experiment().with_training(learning_rate=0.5)
    layer_with_defaults = Experiment.from_toml("[[model.hidden]]\nunits = 8\n")
    assert layer_with_defaults.model.hidden == (LayerSpec(units=8),)


def test_a_hand_written_file_with_integers_for_floats():
    experiment = Experiment.from_toml("[data]\nx_min = -10\nx_max = 10\n[training]\nlearning_rate = 1\n")
    assert (experiment.data.x_min, experiment.data.x_max, experiment.training.learning_rate) == (-10, 10, 1)


# --- files that must be refused ---------------------------------------------------------------------

BAD_FILES = [
    ("[training]\nlearning_rat = 0.1\n", "unknown setting training.learning_rat (known: backend, batch_size,"),
    ("colour = 'red'\n", "unknown setting experiment.colour (known: data, description, model, name, training)"),
    ("[[model.hidden]]\nunits = 3\nwidth = 4\n", "unknown setting model.hidden.width (known: activation, bias, units)"),
    ("[data]\ngenerator = 'csv'\n", "data.csv_path is needed when data.generator is 'csv'"),  # a missing key
    ("format_version = 2\n", "this experiment was written by a newer nnstudio (format 2; this version reads up to 1)"),
    ("format_version = '1'\n", "format_version must be a whole number, got '1'"),
    ("data = 5\n", "[data] must be a table of settings, got 5"),
    ("[model]\nhidden = 3\n", "model.hidden must be a list of layers, got 3"),
    ("[model]\nhidden = [64, 32]\n", "model.hidden must be a list of layer tables, got 64"),
    ("[training]\nlearning_rate = 'fast'\n", "training.learning_rate must be a finite number, got 'fast'"),
    ("[training]\nlearning_rate = nan\n", "training.learning_rate must be a finite number, got nan"),
    ("[training]\noptimizer = ['adam']\n", "training.optimizer must be one of gd, momentum, adam, got ['adam']"),
    ("[training]\nepochs = 100000000\n", "training.epochs must be a whole number from 1 to 10000000, got 100000000"),
    ("[training]\nbatch_size = 1.5\n", "training.batch_size must be a whole number from 1 to 10000000, got 1.5"),
    ("[data]\nx_min = 2024-01-01\n", "data.x_min must be a finite number, got datetime.date(2024, 1, 1)"),
    ("[data]\nnoise_sd = " + "9" * 400 + "\n", "data.noise_sd must be in [0, 1e+06], got 999"),
    ("[training]\nseed = " + "9" * 5000 + "\n", "the experiment file is not valid TOML: "),
    ("{{{ not toml", "the experiment file is not valid TOML: "),
    ("[training\nepochs = 3\n", "the experiment file is not valid TOML: "),
    ("epochs = 3\nepochs = 4\n", "the experiment file is not valid TOML: "),
]


@pytest.mark.parametrize(("text", "message_start"), BAD_FILES, ids=[m[:40] for _, m in BAD_FILES])
def test_bad_files_are_refused_with_a_clear_message(tmp_path, text, message_start):
    with pytest.raises(NNStudioError) as caught:
        Experiment.from_toml(text)
    assert str(caught.value).startswith(message_start)
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NNStudioError) as caught:
        Experiment.load(path)
    assert str(caught.value).startswith("lesson.toml: " + message_start)


def test_from_dict_refuses_what_is_not_a_table():
    with pytest.raises(NNStudioError, match="^an experiment must be a table of settings$"):
        Experiment.from_dict([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "name = 'caf\u00e9'\n".encode("latin-1"), bytes(range(256))],
    ids=["png", "latin-1", "every-byte"],
)
def test_a_file_that_is_not_utf8_is_refused(tmp_path, raw):
    path = tmp_path / "picture.toml"
    path.write_bytes(raw)
    with pytest.raises(NNStudioError) as caught:
        Experiment.load(path)
    assert str(caught.value) == "picture.toml: the experiment file is not UTF-8 text"


def test_utf8_garbage_is_refused(tmp_path):
    path = tmp_path / "noise.toml"
    path.write_text("\u2603 \x07 ]]]] = = =\n", encoding="utf-8")
    with pytest.raises(NNStudioError, match="^noise.toml: the experiment file is not valid TOML"):
        Experiment.load(path)


def test_a_missing_file_or_a_folder_is_refused(tmp_path):
    with pytest.raises(NNStudioError, match=r"^cannot read .*absent\.toml: No such file or directory$"):
        Experiment.load(tmp_path / "absent.toml")
    with pytest.raises(NNStudioError, match="^cannot read "):
        Experiment.load(tmp_path)


# --- atomic writes -----------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "experiment.toml"
    PRESETS["sine"].save(path)
    before = path.read_bytes()

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(experiment_module.os, "replace", refuse)
    with pytest.raises(NNStudioError) as caught:
        PRESETS["linear"].save(path)
    assert str(caught.value) == f"cannot write {path}: No space left on device"
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["experiment.toml"]  # the temporary file is gone


def test_a_write_that_fails_half_way_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "experiment.toml"
    path.write_bytes(b"old contents")

    def fail_to_sync(descriptor):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(experiment_module.os, "fsync", fail_to_sync)
    with pytest.raises(NNStudioError, match="Input/output error"):
        write_atomically(path, b"new contents")
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["experiment.toml"]


def test_writing_into_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(NNStudioError, match="^cannot write to .*nowhere"):
        write_atomically(tmp_path / "nowhere" / "experiment.toml", b"x")


def test_write_atomically_writes_exactly_the_bytes(tmp_path):
    path = tmp_path / "out.bin"
    write_atomically(path, bytes(range(256)))
    assert path.read_bytes() == bytes(range(256))
    assert os.stat(path).st_size == 256


def test_an_experiment_survives_a_round_trip_after_replace():
    changed = replace(FULL, name="renamed")
    assert Experiment.from_toml(changed.to_toml()).name == "renamed"
