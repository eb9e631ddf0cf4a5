"""Experiment files (.nnstudio): a saved run opens as the same run and trains on to the same numbers;
damaged, truncated, mistyped and newer files are refused with a message; a failed save harms nothing."""

import io
import os
import tomllib
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import tomli_w

from nnstudio.core import archive
from nnstudio.core import experiment as experiment_module
from nnstudio.core.archive import (
    ARCHIVE_VERSION,
    load_trainer,
    points_to_keep,
    read_archive,
    read_experiment_file,
    save_trainer,
)
from nnstudio.core.errors import NNStudioError
from nnstudio.core.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.presets import preset
from nnstudio.core.trainer import Trainer
from tests.core.helpers import step_losses
from tests.portability import posix_only

IMPORTED = Experiment(
    name="imported",
    data=DataSpec(generator="csv", csv_path="gone-missing.csv", standardize=True, test_fraction=0.25),
    model=ModelSpec(hidden=(LayerSpec(6, "tanh"),)),
    training=TrainingSpec(optimizer="momentum", learning_rate=0.05, batch_size=7, epochs=20),
)
IMPORTED_POINTS = (np.linspace(-3, 3, 40), np.sin(np.linspace(-3, 3, 40)) + 0.1 * np.arange(40) % 0.3)


def trained(experiment, steps, backend="numpy", points=None):
    trainer = Trainer(experiment.with_training(backend=backend), points)
    step_losses(trainer, steps)
    return trainer


def assert_same_run(first: Trainer, second: Trainer):
    assert second.experiment == first.experiment
    a, b = first.backend.state(), second.backend.state()
    assert list(a.parameters) == list(b.parameters)
    for name in a.parameters:
        np.testing.assert_array_equal(a.parameters[name], b.parameters[name])
    assert a.optimizer_steps == b.optimizer_steps
    assert a.optimizer_buffers.keys() == b.optimizer_buffers.keys()
    for kind in a.optimizer_buffers:
        for name in a.optimizer_buffers[kind]:
            np.testing.assert_array_equal(a.optimizer_buffers[kind][name], b.optimizer_buffers[kind][name])
    for got, expected in zip(vars(second.progress()).values(), vars(first.progress()).values(), strict=True):
        assert got == expected or (got != got and expected != expected)  # NaN (no step yet) matches NaN
    for key, values in first.loss_history.to_arrays().items():
        np.testing.assert_array_equal(values, second.loss_history.to_arrays()[key])
    assert second.state_history.epochs == first.state_history.epochs


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("name", "steps"),
    [("linear", 37), ("sine", 25), ("sine-tanh-deep", 13), ("bump-momentum", 30), ("line-manual", 0)],
)
def test_a_saved_run_opens_as_the_same_run_and_trains_on_to_the_same_numbers(tmp_path, name, steps, backend):
    original = trained(preset(name), steps, backend)  # sine-tanh-deep: 13 steps = 2 epochs and 3 batches
    path = tmp_path / f"{name}.nnstudio"
    save_trainer(original, path)
    opened = load_trainer(path)
    assert_same_run(original, opened)
    np.testing.assert_array_equal(step_losses(opened, 24), step_losses(original, 24))
    np.testing.assert_array_equal(opened.backend.parameters()["W1"], original.backend.parameters()["W1"])
    np.testing.assert_array_equal(opened.loss_history.train, original.loss_history.train)


def test_imported_points_travel_inside_the_file(tmp_path):
    original = trained(IMPORTED, 11, points=IMPORTED_POINTS)
    path = tmp_path / "imported.nnstudio"
    save_trainer(original, path)
    opened = read_experiment_file(path)
    np.testing.assert_array_equal(opened.points[0], IMPORTED_POINTS[0])
    np.testing.assert_array_equal(opened.points[1], IMPORTED_POINTS[1])
    trainer = opened.make_trainer()  # gone-missing.csv is not needed: the points are in the file
    assert_same_run(original, trainer)
    np.testing.assert_array_equal(step_losses(trainer, 9), step_losses(original, 9))


def test_a_plain_toml_file_opens_with_its_settings_only(tmp_path):
    path = tmp_path / "sine.toml"
    preset("sine").save(path)
    opened = read_experiment_file(path)
    assert opened.experiment == preset("sine") and opened.run is None and opened.points is None
    fresh = Trainer(preset("sine"))
    np.testing.assert_array_equal(step_losses(opened.make_trainer(), 5), step_losses(fresh, 5))


def test_saving_to_a_toml_path_writes_the_settings_only(tmp_path):
    path = tmp_path / "settings.toml"
    save_trainer(trained(preset("sine"), 3), path)
    assert Experiment.load(path) == preset("sine")


def test_the_archive_is_readable_text_plus_arrays(tmp_path):
    path = tmp_path / "sine.nnstudio"
    save_trainer(trained(preset("sine"), 4), path)
    with zipfile.ZipFile(path) as zipped:
        assert zipped.namelist() == ["experiment.toml", "run.toml", "arrays.npz"]
        assert Experiment.from_toml(zipped.read("experiment.toml").decode()) == preset("sine")
        summary = tomllib.loads(zipped.read("run.toml").decode())
        arrays = np.load(io.BytesIO(zipped.read("arrays.npz")), allow_pickle=False)
        keys = set(arrays.files)
    assert summary["archive_version"] == ARCHIVE_VERSION
    assert summary["progress"]["epoch"] == 4 and summary["state"]["optimizer_steps"] == 4
    assert {"state/parameters/W1", "state/optimizer_buffers/exp_avg/W1", "loss_history/train"} <= keys
    assert {"state_history/epochs", "state_history/4/parameters/b2"} <= keys


def test_the_same_run_always_makes_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.nnstudio", tmp_path / "b.nnstudio"
    save_trainer(trained(preset("sine"), 6), first)
    save_trainer(trained(preset("sine"), 6), second)
    assert first.read_bytes() == second.read_bytes()


def test_a_long_timeline_is_thinned_to_the_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "STATE_HISTORY_BUDGET_BYTES", 40_000)
    original = trained(preset("sine"), 60)  # 61 Adam states of 193 weights: ~280 kB
    save_trainer(original, tmp_path / "long.nnstudio")
    opened = load_trainer(tmp_path / "long.nnstudio")
    assert opened.state_history.epochs[0] == 0 and len(opened.state_history) < len(original.state_history)
    assert all(epoch % opened.state_history.stride == 0 for epoch in opened.state_history.epochs)
    assert opened.rewind(20) <= 20  # the timeline still works on what was kept
    np.testing.assert_array_equal(opened.loss_history.train, original.loss_history.train[: opened.epoch])


def test_points_are_kept_while_the_data_comes_from_the_same_source():
    trainer = Trainer(IMPORTED, IMPORTED_POINTS)
    assert points_to_keep(trainer, replace(IMPORTED.data, test_fraction=0.1)) is IMPORTED_POINTS
    assert points_to_keep(trainer, DataSpec(generator="csv", csv_path="other.csv")) is None
    assert points_to_keep(trainer, DataSpec()) is None
    assert points_to_keep(None, IMPORTED.data) is None


# --- files that must be refused ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_archive() -> bytes:
    trainer = Trainer(
        Experiment(
            model=ModelSpec(hidden=(LayerSpec(3, "tanh"),)),
            data=DataSpec(n_points=12),
            training=TrainingSpec(optimizer="adam", epochs=5),
        )
    )
    step_losses(trainer, 3)
    return archive.archive_bytes(archive.capture(trainer))


def test_a_file_truncated_anywhere_is_refused_with_a_message(tmp_path, small_archive):
    path = tmp_path / "cut.nnstudio"
    assert len(small_archive) > 2000
    for size in range(0, len(small_archive), 10):
        path.write_bytes(small_archive[:size])
        with pytest.raises(NNStudioError) as caught:
            read_experiment_file(path)
        assert str(caught.value).startswith("cut.nnstudio")
    path.write_bytes(small_archive)
    assert read_experiment_file(path).run.progress.step_count == 3


def test_a_truncated_file_without_the_suffix_is_refused_too(tmp_path, small_archive):
    path = tmp_path / "renamed.bin"
    for size in (2, 3, 40, len(small_archive) // 2, len(small_archive) - 1):
        path.write_bytes(small_archive[:size])
        with pytest.raises(NNStudioError, match="renamed.bin"):
            read_experiment_file(path)


def test_damaged_bytes_are_caught(small_archive):
    data = bytearray(small_archive)
    refused = 0
    for position in range(40, len(data) - 100, 97):
        damaged = data.copy()
        damaged[position] ^= 0x55
        try:
            read_archive(bytes(damaged), "damaged.nnstudio").make_trainer()
        except NNStudioError as error:
            refused += 1
            assert "damaged.nnstudio" in str(error)
    assert refused > 0  # every flipped byte is refused or harmless; none raises anything else


def rebuilt(original: bytes, **members) -> bytes:
    """The archive with some members replaced (bytes), or removed (None)."""
    with zipfile.ZipFile(io.BytesIO(original)) as zipped:
        contents = {name: zipped.read(name) for name in zipped.namelist()}
    for name, value in members.items():
        name = name.replace("_", ".", 1)
        if value is None:
            contents.pop(name)
        else:
            contents[name] = value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, value in contents.items():
            zipped.writestr(name, value)
    return buffer.getvalue()


def run_toml(original: bytes, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(original)) as zipped:
        summary = tomllib.loads(zipped.read("run.toml").decode())
    change(summary)
    return tomli_w.dumps(summary).encode()


def arrays_npz(original: bytes, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(original)) as zipped:
        npz = np.load(io.BytesIO(zipped.read("arrays.npz")), allow_pickle=False)
        arrays = {key: npz[key] for key in npz.files}
    change(arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def set_in(section, key, value):
    def change(summary):
        (summary[section] if section else summary)[key] = value

    return change


def with_array(key, value):
    """A damage: the array `key` replaced by `value`; None removes every array under the prefix `key`."""

    def change(arrays):
        if value is None:
            for name in [name for name in arrays if name.startswith(key)]:
                del arrays[name]
        else:
            arrays[key] = value

    return lambda original: rebuilt(original, arrays_npz=arrays_npz(original, change))


BAD_RUNS = [
    ("newer", lambda a: rebuilt(a, run_toml=run_toml(a, set_in(None, "archive_version", ARCHIVE_VERSION + 1))),
     "in a newer format (version 2); this nnstudio 0.1.0 reads up to version 1: please update nnstudio"),
    ("no version", lambda a: rebuilt(a, run_toml=run_toml(a, lambda s: s.pop("archive_version"))),
     "run.toml: archive_version must be a whole number ≥ 1, got None"),
    ("epoch as text", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "epoch", "ten"))),
     "run.toml: progress.epoch must be a whole number ≥ 0, got 'ten'"),
    ("negative steps", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "step_count", -3))),
     "run.toml: progress.step_count must be a whole number ≥ 0, got -3"),
    ("loss as text", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "epoch_loss", "low"))),
     "run.toml: progress.epoch_loss must be a number, got 'low'"),
    ("message as number", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "diverged_message", 3))),
     "run.toml: progress.diverged_message must be text, got 3"),
    ("progress not a table", lambda a: rebuilt(a, run_toml=run_toml(a, set_in(None, "progress", 7))),
     "run.toml: [progress] must be a table, got 7"),
    ("imported as text", lambda a: rebuilt(a, run_toml=run_toml(a, set_in(None, "imported_points", "yes"))),
     "run.toml: imported_points must be true or false, got 'yes'"),
    ("imported without data", lambda a: rebuilt(a, run_toml=run_toml(a, set_in(None, "imported_points", True))),
     "arrays.npz has no data/x, but run.toml says the data was imported"),
    ("run.toml not TOML", lambda a: rebuilt(a, run_toml=b"archive_version = = 1"), "run.toml is not valid TOML"),
    ("run.toml not text", lambda a: rebuilt(a, run_toml=b"\xff\xfe\x00"), "run.toml is not UTF-8 text"),
    ("no run.toml", lambda a: rebuilt(a, run_toml=None),
     "is not a complete nnstudio experiment file: it has no run.toml"),
    ("no arrays", lambda a: rebuilt(a, arrays_npz=None), "it has no arrays.npz"),
    ("arrays not npz", lambda a: rebuilt(a, arrays_npz=b"not numpy at all"), "arrays.npz is damaged"),
    ("bad settings", lambda a: rebuilt(a, experiment_toml=b"[training]\nlearning_rate = -1\n"),
     "training.learning_rate must be in (0, 1e+09], got -1"),
    ("weights as text", with_array("state/parameters/W1", np.array(["x"])),
     "arrays.npz: state/parameters/W1 must hold numbers, not <U1"),
    ("pickled weights", with_array("state/parameters/W1", np.array([{"evil": 1}], dtype=object)),
     "arrays.npz is damaged"),
    ("history too short", with_array("loss_history/train", np.ones(1)),
     "the loss history is incomplete (train has 1 values, epochs has 3)"),
    ("history of another run", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "epoch", 4))),
     "the loss history holds 3 epoch(s), but the run stands at epoch 4"),
    ("history epochs as floats", with_array("loss_history/epochs", np.ones(0)),
     "arrays.npz: loss_history/epochs must be whole numbers"),
    ("timeline out of order", with_array("state_history/epochs", np.array([3])),
     "arrays.npz: the timeline's recorded epochs are missing or out of order"),
    ("no weights", with_array("state/", None), "arrays.npz holds no weights under state/parameters"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "damage", "message"), BAD_RUNS, ids=[case[0] for case in BAD_RUNS])
def test_a_file_with_wrong_contents_is_refused_by_name(tmp_path, small_archive, what, damage, message):
    path = tmp_path / "lesson.nnstudio"
    path.write_bytes(damage(small_archive))
    with pytest.raises(NNStudioError) as caught:
        read_experiment_file(path).make_trainer()
    assert str(caught.value).startswith("lesson.nnstudio")
    assert message in str(caught.value)


BAD_FITS = [
    ("weights of another shape", lambda d: d.update({"state/parameters/W1": np.ones((1, 5))}),
     "lesson.nnstudio: the weights: W1 is 1×5, but the model needs 1×3"),
    ("a weight too many", lambda d: d.update({"state/parameters/W9": np.ones((1, 1))}),
     "lesson.nnstudio: the weights (W1, b1, W2, b2, W9) do not fit the model, which has W1, b1, W2, b2"),
    ("memory of another optimiser", lambda d: d.update({"state/optimizer_buffers/momentum_buffer/W1": np.ones((1, 3))}),
     "lesson.nnstudio: the weights: momentum_buffer is not memory of the adam optimiser"),
    ("memory of another shape", lambda d: d.update({"state/optimizer_buffers/exp_avg/W1": np.ones((2, 3))}),
     "lesson.nnstudio: the weights: the optimiser's exp_avg for W1 does not fit the model"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change", "message"), BAD_FITS, ids=[case[0] for case in BAD_FITS])
def test_saved_weights_that_do_not_fit_the_model_are_refused(tmp_path, small_archive, what, change, message):
    path = tmp_path / "lesson.nnstudio"
    path.write_bytes(rebuilt(small_archive, arrays_npz=arrays_npz(small_archive, change)))
    opened = read_experiment_file(path)  # the parts are well formed...
    with pytest.raises(NNStudioError) as caught:
        opened.make_trainer()  # ...but they do not belong together
    assert str(caught.value) == message


def test_a_mini_batch_position_beyond_the_epoch_is_refused(tmp_path, small_archive):
    path = tmp_path / "lesson.nnstudio"
    path.write_bytes(rebuilt(small_archive, run_toml=run_toml(small_archive, set_in("progress", "batch_in_epoch", 4))))
    with pytest.raises(NNStudioError, match="the run is at mini-batch 4 of an epoch that has only 1"):
        load_trainer(path)


def test_an_archive_that_would_unpack_to_gigabytes_is_refused_before_unpacking(tmp_path, monkeypatch, small_archive):
    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 1000)  # the small archive unpacks to more than this
    with pytest.raises(NNStudioError, match="^bomb.nnstudio would unpack to more than 1e-06 GB: not opened$"):
        read_archive(small_archive, "bomb.nnstudio")


def test_files_that_are_not_experiments_at_all(tmp_path):
    picture = tmp_path / "picture.toml"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(NNStudioError, match="^picture.toml is neither an nnstudio experiment file nor a TOML"):
        read_experiment_file(picture)
    with pytest.raises(NNStudioError, match="^cannot read .*absent.nnstudio"):
        read_experiment_file(tmp_path / "absent.nnstudio")
    empty = tmp_path / "empty.nnstudio"
    empty.write_bytes(b"")
    with pytest.raises(NNStudioError, match="^empty.nnstudio is damaged or incomplete"):
        read_experiment_file(empty)
    other_zip = tmp_path / "other.nnstudio"
    with zipfile.ZipFile(other_zip, "w") as zipped:
        zipped.writestr("readme.txt", "hello")
    with pytest.raises(NNStudioError, match="^other.nnstudio is not a complete nnstudio experiment file"):
        read_experiment_file(other_zip)


# --- saving never harms the previous file ---------------------------------------------------------


def test_a_save_that_fails_half_way_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "sine.nnstudio"
    save_trainer(trained(preset("sine"), 5), path)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class DiskFullHalfWay:
        """A file that takes half of what is written, then reports a full disk."""

        def __init__(self, handle, mode):
            self._stream = real_fdopen(handle, mode)

        def write(self, data):
            self._stream.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self._stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._stream.close()

    monkeypatch.setattr(experiment_module.os, "fdopen", DiskFullHalfWay)
    with pytest.raises(NNStudioError, match="^cannot write .*sine.nnstudio: No space left on device$"):
        save_trainer(trained(preset("sine"), 40), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sine.nnstudio"]  # no temporary file left behind
    monkeypatch.undo()
    assert load_trainer(path).epoch == 5


def test_a_crash_while_building_the_archive_never_touches_the_disk(tmp_path, monkeypatch):
    path = tmp_path / "sine.nnstudio"
    save_trainer(trained(preset("sine"), 5), path)
    before = path.read_bytes()
    real_writestr = zipfile.ZipFile.writestr
    written = []

    def crash_on_the_second_member(self, info, data, *args, **kwargs):
        written.append(info)
        if len(written) == 2:
            raise MemoryError("out of memory")
        return real_writestr(self, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash_on_the_second_member)
    with pytest.raises(MemoryError):
        save_trainer(trained(preset("sine"), 40), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["sine.nnstudio"]


@posix_only
def test_saving_keeps_the_old_files_permissions(tmp_path):
    path = tmp_path / "shared.nnstudio"
    save_trainer(trained(preset("linear"), 2), path)
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600
    path.chmod(0o640)
    save_trainer(trained(preset("linear"), 4), path)
    assert path.stat().st_mode & 0o777 == 0o640
