"""A prepared data set: training and test points, in original units and in the network's units.

`Scaler` is the standardisation (fitted on the training points by `data.prepare`); `Dataset`
holds the points, the grid the predictions are drawn on, and what the window names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from nnstudio.core.datasets.features import feature_matrix, input_names, is_raw


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
