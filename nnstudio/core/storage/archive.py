"""Experiment files: the settings a teacher can read, and the arrays of a run, in one archive.

An `.nnstudio` file is a ZIP archive of three members (unzip it to look inside):

    experiment.toml   the settings, exactly a plain experiment file (see experiment.py)
    run.toml          ARCHIVE_VERSION, and where the run stands: epoch, steps, ...
    arrays.npz        NumPy arrays: the imported points, the weights and optimiser memory,
                      the loss history, and the weights at the timeline's recorded epochs

A plain `.toml` experiment file opens too (settings only: a fresh run from the initial
weights). Saving writes a temporary file, reads it back as Open would, and only then renames
it over the old one: a failed save never damages it, and a file that would not open again is
not saved. A damaged, truncated, crafted or newer file is refused with one `NNStudioError`
that names the problem, before anything else happens: the settings and counters are read
first, and every array's declared size is judged against them before it is read
(run_checks.py, npz_files.py).
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from nnstudio import __version__
from nnstudio.core.datasets.data import load_spec_csv
from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.experiment import MAX_FILE_BYTES, DataSpec, Experiment
from nnstudio.core.engine.history import LossHistory, StateHistory
from nnstudio.core.engine.trainer import Progress, Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import parse_toml, read_file, size_text
from nnstudio.core.saving import write_atomically
from nnstudio.core.storage.npz_files import check_packing, open_zip, read_npz
from nnstudio.core.storage.run_checks import (
    ARRAYS_MEMBER,
    RUN_MEMBER,
    ArrayExpectations,
    RunShape,
    SavedRun,
    check_run_fits,
    points_from,
    progress_from,
    saved_run_from,
)

__all__ = ["RunShape", "SavedRun"]  # defined in run_checks, part of this module's interface

ARCHIVE_VERSION = 1
SUFFIX = ".nnstudio"
EXPERIMENT_MEMBER = "experiment.toml"
# The timeline's recorded weights are saved within this budget (every other one dropped until they fit).
STATE_HISTORY_BUDGET_BYTES = 32 * 1024 * 1024
# The numbers a file may hold: ten million imported points with their labels and a long loss history fit.
MAX_ARRAY_BYTES = 384 * 1024 * 1024
MAX_NPZ_BYTES = MAX_ARRAY_BYTES + 32 * 1024 * 1024  # the arrays with their .npy headers and ZIP entries
MAX_NPZ_DIRECTORY_BYTES = 16 * 1024 * 1024  # ~100 000 arrays: the timeline's moments of the largest model
MAX_RUN_BYTES = 64 * 1024  # run.toml: a few counters
MAX_MEMBER_BYTES = {EXPERIMENT_MEMBER: MAX_FILE_BYTES, RUN_MEMBER: MAX_RUN_BYTES, ARRAYS_MEMBER: MAX_NPZ_BYTES}
MAX_ARCHIVE_BYTES = MAX_NPZ_BYTES + 1024 * 1024  # the file: its members packed (they never grow by packing)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed date: the same run always makes the same bytes

Points = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class ExperimentFile:
    """The contents of an experiment file: settings, imported points, and the run (None: settings only)."""

    experiment: Experiment
    points: Points | None = None
    run: SavedRun | None = None
    name: str = ""  # the file's name, for messages
    folder: Path | None = None  # the file's folder: a relative data.csv_path is read from there

    def make_trainer(self) -> Trainer:
        """A trainer that carries on exactly where the saved run stopped (or a fresh one)."""
        try:
            points = self.points if self.points is not None else source_points(self.experiment.data, self.folder)
            trainer = Trainer(self.experiment, points)
            if self.run is not None:
                check_run_fits(RunShape.of(trainer), self.run)
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


def source_points(spec: DataSpec, folder: Path | None = None) -> Points | None:
    """The points a CSV spec names, read from its file; None for generated data (made from the seed).

    A relative path is taken from `folder` (the experiment file's), else from the current folder.
    """
    if spec.generator != "csv":
        return None
    return load_spec_csv(spec, folder)


def points_to_keep(trainer: Trainer | None, spec: DataSpec) -> Points | None:
    """The trainer's imported points if `spec` still takes its data from the same source, else None."""
    if trainer is None or trainer.points is None or spec.generator != "csv":
        return None
    old = trainer.experiment.data
    same_source = (old.generator, old.csv_path, old.input_columns, old.target_column, old.csv_header) == (
        spec.generator,
        spec.csv_path,
        spec.input_columns,
        spec.target_column,
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


def save(content: ExperimentFile, path: str | os.PathLike, shape: RunShape | None = None) -> None:
    """Write an `.nnstudio` archive; a `.toml` path gets the settings only. Atomic either way.

    The written file is read back before it replaces the old one (and, given the `shape` of the
    trainer it came from, checked to fit that model): a file that would not open is not saved.
    """
    path = Path(path)
    if path.suffix.lower() == ".toml":
        write_atomically(
            path, content.experiment.to_toml().encode("utf-8"), check=lambda written: _reread_settings(written, path)
        )
    else:
        write_atomically(path, archive_bytes(content), check=lambda written: _reread(written, path, shape))


def save_trainer(trainer: Trainer, path: str | os.PathLike) -> None:
    """Save the trainer's settings, data and run as an `.nnstudio` file (a `.toml` path: the settings only)."""
    save(capture(trainer), path, RunShape.of(trainer))


def _reread(written: Path, path: Path, shape: RunShape | None) -> None:
    """Open the file just written as Open would (without building a trainer); refuse to keep it if it fails."""
    try:
        content = read_archive(read_file(written, MAX_ARCHIVE_BYTES, "an experiment file"), path.name)
        if shape is not None and content.run is not None:
            check_run_fits(shape, content.run)
    except NNStudioError as error:
        raise NNStudioError(f"{path} was not saved: the written file would not open again ({error})") from None


def _reread_settings(written: Path, path: Path) -> None:
    try:
        Experiment.load(written)
    except NNStudioError as error:
        raise NNStudioError(f"{path} was not saved: the written file would not open again ({error})") from None


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
    # not /dev/zero, not a pipe, not a film; a plain TOML file is refused at its own, smaller limit unread
    limit = MAX_FILE_BYTES if path.suffix.lower() == ".toml" else MAX_ARCHIVE_BYTES
    raw = read_file(path, limit, "an experiment file")
    if raw[:2] == b"PK" or path.suffix.lower() == SUFFIX:
        return replace(read_archive(raw, path.name), folder=path.parent)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NNStudioError(f"{path.name} is neither an nnstudio experiment file nor a TOML text file") from None
    try:
        return ExperimentFile(Experiment.from_toml(text), name=path.name, folder=path.parent)
    except NNStudioError as error:
        raise NNStudioError(f"{path.name}: {error}") from None


def load_trainer(path: str | os.PathLike) -> Trainer:
    """Open an experiment file as a trainer, ready to continue training."""
    return read_experiment_file(path).make_trainer()


def read_archive(raw: bytes, name: str = "the file") -> ExperimentFile:
    """Check an archive's bytes and take them apart; every problem is one NNStudioError.

    The settings and the counters are read first: they say which arrays the run can hold and how
    large each can be, and every array's declared size is checked against that before it is read.
    """
    try:
        with open_zip(raw, name, max_directory_bytes=64 * 1024) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            for member in (RUN_MEMBER, EXPERIMENT_MEMBER, ARRAYS_MEMBER):
                if member not in infos:
                    raise NNStudioError(f"{name} is not a complete nnstudio experiment file: it has no {member}")
                _check_member_size(infos[member], name)
            summary = _summary(archive.read(RUN_MEMBER), name)
            experiment = _experiment(archive.read(EXPERIMENT_MEMBER), name)
            npz = archive.read(ARRAYS_MEMBER)
    except NNStudioError:
        raise
    except NotImplementedError as error:  # e.g. a compression method this Python cannot read
        raise NNStudioError(f"{name} cannot be read here: {error}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as error:
        raise NNStudioError(f"{name} is damaged or incomplete, so it was not opened ({error})") from None
    try:
        progress = progress_from(summary)
        expected = ArrayExpectations(experiment, progress, summary["imported_points"])
        arrays = read_npz(npz, ARRAYS_MEMBER, expected.wants, expected.check, MAX_ARRAY_BYTES, MAX_NPZ_DIRECTORY_BYTES)
        del npz
        points = points_from(summary, arrays)
        run = saved_run_from(summary, progress, arrays)
    except NNStudioError as error:
        raise NNStudioError(f"{name}: {error}") from None
    return ExperimentFile(experiment, points, run, name)


def _check_member_size(info: zipfile.ZipInfo, name: str) -> None:
    """A member may unpack to no more than what a saved run needs: asked before unpacking it."""
    limit = MAX_MEMBER_BYTES[info.filename]
    if info.file_size > limit:
        raise NNStudioError(
            f"{name}: {info.filename} would unpack to {size_text(info.file_size)}, "
            f"more than the {size_text(limit)} a saved run needs: not opened"
        )
    check_packing(info, f"{name}: {info.filename}")


def _summary(data: bytes, name: str) -> dict[str, Any]:
    """run.toml's table, its format version checked first (a newer file may hold anything else)."""
    try:
        summary = parse_toml(data, RUN_MEMBER, MAX_RUN_BYTES)
        _check_version(summary)
        imported = summary.get("imported_points")
        if not isinstance(imported, bool):
            raise NNStudioError(f"{RUN_MEMBER}: imported_points must be true or false, got {imported!r}")
    except NNStudioError as error:
        raise NNStudioError(f"{name}: {error}") from None
    return summary


def _experiment(data: bytes, name: str) -> Experiment:
    try:
        return Experiment.from_toml(data)
    except NNStudioError as error:
        raise NNStudioError(f"{name}: {error}") from None


def _check_version(summary: dict[str, Any]) -> None:
    version = summary.get("archive_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise NNStudioError(f"{RUN_MEMBER}: archive_version must be a whole number ≥ 1, got {version!r}")
    if version > ARCHIVE_VERSION:
        written_by = summary.get("written_by")
        by = f" by {written_by}" if isinstance(written_by, str) and written_by.isprintable() else ""
        raise NNStudioError(
            f"this file was written{by} in a newer format (version {version}); "
            f"this nnstudio {__version__} reads up to version {ARCHIVE_VERSION}: please update nnstudio"
        )
