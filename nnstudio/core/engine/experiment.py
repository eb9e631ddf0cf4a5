"""An experiment is data + model + training: one small tree of validated, frozen dataclasses.

The app, the command line and the tests all start from an `Experiment`. It is checked when
it is built, so a bad value is reported once, with its name, before any training starts, and
it is saved as a TOML file a teacher can read and edit by hand.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS, MAX_CLASSES
from nnstudio.core.datasets.csv_preview import MAX_COLUMN_NAME
from nnstudio.core.datasets.data import GENERATORS, MAX_POINTS
from nnstudio.core.datasets.features import canonical_features, feature_inputs, names_for, raw_features
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS
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
MAX_INPUT_COLUMNS = 100  # a CSV's inputs: a network for a classroom, not a wide table
# An experiment file is a few hundred bytes. The limit matters: tomllib needs memory quadratic in
# the length of a dotted key (a.a.a… = 1), so 100 kB of one would take tens of gigabytes.
MAX_FILE_BYTES = 16 * 1024


def _fail(section: str, name: str, requirement: str, value: Any) -> None:
    raise NNStudioError(f"{section}.{name} must be {requirement}, got {value!r}")


def _check_int(section: str, name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(section, name, f"a whole number from {low} to {high}", value)


def _check_float(section: str, name: str, value: Any, low: float, high: float, *, open_low=False) -> None:
    # an int is always finite (and math.isfinite would overflow on one with 400 digits)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        _fail(section, name, "a finite number", value)
    too_low = value <= low if open_low else value < low
    if too_low or value > high:
        bracket = "(" if open_low else "["
        _fail(section, name, f"in {bracket}{low:g}, {high:g}]", value)


def _check_bool(section: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(section, name, "true or false", value)


def _check_choice(section: str, name: str, value: Any, choices) -> None:
    if not isinstance(value, str) or value not in choices:  # a list or table is not hashable: no `in dict`
        _fail(section, name, "one of " + ", ".join(choices), value)


def _check_column_name(section: str, name: str, value: Any) -> None:
    if value is None:
        return
    printable = isinstance(value, str) and value.strip() and value.isprintable()
    if not printable or len(value) > MAX_COLUMN_NAME:
        _fail(section, name, f"a column name: one line of at most {MAX_COLUMN_NAME} characters", value)


@dataclass(frozen=True)
class DataSpec:
    """Where the points come from and how they are prepared before training."""

    # a name from data.GENERATORS, surface_generators.SURFACE_GENERATORS (two inputs: x_min, x_max unused,
    # noise_sd is the Playground's noise fraction) or class_generators.CLASSIFICATION_GENERATORS, or "csv"
    generator: str = "sine"
    n_points: int = 100
    x_min: float = -5.0
    x_max: float = 5.0
    noise_sd: float = 1.0
    seed: int = 0
    subsample: int | None = None  # keep this many of the points, drawn at random (R's sample_n)
    standardize: bool = False  # like R's scale(): mean 0, sd 1 (n−1); undone for predictions
    test_fraction: float = 0.0
    csv_path: str | None = None
    csv_x_column: int = 0
    csv_y_column: int = 1
    csv_header: bool | None = None  # None: detect a header line
    # Classification. A generator of CLASSIFICATION_GENERATORS makes two inputs and class labels
    # (x_min and x_max are not used); `classes` is how many, for those that let you choose (spiral,
    # gaussians; None: 2). A CSV holds classes when `csv_label_column` is set: its inputs are then
    # `csv_input_columns` (None: the first two columns). Columns count from 0.
    classes: int | None = None
    csv_label_column: int | None = None
    # Any number of inputs: a CSV's input columns (two or more for classes; one or more for numbers,
    # whose target is then `csv_y_column` and `csv_x_column` is not used).
    csv_input_columns: tuple[int, ...] | None = None
    # The imported columns' names (from the CSV's header line): the fit plot's axes say them.
    csv_x_name: str | None = None
    csv_y_name: str | None = None  # the target's name, or the class labels' column's
    csv_input_names: tuple[str, ...] | None = None  # with csv_input_columns: each input's name
    # The network's inputs computed from the raw inputs (features.py), e.g. ("x1^2", "x2^2"), in the
    # table's order; None: the raw inputs themselves (x, or x1 and x2). Standardised after computing.
    features: tuple[str, ...] | None = None

    @property
    def n_raw_inputs(self) -> int:
        """How many raw inputs the points have: a CSV's input columns, 2 for the two-input generators, else 1."""
        if self.generator == "csv":
            return len(self.input_columns)
        return 2 if self.generator in SURFACE_GENERATORS or self.task == "classification" else 1

    @property
    def n_model_inputs(self) -> int:
        """The network's input width: one per feature (the raw inputs' count without features)."""
        return len(self.features) if self.features is not None else self.n_raw_inputs

    @property
    def task(self) -> str:
        """Either "classification" (class labels to predict) or "regression" (numbers to fit)."""
        labelled_csv = self.generator == "csv" and self.csv_label_column is not None
        if self.generator in CLASSIFICATION_GENERATORS or labelled_csv:
            return "classification"
        return "regression"

    @property
    def input_columns(self) -> tuple[int, ...]:
        """The CSV columns of the inputs: of a labelled file (default the first two), or of a regression
        file with `csv_input_columns` (default its one x column)."""
        if self.csv_input_columns is not None:
            return self.csv_input_columns
        return (0, 1) if self.csv_label_column is not None else (self.csv_x_column,)

    @property
    def target_column(self) -> int:
        """The CSV column the network learns to predict: the class labels', or the numbers' (y)."""
        return self.csv_label_column if self.csv_label_column is not None else self.csv_y_column

    def __post_init__(self) -> None:
        s = "data"
        for name in ("csv_input_columns", "csv_input_names"):
            if isinstance(getattr(self, name), list):  # TOML has arrays, not tuples
                object.__setattr__(self, name, tuple(getattr(self, name)))
        generators = [*GENERATORS, *SURFACE_GENERATORS, *CLASSIFICATION_GENERATORS, "csv"]
        _check_choice(s, "generator", self.generator, generators)
        _check_int(s, "n_points", self.n_points, 2, MAX_POINTS)
        _check_float(s, "x_min", self.x_min, -1e6, 1e6)
        _check_float(s, "x_max", self.x_max, -1e6, 1e6)
        if self.x_min >= self.x_max:
            raise NNStudioError(f"data.x_min ({self.x_min:g}) must be smaller than data.x_max ({self.x_max:g})")
        _check_float(s, "noise_sd", self.noise_sd, 0.0, 1e6)
        _check_int(s, "seed", self.seed, 0, 2**32 - 1)
        if self.subsample is not None:
            _check_int(s, "subsample", self.subsample, 2, MAX_POINTS)
        _check_bool(s, "standardize", self.standardize)
        _check_float(s, "test_fraction", self.test_fraction, 0.0, 0.9)
        if self.generator == "csv" and not self.csv_path:
            raise NNStudioError("data.csv_path is needed when data.generator is 'csv'")
        if self.csv_path is not None and not isinstance(self.csv_path, str):
            _fail(s, "csv_path", "a file path", self.csv_path)
        _check_int(s, "csv_x_column", self.csv_x_column, 0, 10_000)
        _check_int(s, "csv_y_column", self.csv_y_column, 0, 10_000)
        if self.csv_x_column == self.csv_y_column and self.csv_input_columns is None:
            raise NNStudioError("data.csv_x_column and data.csv_y_column must be different columns")
        if self.csv_header is not None:
            _check_bool(s, "csv_header", self.csv_header)
        for name in ("csv_x_name", "csv_y_name"):
            _check_column_name(s, name, getattr(self, name))
        self._check_classification()
        self._check_features()

    def _check_features(self) -> None:
        if self.features is None:
            return
        features = canonical_features(self.features, "data.features")
        inputs = self.n_raw_inputs
        if inputs > 2:
            raise NNStudioError(f"data.features are for one- or two-input data, and this data has {inputs} inputs")
        if feature_inputs(features) != inputs:
            kind = "one-input" if inputs == 1 else "two-input"
            raise NNStudioError(
                f"data.features ({', '.join(features)}) do not fit the {self.generator} data: it has {kind} "
                f"points, whose features are {names_for(inputs)}"
            )
        object.__setattr__(self, "features", None if features == raw_features(inputs) else features)

    def _check_classification(self) -> None:
        s = "data"
        if self.classes is not None:
            _check_int(s, "classes", self.classes, 2, MAX_CLASSES)
            if self.generator not in CLASSIFICATION_GENERATORS:
                raise NNStudioError(
                    "data.classes is only for the generators that let you choose it "
                    f"(spiral, gaussians), not for {self.generator!r}"
                )
            fixed = CLASSIFICATION_GENERATORS[self.generator].fixed_classes
            if fixed is not None and self.classes != fixed:
                raise NNStudioError(
                    f"data.classes must be {fixed} for the {self.generator} generator, got {self.classes}"
                )
        if self.csv_label_column is not None:
            _check_int(s, "csv_label_column", self.csv_label_column, 0, 10_000)
        if self.csv_input_columns is not None:
            columns = self.csv_input_columns
            least = 2 if self.csv_label_column is not None else 1
            if not isinstance(columns, tuple) or not least <= len(columns) <= MAX_INPUT_COLUMNS:
                _fail(s, "csv_input_columns", f"{least} to {MAX_INPUT_COLUMNS} column numbers, e.g. [0, 1]", columns)
            for column in columns:
                _check_int(s, "csv_input_columns", column, 0, 10_000)
            if len(set(columns)) != len(columns):
                raise NNStudioError("data.csv_input_columns must be different columns")
        if self.csv_input_names is not None:
            names = self.csv_input_names
            if not isinstance(names, tuple) or len(names) != len(self.input_columns):
                _fail(s, "csv_input_names", "one name per input column", names)
            for name in names:
                _check_column_name(s, "csv_input_names", name)
        if self.csv_label_column is not None and self.csv_label_column in self.input_columns:
            raise NNStudioError(
                f"data.csv_label_column ({self.csv_label_column}) must not be one of the input columns "
                f"{list(self.input_columns)}"
            )
        if (
            self.csv_label_column is None
            and self.csv_input_columns is not None
            and self.csv_y_column in self.csv_input_columns
        ):
            raise NNStudioError(
                f"data.csv_y_column ({self.csv_y_column}) is the target: it must not be one of the input columns "
                f"{list(self.csv_input_columns)}"
            )


@dataclass(frozen=True)
class LayerSpec:
    """A hidden layer: how many units, their activation, and whether it has a bias."""

    units: int = 64
    activation: str = "relu"
    bias: bool = True

    def __post_init__(self) -> None:
        _check_int("model.hidden", "units", self.units, 1, MAX_UNITS)
        _check_choice("model.hidden", "activation", self.activation, ACTIVATIONS)
        _check_bool("model.hidden", "bias", self.bias)


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
            _fail("model", "hidden", "a list of layers", self.hidden)
        if len(self.hidden) > MAX_LAYERS:
            _fail("model", "hidden", f"at most {MAX_LAYERS} hidden layers", len(self.hidden))
        _check_choice("model", "output_activation", self.output_activation, ACTIVATIONS)
        _check_bool("model", "output_bias", self.output_bias)
        _check_choice("model", "init", self.init, INITIALISATIONS)
        _check_float("model", "init_constant", self.init_constant, -1e3, 1e3)


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
        _check_choice(s, "backend", self.backend, BACKENDS)
        _check_choice(s, "loss", self.loss, LOSSES)
        _check_choice(s, "optimizer", self.optimizer, OPTIMIZERS)
        _check_float(s, "learning_rate", self.learning_rate, 0.0, 1e9, open_low=True)
        _check_float(s, "momentum", self.momentum, 0.0, 0.999999)
        _check_float(s, "beta1", self.beta1, 0.0, 0.999999)
        _check_float(s, "beta2", self.beta2, 0.0, 0.999999)
        _check_float(s, "eps", self.eps, 0.0, 1.0, open_low=True)
        _check_int(s, "epochs", self.epochs, 1, MAX_EPOCHS)
        if self.batch_size is not None:
            _check_int(s, "batch_size", self.batch_size, 1, MAX_POINTS)
        _check_int(s, "seed", self.seed, 0, 2**32 - 1)
        _check_choice(s, "dtype", self.dtype, DTYPES)
        _check_choice(s, "device", self.device, DEVICES)
        _check_int(s, "log_every", self.log_every, 1, MAX_EPOCHS)
        _check_choice(s, "regularization", self.regularization, REGULARIZATIONS)
        _check_float(s, "regularization_rate", self.regularization_rate, 0.0, MAX_REGULARIZATION_RATE)

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
            _fail("experiment", "name", "text", self.name)
        if not isinstance(self.description, str):
            _fail("experiment", "description", "text", self.description)

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
                    _fail("model", "hidden", "a list of layers", hidden)
                layers = []
                for layer in hidden:
                    if not isinstance(layer, dict):
                        _fail("model", "hidden", "a list of layer tables", layer)
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
