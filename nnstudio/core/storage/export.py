"""Results out: the trained weights (NumPy .npz, PyTorch state_dict .pt), the loss history (CSV),
and the experiment as a standalone training script (see script_export.py).

`capture(trainer)` copies what the exports need (call it where the trainer lives: the worker
thread); the `save_*` functions then write files atomically from that copy.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.core.engine.experiment import Experiment, write_atomically
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.script_export import ScriptInputs, script_source

# CSV headings for LossHistory.to_arrays()'s names; a kind added later keeps its own name.
LOSS_COLUMNS = {"epochs": "epoch", "train": "train_loss", "test": "test_loss", "penalty": "penalty"}


@dataclass(frozen=True, eq=False)
class Results:
    """A copy of a trainer's results: its settings, data, layers, weights and loss history."""

    experiment: Experiment
    dataset: object  # data.Dataset (immutable)
    layers: list[DenseLayer]
    parameters: dict[str, np.ndarray]  # our layout: W is (inputs, outputs)
    loss_history: dict[str, np.ndarray]  # LossHistory.to_arrays()
    epoch: int

    @property
    def script_inputs(self) -> ScriptInputs:
        return ScriptInputs(self.experiment, self.dataset, self.layers)


def check_writable(path: str | os.PathLike) -> None:
    """Refuse now, with the reason, a file that could not be written at the end of a long run.

    The test is the real thing: a temporary file is made (and removed) beside `path`.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise NNStudioError(f"cannot write {path}: it is a folder")
    if not folder.is_dir():
        raise NNStudioError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise NNStudioError(f"cannot write {path}: {error.strerror or error}") from None
    os.close(handle)
    os.unlink(temporary)


def capture(trainer: Trainer) -> Results:
    return Results(
        trainer.experiment,
        trainer.dataset,
        list(trainer.layers),
        trainer.backend.parameters(),
        trainer.loss_history.to_arrays(),
        trainer.epoch,
    )


# --- the weights ----------------------------------------------------------------------------------


def weights_arrays(results: Results) -> dict[str, np.ndarray]:
    """W1, b1, ... (W as (inputs, outputs): z = x W + b), each layer's activation, and the scaling.

    A prediction in original units: x' = (x − x_mean) / x_sd, run x' through the layers, then
    y = ŷ · y_sd + y_mean (the scaling is the identity when the data was not standardised).
    """
    arrays = dict(results.parameters)
    arrays["activations"] = np.array([layer.activation for layer in results.layers])
    scaler = results.dataset.scaler
    for name in ("x_mean", "x_sd", "y_mean", "y_sd"):
        arrays[name] = np.asarray(getattr(scaler, name), dtype=np.float64)
    return arrays


def save_weights_npz(results: Results, path: str | os.PathLike) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **weights_arrays(results))
    write_atomically(Path(path), buffer.getvalue())


def state_dict(results: Results):
    """The weights as nn.Sequential's state_dict (float64; `build_sequential(layers)` loads it)."""
    try:
        import torch
    except ImportError:
        raise NNStudioError("a state_dict is a PyTorch file: install PyTorch to export one") from None

    from nnstudio.core.engine.backends.torch_backend import torch_parameter_names

    names = torch_parameter_names(results.layers)
    tensors = {}
    for ours, theirs in names.items():
        value = results.parameters[ours]
        # our W is (inputs, outputs); nn.Linear's weight is (outputs, inputs)
        tensors[theirs] = torch.from_numpy(np.ascontiguousarray(value.T if theirs.endswith("weight") else value))
    return dict(sorted(tensors.items(), key=lambda item: int(item[0].split(".")[0])))


def save_state_dict(results: Results, path: str | os.PathLike) -> None:
    tensors = state_dict(results)  # first: it says so when PyTorch is missing
    import torch

    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    write_atomically(Path(path), buffer.getvalue())


# --- the loss history -----------------------------------------------------------------------------


def loss_history_csv(history: dict[str, np.ndarray]) -> str:
    """One row per epoch: epoch,train_loss,test_loss (an empty cell where there is no value)."""
    # the penalty only for a regularised run (NaN throughout otherwise)
    names = [name for name in history if name != "penalty" or np.isfinite(history[name]).any()]
    lines = [",".join(LOSS_COLUMNS.get(name, name) for name in names)]
    for row in zip(*(history[name] for name in names), strict=True):
        lines.append(",".join(_cell(value) for value in row))
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, np.integer):
        return str(int(value))
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def save_loss_csv(results: Results, path: str | os.PathLike) -> None:
    write_atomically(Path(path), loss_history_csv(results.loss_history).encode("utf-8"))


# --- the training script --------------------------------------------------------------------------


def save_script(results: Results, path: str | os.PathLike, flavour: str) -> None:
    """A standalone script that trains to the epoch the run reached (at least the experiment's target)."""
    path = Path(path)
    if path.suffix != ".py":
        raise NNStudioError(f"a Python script is named *.py, not {path.name!r}")
    epochs = max(results.epoch, results.experiment.training.epochs)
    source = script_source(results.script_inputs, flavour, epochs, filename=path.name)
    write_atomically(path, source.encode("utf-8"))
