"""The prediction of data with more inputs than a plot has axes.

Numbers fitted from several inputs: `PredictedActualPlot`, each point's prediction ŷ against its
real y, with the line y = x on which a prediction is exact, and R² and RMSE above it. The
dataset's "grid" is the points themselves (training points, then test points), so the snapshot's
prediction is ŷ of every point.

Classes from more than two inputs: `ClassSlicePlot`, the decision map of two inputs the user
picks, every other input held at its mean over the training points, with the points seen from
above (their other inputs ignored). The dataset's grid is the slice through the first two inputs,
which the trainer predicts on; another pair is predicted here, from the latest frame's weights.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.datasets.data import Dataset, slice_grid
from nnstudio.core.engine.prediction import prediction_at
from nnstudio.core.engine.trainer import fit_metrics
from nnstudio.gui import style
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import TEST_NAME, TRAIN_NAME
from nnstudio.gui.plots.legend_plot import LegendPlot, drawn_data

EXACT_NAME = "exact: ŷ = y"


class PredictedActualPlot(LegendPlot):
    """ŷ against y for the training and test points, the diagonal y = x, and the fit's R² and RMSE."""

    def __init__(self, parent: QWidget | None = None) -> None:
        tooltip = (
            "Each point is one row of the data: across, its real value; up, the network's prediction.\n"
            "On the dashed line y = x the prediction is exact. Blue circles: training points; "
            "vermillion triangles: test points."
        )
        super().__init__("actual y", "predicted ŷ", 3, tooltip, parent)
        self.plot_item.setAspectLocked(True)  # the diagonal stays at 45°
        self.diagonal = pg.PlotDataItem(pen=style.true_function_pen())
        self.train_points = pg.PlotDataItem(**style.train_points_style())
        self.test_points = pg.PlotDataItem(**style.test_points_style())
        self.plot_item.addItem(self.diagonal)
        for item in (self.train_points, self.test_points):
            self.plot_item.addItem(item, ignoreBounds=True)  # an untrained network's ŷ must not zoom out the view
            item.setZValue(10)
        self.score = QLabel()
        self.score.setTextFormat(Qt.TextFormat.RichText)
        self.score.setToolTip("R²: the share of y's variance the prediction explains (1 is perfect); RMSE in y's units")
        self.layout().insertWidget(0, self.score)
        self._y_train = self._y_test = np.empty(0)

    def set_dataset(self, dataset: Dataset) -> None:
        if not dataset.predicts_points:
            raise ValueError("predicted against actual needs numbers fitted from several inputs")
        self._y_train, self._y_test = dataset.y_train_raw[:, 0].copy(), dataset.y_test_raw[:, 0].copy()
        y = np.concatenate([self._y_train, self._y_test])
        low, high = float(y.min()), float(y.max())
        margin = 0.05 * (high - low) or 1.0
        self.diagonal.setData([low - margin, high + margin], [low - margin, high + margin])
        name = dataset.axis_names[1]
        for side, title in (("bottom", f"actual {name}"), ("left", f"predicted {name}")):
            axis = self.plot_item.getAxis(side)
            axis.setLabel(html.escape(title), **axis.labelStyle)
        self.legend.clear()
        self.legend.addItem(self.train_points, TRAIN_NAME)
        if len(self._y_test):
            self.legend.addItem(self.test_points, TEST_NAME)
        self.legend.addItem(self.diagonal, EXACT_NAME)
        self.clear_prediction()
        self.auto_range()

    def set_prediction(self, prediction: np.ndarray) -> None:
        """ŷ of every point, training points first: (n_train + n_test, 1) in y's units."""
        values = np.asarray(prediction, dtype=np.float64).reshape(len(prediction), -1)[:, 0]
        n_train = len(self._y_train)
        if len(values) != n_train + len(self._y_test):
            raise ValueError(f"a prediction of {len(values)} values for {n_train + len(self._y_test)} points")
        parts = []
        for item, actual, predicted, which in (
            (self.train_points, self._y_train, values[:n_train], "training"),
            (self.test_points, self._y_test, values[n_train:], "test"),
        ):
            finite = np.isfinite(predicted)
            item.setData(actual[finite], predicted[finite])
            metrics = fit_metrics(predicted[:, None], actual[:, None])
            if metrics is not None:
                parts.append(f"{which} points: R² {_number(metrics.r2)}, RMSE {_number(metrics.rmse)}")
        self.score.setText("  ·  ".join(parts))

    def clear_prediction(self) -> None:
        for item in (self.train_points, self.test_points):
            item.setData([], [])
        self.score.setText("")

    def points(self, role: str) -> tuple[np.ndarray, np.ndarray]:
        """The (y, ŷ) of the "train" or "test" points as drawn."""
        return drawn_data(self.train_points if role == "train" else self.test_points)


def _number(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "–"


class SliceMap(DecisionBoundaryPlot):
    """The decision map over two chosen inputs of classes from several inputs; the points seen from above."""

    def show_slice(self, dataset: Dataset, columns: tuple[int, int], grid: np.ndarray) -> None:
        # the map's machinery wants a two-input dataset: give it these two columns of the points and the grid
        a, b = columns
        view = Dataset(
            dataset.x_train_raw[:, [a, b]],
            dataset.y_train_raw,
            dataset.x_test_raw[:, [a, b]],
            dataset.y_test_raw,
            dataset.scaler,
            None,
            grid[:, [a, b]],
            dataset.n_classes,
            dataset.grid_shape,
        )
        super().set_dataset(view)
        for side, column in (("bottom", a), ("left", b)):
            axis = self.plot_item.getAxis(side)
            axis.setLabel(html.escape(dataset.input_name(column)), **axis.labelStyle)


class ClassSlicePlot(QWidget):
    """Two inputs to look across (chosen above the map), the other inputs at their means; same calls as the map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.across, self.up = QComboBox(), QComboBox()
        self.across.setToolTip("The input that runs across the map")
        self.up.setToolTip("The input that runs up the map")
        self.held_label = QLabel()
        self.held_label.setWordWrap(True)
        self.map = SliceMap()
        choice = QHBoxLayout()
        choice.setContentsMargins(4, 2, 4, 0)
        choice.addWidget(QLabel("Map of"))
        choice.addWidget(self.across)
        choice.addWidget(QLabel("across and"))
        choice.addWidget(self.up)
        choice.addWidget(QLabel("up;"))
        choice.addWidget(self.held_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(choice)
        layout.addWidget(self.map, 1)
        self.setToolTip(
            "With more than two inputs the map is a slice: the two inputs chosen above vary, every other input\n"
            "is held at its mean over the training points. The points are drawn by these two inputs only."
        )
        self._dataset: Dataset | None = None
        self._columns = (0, 1)
        self._held = np.empty(0)
        self._grid = np.empty((0, 0))
        self._weights = None  # (layers, parameters, loss) of the latest frame: to predict another slice
        self.across.currentIndexChanged.connect(self._on_choice)
        self.up.currentIndexChanged.connect(self._on_choice)

    @property
    def columns(self) -> tuple[int, int]:
        """The inputs across and up the map (0 = the first)."""
        return self._columns

    def set_dataset(self, dataset: Dataset) -> None:
        if dataset.grid_shape is None or dataset.n_classes is None or dataset.n_inputs < 3:
            raise ValueError("the slice map is for classes from three or more inputs")
        self._dataset, self._weights = dataset, None
        self._held = np.mean(dataset.x_train_raw, axis=0)
        names = [dataset.input_name(column) for column in range(dataset.n_inputs)]
        for combo, index in ((self.across, 0), (self.up, 1)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._show_columns((0, 1))

    def choose(self, across: int, up: int) -> None:
        """Show the slice over inputs `across` and `up` (as picking them in the two lists does)."""
        self.across.setCurrentIndex(across)
        self.up.setCurrentIndex(up)

    def set_weights(self, layers, parameters: dict[str, np.ndarray], loss_name: str) -> None:
        """The weights the latest prediction came from: another slice is predicted with them."""
        if not parameters:
            return
        self._weights = (layers, parameters, loss_name)
        if self._columns != (0, 1):
            self._predict_here()

    def set_prediction(self, prediction: np.ndarray) -> None:
        """Class probabilities on the dataset's grid (the slice through the first two inputs)."""
        if self._columns == (0, 1):
            self.map.set_prediction(prediction)

    def clear_prediction(self) -> None:
        self.map.clear_prediction()

    def auto_range(self) -> None:
        self.map.auto_range()

    def legend_names(self) -> list[str]:
        return self.map.legend_names()

    def _on_choice(self) -> None:
        across, up = self.across.currentIndex(), self.up.currentIndex()
        if self._dataset is None or across < 0 or up < 0:
            return
        if across == up:  # the same input twice is no plane: swap in the one the other list showed
            other = self.up if self.sender() is self.across else self.across
            previous = self._columns[1] if other is self.up else self._columns[0]
            replacement = self._columns[0] if other is self.up else self._columns[1]
            other.blockSignals(True)
            other.setCurrentIndex(replacement if replacement != across else previous)
            other.blockSignals(False)
            across, up = self.across.currentIndex(), self.up.currentIndex()
        self._show_columns((across, up))
        self._predict_here()

    def _show_columns(self, columns: tuple[int, int]) -> None:
        dataset = self._dataset
        self._columns = columns
        self._grid, _ = (
            slice_grid(np.vstack([dataset.x_train_raw, dataset.x_test_raw]), self._held, columns)
            if columns != (0, 1)
            else (dataset.x_grid_raw, dataset.grid_shape)
        )
        self.map.show_slice(dataset, columns, self._grid)
        others = [c for c in range(dataset.n_inputs) if c not in columns]
        held = ", ".join(f"{dataset.input_name(c)} = {self._held[c]:.3g}" for c in others)
        self.held_label.setText(f"held at the mean: {held}")

    def _predict_here(self) -> None:
        if self._weights is None or self._dataset is None:
            return
        layers, parameters, loss_name = self._weights
        self.map.set_prediction(prediction_at(layers, parameters, self._dataset, loss_name, self._grid))
