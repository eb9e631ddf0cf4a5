"""The regression map: the number the network predicts all over the (x₁, x₂) plane, with the points on top.

The decision boundary's sibling for two-input regression (the Playground's plane and Gaussians).
Beneath the points lies a heat map, one cell per point of the dataset's prediction grid, coloured
on a diverging scale: orange for low values, white in the middle (0 when the targets straddle it),
blue for high ones, as TensorFlow Playground colours them. Each point is filled with the colour of
its own target on the same scale, so where the map and the points agree the fit is good. A colour
bar beside the map is labelled with the target's values. "Discretize output" draws the map in
BANDS bands instead of a smooth ramp. The map is one `ImageItem` (row-major, C-contiguous float32,
explicit levels); every redraw is one `setImage` on a 64 × 64 array.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui import style
from nnstudio.gui.plots.legend_plot import MapPlot, drawn_data

BANDS = 5  # "Discretize output": the map in this many bands of equal width (odd: the middle one is white)
MAP_SHADE_MAX = 0.6  # the map's strongest colour is this share of the scale's colour, the rest white
TRAIN_NAME, TEST_NAME = "training points", "test points"
MAP_Z, POINTS_Z = -10, 10
NEUTRAL_KEY = "#BBBBBB"  # the legend's keys: the shapes matter there, the colours are the values'


def value_colour_map() -> pg.ColorMap:
    """Low values orange, the middle white, high values blue (the Playground's scale, in our palette)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor(style.ORANGE), QColor("#FFFFFF"), QColor(style.BLUE)])


def map_colour_map() -> pg.ColorMap:
    """The same scale washed towards white, so the points in full colour stand out on the map."""
    full = value_colour_map()
    stops = np.linspace(0.0, 1.0, 9)
    colours = [
        QColor(*[round(255 * (1 - MAP_SHADE_MAX) + c * MAP_SHADE_MAX) for c in full.map(s, mode="byte")[:3]])
        for s in stops
    ]
    return pg.ColorMap(stops, colours)


def value_levels(targets: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends: symmetric about 0 when the targets straddle it (white is 0), else their range."""
    finite = np.asarray(targets, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if len(finite) == 0:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low < 0 < high:
        reach = max(-low, high)
        return -reach, reach
    if high - low <= 0:
        return low - 0.5, high + 0.5
    return low, high


def regression_image(
    prediction: np.ndarray, grid_shape: tuple[int, int], levels: tuple[float, float], discrete: bool = False
) -> np.ndarray:
    """The map's values: the prediction as (rows, columns) float32; with `discrete`, each cell's band centre.

    A value that is not finite (a diverged network) is drawn as the middle of the scale (white).
    """
    low, high = levels
    values = np.asarray(prediction, dtype=np.float64).reshape(-1)
    values = np.where(np.isfinite(values), values, (low + high) / 2)
    if discrete:
        width = (high - low) / BANDS
        band = np.clip(np.floor((values - low) / width), 0, BANDS - 1)
        values = low + (band + 0.5) * width
    return np.ascontiguousarray(values.astype(np.float32).reshape(grid_shape))


class RegressionMapPlot(MapPlot):
    """Heat map and points in the data's original units; the same `set_dataset`/`set_prediction` as FitPlot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        tooltip = (
            "The number the network predicts at each place: orange low, white middle, blue high (the bar).\n"
            "Each point is filled with the colour of its own target: circles are training points,\n"
            "black-rimmed triangles test points. Where a point matches the colour beneath it, the fit is good."
        )
        super().__init__("x₁", "x₂", 2, tooltip, parent)
        self.plot_item.setAspectLocked(True)

        self.map = pg.ImageItem(axisOrder="row-major")
        self.map.setZValue(MAP_Z)
        self.plot_item.addItem(self.map)
        self.colour_bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=map_colour_map(), interactive=False, width=15)
        self.colour_bar.setImageItem(self.map, insert_in=self.plot_item)
        self.train_points = pg.PlotDataItem(**style.points_style(NEUTRAL_KEY, training=True, rim="#444444"))
        self.test_points = pg.PlotDataItem(**style.points_style(NEUTRAL_KEY, training=False, rim="#222222"))
        for z, item in enumerate((self.train_points, self.test_points)):
            item.setZValue(POINTS_Z + z)
            self.plot_item.addItem(item)
        self._keys = {
            TRAIN_NAME: pg.PlotDataItem(**style.points_style(NEUTRAL_KEY, training=True, rim="#444444")),
            TEST_NAME: pg.PlotDataItem(**style.points_style(NEUTRAL_KEY, training=False, rim="#222222")),
        }

        self._grid_shape: tuple[int, int] | None = None
        self._levels = (-1.0, 1.0)
        self._has_test = False
        self._prediction: np.ndarray | None = None
        self.discrete = False
        self.test_shown = True

    # --- public -----------------------------------------------------------------------------------

    def set_dataset(self, dataset: Dataset) -> None:
        """Show new points and a blank map over the dataset's grid (the old map belongs to the old data)."""
        if dataset.grid_shape is None or dataset.is_classification:
            raise ValueError("the regression map needs a two-input regression dataset")
        self._grid_shape = dataset.grid_shape
        self._has_test = dataset.n_test > 0
        self._levels = value_levels(np.concatenate([dataset.y_train_raw[:, 0], dataset.y_test_raw[:, 0]]))
        colours = value_colour_map()
        low, high = self._levels
        for item, x, y in (
            (self.train_points, dataset.x_train_raw, dataset.y_train_raw),
            (self.test_points, dataset.x_test_raw, dataset.y_test_raw),
        ):
            shares = np.clip((y[:, 0] - low) / (high - low), 0.0, 1.0)
            brushes = [pg.mkBrush(colour) for colour in colours.map(shares, mode="qcolor")]
            item.setData(x[:, 0], x[:, 1], symbolBrush=brushes)
        self.test_points.setVisible(self.test_shown)
        self.colour_bar.setLevels(values=self._levels)
        self._place_on_grid(dataset.grid_axes)
        self.clear_prediction()
        self._update_legend()
        self.auto_range()

    def set_prediction(self, prediction: np.ndarray) -> None:
        """The predicted numbers on the dataset's grid, (G, 1) or (G,) (G = rows × columns), original units."""
        if self._grid_shape is None:
            raise ValueError("set_dataset() must come before set_prediction()")
        values = np.asarray(prediction, dtype=np.float64)
        rows, columns = self._grid_shape
        if values.size != rows * columns or (values.ndim == 2 and values.shape[1] != 1) or values.ndim > 2:
            raise ValueError(f"a prediction of shape {values.shape} for a {rows}×{columns} grid of one output")
        self._prediction = values.reshape(-1)
        self._draw()

    def set_test_shown(self, on: bool) -> None:
        """Show or hide the test points (and their legend entry)."""
        self.test_shown = on
        self.test_points.setVisible(on)
        self._update_legend()

    def value_levels(self) -> tuple[float, float]:
        """The colour scale's ends (the colour bar's), from the dataset's targets."""
        return self._levels

    def points(self, role: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x₁, x₂) of the "train" or "test" points as drawn."""
        return drawn_data(self.train_points if role == "train" else self.test_points)

    # --- drawing ----------------------------------------------------------------------------------

    def _draw(self) -> None:
        if self._prediction is None or self._grid_shape is None:
            return
        image = regression_image(self._prediction, self._grid_shape, self._levels, self.discrete)
        self._show_image(image, self._levels)

    def _update_legend(self) -> None:
        self.legend.clear()
        self.legend.addItem(self._keys[TRAIN_NAME], TRAIN_NAME)
        if self._has_test and self.test_shown:
            self.legend.addItem(self._keys[TEST_NAME], TEST_NAME)
