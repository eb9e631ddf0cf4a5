"""The data part of an experiment: where the points come from and how they are prepared, checked when built."""

from __future__ import annotations

from dataclasses import dataclass

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS, MAX_CLASSES
from nnstudio.core.datasets.data import GENERATORS, MAX_POINTS
from nnstudio.core.datasets.features import canonical_features, feature_inputs, names_for, raw_features
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS
from nnstudio.core.engine.experiment_checks import (
    check_bool,
    check_choice,
    check_column_name,
    check_float,
    check_int,
    fail,
)
from nnstudio.core.errors import NNStudioError

MAX_INPUT_COLUMNS = 100  # a CSV's inputs: a network for a classroom, not a wide table


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
        check_choice(s, "generator", self.generator, generators)
        check_int(s, "n_points", self.n_points, 2, MAX_POINTS)
        check_float(s, "x_min", self.x_min, -1e6, 1e6)
        check_float(s, "x_max", self.x_max, -1e6, 1e6)
        if self.x_min >= self.x_max:
            raise NNStudioError(f"data.x_min ({self.x_min:g}) must be smaller than data.x_max ({self.x_max:g})")
        check_float(s, "noise_sd", self.noise_sd, 0.0, 1e6)
        check_int(s, "seed", self.seed, 0, 2**32 - 1)
        if self.subsample is not None:
            check_int(s, "subsample", self.subsample, 2, MAX_POINTS)
        check_bool(s, "standardize", self.standardize)
        check_float(s, "test_fraction", self.test_fraction, 0.0, 0.9)
        if self.generator == "csv" and not self.csv_path:
            raise NNStudioError("data.csv_path is needed when data.generator is 'csv'")
        if self.csv_path is not None and not isinstance(self.csv_path, str):
            fail(s, "csv_path", "a file path", self.csv_path)
        check_int(s, "csv_x_column", self.csv_x_column, 0, 10_000)
        check_int(s, "csv_y_column", self.csv_y_column, 0, 10_000)
        if self.csv_x_column == self.csv_y_column and self.csv_input_columns is None:
            raise NNStudioError("data.csv_x_column and data.csv_y_column must be different columns")
        if self.csv_header is not None:
            check_bool(s, "csv_header", self.csv_header)
        for name in ("csv_x_name", "csv_y_name"):
            check_column_name(s, name, getattr(self, name))
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
            check_int(s, "classes", self.classes, 2, MAX_CLASSES)
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
            check_int(s, "csv_label_column", self.csv_label_column, 0, 10_000)
        if self.csv_input_columns is not None:
            columns = self.csv_input_columns
            least = 2 if self.csv_label_column is not None else 1
            if not isinstance(columns, tuple) or not least <= len(columns) <= MAX_INPUT_COLUMNS:
                fail(s, "csv_input_columns", f"{least} to {MAX_INPUT_COLUMNS} column numbers, e.g. [0, 1]", columns)
            for column in columns:
                check_int(s, "csv_input_columns", column, 0, 10_000)
            if len(set(columns)) != len(columns):
                raise NNStudioError("data.csv_input_columns must be different columns")
        if self.csv_input_names is not None:
            names = self.csv_input_names
            if not isinstance(names, tuple) or len(names) != len(self.input_columns):
                fail(s, "csv_input_names", "one name per input column", names)
            for name in names:
                check_column_name(s, "csv_input_names", name)
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
