"""Experiment files: the settings a teacher can read, and the arrays of a run, in one archive.

An `.nnstudio` file is a ZIP archive of three members (unzip it to look inside):

    experiment.toml   the settings, exactly a plain experiment file (see experiment.py)
    run.toml          ARCHIVE_VERSION, and where the run stands: epoch, steps, ...
    arrays.npz        NumPy arrays: the imported points, the weights and optimiser memory,
                      the loss history, and the weights at the timeline's recorded epochs

A plain `.toml` experiment file opens too (settings only: a fresh run from the initial
weights). Saving writes a temporary file and renames it over the old one, so a failed save
never damages it. A damaged, truncated or newer file is refused with one `NNStudioError`
that names the problem, before anything else happens.
"""

from __future__ import annotations

import io
import os
import tomllib
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from nnstudio import __version__
from nnstudio.core.backends.base import BUFFERS_BY_OPTIMIZER, TrainingState
from nnstudio.core.data import load_csv, load_labelled_csv
from nnstudio.core.errors import NNStudioError
from nnstudio.core.experiment import DataSpec, Experiment, write_atomically
from nnstudio.core.files import read_file
from nnstudio.core.history import LossHistory, StateHistory
from nnstudio.core.trainer import Progress, Trainer

ARCHIVE_VERSION = 1
SUFFIX = ".nnstudio"
EXPERIMENT_MEMBER, RUN_MEMBER, ARRAYS_MEMBER = "experiment.toml", "run.toml", "arrays.npz"
# The timeline's recorded weights are saved within this budget (every other one dropped until they fit).
STATE_HISTORY_BUDGET_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 2 * 1024**3  # a saved run with its data and histories; beyond this it is not one
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed date: the same run always makes the same bytes

Points = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class SavedRun:
    """What a trainer has learned: weights and optimiser memory, counters, and both histories."""

    state: TrainingState
    progress: Progress
    loss_history: LossHistory
    recorded_states: tuple[tuple[int, TrainingState], ...]  # the timeline's (epoch, state), epoch 0 first
    state_history_stride: int = 1


@dataclass(frozen=True, eq=False)
class ExperimentFile:
    """The contents of an experiment file: settings, imported points, and the run (None: settings only)."""

    experiment: Experiment
    points: Points | None = None
    run: SavedRun | None = None
    name: str = ""  # the file's name, for messages

    def make_trainer(self) -> Trainer:
        """A trainer that carries on exactly where the saved run stopped (or a fresh one)."""
        try:
            points = self.points if self.points is not None else source_points(self.experiment.data)
            trainer = Trainer(self.experiment, points)
            if self.run is not None:
                _check_run_fits(trainer, self.run)
                stored = StateHistory()
                stored.stride = self.run.state_history_stride
                order = list(trainer.backend.parameters())  # the numpy backend lays θ out in this order
                for epoch, state in self.run.recorded_states:
                    stored.record(epoch, _in_order(state, order))
                loss_history = LossHistory.from_arrays(self.run.loss_history.to_arrays())
                trainer.restore(_in_order(self.run.state, order), self.run.progress, loss_history, stored)
        except NNStudioError as error:
            raise NNStudioError(f"{self.name}: {error}" if self.name else str(error)) from None
        return trainer


def _in_order(state: TrainingState, names: list[str]) -> TrainingState:
    """A copy of `state` with its parameters (and buffers) listed in the model's order."""
    copy = state.copy()
    copy.parameters = {name: copy.parameters[name] for name in names}
    copy.optimizer_buffers = {
        kind: {name: per[name] for name in names if name in per} for kind, per in copy.optimizer_buffers.items()
    }
    return copy


def source_points(spec: DataSpec) -> Points | None:
    """The points a CSV spec names, read from its file; None for generated data (made from the seed)."""
    if spec.generator != "csv":
        return None
    if spec.task == "classification":
        return load_labelled_csv(spec.csv_path, spec.input_columns, spec.csv_label_column, spec.csv_header)
    return load_csv(spec.csv_path, spec.csv_x_column, spec.csv_y_column, spec.csv_header)


def points_to_keep(trainer: Trainer | None, spec: DataSpec) -> Points | None:
    """The trainer's imported points if `spec` still takes its data from the same source, else None."""
    if trainer is None or trainer.points is None or spec.generator != "csv":
        return None
    old = trainer.experiment.data
    same_source = (old.generator, old.csv_path, old.csv_x_column, old.csv_y_column, old.csv_header) == (
        spec.generator,
        spec.csv_path,
        spec.csv_x_column,
        spec.csv_y_column,
        spec.csv_header,
    )
    return trainer.points if same_source else None


# --- capturing and saving -------------------------------------------------------------------------


def capture(trainer: Trainer) -> ExperimentFile:
    """Copies of everything a file keeps (call it where the trainer lives: the worker thread)."""
    history = trainer.state_history
    recorded = tuple(history.at_or_before(epoch) for epoch in history.epochs)
    points = trainer.points if trainer.points is not None else source_points(trainer.experiment.data)
    run = SavedRun(
        trainer.backend.state(),
        trainer.progress(),
        LossHistory.from_arrays(trainer.loss_history.to_arrays()),
        recorded,
        history.stride,
    )
    points = None if points is None else tuple(np.array(a, dtype=np.float64) for a in points)
    return ExperimentFile(trainer.experiment, points, run)


def save(content: ExperimentFile, path: str | os.PathLike) -> None:
    """Write an `.nnstudio` archive; a `.toml` path gets the settings only. Atomic either way."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        content.experiment.save(path)
    else:
        write_atomically(path, archive_bytes(content))


def save_trainer(trainer: Trainer, path: str | os.PathLike) -> None:
    """Save the trainer's settings, data and run as an `.nnstudio` file (a `.toml` path: the settings only)."""
    save(capture(trainer), path)


def archive_bytes(content: ExperimentFile) -> bytes:
    """The archive, built in memory (nothing touches the disk until it is complete)."""
    run = content.run if content.run is not None else _untrained_run(content)
    recorded, stride = _within_budget(run.recorded_states, run.state_history_stride)
    summary = {
        "archive_version": ARCHIVE_VERSION,
        "written_by": f"nnstudio {__version__}",
        "imported_points": content.points is not None,
        "progress": {f.name: getattr(run.progress, f.name) for f in fields(Progress)},
        "state": {"optimizer_steps": run.state.optimizer_steps, "state_history_stride": stride},
    }
    arrays: dict[str, np.ndarray] = {}
    if content.points is not None:
        arrays["data/x"], arrays["data/y"] = (np.asarray(a, dtype=np.float64) for a in content.points)
    arrays.update(_state_arrays("state", run.state))
    arrays.update({f"loss_history/{name}": value for name, value in run.loss_history.to_arrays().items()})
    arrays["state_history/epochs"] = np.array([epoch for epoch, _ in recorded], dtype=np.int64)
    arrays["state_history/optimizer_steps"] = np.array([s.optimizer_steps for _, s in recorded], dtype=np.int64)
    for epoch, state in recorded:
        arrays.update(_state_arrays(f"state_history/{epoch}", state))
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in (
            (EXPERIMENT_MEMBER, content.experiment.to_toml().encode("utf-8")),
            (RUN_MEMBER, tomli_w.dumps(summary).encode("utf-8")),
            (ARRAYS_MEMBER, npz.getvalue()),
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _untrained_run(content: ExperimentFile) -> SavedRun:
    trainer = Trainer(content.experiment, content.points)
    return capture(trainer).run


def _state_arrays(prefix: str, state: TrainingState) -> dict[str, np.ndarray]:
    arrays = {f"{prefix}/parameters/{name}": value for name, value in state.parameters.items()}
    for kind, per_parameter in state.optimizer_buffers.items():
        arrays.update({f"{prefix}/optimizer_buffers/{kind}/{name}": v for name, v in per_parameter.items()})
    return arrays


def _within_budget(recorded, stride: int):
    """Drop every other recorded state (doubling the stride) until they fit the budget; epoch 0 stays."""
    recorded = list(recorded)
    while len(recorded) > 2 and sum(state.nbytes() for _, state in recorded) > STATE_HISTORY_BUDGET_BYTES:
        stride *= 2
        recorded = [(epoch, state) for epoch, state in recorded if epoch % stride == 0]
    return recorded, stride


# --- reading --------------------------------------------------------------------------------------


def read_experiment_file(path: str | os.PathLike) -> ExperimentFile:
    """Read and check an `.nnstudio` archive or a plain `.toml` experiment file."""
    path = Path(path)
    raw = read_file(path, MAX_ARCHIVE_BYTES, "an experiment file")  # not /dev/zero, not a pipe, not a film
    if raw[:2] == b"PK" or path.suffix.lower() == SUFFIX:
        return read_archive(raw, path.name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NNStudioError(f"{path.name} is neither an nnstudio experiment file nor a TOML text file") from None
    try:
        return ExperimentFile(Experiment.from_toml(text), name=path.name)
    except NNStudioError as error:
        raise NNStudioError(f"{path.name}: {error}") from None


def load_trainer(path: str | os.PathLike) -> Trainer:
    """Open an experiment file as a trainer, ready to continue training."""
    return read_experiment_file(path).make_trainer()


def read_archive(raw: bytes, name: str = "the file") -> ExperimentFile:
    """Check an archive's bytes and take them apart; every problem is one NNStudioError."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            wanted = [m for m in (EXPERIMENT_MEMBER, RUN_MEMBER, ARRAYS_MEMBER) if m in sizes]
            too_large = sum(sizes[m] for m in wanted) > MAX_ARCHIVE_BYTES  # unpacked: ask before unpacking
            members = {} if too_large else {m: archive.read(m) for m in wanted}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise NNStudioError(f"{name} is damaged or incomplete, so it was not opened ({error})") from None
    except NotImplementedError as error:  # e.g. a compression method this Python cannot read
        raise NNStudioError(f"{name} cannot be read here: {error}") from None
    if too_large:
        raise NNStudioError(f"{name} would unpack to more than {MAX_ARCHIVE_BYTES / 1e9:g} GB: not opened")
    for member in (RUN_MEMBER, EXPERIMENT_MEMBER, ARRAYS_MEMBER):
        if member not in members:
            raise NNStudioError(f"{name} is not a complete nnstudio experiment file: it has no {member}")
    try:
        summary = _toml_table(members[RUN_MEMBER], RUN_MEMBER)
        _check_version(summary)  # first: a newer file may hold anything else
        experiment = Experiment.from_toml(_text(members[EXPERIMENT_MEMBER], EXPERIMENT_MEMBER))
        arrays = _npz_arrays(members[ARRAYS_MEMBER])
        points = _points(summary, arrays)
        run = _saved_run(summary, arrays)
    except NNStudioError as error:
        raise NNStudioError(f"{name}: {error}") from None
    return ExperimentFile(experiment, points, run, name)


def _text(data: bytes, member: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NNStudioError(f"{member} is not UTF-8 text") from None


def _toml_table(data: bytes, member: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(data, member))
    except ValueError as error:
        raise NNStudioError(f"{member} is not valid TOML: {error}") from None


def _check_version(summary: dict[str, Any]) -> None:
    version = summary.get("archive_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise NNStudioError(f"{RUN_MEMBER}: archive_version must be a whole number ≥ 1, got {version!r}")
    if version > ARCHIVE_VERSION:
        written_by = summary.get("written_by")
        by = f" by {written_by}" if isinstance(written_by, str) else ""
        raise NNStudioError(
            f"this file was written{by} in a newer format (version {version}); "
            f"this nnstudio {__version__} reads up to version {ARCHIVE_VERSION}: please update nnstudio"
        )


def _npz_arrays(data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as error:
        raise NNStudioError(f"{ARRAYS_MEMBER} is damaged ({error})") from None


def _table(tree: dict[str, Any], key: str) -> dict[str, Any]:
    value = tree.get(key)
    if not isinstance(value, dict):
        raise NNStudioError(f"{RUN_MEMBER}: [{key}] must be a table, got {value!r}")
    return value


def _whole(table: dict[str, Any], section: str, key: str) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NNStudioError(f"{RUN_MEMBER}: {section}.{key} must be a whole number ≥ 0, got {value!r}")
    return value


def _progress(summary: dict[str, Any]) -> Progress:
    table = _table(summary, "progress")
    values = {}
    for f in fields(Progress):  # each counter checked by its declared kind
        value = table.get(f.name)
        if f.type == "int":
            value = _whole(table, "progress", f.name)
        elif f.type == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise NNStudioError(f"{RUN_MEMBER}: progress.{f.name} must be a number, got {value!r}")
            value = float(value)
        elif not isinstance(value, str):
            raise NNStudioError(f"{RUN_MEMBER}: progress.{f.name} must be text, got {value!r}")
        values[f.name] = value
    return Progress(**values)


def _float_array(arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    value = arrays[key]
    if value.dtype.kind not in "fiu":
        raise NNStudioError(f"{ARRAYS_MEMBER}: {key} must hold numbers, not {value.dtype}")
    return value.astype(np.float64)


def _points(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> Points | None:
    imported = summary.get("imported_points")
    if not isinstance(imported, bool):
        raise NNStudioError(f"{RUN_MEMBER}: imported_points must be true or false, got {imported!r}")
    if not imported:
        return None
    for key in ("data/x", "data/y"):
        if key not in arrays:
            raise NNStudioError(f"{ARRAYS_MEMBER} has no {key}, but {RUN_MEMBER} says the data was imported")
    x, y = _float_array(arrays, "data/x"), _float_array(arrays, "data/y")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) < 2:
        raise NNStudioError(f"{ARRAYS_MEMBER}: data/x and data/y must be two columns of equal length (≥ 2)")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise NNStudioError(f"{ARRAYS_MEMBER}: the imported points must be finite numbers")
    return x, y


def _state(arrays: dict[str, np.ndarray], prefix: str, optimizer_steps: int) -> TrainingState:
    parameters: dict[str, np.ndarray] = {}
    buffers: dict[str, dict[str, np.ndarray]] = {}
    for key in arrays:
        if not key.startswith(prefix + "/"):
            continue
        parts = key[len(prefix) + 1 :].split("/")
        if len(parts) == 2 and parts[0] == "parameters":
            parameters[parts[1]] = _float_array(arrays, key)
        elif len(parts) == 3 and parts[0] == "optimizer_buffers":
            buffers.setdefault(parts[1], {})[parts[2]] = _float_array(arrays, key)
    if not parameters:
        raise NNStudioError(f"{ARRAYS_MEMBER} holds no weights under {prefix}/parameters")
    return TrainingState(parameters, optimizer_steps, buffers)


def _saved_run(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> SavedRun:
    progress = _progress(summary)
    state_table = _table(summary, "state")
    optimizer_steps = _whole(state_table, "state", "optimizer_steps")
    stride = _whole(state_table, "state", "state_history_stride")
    if stride < 1:
        raise NNStudioError(f"{RUN_MEMBER}: state.state_history_stride must be at least 1, got {stride}")
    state = _state(arrays, "state", optimizer_steps)

    history_arrays = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("loss_history/")}
    epochs = history_arrays.get("epochs")
    if epochs is None or epochs.dtype.kind not in "iu":
        raise NNStudioError(f"{ARRAYS_MEMBER}: loss_history/epochs must be whole numbers")
    for key, value in history_arrays.items():
        if value.ndim != 1 or value.dtype.kind not in "fiu":
            raise NNStudioError(f"{ARRAYS_MEMBER}: loss_history/{key} must be a list of numbers")
    try:
        loss_history = LossHistory.from_arrays(history_arrays)
    except (KeyError, ValueError) as error:
        raise NNStudioError(f"{ARRAYS_MEMBER}: the loss history is incomplete ({error})") from None
    if not np.array_equal(loss_history.epochs, np.arange(1, progress.epoch + 1)):
        raise NNStudioError(
            f"the loss history holds {len(loss_history)} epoch(s), but the run stands at epoch {progress.epoch}"
        )

    recorded_epochs = arrays.get("state_history/epochs")
    recorded_steps = arrays.get("state_history/optimizer_steps")
    if (
        recorded_epochs is None
        or recorded_steps is None
        or recorded_epochs.ndim != 1
        or recorded_epochs.dtype.kind not in "iu"
        or recorded_steps.shape != recorded_epochs.shape
        or recorded_steps.dtype.kind not in "iu"
        or len(recorded_epochs) == 0
        or recorded_epochs[0] != 0
        or np.any(np.diff(recorded_epochs) <= 0)
        or recorded_epochs[-1] > progress.epoch
        or np.any(recorded_steps < 0)
    ):
        raise NNStudioError(f"{ARRAYS_MEMBER}: the timeline's recorded epochs are missing or out of order")
    recorded = tuple(
        (int(epoch), _state(arrays, f"state_history/{epoch}", int(steps)))
        for epoch, steps in zip(recorded_epochs, recorded_steps, strict=True)
    )
    return SavedRun(state, progress, loss_history, recorded, stride)


def _check_run_fits(trainer: Trainer, run: SavedRun) -> None:
    """The saved weights must be the model's: the same names and shapes, the optimiser's own memory."""
    expected = {name: value.shape for name, value in trainer.backend.parameters().items()}
    buffer_kinds = BUFFERS_BY_OPTIMIZER[trainer.training.optimizer]
    states = [("the weights", run.state), *((f"the weights at epoch {e}", s) for e, s in run.recorded_states)]
    for label, state in states:
        found = {name: value.shape for name, value in state.parameters.items()}
        if found.keys() != expected.keys():
            raise NNStudioError(f"{label} ({', '.join(found)}) do not fit the model, which has {', '.join(expected)}")
        for name, shape in found.items():
            if shape != expected[name]:
                raise NNStudioError(f"{label}: {name} is {_shape(shape)}, but the model needs {_shape(expected[name])}")
        for kind, per_parameter in state.optimizer_buffers.items():
            if kind not in buffer_kinds:
                raise NNStudioError(f"{label}: {kind} is not memory of the {trainer.training.optimizer} optimiser")
            for name, value in per_parameter.items():
                if expected.get(name) != value.shape:
                    raise NNStudioError(f"{label}: the optimiser's {kind} for {name} does not fit the model")
    progress = run.progress
    if progress.batch_in_epoch >= trainer.batches_per_epoch():
        raise NNStudioError(
            f"the run is at mini-batch {progress.batch_in_epoch} of an epoch that has only "
            f"{trainer.batches_per_epoch()}"
        )
    if progress.step_count < progress.epoch:
        raise NNStudioError(f"{progress.step_count} steps cannot make {progress.epoch} epochs")


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(size) for size in shape) or "a single number"
