"""Where training points come from: toy generators, CSV files, and their preparation.

`prepare()` turns a `DataSpec` into a `Dataset`: generate or read the points, keep a random
subsample, split off a test set, and standardise (fitted on the training points only).

Classification data (`DataSpec.task == "classification"`: a generator of
`class_generators.CLASSIFICATION_GENERATORS`, or a CSV with a label column) has two inputs
x₁, x₂ (a CSV may have more) and integer class labels. Its `Dataset` keeps y as the class numbers
0 … K−1 in one float64 column (n, 1), never standardised (only x is), and predictions are drawn on
a 2-D grid of GRID_SIDE × GRID_SIDE points for the decision-boundary map; with more than two
inputs that grid is a slice over x₁, x₂ with every other input held at its training mean.

A CSV may give numbers to fit from any number k of input columns. With k > 1 there is no curve
to draw: the "grid" is then the points themselves (training points first, then test points), so
the prediction a snapshot carries is ŷ of every point, for the predicted-vs-actual plot.

Two-input regression data (a generator of `surface_generators.SURFACE_GENERATORS`: the Playground's
plane and Gaussians) has x₁, x₂ and a number to fit; its prediction is drawn on the same 2-D grid,
as a heat map.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS, MAX_CLASSES, generate_classes
from nnstudio.core.datasets.csv_table import CsvTable, finish, read_csv_file_steps, read_csv_text
from nnstudio.core.datasets.features import feature_matrix, input_names, is_raw
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS, generate_surface
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import DataSpec

# The most points a data set may have; here, not in the experiment, because the CSV reader caps its rows
# with it and the datasets never import the engine.
MAX_POINTS = 10_000_000

GRID_POINTS = 256  # the fixed x grid every prediction curve is drawn on
GRID_SIDE = 64  # a two-input dataset's prediction grid is GRID_SIDE × GRID_SIDE points...
GRID_MARGIN = 0.1  # ...reaching this share of the data's range beyond the points on each side


@dataclass(frozen=True)
class Generator:
    """A noisy toy function: y ~ N(f(x), noise_sd)."""

    formula: str
    true_function: Callable[[np.ndarray], np.ndarray]


GENERATORS: dict[str, Generator] = {
    "line": Generator("y = 2x + 3", lambda x: 2.0 * x + 3.0),
    "sine": Generator("y = 4·sin(x)", lambda x: 4.0 * np.sin(x)),
    "cubic": Generator("y = 0.1x³ − x", lambda x: 0.1 * x**3 - x),
    "step": Generator("y = 2 if x > 0 else −2", lambda x: np.where(x > 0, 2.0, -2.0)),
    "abs": Generator("y = |x|", np.abs),
    "bump": Generator("y = 4·exp(−x²/2)", lambda x: 4.0 * np.exp(-0.5 * x**2)),
}


@dataclass(frozen=True)
class Scaler:
    """R's scale(): model units = (original − mean) / sd. Identity when not standardising.

    With two inputs (classification), x_mean and x_sd are tuples with one value per input
    column, and y (the class labels) is never scaled.
    """

    x_mean: float | tuple[float, ...] = 0.0
    x_sd: float | tuple[float, ...] = 1.0
    y_mean: float = 0.0
    y_sd: float = 1.0

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> Scaler:
        """x and y standardised; several input columns (k inputs, or features): each column on its own, as tuples."""

        def sd(values: np.ndarray) -> float:
            spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            return spread if spread > 0 else 1.0  # a constant column is only centred

        if x.ndim == 2 and x.shape[1] > 1:
            return replace(cls.fit_inputs(x), y_mean=float(np.mean(y)), y_sd=sd(y))
        return cls(float(np.mean(x)), sd(x), float(np.mean(y)), sd(y))

    @classmethod
    def fit_inputs(cls, x: np.ndarray) -> Scaler:
        """Each input column standardised on its own; the labels left alone (classification)."""
        means = tuple(float(m) for m in np.mean(x, axis=0))
        spreads = np.std(x, axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
        return cls(means, tuple(float(s) if s > 0 else 1.0 for s in spreads))

    def x_to_model(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_sd

    def y_to_model(self, y: np.ndarray) -> np.ndarray:
        return (y - self.y_mean) / self.y_sd

    def y_from_model(self, y: np.ndarray) -> np.ndarray:
        return y * self.y_sd + self.y_mean


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and test points, in original units and in the model's (possibly scaled) units.

    Arrays are 2-D, one row per point: x is (n, inputs), y is (n, outputs). With input `features`
    the network's inputs are computed from the raw x once (cached), then standardised; the `_raw`
    arrays and the plots stay in the raw inputs.
    """

    x_train_raw: np.ndarray
    y_train_raw: np.ndarray
    x_test_raw: np.ndarray
    y_test_raw: np.ndarray
    scaler: Scaler
    true_function: Callable[[np.ndarray], np.ndarray] | None
    x_grid_raw: np.ndarray  # (GRID_POINTS, inputs), across the range of all the points
    # Classification only: how many classes (labels 0 … K−1), and the grid's (rows, columns):
    # x_grid_raw then holds GRID_SIDE² points (x₁, x₂), row by row, x₂ constant along a row.
    n_classes: int | None = None
    grid_shape: tuple[int, int] | None = None
    axis_names: tuple[str, str] = ("x", "y")  # what the fit plot's axes say: an imported CSV's column names
    column_names: tuple[str, ...] | None = None  # an imported CSV's input columns' names (None: x₁, x₂, …)
    features: tuple[str, ...] | None = None  # DataSpec.features: None, the raw inputs

    # The feature matrices in original units, computed once (the raw arrays themselves without features).
    @cached_property
    def features_train(self) -> np.ndarray:
        return feature_matrix(self.x_train_raw, self.features)

    @cached_property
    def features_test(self) -> np.ndarray:
        return feature_matrix(self.x_test_raw, self.features)

    @cached_property
    def features_grid(self) -> np.ndarray:
        return feature_matrix(self.x_grid_raw, self.features)

    def to_model_inputs(self, x_raw: np.ndarray) -> np.ndarray:
        """The network's inputs for raw inputs (n, inputs): features, then standardisation."""
        return self.scaler.x_to_model(feature_matrix(x_raw, self.features))

    @property
    def uses_raw_inputs(self) -> bool:
        """Whether the network's inputs are the raw inputs (no features), so x maps to them linearly."""
        return is_raw(self.features, self.n_inputs)

    @property
    def n_model_inputs(self) -> int:
        """The network's input width: one per feature (the raw inputs' count without features)."""
        return self.features_train.shape[1]

    @property
    def input_names(self) -> tuple[str, ...]:
        """The network's inputs as the window names them (X₁², sin x, …; an imported CSV's column names)."""
        if self.column_names is not None and self.uses_raw_inputs:
            return tuple(self.column_names)
        return input_names(self.features, self.n_inputs)

    @property
    def predicts_points(self) -> bool:
        """Numbers fitted from several inputs: x_grid_raw holds the training points, then the test points."""
        return self.n_classes is None and self.grid_shape is None and self.n_inputs > 1

    def input_name(self, column: int) -> str:
        """The name of raw input `column` (0 = the first): the CSV's, else x₁, x₂, …"""
        if self.column_names is not None and column < len(self.column_names):
            return self.column_names[column]
        return "x" + "".join("₀₁₂₃₄₅₆₇₈₉"[int(digit)] for digit in str(column + 1))

    @property
    def x_train(self) -> np.ndarray:
        return self.scaler.x_to_model(self.features_train)

    @property
    def y_train(self) -> np.ndarray:
        return self.scaler.y_to_model(self.y_train_raw)

    @property
    def x_test(self) -> np.ndarray:
        return self.scaler.x_to_model(self.features_test)

    @property
    def y_test(self) -> np.ndarray:
        return self.scaler.y_to_model(self.y_test_raw)

    @property
    def x_grid(self) -> np.ndarray:
        return self.scaler.x_to_model(self.features_grid)

    @property
    def n_train(self) -> int:
        return len(self.x_train_raw)

    @property
    def n_test(self) -> int:
        return len(self.x_test_raw)

    @property
    def n_inputs(self) -> int:
        return self.x_train_raw.shape[1]

    @property
    def n_outputs(self) -> int:
        """The network's output width: y's columns; for classes, 1 for two (P(class 1)), else K."""
        if self.n_classes is not None:
            return 1 if self.n_classes == 2 else self.n_classes
        return self.y_train_raw.shape[1]

    @property
    def is_classification(self) -> bool:
        return self.n_classes is not None

    @property
    def grid_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """A two-input grid's x₁ values (its columns) and x₂ values (its rows), original units."""
        if self.grid_shape is None:
            raise ValueError("only a two-input dataset has a 2-D grid")
        rows, columns = self.grid_shape
        return self.x_grid_raw[:columns, 0].copy(), self.x_grid_raw[::columns, 1][:rows].copy()


def generate(spec: DataSpec) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's recipe: x evenly spaced over [x_min, x_max], y = f(x) + N(0, noise_sd)."""
    rng = np.random.default_rng(spec.seed)
    x = np.linspace(spec.x_min, spec.x_max, spec.n_points)
    y = GENERATORS[spec.generator].true_function(x) + rng.normal(0.0, spec.noise_sd, spec.n_points)
    return x, y


def prepare(spec: DataSpec, points: tuple[np.ndarray, np.ndarray] | None = None) -> Dataset:
    """Generate (or take the given imported) points, subsample, split and standardise them."""
    if spec.task == "classification":
        return _prepare_classes(spec, points)
    if spec.generator in SURFACE_GENERATORS:
        return _prepare_surface(spec, points)
    if points is None:
        points = load_spec_csv(spec) if spec.generator == "csv" else generate(spec)
    x, y = (np.asarray(a, dtype=np.float64).reshape(len(a), -1) for a in points)
    x, y, train, test = _subsample_and_split(spec, x, y)
    scaler = Scaler.fit(feature_matrix(x[train], spec.features), y[train]) if spec.standardize else Scaler()
    if x.shape[1] > 1:  # no curve over several inputs: the prediction is wanted at the points themselves
        names = (spec.csv_y_name or "y", spec.csv_y_name or "y")
        return Dataset(
            x[train],
            y[train],
            x[test],
            y[test],
            scaler,
            None,
            np.vstack([x[train], x[test]]),
            axis_names=names,
            column_names=spec.csv_input_names,
            features=spec.features,
        )
    low, high = float(x.min()), float(x.max())
    if spec.generator != "csv":
        low, high = min(low, spec.x_min), max(high, spec.x_max)
    grid = np.linspace(low, high, GRID_POINTS).reshape(-1, 1)
    true = None if spec.generator == "csv" else GENERATORS[spec.generator].true_function
    names = (spec.csv_x_name or "x", spec.csv_y_name or "y") if spec.generator == "csv" else ("x", "y")
    return Dataset(x[train], y[train], x[test], y[test], scaler, true, grid, axis_names=names, features=spec.features)


def _subsample_and_split(spec: DataSpec, x: np.ndarray, y: np.ndarray):
    """Keep the random subsample, then split: (x, y, train rows, test rows), from seeded streams."""
    if spec.subsample is not None:
        if spec.subsample > len(x):
            raise NNStudioError(f"cannot keep {spec.subsample} of only {len(x)} points (data.subsample)")
        keep = np.sort(np.random.default_rng([spec.seed, 1]).choice(len(x), spec.subsample, replace=False))
        x, y = x[keep], y[keep]
    n_test = int(round(spec.test_fraction * len(x)))
    if len(x) - n_test < 2:
        raise NNStudioError(f"only {len(x) - n_test} training points would be left: use a smaller test fraction")
    order = np.random.default_rng([spec.seed, 2]).permutation(len(x))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return x, y, train, test


def _prepare_classes(spec: DataSpec, points: tuple[np.ndarray, np.ndarray] | None) -> Dataset:
    """Two inputs and class labels: generated, read from a labelled CSV, or given (imported)."""
    if points is None:
        if spec.generator == "csv":
            points = load_spec_csv(spec)
        else:
            generator = CLASSIFICATION_GENERATORS[spec.generator]
            classes = generator.fixed_classes or spec.classes or 2
            points = generate_classes(spec.generator, spec.n_points, classes, spec.noise_sd, spec.seed)
    x = np.asarray(points[0], dtype=np.float64).reshape(len(points[0]), -1)
    y = np.asarray(points[1], dtype=np.float64).reshape(-1, 1)
    if x.shape[1] < 2 or len(y) != len(x):
        raise NNStudioError(
            f"classification data needs two or more inputs and one label per point, got x {x.shape}, y {y.shape}"
        )
    if spec.generator == "csv":
        n_classes = _check_labels(y[:, 0])
    else:
        n_classes = CLASSIFICATION_GENERATORS[spec.generator].fixed_classes or spec.classes or 2
    x, y, train, test = _subsample_and_split(spec, x, y)
    missing = sorted(set(range(n_classes)) - set(y[train, 0].astype(int)))
    if missing:
        raise NNStudioError(
            f"the training points include no point of class {missing[0]}: "
            "use more points, a smaller test fraction or a larger subsample"
        )
    scaler = Scaler.fit_inputs(feature_matrix(x[train], spec.features)) if spec.standardize else Scaler()
    grid, shape = slice_grid(x, np.mean(x[train], axis=0), (0, 1))
    names = spec.csv_input_names if spec.generator == "csv" else None
    split = (x[train], y[train], x[test], y[test])
    return Dataset(*split, scaler, None, grid, n_classes, shape, column_names=names, features=spec.features)


def _prepare_surface(spec: DataSpec, points: tuple[np.ndarray, np.ndarray] | None) -> Dataset:
    """Two inputs and a number to fit (the Playground's regression data), predicted on a 2-D grid."""
    if points is None:
        points = generate_surface(spec.generator, spec.n_points, spec.noise_sd, spec.seed)
    x = np.asarray(points[0], dtype=np.float64).reshape(len(points[0]), -1)
    y = np.asarray(points[1], dtype=np.float64).reshape(-1, 1)
    if x.shape[1] != 2 or len(y) != len(x):
        raise NNStudioError(f"{spec.generator} data needs two inputs and one number per point, got x {x.shape}")
    x, y, train, test = _subsample_and_split(spec, x, y)
    scaler = Scaler.fit(feature_matrix(x[train], spec.features), y[train]) if spec.standardize else Scaler()
    grid, shape = _grid_2d(x)
    # no true_function: that is a curve over one x (the fit plot's); the heat map shows the points' values
    return Dataset(x[train], y[train], x[test], y[test], scaler, None, grid, None, shape, features=spec.features)


def _check_labels(labels: np.ndarray) -> int:
    """The number of classes K of given labels, which must be whole numbers 0 … K−1, each used."""
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)) or np.any(labels < 0):
        raise NNStudioError("class labels must be whole numbers 0, 1, 2, …")
    present = sorted({int(label) for label in labels})
    if len(present) < 2:
        raise NNStudioError(f"every label is {present[0]}: a classifier needs at least 2 classes")
    if present[-1] >= MAX_CLASSES:
        raise NNStudioError(f"class {present[-1]} is too large: labels go from 0 to at most {MAX_CLASSES - 1}")
    missing = sorted(set(range(present[-1] + 1)) - set(present))
    if missing:
        raise NNStudioError(
            f"no point has class {missing[0]}: the labels must be 0 to {present[-1]}, each used at least once"
        )
    return present[-1] + 1


def slice_grid(x: np.ndarray, held: np.ndarray, columns: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2-D grid over inputs `columns` of points x, every other input at its value in `held`.

    With two inputs it is the whole plane; with more, a slice through it (the decision map of
    data with k inputs shows one, other inputs held at their means over the training points).
    """
    plane, shape = _grid_2d(x[:, list(columns)])
    grid = np.tile(np.asarray(held, dtype=np.float64), (len(plane), 1))
    grid[:, list(columns)] = plane
    return grid, shape


def _grid_2d(x: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """GRID_SIDE² points over the points' range plus a margin, row by row (x₂ fixed along a row)."""
    low, high = x.min(axis=0), x.max(axis=0)
    margin = np.maximum(GRID_MARGIN * (high - low), 0.5)
    x1 = np.linspace(low[0] - margin[0], high[0] + margin[0], GRID_SIDE)
    x2 = np.linspace(low[1] - margin[1], high[1] + margin[1], GRID_SIDE)
    grid_x1, grid_x2 = np.meshgrid(x1, x2)  # grid_x1[i, j] = x1[j], grid_x2[i, j] = x2[i]
    return np.column_stack([grid_x1.ravel(), grid_x2.ravel()]), (GRID_SIDE, GRID_SIDE)


# --- CSV: read by csv_table, the one reader of the command line and the window -------------------


def load_csv(
    path: str | os.PathLike, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read two numeric columns from a CSV file; every problem names its line and column."""
    return csv_points(read_csv_file(path), x_column, y_column, header, Path(path).name)


def load_labelled_csv(
    path: str | os.PathLike, input_columns: tuple[int, int] = (0, 1), label_column: int = 2, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read two input columns and a class-label column; every problem names its line and column."""
    return csv_labelled_points(read_csv_file(path), input_columns, label_column, header, Path(path).name)


def load_spec_csv(spec: DataSpec, folder: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The points of the CSV file a spec names, from the columns it names (a relative path from `folder`)."""
    path = Path(folder or ".") / spec.csv_path
    return spec_points(read_csv_file(path), spec, path.name)


def spec_points(table: CsvTable, spec: DataSpec, source: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The inputs and the target (or class labels) of a parsed table, from the columns `spec` names."""
    if spec.task == "classification":
        return csv_labelled_points(table, spec.input_columns, spec.csv_label_column, spec.csv_header, source)
    if spec.csv_input_columns is not None:
        return csv_input_points(table, spec.csv_input_columns, spec.csv_y_column, spec.csv_header, source)
    return csv_points(table, spec.csv_x_column, spec.csv_y_column, spec.csv_header, source)


def read_csv_file(path: str | os.PathLike) -> CsvTable:
    """A regular file of at most MAX_CSV_BYTES, parsed; problems name the file."""
    return finish(read_csv_file_steps(path))


def parse_csv(
    text: str, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV text (comma, semicolon, tab or space separated) into x and y arrays."""
    return csv_points(read_csv_text(text), x_column, y_column, header)


def parse_labelled_csv(
    text: str, input_columns: tuple[int, int] = (0, 1), label_column: int = 2, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV text into inputs x (n, 2) and class labels (n,) that are whole numbers 0 … K−1."""
    return csv_labelled_points(read_csv_text(text), input_columns, label_column, header)


def csv_points(
    table: CsvTable, x_column: int = 0, y_column: int = 1, header: bool | None = None, source: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """x and y from two columns of a parsed table; `source` (a file name) starts any message."""
    try:
        _, values = table.column_values((x_column, y_column), header)
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, 0].copy(), values[:, 1].copy()


def csv_input_points(
    table: CsvTable, input_columns: tuple[int, ...], target_column: int, header: bool | None = None, source: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (n, k) from k columns and the target y (n,) from another, of a parsed table."""
    if target_column in input_columns:
        raise NNStudioError(f"column {target_column + 1} is the target: it cannot be an input too")
    try:
        _, values = table.column_values((*input_columns, target_column), header)
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, :-1].copy(), values[:, -1].copy()


def csv_labelled_points(
    table: CsvTable,
    input_columns: tuple[int, ...] = (0, 1),
    label_column: int = 2,
    header: bool | None = None,
    source: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (n, k) and class labels (n,), each used, from a parsed table."""
    try:
        lines, values = table.column_values((*input_columns, label_column), header, label_column=label_column)
        labels = values[:, -1]
        column = label_column + 1
        present = sorted({int(label) for label in np.unique(labels)})
        if len(present) < 2:
            raise NNStudioError(
                f"lines {lines[0]}–{lines[-1]}, column {column}: every label is {present[0]}: "
                "a classifier needs at least 2 classes"
            )
        missing = sorted(set(range(present[-1] + 1)) - set(present))
        if missing:
            raise NNStudioError(
                f"column {column}: no point has class {missing[0]}: "
                f"the labels must be 0 to {present[-1]}, each used at least once"
            )
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, :-1].copy(), labels.copy()
