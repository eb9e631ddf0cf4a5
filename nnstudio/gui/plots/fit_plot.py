"""The fit: training and test points, the true function, and the network's prediction as it learns.

Every item is created once in the constructor; new data only ever goes in with `setData`, so a
30 Hz redraw costs one curve update and the legend never grows.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui import style
from nnstudio.gui.plots.legend_plot import LegendPlot, drawn_data

TRAIN_NAME = "training points"
TEST_NAME = "test points"
TRUE_NAME = "true function"
PREDICTION_NAME = "prediction"
# Beyond this many points a set is drawn thinned, every k-th point (the legend says so): a
# million symbols take seconds to load into the plot and ~150 ms to paint; 5,000 look the same
# (pyqtgraph files each symbol in Python: 10,000 held the window ~35 ms, a stutter while loading).
MAX_DRAWN_POINTS = 5_000


class FitPlot(LegendPlot):
    """Points, true function and prediction in the data's original units."""

    def __init__(self, parent: QWidget | None = None) -> None:
        tooltip = (
            "Blue circles: training points. Vermillion triangles: test points (never trained on).\n"
            "Dashed black: the function the points came from. Green: what the network predicts now."
        )
        super().__init__("x", "y", 4, tooltip, parent)

        # dynamicRangeLimit=None: pyqtgraph would otherwise file every symbol again at each change of the
        # view's range (its limit guards curves against wild values; the data's own points are never wild).
        self.train_points = pg.PlotDataItem(**style.train_points_style(), dynamicRangeLimit=None)
        self.test_points = pg.PlotDataItem(**style.test_points_style(), dynamicRangeLimit=None)
        self.true_curve = pg.PlotDataItem(pen=style.true_function_pen())
        # connect="finite": a diverged (NaN) prediction leaves a gap instead of a wild line.
        self.prediction_curve = pg.PlotDataItem(pen=style.prediction_pen(), connect="finite")
        for item in (self.train_points, self.test_points, self.true_curve):
            self.plot_item.addItem(item)
        # The axes follow the data, not the prediction: an untrained network's curve far away
        # (or a diverging one) must not zoom the points out of sight.
        self.plot_item.addItem(self.prediction_curve, ignoreBounds=True)
        self.prediction_curve.setZValue(10)
        # The points and the true function stay put while training: paint them once into a cached
        # picture, so a frame repaints only the prediction (the cache is redrawn on zoom or new data).
        for item in (self.train_points, self.test_points, self.true_curve):
            for part in (item.curve, item.scatter):
                part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._names = {
            self.train_points: TRAIN_NAME,
            self.test_points: TEST_NAME,
            self.true_curve: TRUE_NAME,
            self.prediction_curve: PREDICTION_NAME,
        }
        self._in_legend: dict[pg.PlotDataItem, str] = {}
        self._grid_x: np.ndarray | None = None
        self._update_legend()

    # --- public -----------------------------------------------------------------------------------

    def set_dataset(self, dataset: Dataset) -> None:
        """Show new points; the old prediction belongs to the old data, so it goes."""
        for item, name, x, y in (
            (self.train_points, TRAIN_NAME, dataset.x_train_raw, dataset.y_train_raw),
            (self.test_points, TEST_NAME, dataset.x_test_raw, dataset.y_test_raw),
        ):
            step = max(1, math.ceil(len(x) / MAX_DRAWN_POINTS))
            item.setData(x[::step, 0], y[::step, 0])
            self._names[item] = name if step == 1 else f"{name} (1 in {step:,})"
        self._grid_x = np.ascontiguousarray(dataset.x_grid_raw[:, 0], dtype=np.float64)
        if dataset.true_function is not None:
            self.true_curve.setData(self._grid_x, np.asarray(dataset.true_function(self._grid_x), dtype=np.float64))
        else:
            self.true_curve.setData([], [])
        self.clear_prediction()
        self._update_legend()
        self._name_axes(*dataset.axis_names)
        self.auto_range()

    def axis_titles(self) -> tuple[str, str]:
        return self.plot_item.getAxis("bottom").labelText, self.plot_item.getAxis("left").labelText

    def _name_axes(self, x_name: str, y_name: str) -> None:
        """x and y, or an imported file's column names (as typed: pyqtgraph reads a title as HTML)."""
        for side, name in (("bottom", x_name), ("left", y_name)):
            axis = self.plot_item.getAxis(side)
            title = html.escape(name)
            if axis.labelText != title:
                axis.setLabel(title, **axis.labelStyle)  # in the style it has (presentation mode enlarges it)

    def set_prediction(self, prediction: np.ndarray) -> None:
        """The network's output on the dataset's grid: shape (G, 1) or (G,)."""
        if self._grid_x is None:
            raise ValueError("set_dataset() must come before set_prediction()")
        values = np.asarray(prediction, dtype=np.float64)
        values = values[:, 0] if values.ndim == 2 else values.ravel()
        if len(values) != len(self._grid_x):
            raise ValueError(f"a prediction of {len(values)} values for a grid of {len(self._grid_x)} points")
        if not np.isfinite(values).all():
            values = np.where(np.isfinite(values), values, np.nan)
        self.prediction_curve.setData(self._grid_x, values)
        if self.prediction_curve not in self._in_legend:  # a first prediction joins the legend (later ones: as is)
            self._update_legend()

    def clear_prediction(self) -> None:
        self.prediction_curve.setData([], [])
        self._update_legend()

    def prediction(self) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) the prediction curve holds now (empty arrays when there is none)."""
        return drawn_data(self.prediction_curve)

    def auto_range(self) -> None:
        """Fit the view to the points and the true function (not to a wild prediction).

        Once, not kept on: the points do not move while training, and a view kept fitted would
        measure every item again on every frame."""
        self.plot_item.getViewBox().autoRange()

    # --- legend -----------------------------------------------------------------------------------

    def _update_legend(self) -> None:
        """List only what is drawn: no "test points" entry without a test set, no true function for a CSV."""
        drawn = {item: name for item, name in self._names.items() if _has_data(item)}
        if drawn == self._in_legend:
            return
        self._in_legend = drawn
        # Re-adding in a fixed order keeps the entries where the eye expects them.
        self.legend.clear()
        for item, name in drawn.items():
            self.legend.addItem(item, name)


def _has_data(item: pg.PlotDataItem) -> bool:
    x, _ = item.getData()
    return x is not None and len(x) > 0
