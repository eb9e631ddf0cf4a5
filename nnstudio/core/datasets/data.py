"""Where training points come from: toy generators, CSV files, and their preparation.

`prepare()` turns a `DataSpec` into a `Dataset`: generate or read the points, keep a random
subsample, split off a test set, and standardise (fitted on the training points only). The
`Dataset` it returns is defined in dataset.py; the CSV files are read by csv_points.py.

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS, MAX_CLASSES, generate_classes

# The prepared data set and the CSV readers live in their own modules; imported from here too, as they always were.
from nnstudio.core.datasets.csv_points import (
    csv_input_points,
    csv_labelled_points,
    csv_points,
    load_csv,
    load_labelled_csv,
    load_spec_csv,
    parse_csv,
    parse_labelled_csv,
    read_csv_file,
    spec_points,
)
from nnstudio.core.datasets.dataset import Dataset, Scaler
from nnstudio.core.datasets.features import feature_matrix
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS, generate_surface
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import DataSpec

__all__ = [  # what other modules import from here
    "GENERATORS",
    "GRID_POINTS",
    "GRID_SIDE",
    "MAX_POINTS",
    "Dataset",
    "Generator",
    "Scaler",
    "csv_input_points",
    "csv_labelled_points",
    "csv_points",
    "generate",
    "load_csv",
    "load_labelled_csv",
    "load_spec_csv",
    "parse_csv",
    "parse_labelled_csv",
    "prepare",
    "read_csv_file",
    "slice_grid",
    "spec_points",
]

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
