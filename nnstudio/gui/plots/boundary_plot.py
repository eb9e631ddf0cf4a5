"""The decision boundary: which class the network predicts all over the (x₁, x₂) plane, with the points on top.

Beneath the points lies a heat map, one cell per point of the dataset's prediction grid, shaded
towards the colour of the class the network finds most probable there, and the more strongly the
surer it is: white where the top classes are equally likely, which is where the boundary runs.
The map is one `ImageItem` (row-major, C-contiguous float32, explicit levels) whose value in a
cell is  class + confidence  and whose lookup table holds, for each class, a ramp from white to
the class colour; every redraw is one `setImage` on a 64 × 64 array. The points, one item per
class and role, are set only when the data changes. "Discretize output" paints every cell in the full
shade of its most probable class (hard class colours, as TensorFlow Playground's toggle does);
"Show test data" shows or hides the test points.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QWidget

from nnstudio.core.datasets.class_generators import MAX_CLASSES
from nnstudio.core.datasets.data import Dataset
from nnstudio.gui import style
from nnstudio.gui.plots.legend_plot import MapPlot, drawn_data

SHADES_PER_CLASS = 64  # entries of the lookup table's ramp for each class
TEST_NAME = "test points"
MAP_Z, POINTS_Z = -10, 10


def class_lookup_table(classes: int) -> np.ndarray:
    """(classes · SHADES_PER_CLASS, 3) uint8: for each class a ramp from white to CLASS_SHADE_MAX of its colour."""
    share = np.linspace(0.0, style.CLASS_SHADE_MAX, SHADES_PER_CLASS)[:, None]
    ramps = []
    for k in range(classes):
        colour = QColor(style.class_colour(k))
        rgb = np.array([colour.red(), colour.green(), colour.blue()], dtype=np.float64)
        ramps.append(255.0 * (1.0 - share) + rgb * share)
    return np.round(np.vstack(ramps)).astype(np.uint8)


def boundary_image(probabilities: np.ndarray, grid_shape: tuple[int, int], discrete: bool = False) -> np.ndarray:
    """The map's values: most probable class k plus its confidence c in [0, 1), as (rows, columns) float32.

    c = (p_max − 1/K) / (1 − 1/K): 0 where every class is equally likely, → 1 where one is certain;
    with `discrete`, c is the full shade wherever one class is the most probable (hard class colours).
    A row that is not finite (a diverged network) is drawn white.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    classes = probabilities.shape[1]
    finite = np.all(np.isfinite(probabilities), axis=1)
    safe = np.where(finite[:, None], probabilities, 1.0 / classes)
    winner = np.argmax(safe, axis=1)
    confidence = (safe.max(axis=1) - 1.0 / classes) / (1.0 - 1.0 / classes)
    # stay below the next class's ramp: the lookup table's last shade of class k is at k + (S−1)/S
    confidence = np.clip(confidence, 0.0, (SHADES_PER_CLASS - 1) / SHADES_PER_CLASS)
    if discrete:
        confidence = np.where(finite, (SHADES_PER_CLASS - 1) / SHADES_PER_CLASS, 0.0)
    values = (winner + confidence).astype(np.float32)
    return np.ascontiguousarray(values.reshape(grid_shape))


class DecisionBoundaryPlot(MapPlot):
    """Class map and points in the data's original units; the same `set_dataset`/`set_prediction` as FitPlot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        tooltip = (
            "Each point's colour is its class: circles are training points, black-rimmed triangles test points.\n"
            "Beneath them, the class the network predicts at each place: the deeper the colour, the surer it is;\n"
            "white is where classes are equally likely, i.e. the decision boundary."
        )
        super().__init__("x₁", "x₂", MAX_CLASSES + 1, tooltip, parent)
        self.plot_item.setAspectLocked(True)  # a circle stays round

        self.map = pg.ImageItem(axisOrder="row-major")
        self.map.setZValue(MAP_Z)
        self.plot_item.addItem(self.map)
        self.train_points: list[pg.PlotDataItem] = []
        self.test_points: list[pg.PlotDataItem] = []
        for k in range(MAX_CLASSES):
            for items, point_style in (
                (self.train_points, style.class_train_points_style(k)),
                (self.test_points, style.class_test_points_style(k)),
            ):
                item = pg.PlotDataItem(**point_style)
                item.setZValue(POINTS_Z + (1 if items is self.test_points else 0))
                # The points stay put while the map beneath them changes every frame: paint them once into
                # a cache (redrawn on zoom or new data), as the fit plot does.
                for part in (item.curve, item.scatter):
                    part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                self.plot_item.addItem(item)
                items.append(item)
        # the legend's "test points" entry: a neutral triangle (the colours are the classes')
        self._test_key = pg.PlotDataItem(**{**style.class_test_points_style(0), "symbolBrush": pg.mkBrush("w")})

        self._grid_shape: tuple[int, int] | None = None
        self._classes = 0
        self._has_test = False
        self._prediction: np.ndarray | None = None  # the class probabilities last drawn
        self.discrete = False
        self.test_shown = True

    # --- public -----------------------------------------------------------------------------------

    def set_dataset(self, dataset: Dataset) -> None:
        """Show new points and a blank map over the dataset's grid (the old map belongs to the old data)."""
        if dataset.grid_shape is None or dataset.n_classes is None:
            raise ValueError("the decision boundary needs a two-input classification dataset")
        self._grid_shape, self._classes = dataset.grid_shape, dataset.n_classes
        self._has_test = dataset.n_test > 0
        for k in range(MAX_CLASSES):
            for items, x, y in (
                (self.train_points, dataset.x_train_raw, dataset.y_train_raw),
                (self.test_points, dataset.x_test_raw, dataset.y_test_raw),
            ):
                mine = y[:, 0] == k
                items[k].setData(x[mine, 0], x[mine, 1])
                items[k].setVisible(bool(mine.any()))  # an empty item is still asked for its bounds every frame
        self._place_on_grid(dataset.grid_axes)
        self.map.setLookupTable(class_lookup_table(self._classes))
        for item in self.test_points:
            item.setVisible(self.test_shown)
        self.clear_prediction()
        self._update_legend()
        self.auto_range()

    def set_prediction(self, prediction: np.ndarray) -> None:
        """Class probabilities on the dataset's grid, (G, K) rows summing to 1 (G = rows × columns)."""
        if self._grid_shape is None:
            raise ValueError("set_dataset() must come before set_prediction()")
        probabilities = np.asarray(prediction, dtype=np.float64)
        rows, columns = self._grid_shape
        if probabilities.ndim != 2 or probabilities.shape != (rows * columns, self._classes):
            raise ValueError(
                f"a prediction of shape {probabilities.shape} for a {rows}×{columns} grid of {self._classes} classes"
            )
        self._prediction = probabilities
        self._draw()

    def set_test_shown(self, on: bool) -> None:
        """Show or hide the test points (and their legend entry)."""
        self.test_shown = on
        for item in self.test_points:
            item.setVisible(on)
        self._update_legend()

    def points(self, role: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The (x₁, x₂) of class k's "train" or "test" points as drawn."""
        return drawn_data((self.train_points if role == "train" else self.test_points)[k])

    def _draw(self) -> None:
        if self._prediction is None or self._grid_shape is None:
            return
        self._show_image(boundary_image(self._prediction, self._grid_shape, self.discrete), (0.0, float(self._classes)))

    def auto_range(self) -> None:
        """Fit the view to the points, once (kept on, it would measure every item on every frame)."""
        self.plot_item.getViewBox().autoRange()

    # --- legend -----------------------------------------------------------------------------------

    def _update_legend(self) -> None:
        self.legend.clear()
        for k in range(self._classes):
            self.legend.addItem(self.train_points[k], f"class {k}")
        if self._has_test and self.test_shown:
            self.legend.addItem(self._test_key, TEST_NAME)
