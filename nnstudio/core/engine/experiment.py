"""An experiment is data + model + training: one small tree of validated, frozen dataclasses.

The app, the command line and the tests all start from an `Experiment`. It is checked when
it is built, so a bad value is reported once, with its name, before any training starts, and
it is saved as a TOML file a teacher can read and edit by hand.

The data part (`DataSpec`) is in data_spec.py; the checks each setting goes through, in experiment_checks.py.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from nnstudio.core.datasets.data import MAX_POINTS
from nnstudio.core.engine.data_spec import DataSpec
from nnstudio.core.engine.experiment_checks import check_bool, check_choice, check_float, check_int, fail
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import ACTIVATIONS, INITIALISATIONS
from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import parse_toml, read_file
from nnstudio.core.saving import write_atomically

FORMAT_VERSION = 1

OPTIMIZERS: dict[str, str] = {
    "gd": "gradient descent: w ← w − lr·g",
    "momentum": "momentum (PyTorch SGD): v ← μ·v + g,  w ← w − lr·v",
    "adam": "Adam: m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − lr·m̂ / (√v̂ + ε)",
}
# A penalty on the weights (never the biases) added to the loss the optimiser minimises, as in
# TensorFlow Playground; the log and the plot show the data loss and the penalty side by side.
REGULARIZATIONS: dict[str, str] = {
    "none": "no penalty: the optimiser minimises the data loss alone",
    "l1": "L1: penalty = rate·Σ|w|,  its gradient rate·sign(w)  (pushes weights to exactly 0)",
    "l2": "L2: penalty = rate·½·Σw²,  its gradient rate·w  (shrinks every weight in proportion)",
}
MAX_REGULARIZATION_RATE = 1e6
BACKENDS = ("numpy", "torch")
DTYPES = ("float64", "float32")
DEVICES = ("cpu", "cuda", "mps")

MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_EPOCHS = 10_000_000
# An experiment file is a few hundred bytes. The limit matters: tomllib needs memory quadratic in
# the length of a dotted key (a.a.a… = 1), so 100 kB of one would take tens of gigabytes.
MAX_FILE_BYTES = 16 * 1024


@dataclass(frozen=True)
class LayerSpec:
    """A hidden layer: how many units, their activation, and whether it has a bias."""

    units: int = 64
    activation: str = "relu"
    bias: bool = True

    def __post_init__(self) -> None:
        check_int("model.hidden", "units", self.units, 1, MAX_UNITS)
        check_choice("model.hidden", "activation", self.activation, ACTIVATIONS)
        check_bool("model.hidden", "bias", self.bias)


@dataclass(frozen=True)
class ModelSpec:
    """A stack of fully connected layers; the input and output widths come from the data."""

    hidden: tuple[LayerSpec, ...] = (LayerSpec(),)
    output_activation: str = "identity"
    output_bias: bool = True
    init: str = "kaiming_uniform"
    init_constant: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        if not isinstance(self.hidden, tuple) or not all(isinstance(h, LayerSpec) for h in self.hidden):
            fail("model", "hidden", "a list of layers", self.hidden)
        if len(self.hidden) > MAX_LAYERS:
            fail("model", "hidden", f"at most {MAX_LAYERS} hidden layers", len(self.hidden))
        check_choice("model", "output_activation", self.output_activation, ACTIVATIONS)
        check_bool("model", "output_bias", self.output_bias)
        check_choice("model", "init", self.init, INITIALISATIONS)
        check_float("model", "init_constant", self.init_constant, -1e3, 1e3)


@dataclass(frozen=True)
class TrainingSpec:
    """How the weights are learned: backend, loss, optimiser and schedule."""

    backend: str = "numpy"
    loss: str = "mse"
    optimizer: str = "adam"
    learning_rate: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    epochs: int = 100
    batch_size: int | None = None  # None: the whole training set in every step
    seed: int = 0  # initial weights and mini-batch shuffling
    dtype: str = "float64"
    device: str = "cpu"
    log_every: int = 10
    regularization: str = "none"  # a key of REGULARIZATIONS
    regularization_rate: float = 0.0  # the penalty's factor (Playground's "regularization rate")

    def __post_init__(self) -> None:
        s = "training"
        check_choice(s, "backend", self.backend, BACKENDS)
        check_choice(s, "loss", self.loss, LOSSES)
        check_choice(s, "optimizer", self.optimizer, OPTIMIZERS)
        check_float(s, "learning_rate", self.learning_rate, 0.0, 1e9, open_low=True)
        check_float(s, "momentum", self.momentum, 0.0, 0.999999)
        check_float(s, "beta1", self.beta1, 0.0, 0.999999)
        check_float(s, "beta2", self.beta2, 0.0, 0.999999)
        check_float(s, "eps", self.eps, 0.0, 1.0, open_low=True)
        check_int(s, "epochs", self.epochs, 1, MAX_EPOCHS)
        if self.batch_size is not None:
            check_int(s, "batch_size", self.batch_size, 1, MAX_POINTS)
        check_int(s, "seed", self.seed, 0, 2**32 - 1)
        check_choice(s, "dtype", self.dtype, DTYPES)
        check_choice(s, "device", self.device, DEVICES)
        check_int(s, "log_every", self.log_every, 1, MAX_EPOCHS)
        check_choice(s, "regularization", self.regularization, REGULARIZATIONS)
        check_float(s, "regularization_rate", self.regularization_rate, 0.0, MAX_REGULARIZATION_RATE)

    @property
    def penalised(self) -> bool:
        """Whether a weight penalty is added to the loss (a rate of 0 adds nothing)."""
        return self.regularization != "none" and self.regularization_rate > 0


@dataclass(frozen=True)
class Experiment:
    """Everything needed to reproduce a run, number for number."""

    name: str = "untitled"
    description: str = ""
    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            fail("experiment", "name", "text", self.name)
        if not isinstance(self.description, str):
            fail("experiment", "description", "text", self.description)

    def with_data(self, **changes: Any) -> Experiment:
        return replace(self, data=replace(self.data, **changes))

    def with_model(self, **changes: Any) -> Experiment:
        return replace(self, model=replace(self.model, **changes))

    def with_training(self, **changes: Any) -> Experiment:
        return replace(self, training=replace(self.training, **changes))

    # --- files -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready tree (TOML has no null, so unset optional values are left out)."""
        tree = {"format_version": FORMAT_VERSION, **asdict(self)}
        tree["model"]["hidden"] = [asdict(h) for h in self.model.hidden]
        return _drop_none(tree)

    @classmethod
    def from_dict(cls, tree: dict[str, Any]) -> Experiment:
        """Build and validate an experiment; unknown or mistyped keys are reported by name."""
        if not isinstance(tree, dict):
            raise NNStudioError("an experiment must be a table of settings")
        tree = dict(tree)
        version = tree.pop("format_version", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            raise NNStudioError(f"format_version must be a whole number, got {version!r}")
        if version > FORMAT_VERSION:
            raise NNStudioError(
                f"this experiment was written by a newer nnstudio (format {version}; "
                f"this version reads up to {FORMAT_VERSION})"
            )
        _reject_unknown("experiment", tree, {f.name for f in fields(cls)})
        data = _section(tree, "data")
        model = _section(tree, "model")
        training = _section(tree, "training")
        hidden = model.pop("hidden", None)
        try:
            if hidden is not None:
                if not isinstance(hidden, list):
                    fail("model", "hidden", "a list of layers", hidden)
                layers = []
                for layer in hidden:
                    if not isinstance(layer, dict):
                        fail("model", "hidden", "a list of layer tables", layer)
                    _reject_unknown("model.hidden", layer, {f.name for f in fields(LayerSpec)})
                    layers.append(LayerSpec(**layer))
                model["hidden"] = tuple(layers)
            _reject_unknown("data", data, {f.name for f in fields(DataSpec)})
            _reject_unknown("model", model, {f.name for f in fields(ModelSpec)})
            _reject_unknown("training", training, {f.name for f in fields(TrainingSpec)})
            return cls(
                name=tree.get("name", "untitled"),
                description=tree.get("description", ""),
                data=DataSpec(**data),
                model=ModelSpec(**model),
                training=TrainingSpec(**training),
            )
        except TypeError as error:  # e.g. a float where TOML gave a table
            raise NNStudioError(f"the experiment has a value of the wrong kind: {error}") from None

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str | bytes) -> Experiment:
        return cls.from_dict(parse_toml(text, "the experiment file", MAX_FILE_BYTES))

    def save(self, path: str | os.PathLike) -> None:
        write_atomically(Path(path), self.to_toml().encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Experiment:
        path = Path(path)
        raw = read_file(path, MAX_FILE_BYTES, "an experiment file")
        try:
            return cls.from_toml(raw)
        except NNStudioError as error:
            raise NNStudioError(f"{path.name}: {error}") from None


def _section(tree: dict[str, Any], name: str) -> dict[str, Any]:
    value = tree.get(name, {})
    if not isinstance(value, dict):
        raise NNStudioError(f"[{name}] must be a table of settings, got {value!r}")
    return dict(value)


def _reject_unknown(section: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        name = unknown[0] if unknown[0].isidentifier() else repr(unknown[0])  # a key may hold a line break
        raise NNStudioError(f"unknown setting {section}.{name} (known: {', '.join(sorted(known))})")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(item) for item in value]
    return value
