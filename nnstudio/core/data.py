"""Where training points come from: toy generators, CSV files, and their preparation.

`prepare()` turns a `DataSpec` into a `Dataset`: generate or read the points, keep a random
subsample, split off a test set, and standardise (fitted on the training points only).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.experiment import DataSpec

GRID_POINTS = 256  # the fixed x grid every prediction curve is drawn on


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
    """R's scale(): model units = (original − mean) / sd. Identity when not standardising."""

    x_mean: float = 0.0
    x_sd: float = 1.0
    y_mean: float = 0.0
    y_sd: float = 1.0

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> Scaler:
        def sd(values: np.ndarray) -> float:
            spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            return spread if spread > 0 else 1.0  # a constant column is only centred

        return cls(float(np.mean(x)), sd(x), float(np.mean(y)), sd(y))

    def x_to_model(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_sd

    def y_to_model(self, y: np.ndarray) -> np.ndarray:
        return (y - self.y_mean) / self.y_sd

    def y_from_model(self, y: np.ndarray) -> np.ndarray:
        return y * self.y_sd + self.y_mean


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and test points, in original units and in the model's (possibly scaled) units.

    Arrays are 2-D, one row per point: x is (n, inputs), y is (n, outputs).
    """

    x_train_raw: np.ndarray
    y_train_raw: np.ndarray
    x_test_raw: np.ndarray
    y_test_raw: np.ndarray
    scaler: Scaler
    true_function: Callable[[np.ndarray], np.ndarray] | None
    x_grid_raw: np.ndarray  # (GRID_POINTS, inputs), across the range of all the points

    @property
    def x_train(self) -> np.ndarray:
        return self.scaler.x_to_model(self.x_train_raw)

    @property
    def y_train(self) -> np.ndarray:
        return self.scaler.y_to_model(self.y_train_raw)

    @property
    def x_test(self) -> np.ndarray:
        return self.scaler.x_to_model(self.x_test_raw)

    @property
    def y_test(self) -> np.ndarray:
        return self.scaler.y_to_model(self.y_test_raw)

    @property
    def x_grid(self) -> np.ndarray:
        return self.scaler.x_to_model(self.x_grid_raw)

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
        return self.y_train_raw.shape[1]


def generate(spec: DataSpec) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's recipe: x evenly spaced over [x_min, x_max], y = f(x) + N(0, noise_sd)."""
    rng = np.random.default_rng(spec.seed)
    x = np.linspace(spec.x_min, spec.x_max, spec.n_points)
    y = GENERATORS[spec.generator].true_function(x) + rng.normal(0.0, spec.noise_sd, spec.n_points)
    return x, y


def prepare(spec: DataSpec, points: tuple[np.ndarray, np.ndarray] | None = None) -> Dataset:
    """Generate (or take the given imported) points, subsample, split and standardise them."""
    if points is None:
        if spec.generator == "csv":
            points = load_csv(spec.csv_path, spec.csv_x_column, spec.csv_y_column, spec.csv_header)
        else:
            points = generate(spec)
    x, y = (np.asarray(a, dtype=np.float64).reshape(len(a), -1) for a in points)
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
    scaler = Scaler.fit(x[train], y[train]) if spec.standardize else Scaler()
    low, high = float(x.min()), float(x.max())
    if spec.generator != "csv":
        low, high = min(low, spec.x_min), max(high, spec.x_max)
    grid = np.linspace(low, high, GRID_POINTS).reshape(-1, 1)
    true = None if spec.generator == "csv" else GENERATORS[spec.generator].true_function
    return Dataset(x[train], y[train], x[test], y[test], scaler, true, grid)


# --- CSV ---------------------------------------------------------------------------------------


def load_csv(
    path: str | os.PathLike, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read two numeric columns from a CSV file; every problem names its line and column."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise NNStudioError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise NNStudioError(f"{path.name}, line {line}: not UTF-8 text (save the file as UTF-8 CSV)") from None
    try:
        return parse_csv(text, x_column, y_column, header)
    except NNStudioError as error:
        raise NNStudioError(f"{path.name}, {error}") from None


def parse_csv(
    text: str, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV text (comma, semicolon or tab separated) into x and y arrays."""
    if "\x00" in text:
        raise NNStudioError("line 1: this is a binary file, not CSV text")
    rows = [(number, row) for number, row in _csv_rows(text) if any(cell.strip() for cell in row)]
    if not rows:
        raise NNStudioError("line 1: the file is empty")
    if header is None:
        header = not all(_is_number(cell) for cell in rows[0][1])
    last_line = rows[-1][0]
    if header:
        rows = rows[1:]
    if len(rows) < 2:  # the line after the last one read is where another row was needed
        raise NNStudioError(f"line {last_line + 1}: at least 2 rows of numbers are needed")
    width = len(rows[0][1])
    needed = max(x_column, y_column) + 1
    if width < needed:
        raise NNStudioError(f"line {rows[0][0]}: column {needed} was asked for but the row has only {width} column(s)")
    x = np.empty(len(rows))
    y = np.empty(len(rows))
    for i, (number, row) in enumerate(rows):
        if len(row) != width:
            raise NNStudioError(f"line {number}: {len(row)} columns, but the first row has {width}")
        for column, target in ((x_column, x), (y_column, y)):
            cell = row[column].strip()
            try:
                value = float(cell)
            except ValueError:
                raise NNStudioError(f"line {number}, column {column + 1}: {cell!r} is not a number") from None
            if not np.isfinite(value):
                raise NNStudioError(f"line {number}, column {column + 1}: {cell!r} is not a finite number")
            target[i] = value
    return x, y


def _csv_rows(text: str):
    """(line number, cells) for each row, guessing the separator from the first lines."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise NNStudioError(f"line {reader.line_num}: {error}") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
