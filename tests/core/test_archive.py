"""Experiment files (.nnstudio): a saved run opens as the same run and trains on to the same numbers;
damaged, truncated, mistyped and newer files are refused with a message; a failed save harms nothing."""

import io
import os
import stat
import time
import tomllib
import tracemalloc
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import tomli_w
from hypothesis import given

from nnstudio.core import saving
from nnstudio.core.engine import experiment as experiment_module
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import archive
from nnstudio.core.storage.archive import (
    ARCHIVE_VERSION,
    load_trainer,
    points_to_keep,
    read_archive,
    read_experiment_file,
    save_trainer,
)
from tests.archive_crafting import (
    EXTREMES,
    archive_with_a_mutated_member,
    members,
    npy,
    npz_bomb,
    numbers_in,
    set_at,
    with_arrays,
    with_members,
    with_run,
)
from tests.core.helpers import step_losses
from tests.hostile import hostile_settings, scaled
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


def reopened(trainer: Trainer, path) -> Trainer:
    save_trainer(trainer, path)
    return load_trainer(path)


def test_a_run_whose_optimiser_was_switched_reopens_with_its_past_intact(tmp_path):
    original = trained(preset("sine"), 5)  # Adam: the timeline's states hold Adam's memory
    original.update_training(optimizer="gd", learning_rate=0.01)  # Adam's lr 0.1 makes plain gd explode
    step_losses(original, 2)
    opened = reopened(original, tmp_path / "switched.nnstudio")
    assert_same_run(original, opened)
    for trainer in (original, opened):  # back to an Adam moment, with gd now: the memory is not used
        trainer.rewind(3)
    assert_same_run(original, opened)
    np.testing.assert_array_equal(step_losses(opened, 4), step_losses(original, 4))


@pytest.mark.parametrize(
    ("optimizer", "batch_size", "learning_rate"),
    [("gd", None, 0.1), ("momentum", None, 0.1), ("gd", 10, 10.0), ("momentum", 7, 10.0)],
)
def test_a_diverged_run_reopens_diverged(tmp_path, optimizer, batch_size, learning_rate):
    training = {"learning_rate": learning_rate, "optimizer": optimizer, "batch_size": batch_size}
    experiment = preset("linear").with_training(**training)
    original = Trainer(experiment)
    final = list(original.run(until_epoch=500))[-1]
    assert final.status == "diverged"
    opened = reopened(original, tmp_path / "diverged.nnstudio")
    assert_same_run(original, opened)
    assert opened.diverged_message == original.diverged_message != ""
    with pytest.raises(NNStudioError, match="diverged"):
        opened.step()


def test_a_new_batch_size_mid_epoch_starts_the_epoch_again(tmp_path):
    original = Trainer(preset("sine").with_training(batch_size=10))
    step_losses(original, original.batches_per_epoch() + 3)  # one epoch and three mini-batches
    original.update_training(batch_size=None)  # one batch per epoch now
    assert (original.epoch, original.batch_in_epoch) == (1, 0)
    step_losses(original, 2)
    assert (original.epoch, original.batch_in_epoch) == (3, 0)
    assert_same_run(original, reopened(original, tmp_path / "rebatched.nnstudio"))


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
     "run.toml: progress.diverged_message must be a short text, got 3"),
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
     "arrays.npz: state/parameters/W1 must hold numbers, not object"),
    ("history too short", with_array("loss_history/train", np.ones(1)),
     "arrays.npz: loss_history/train holds 1 values, but the run stands at epoch 3"),
    ("history of another run", lambda a: rebuilt(a, run_toml=run_toml(a, set_in("progress", "epoch", 4))),
     "arrays.npz: loss_history/epochs holds 3 values, but the run stands at epoch 4"),
    ("history epochs as floats", with_array("loss_history/epochs", np.ones(3)),
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
    ("weights of another shape", lambda d: d.update({"state/parameters/W1": np.ones((3, 1))}),
     "lesson.nnstudio: the weights: W1 is 3×1, but the model needs 1×3"),
    ("a weight too many", lambda d: d.update({"state/parameters/W9": np.ones((1, 1))}),
     "lesson.nnstudio: the weights (W1, b1, W2, b2, W9) do not fit the model, which has W1, b1, W2, b2"),
    ("memory of another optimiser", lambda d: d.update({"state/optimizer_buffers/momentum_buffer/W1": np.ones((1, 3))}),
     "lesson.nnstudio: the weights: momentum_buffer is not memory of the adam optimiser"),
    ("memory of another shape", lambda d: d.update({"state/optimizer_buffers/exp_avg/W1": np.ones((3, 1))}),
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


# --- crafted files: refused in one sentence, before reading what they declare -------------------------


@pytest.fixture(scope="module")
def imported_archive() -> bytes:
    return archive.archive_bytes(archive.capture(trained(IMPORTED, 11, points=IMPORTED_POINTS)))


def summary_of(archive_bytes_: bytes) -> dict:
    return tomllib.loads(members(archive_bytes_)["run.toml"].decode())


CRAFTED = {
    # 64 MB of zeros in a 1.4 kB file: the inner member's packing gives it away before it is inflated
    "inner zip bomb": (lambda a, i: with_members(a, arrays_npz=npz_bomb("loss_history/train", 64 * 2**20)),
                       "arrays.npz: loss_history/train claims to unpack"),
    "outer zip bomb": (lambda a, i: with_members(a, arrays_npz=bytes(64 * 2**20)), "arrays.npz claims to unpack"),
    "declared 10¹² numbers": (lambda a, i: with_arrays(a, loss_history__train=npy(np.zeros(3), shape=(10**12,))),
                              "loss_history/train holds 1000000000000 values, but the run stands at epoch 3"),
    "declared a weight of 10⁶×10⁶": (
        lambda a, i: with_arrays(a, state__parameters__W1=npy(np.zeros(0), shape=(10**6, 10**6), data=b"")),
        "arrays.npz: state/parameters/W1 is 1000000×1000000, larger than any weight of the model"),
    "a header promising more than its data": (
        lambda a, i: with_arrays(a, loss_history__train=npy(np.zeros(2), shape=(3,))),
        "arrays.npz: loss_history/train declares 3 numbers, which its 144 bytes do not hold"),
    "no .npy mark": (lambda a, i: with_arrays(a, state__parameters__W1=b"not an array at all"),
                     "arrays.npz: state/parameters/W1 is not a NumPy array (it lacks the .npy mark)"),
    "records, not numbers": (
        lambda a, i: with_arrays(a, state__parameters__W1=npy(np.zeros(3, dtype=[("a", "<f8")]))),
        "arrays.npz: state/parameters/W1 must hold numbers, not [('a', '<f8')]"),
    "epoch 2⁶²": (lambda a, i: with_run(a, set_at(summary_of(a), ("progress", "epoch"), 2**62)),
                  "run.toml: progress.epoch = 4611686018427387904 is more than any run can reach"),
    "epoch 10¹⁵": (lambda a, i: with_run(a, set_at(summary_of(a), ("progress", "epoch"), 10**15)),
                   "arrays.npz: loss_history/epochs holds 3 values, but the run stands at epoch 1000000000000000"),
    "run.toml nested deeply": (lambda a, i: with_members(a, run_toml=b"a = " + b"[" * 5000 + b"]" * 5000),
                               "run.toml nests its values too deeply"),
    "run.toml of a megabyte": (lambda a, i: with_members(a, run_toml=b"#" * 2**20),
                               "run.toml would unpack to 1.0 MB, more than the 64 kB a saved run needs"),
    "two-column x on a regression run": (lambda a, i: with_arrays(i, data__x=npy(np.ones((40, 2)))),
                                         "data/x must be one column of 2 to 10,000,000 imported points"),
    "a loss as a huge whole number": (
        lambda a, i: with_run(a, set_at(summary_of(a), ("progress", "epoch_loss"), 10**400)),
        "run.toml: progress.epoch_loss must be a number, got 1000000"),
}  # fmt: skip


@pytest.mark.parametrize("what", CRAFTED)
def test_a_crafted_file_is_refused_in_one_sentence(tmp_path, small_archive, imported_archive, what):
    craft, message = CRAFTED[what]
    path = tmp_path / "crafted.nnstudio"
    path.write_bytes(craft(small_archive, imported_archive))
    with pytest.raises(NNStudioError) as caught:
        read_experiment_file(path).make_trainer()
    assert str(caught.value).startswith("crafted.nnstudio: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_crafted_file_makes_reading_it_take_a_gigabyte(tmp_path, small_archive, imported_archive):
    """The memory the reader allocates (tracemalloc sees NumPy's and zlib's buffers too), and the time."""
    for what, (craft, _) in CRAFTED.items():
        path = tmp_path / "crafted.nnstudio"
        path.write_bytes(craft(small_archive, imported_archive))
        tracemalloc.start()
        started = time.perf_counter()
        with pytest.raises(NNStudioError):
            read_experiment_file(path).make_trainer()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{what}: {path.stat().st_size:,} bytes refused in {seconds:.3f} s, peak {peak / 1e6:.1f} MB")
        assert peak < 1e9, what


def test_a_zip_that_lists_too_many_files_is_refused_before_they_are_listed(monkeypatch, small_archive):
    monkeypatch.setattr(archive, "MAX_NPZ_DIRECTORY_BYTES", 1000)  # the small archive's arrays list more
    with pytest.raises(NNStudioError, match="^many.nnstudio: arrays.npz lists more files than an nnstudio file"):
        read_archive(small_archive, "many.nnstudio")


def test_arrays_beyond_the_total_are_refused_before_they_are_read(monkeypatch, small_archive):
    monkeypatch.setattr(archive, "MAX_ARRAY_BYTES", 1000)
    message = r"^big.nnstudio: arrays.npz would unpack to [0-9,.]+ (bytes|kB) of arrays, more than the 1,000 bytes"
    with pytest.raises(NNStudioError, match=message):
        read_archive(small_archive, "big.nnstudio")


def test_arrays_that_are_not_ours_are_never_read(small_archive):
    opened = read_archive(with_arrays(small_archive, notes__huge=npy(np.zeros(0), shape=(10**12,), data=b"")))
    assert opened.run.progress.step_count == 3


@scaled
def test_every_member_mutated_opens_or_gives_one_error(scale, small_archive):
    @hostile_settings(60, scale)
    @given(archive_with_a_mutated_member(small_archive))
    def check(raw):
        try:
            trainer = read_archive(raw, "mutated.nnstudio").make_trainer()
            trainer.step()
        except NNStudioError as error:
            assert str(error).startswith("mutated.nnstudio") or "diverged" in str(error)

    check()


def test_every_number_in_run_toml_pushed_to_an_extreme_opens_or_gives_one_error(small_archive):
    summary = summary_of(small_archive)
    numbers = numbers_in(summary)
    assert ("progress", "epoch") in numbers and ("state", "optimizer_steps") in numbers
    outcomes = {}
    for where in numbers:
        for value in EXTREMES:
            try:
                trainer = read_archive(
                    with_run(small_archive, set_at(summary, where, value)), "x.nnstudio"
                ).make_trainer()
                trainer.step()
                outcomes[where, repr(value)] = "opened"
            except NNStudioError as error:
                assert str(error).startswith("x.nnstudio") or "diverged" in str(error)
                outcomes[where, repr(value)] = "refused"
    assert outcomes[("progress", "epoch"), "4611686018427387904"] == "refused"
    assert outcomes[("progress", "last_step_loss"), "inf"] == "opened"


# --- saving: stale temporaries, links, the folder ------------------------------------------------------


def test_a_save_removes_stale_temporaries_of_ours_and_nothing_else(tmp_path):
    old = time.time() - 3600
    stale = [tmp_path / ".sine.nnstudio~abcd1234.tmp", tmp_path / ".other.toml~zz_9zz_9.tmp"]
    fresh = tmp_path / ".sine.nnstudio~efgh5678.tmp"  # perhaps another save, still writing
    strangers = [tmp_path / ".notes.txt.abcdefgh.tmp", tmp_path / "sine~abcd1234.tmp", tmp_path / "keep.tmp"]
    for path in [*stale, fresh, *strangers]:
        path.write_bytes(b"half a file")
        os.utime(path, (old, old))
    os.utime(fresh, None)
    save_trainer(trained(preset("sine"), 2), tmp_path / "sine.nnstudio")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["sine.nnstudio", fresh.name, *(p.name for p in strangers)])


def test_saving_through_a_link_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "sine.nnstudio"
    save_trainer(trained(preset("sine"), 2), target)
    link = tmp_path / "latest.nnstudio"
    link.symlink_to(target)
    save_trainer(trained(preset("sine"), 5), link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert load_trainer(target).epoch == 5
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["sine.nnstudio"]


@pytest.mark.skipif(os.name != "posix", reason="folders are flushed on POSIX only")
def test_the_folder_is_flushed_after_the_rename(tmp_path, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def fsync(handle):
        flushed.append("folder" if stat.S_ISDIR(os.fstat(handle).st_mode) else "file")
        real_fsync(handle)

    monkeypatch.setattr(saving.os, "fsync", fsync)
    save_trainer(trained(preset("sine"), 2), tmp_path / "sine.nnstudio")
    assert flushed == ["file", "folder"]


def test_a_write_whose_check_fails_leaves_the_old_file(tmp_path, small_archive):
    path = tmp_path / "sine.nnstudio"
    path.write_bytes(small_archive)
    damaged = archive.ExperimentFile(preset("sine"))

    def refuse(written):
        raise NNStudioError("no")

    with pytest.raises(NNStudioError, match="^no$"):
        saving.write_atomically(path, archive.archive_bytes(damaged), check=refuse)
    assert path.read_bytes() == small_archive and [p.name for p in tmp_path.iterdir()] == ["sine.nnstudio"]
