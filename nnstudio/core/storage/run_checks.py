"""A saved run, and the checks it passes before anything is built from it (see archive.py).

Everything a file says is a claim until checked here: each number in run.toml by its kind and
range, each array in arrays.npz by its declared shape (before it is read: `ArrayExpectations`),
and the whole run against the model it is opened with (`check_run_fits`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from nnstudio.core.datasets.class_generators import MAX_CLASSES
from nnstudio.core.engine.backends.base import BUFFERS_BY_OPTIMIZER, TrainingState
from nnstudio.core.engine.experiment import MAX_POINTS, Experiment
from nnstudio.core.engine.history import MAX_STATES, LossHistory
from nnstudio.core.engine.model import dense_layers
from nnstudio.core.engine.trainer import Progress, Trainer
from nnstudio.core.errors import NNStudioError

RUN_MEMBER, ARRAYS_MEMBER = "run.toml", "arrays.npz"
MAX_COUNT = 2**53  # steps, epochs...: beyond this a float no longer counts them exactly; no run gets near
MAX_MESSAGE_CHARS = 2000
LOSS_HISTORY_KINDS = ("epochs", "train", "test", "penalty")
_NAME = r"[A-Za-z0-9_]{1,64}"  # W1, b1, exp_avg...: never a line break or a path
_STATE_KEY = re.compile(rf"(state|state_history/\d{{1,19}})/(parameters/{_NAME}|optimizer_buffers/{_NAME}/{_NAME})")


@dataclass(frozen=True, eq=False)
class SavedRun:
    """What a trainer has learned: weights and optimiser memory, counters, and both histories."""

    state: TrainingState
    progress: Progress
    loss_history: LossHistory
    recorded_states: tuple[tuple[int, TrainingState], ...]  # the timeline's (epoch, state), epoch 0 first
    state_history_stride: int = 1


@dataclass(frozen=True)
class RunShape:
    """What a saved run must fit: the model's weights, the optimiser in use, the mini-batches of an epoch."""

    parameter_shapes: dict[str, tuple[int, ...]]
    optimizer: str
    batches_per_epoch: int

    @classmethod
    def of(cls, trainer: Trainer) -> RunShape:
        shapes = {name: value.shape for name, value in trainer.backend.parameters().items()}
        return cls(shapes, trainer.training.optimizer, trainer.batches_per_epoch())


# --- run.toml ---------------------------------------------------------------------------------------


def table(tree: dict[str, Any], key: str) -> dict[str, Any]:
    value = tree.get(key)
    if not isinstance(value, dict):
        raise NNStudioError(f"{RUN_MEMBER}: [{key}] must be a table, got {_short(value)}")
    return value


def whole(table: dict[str, Any], section: str, key: str, low: int = 0) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise NNStudioError(f"{RUN_MEMBER}: {section}.{key} must be a whole number ≥ {low}, got {_short(value)}")
    if value > MAX_COUNT:
        raise NNStudioError(f"{RUN_MEMBER}: {section}.{key} = {_short(value)} is more than any run can reach")
    return value


def progress_from(summary: dict[str, Any]) -> Progress:
    values = {}
    progress = table(summary, "progress")
    for f in fields(Progress):  # each counter checked by its declared kind
        value = progress.get(f.name)
        if f.type == "int":
            value = whole(progress, "progress", f.name)
        elif f.type == "float":
            too_long = isinstance(value, int) and abs(value) > 1e308  # float() of it would overflow
            if isinstance(value, bool) or not isinstance(value, int | float) or too_long:
                raise NNStudioError(f"{RUN_MEMBER}: progress.{f.name} must be a number, got {_short(value)}")
            value = float(value)
        elif not isinstance(value, str) or len(value) > MAX_MESSAGE_CHARS:
            raise NNStudioError(f"{RUN_MEMBER}: progress.{f.name} must be a short text, got {_short(value)}")
        values[f.name] = value
    return Progress(**values)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- arrays.npz, judged by the headers before a byte of data is read -------------------------------


class ArrayExpectations:
    """Which arrays a run of `experiment` at `progress` may hold, and how large each may be."""

    def __init__(self, experiment: Experiment, progress: Progress, imported: bool) -> None:
        self.classification = experiment.data.task == "classification"
        self.epochs = progress.epoch
        self.imported = imported
        n_outputs = MAX_CLASSES if self.classification else 1  # the data fixes it; this is the most it can be
        data = experiment.data
        # a CSV's inputs are columns of data/x; one input of numbers to fit is kept as one column of values
        self.x_columns = len(data.input_columns) if self.classification or data.csv_input_columns is not None else 0
        layers = dense_layers(experiment.model, data.n_model_inputs, n_outputs)
        self.largest_parameter = max(max(layer.n_in, 1) * layer.n_out for layer in layers)

    def wants(self, key: str) -> bool:
        """Whether `key` is an array of ours (anything else in the file is never read)."""
        return (
            (self.imported and key in ("data/x", "data/y"))
            or key in {f"loss_history/{kind}" for kind in LOSS_HISTORY_KINDS}
            or key in ("state_history/epochs", "state_history/optimizer_steps")
            or _STATE_KEY.fullmatch(key) is not None
        )

    def check(self, key: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        """Refuse a declared shape that cannot belong to this run (called before the array is read)."""
        if key in ("data/x", "data/y"):
            self._points(key, shape)
        elif key.startswith("loss_history/"):
            if shape != (self.epochs,):
                raise NNStudioError(
                    f"{ARRAYS_MEMBER}: {key} holds {_shape(shape)} values, but the run stands at epoch {self.epochs}"
                )
        elif key.startswith("state_history/") and "/" not in key[len("state_history/") :]:
            if len(shape) != 1 or not 1 <= shape[0] <= MAX_STATES:
                raise NNStudioError(f"{ARRAYS_MEMBER}: {key} must list 1 to {MAX_STATES} moments, not {_shape(shape)}")
        elif len(shape) > 2 or math.prod(shape) > self.largest_parameter:
            raise NNStudioError(f"{ARRAYS_MEMBER}: {key} is {_shape(shape)}, larger than any weight of the model")

    def _points(self, key: str, shape: tuple[int, ...]) -> None:
        columns = (self.x_columns,) if self.x_columns and key == "data/x" else ()
        if self.x_columns == 1 and len(shape) == 1:
            columns = ()  # one input, as one column of values
        if len(shape) != 1 + len(columns) or shape[1:] != columns or not 2 <= shape[0] <= MAX_POINTS:
            wanted = f"{columns[0]} columns" if columns else "one column"
            raise NNStudioError(
                f"{ARRAYS_MEMBER}: {key} must be {wanted} of 2 to {MAX_POINTS:,} imported points "
                f"for this {'classification' if self.classification else 'regression'} experiment, "
                f"not {_shape(shape)}"
            )


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(size) for size in shape) or "a single number"


def number_array(arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    value = arrays[key]
    if value.dtype.kind not in "fiu":
        raise NNStudioError(f"{ARRAYS_MEMBER}: {key} must hold numbers, not {value.dtype}")
    return value.astype(np.float64, copy=False)


def points_from(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    if not summary["imported_points"]:
        return None
    for key in ("data/x", "data/y"):
        if key not in arrays:
            raise NNStudioError(f"{ARRAYS_MEMBER} has no {key}, but {RUN_MEMBER} says the data was imported")
    x, y = number_array(arrays, "data/x"), number_array(arrays, "data/y")
    if len(x) != len(y):
        raise NNStudioError(f"{ARRAYS_MEMBER}: data/x and data/y must hold the same number of points")
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
            parameters[parts[1]] = number_array(arrays, key)
        elif len(parts) == 3 and parts[0] == "optimizer_buffers":
            buffers.setdefault(parts[1], {})[parts[2]] = number_array(arrays, key)
    if not parameters:
        raise NNStudioError(f"{ARRAYS_MEMBER} holds no weights under {prefix}/parameters")
    return TrainingState(parameters, optimizer_steps, buffers)


def saved_run_from(summary: dict[str, Any], progress: Progress, arrays: dict[str, np.ndarray]) -> SavedRun:
    state_table = table(summary, "state")
    optimizer_steps = whole(state_table, "state", "optimizer_steps")
    stride = whole(state_table, "state", "state_history_stride", low=1)
    state = _state(arrays, "state", optimizer_steps)
    loss_history = _loss_history(arrays, progress)

    recorded_epochs = arrays.get("state_history/epochs")
    recorded_steps = arrays.get("state_history/optimizer_steps")
    if (
        recorded_epochs is None
        or recorded_steps is None
        or recorded_epochs.dtype.kind not in "iu"
        or recorded_steps.shape != recorded_epochs.shape
        or recorded_steps.dtype.kind not in "iu"
        or recorded_epochs[0] != 0
        or np.any(np.diff(recorded_epochs) <= 0)
        or recorded_epochs[-1] > progress.epoch
        or np.any(recorded_steps < 0)
        or np.any(recorded_steps > MAX_COUNT)
    ):
        raise NNStudioError(f"{ARRAYS_MEMBER}: the timeline's recorded epochs are missing or out of order")
    recorded = tuple(
        (int(epoch), _state(arrays, f"state_history/{epoch}", int(steps)))
        for epoch, steps in zip(recorded_epochs, recorded_steps, strict=True)
    )
    return SavedRun(state, progress, loss_history, recorded, stride)


def _loss_history(arrays: dict[str, np.ndarray], progress: Progress) -> LossHistory:
    history_arrays = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("loss_history/")}
    epochs = history_arrays.get("epochs")
    if epochs is None or epochs.dtype.kind not in "iu":
        raise NNStudioError(f"{ARRAYS_MEMBER}: loss_history/epochs must be whole numbers")
    for key, value in history_arrays.items():
        if value.dtype.kind not in "fiu":
            raise NNStudioError(f"{ARRAYS_MEMBER}: loss_history/{key} must be a list of numbers")
    # 1, 2, …, epoch, compared without building that list (the epoch is checked against the arrays' length)
    if len(epochs) != progress.epoch or (len(epochs) and (epochs[0] != 1 or np.any(np.diff(epochs) != 1))):
        raise NNStudioError(
            f"the loss history holds {len(epochs)} epoch(s), but the run stands at epoch {progress.epoch}"
        )
    try:
        return LossHistory.from_arrays(history_arrays)
    except (KeyError, ValueError) as error:
        raise NNStudioError(f"{ARRAYS_MEMBER}: the loss history is incomplete ({error})") from None


# --- the run against the model it is opened with -----------------------------------------------------


def check_run_fits(shape: RunShape, run: SavedRun) -> None:
    """The saved weights must be the model's: the same names and shapes, and whole optimiser memory.

    The current weights carry the memory of the optimiser in use. A recorded moment carries the
    memory of the optimiser that was in use then (the optimiser may have been switched since);
    going back to it uses that memory only if it is the current optimiser's.
    """
    expected = shape.parameter_shapes
    _check_state("the weights", run.state, expected, BUFFERS_BY_OPTIMIZER[shape.optimizer], shape.optimizer)
    for epoch, state in run.recorded_states:
        _check_state(f"the weights at epoch {epoch}", state, expected, _optimizer_of(state), None)
    progress = run.progress
    # A step that diverges is counted, but does not end its epoch: its mini-batch may be the epoch's last.
    last = shape.batches_per_epoch if progress.diverged_message else shape.batches_per_epoch - 1
    if progress.batch_in_epoch > last:
        raise NNStudioError(
            f"the run is at mini-batch {progress.batch_in_epoch} of an epoch that has only {shape.batches_per_epoch}"
        )
    if progress.step_count < progress.epoch:
        raise NNStudioError(f"{progress.step_count} steps cannot make {progress.epoch} epochs")


def _optimizer_of(state: TrainingState) -> tuple[str, ...]:
    """The buffer kinds of the optimiser whose memory `state` holds (none held: any optimiser's, i.e. ())."""
    kinds = set(state.optimizer_buffers)
    for buffer_kinds in BUFFERS_BY_OPTIMIZER.values():
        if kinds and kinds <= set(buffer_kinds):
            return buffer_kinds
    return ()


def _check_state(label: str, state: TrainingState, expected, buffer_kinds: tuple[str, ...], optimizer) -> None:
    found = {name: value.shape for name, value in state.parameters.items()}
    if found.keys() != expected.keys():
        raise NNStudioError(f"{label} ({', '.join(found)}) do not fit the model, which has {', '.join(expected)}")
    for name, size in found.items():
        if size != expected[name]:
            raise NNStudioError(f"{label}: {name} is {_shape(size)}, but the model needs {_shape(expected[name])}")
    for kind, per_parameter in state.optimizer_buffers.items():
        if kind not in buffer_kinds:
            whose = f"the {optimizer} optimiser" if optimizer else "one optimiser"
            raise NNStudioError(f"{label}: {kind} is not memory of {whose}")
        for name, value in per_parameter.items():
            if expected.get(name) != value.shape:
                raise NNStudioError(f"{label}: the optimiser's {kind} for {name} does not fit the model")
    if state.optimizer_buffers and (
        set(state.optimizer_buffers) != set(buffer_kinds)
        or any(per.keys() != expected.keys() for per in state.optimizer_buffers.values())
    ):
        raise NNStudioError(f"{label}: the optimiser's memory is incomplete (it must cover every weight)")
