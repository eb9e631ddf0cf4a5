"""Compare runs: records made from trainers, a collection with unique names, a table, a plain dict."""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
import tomli_w

from nnstudio.core.engine.experiment import Experiment, LayerSpec
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.runs import (
    TABLE_COLUMNS,
    RunCollection,
    RunRecord,
    RunRow,
    architecture,
    default_run_name,
    format_number,
)


def trained(experiment: Experiment, epochs: int) -> Trainer:
    trainer = Trainer(experiment)
    for _ in trainer.run(until_epoch=epochs, snapshot_interval=1e9):
        pass
    return trainer


@pytest.fixture(scope="module")
def sine_run() -> RunRecord:
    return RunRecord.from_trainer(None, trained(PRESETS["sine"], 12), seconds=1.25)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (0.001, "0.001"),
        (1e-4, "1e-4"),
        (2.5e-4, "2.5e-4"),
        (1e-5, "1e-5"),
        (3.0, "3"),
        (0.05, "0.05"),
        (1e6, "1e6"),
    ],
)
def test_learning_rates_are_written_as_people_write_them(value, text):
    assert format_number(value) == text


def test_default_names_describe_the_configuration():
    assert default_run_name(PRESETS["sine"]) == "adam lr 0.1 · numpy · 1-64-1 relu"
    assert default_run_name(PRESETS["linear"]) == "gd lr 1e-4 · numpy · 1-1 linear"
    assert default_run_name(PRESETS["line-manual"], backend="torch") == "gd lr 1e-5 · torch · 1-1 linear"
    deep = PRESETS["sine-tanh-deep"].with_training(dtype="float32")
    assert default_run_name(deep) == "adam lr 0.01 · numpy · 1-32-32-1 tanh · batch 32 · float32"
    mixed = PRESETS["sine"].with_model(hidden=(LayerSpec(8, "relu"), LayerSpec(4, "tanh")), output_activation="sigmoid")
    assert architecture(mixed) == "1-8-4-1 relu/tanh → sigmoid"


# --- a record from a trainer -------------------------------------------------------------------


def test_a_record_keeps_copies_of_the_trainers_history():
    trainer = trained(PRESETS["sine"], 10)
    record = RunRecord.from_trainer("first try", trainer, seconds=0.5)
    np.testing.assert_array_equal(record.epochs, np.arange(1, 11))
    np.testing.assert_array_equal(record.train_loss, trainer.loss_history.train)
    assert record.final_train_loss == trainer.loss_history.train[-1]
    assert math.isnan(record.final_test_loss) and np.all(np.isnan(record.test_loss))  # no test set
    assert (record.name, record.training_seconds, record.backend, record.visible) == ("first try", 0.5, "numpy", True)
    assert record.experiment == trainer.experiment
    saved = record.train_loss.copy()
    for _ in trainer.run(until_epoch=20, snapshot_interval=1e9):
        pass
    np.testing.assert_array_equal(record.train_loss, saved)  # training on does not change a kept run
    assert len(record.epochs) == 10


def test_a_record_of_a_run_with_a_test_set_and_a_torch_backend():
    trainer = trained(PRESETS["cubic-overfit"].with_training(backend="torch"), 2)
    record = RunRecord.from_trainer(None, trainer, seconds=2.0)
    assert record.name == "adam lr 0.01 · torch · 1-128-128-1 relu" and record.backend == "torch"
    assert record.final_test_loss == trainer.loss_history.test[-1] and np.isfinite(record.final_test_loss)


def test_a_record_of_a_run_without_epochs_has_no_final_loss():
    record = RunRecord.from_trainer("untrained", Trainer(PRESETS["linear"]), seconds=0.0)
    assert len(record.epochs) == 0 and math.isnan(record.final_train_loss)


# --- the collection ------------------------------------------------------------------------------


def test_names_are_made_unique(sine_run):
    runs = RunCollection()
    names = [runs.add(sine_run).name for _ in range(3)]
    assert names == [sine_run.name, f"{sine_run.name} (2)", f"{sine_run.name} (3)"]
    again = RunRecord.from_dict({**sine_run.to_dict(), "name": f"{sine_run.name} (2)"})
    assert runs.add(again).name == f"{sine_run.name} (4)"  # a copy of a copy is not "(2) (2)"
    assert runs.names == [*names, f"{sine_run.name} (4)"] and len(runs) == 4
    with pytest.raises(NNStudioError, match="needs a name"):
        runs.unique_name("   ")


def test_remove_rename_and_show_hide(sine_run):
    runs = RunCollection()
    for name in ("gd", "adam", "momentum"):
        runs.add(RunRecord.from_dict({**sine_run.to_dict(), "name": name}))
    runs.remove("adam")
    assert runs.names == ["gd", "momentum"] and "adam" not in runs
    with pytest.raises(NNStudioError, match="no run called 'adam'"):
        runs.remove("adam")
    assert runs.rename("gd", "plain descent") == "plain descent"
    assert runs.names == ["plain descent", "momentum"]  # keeps its place
    assert runs["plain descent"].name == "plain descent"
    assert runs.rename("momentum", "plain descent") == "plain descent (2)"
    assert runs.rename("plain descent", "plain descent") == "plain descent"
    assert runs.toggle_visible("plain descent") is False
    assert [run.name for run in runs.visible_runs()] == ["plain descent (2)"]
    assert runs.toggle_visible("plain descent") is True
    runs.set_visible("plain descent (2)", False)
    assert [run.visible for run in runs] == [True, False]
    runs.clear()
    assert len(runs) == 0


def test_table_rows_show_each_runs_configuration_and_result(sine_run):
    runs = RunCollection()
    runs.add(sine_run)
    linear = RunRecord.from_trainer(None, trained(PRESETS["linear"], 7), seconds=0.1)
    runs.add(linear)
    first, second = runs.table()
    assert first == RunRow(
        name="adam lr 0.1 · numpy · 1-64-1 relu",
        visible=True,
        optimizer="adam",
        learning_rate=0.1,
        backend="numpy",
        architecture="1-64-1 relu",
        epochs=12,
        loss="mse, original units",
        final_train_loss=sine_run.final_train_loss,
        final_test_loss=first.final_test_loss,
        training_seconds=1.25,
    )
    assert math.isnan(first.final_test_loss)
    assert (second.optimizer, second.learning_rate, second.epochs, second.architecture) == ("gd", 1e-4, 7, "1-1 linear")
    assert second.final_train_loss == linear.train_loss[-1]
    assert second.loss == "sse, standardised units"  # the linear preset standardises x and y
    assert {column for column, _ in TABLE_COLUMNS} == set(RunRow.__dataclass_fields__)


# --- plain dicts for saving ---------------------------------------------------------------------


def test_a_collection_survives_json_and_toml(sine_run):
    runs = RunCollection()
    runs.add(sine_run)
    runs.add(RunRecord.from_trainer("with test set", trained(PRESETS["sine-tanh-deep"], 2), seconds=3.0))
    runs.toggle_visible("with test set")
    for text, load in ((json.dumps(runs.to_dict()), json.loads), (tomli_w.dumps(runs.to_dict()), tomllib.loads)):
        back = RunCollection.from_dict(load(text))
        assert back.names == runs.names
        for original, restored in zip(runs, back, strict=True):
            assert restored.experiment == original.experiment and restored.visible == original.visible
            np.testing.assert_array_equal(restored.epochs, original.epochs)
            np.testing.assert_array_equal(restored.train_loss, original.train_loss)
            np.testing.assert_array_equal(restored.test_loss, original.test_loss)  # NaN too
            assert (restored.training_seconds, restored.backend) == (original.training_seconds, original.backend)


def test_a_damaged_saved_run_is_reported_plainly(sine_run):
    tree = sine_run.to_dict()
    with pytest.raises(NNStudioError, match="missing its 'backend'"):
        RunRecord.from_dict({key: value for key, value in tree.items() if key != "backend"})
    with pytest.raises(NNStudioError, match="different lengths"):
        RunRecord.from_dict({**tree, "train_loss": tree["train_loss"][:-1]})
    with pytest.raises(NNStudioError, match="wrong kind"):
        RunRecord.from_dict({**tree, "training_seconds": "fast"})
    with pytest.raises(NNStudioError, match="unknown setting"):
        RunRecord.from_dict({**tree, "experiment": {"colour": "red"}})
