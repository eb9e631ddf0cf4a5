"""The loss landscape: where the optimiser walks, on a map of the loss.

For the two-parameter line ŷ = W1[1,1]·x + b1[1] the map is the whole (w, b) plane: a heat map
and contours of the training loss, the least-squares minimum marked with a star, and the road
the optimiser takes drawn live from the window's frames, then replaced by the exactly recorded
weights (`trainer.state_history`) whenever training pauses. Reset and train again (say with
Adam instead of gradient descent) and the old road stays, dashed, so the class sees the two
roads side by side. For bigger models the map is a slice through the current weights along two
chosen weights or two random filter-normalised directions, with the recorded road projected on
it; "Recompute" centres it on the weights of now. Every map is computed with
`TrainingSession.compute`, in a background thread, never on the GUI thread.

This module draws the map and the roads; `landscape_instrument` decides what to compute and when.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from nnstudio.gui import style
from nnstudio.gui.instruments.instrument_support import READOUT_POINTS, legend_entry, set_axis_label, text_label
from nnstudio.gui.instruments.landscape_controls import LandscapeControls
from nnstudio.gui.instruments.landscape_maps import LINE, LandscapeMap

COLOUR_MAP = "CET-L12"  # white (low loss) to blue (high): dark roads and contours stand out on it
ROAD_COLOUR = style.VERMILLION
EARLIER_ROAD_COLOURS = (style.BLACK, style.REDDISH_PURPLE, style.BLUISH_GREEN)
CONTOUR_COLOUR = "#4A4A4A"
FAR_AWAY = 20.0  # a road this many map-sizes away has left for good (diverged): the map does not chase it


class LandscapeView(QWidget):
    """The map (heat map, contours, minimum), the roads on it, and the slice controls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.map: LandscapeMap | None = None
        self.road = np.zeros((0, 2))  # the current road, map coordinates
        self.road_label = ""
        self.earlier_roads: list[tuple[np.ndarray, str]] = []
        self.controls = LandscapeControls()
        self.caption = text_label(tooltip="What the map shows")
        self.status = text_label(tooltip="Whether the map is being computed, and where the road went")
        self.legend = text_label(
            "",
            READOUT_POINTS,
            "#000000",
            "The roads on the map: now (solid) and of earlier runs (dashed), and the minimum",
        )
        self._build_plot()
        below = QHBoxLayout()
        below.addWidget(self.legend, 1)
        below.addWidget(self.controls.clear_roads_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.controls)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(below)
        layout.addWidget(self.status)
        self.controls.clear_roads_button.clicked.connect(self.clear_earlier_roads)

    def _build_plot(self) -> None:
        self.plot_widget = style.white_plot(axisItems=style.grid_axes(), enableMenu=False)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        style.style_axes(self.plot_item, "W1[1,1]", "b1[1]")
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.setAspectLocked(True)  # both axes are weights: one unit is as long on each
        for side in ("bottom", "left"):
            self.plot_item.getAxis(side).enableAutoSIPrefix(False)  # a weight is a weight: no "(x0.001)"
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLOUR_MAP))
        self.plot_item.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            values=(0, 1), colorMap=pg.colormap.get(COLOUR_MAP), label="log₁₀ loss", interactive=False, width=18
        )
        self.colour_bar.setImageItem(self.image, insert_in=self.plot_item)
        self.contours = pg.PlotCurveItem(pen=style.cosmetic_pen(CONTOUR_COLOUR, 1.2), connect="finite")
        self.contours.setZValue(5)
        self.earlier = [
            pg.PlotDataItem(pen=style.cosmetic_pen(colour, 2.5, Qt.PenStyle.DashLine), connect="finite")
            for colour in EARLIER_ROAD_COLOURS
        ]
        self.road_curve = pg.PlotDataItem(
            pen=style.cosmetic_pen(ROAD_COLOUR, 3),
            symbol="o",
            symbolSize=6,
            symbolBrush=pg.mkBrush(ROAD_COLOUR),
            symbolPen=None,
            connect="finite",
        )
        self.start_marker = pg.ScatterPlotItem(
            size=14, symbol="s", brush=pg.mkBrush("w"), pen=pg.mkPen(ROAD_COLOUR, width=2.5)
        )
        self.current_marker = pg.ScatterPlotItem(
            size=15, symbol="o", brush=pg.mkBrush(ROAD_COLOUR), pen=pg.mkPen("w", width=2.5)
        )
        self.minimum_marker = pg.ScatterPlotItem(
            size=24, symbol="star", brush=pg.mkBrush("#FFD84D"), pen=pg.mkPen("k", width=1.5)
        )
        self.centre_marker = pg.ScatterPlotItem(size=16, symbol="+", brush=pg.mkBrush("k"), pen=pg.mkPen("k", width=2))
        for z, item in enumerate(
            (
                self.contours,
                *self.earlier,
                self.road_curve,
                self.start_marker,
                self.centre_marker,
                self.current_marker,
                self.minimum_marker,  # on top: at convergence the dot sits under the star
            ),
            start=5,
        ):
            item.setZValue(z)
            self.plot_item.addItem(item, ignoreBounds=True)  # the view frames the map, not a road running away

    # --- public -----------------------------------------------------------------------------------

    def show_map(self, picture: LandscapeMap) -> None:
        self.map = picture
        xs, ys = picture.x_values, picture.y_values
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
        self.image.setImage(picture.log_losses, levels=picture.levels, autoLevels=False)
        # pixel centres on the grid points
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))
        self.colour_bar.setLevels(picture.levels)
        self.contours.setData(picture.contour_x, picture.contour_y)
        if picture.minimum is not None:
            self.minimum_marker.setData([picture.minimum[0]], [picture.minimum[1]])
        else:
            self.minimum_marker.setData([], [])
        if picture.kind == LINE:
            self.centre_marker.setData([], [])
        else:
            self.centre_marker.setData([picture.offset[0]], [picture.offset[1]])
            self.set_road(picture.path)
        set_axis_label(self.plot_item, "bottom", picture.x_label)
        set_axis_label(self.plot_item, "left", picture.y_label)
        self.plot_item.setRange(
            xRange=(xs[0] - dx / 2, xs[-1] + dx / 2), yRange=(ys[0] - dy / 2, ys[-1] + dy / 2), padding=0
        )
        self._update_legend()
        self._show_caption()
        self._show_status()

    def set_road(self, points: np.ndarray, label: str | None = None) -> None:
        """The current road: one (x, y) row per recorded moment, oldest first."""
        self.road = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if label is not None:
            self.road_label = label
        self._draw_road()

    def set_road_label(self, label: str) -> None:
        self.road_label = label
        self._update_legend()

    def extend_road(self, point: tuple[float, float]) -> None:
        """A live point: added when the weights moved."""
        if len(self.road) and np.array_equal(self.road[-1], point, equal_nan=True):
            self.set_current(point)
            return
        self.road = np.vstack([self.road, np.asarray(point, dtype=np.float64).reshape(1, 2)])
        self._draw_road()

    def set_current(self, point: tuple[float, float] | None) -> None:
        if point is None or not np.all(np.isfinite(point)):
            self.current_marker.setData([], [])
        else:
            self.current_marker.setData([point[0]], [point[1]])
        self._show_status(point)

    def keep_road_as_earlier(self) -> None:
        """The road so far becomes a dashed "earlier" road (the oldest goes when there are too many)."""
        if len(self.road) > 1:
            self.earlier_roads = [(self.road.copy(), self.road_label), *self.earlier_roads][: len(self.earlier)]
        self.set_road(np.zeros((0, 2)))

    def clear_earlier_roads(self) -> None:
        self.earlier_roads = []
        self._draw_road()

    def clear(self) -> None:
        self.map = None
        self.image.clear()
        for item in (self.contours, self.road_curve, *self.earlier):
            item.setData([], [])
        for marker in (self.minimum_marker, self.centre_marker, self.current_marker, self.start_marker):
            marker.setData([], [])
        self.road, self.earlier_roads = np.zeros((0, 2)), []
        self._update_legend()

    def road_points(self) -> np.ndarray:
        """The (x, y) the road curve holds now."""
        x, y = self.road_curve.getData()
        return np.zeros((0, 2)) if x is None else np.column_stack([x, y])

    # --- drawing ----------------------------------------------------------------------------------

    def _draw_road(self) -> None:
        road = _drawable(self.road)
        self.road_curve.setData(road[:, 0], road[:, 1])
        finite = road[np.all(np.isfinite(road), axis=1)]
        self.start_marker.setData(finite[:1, 0], finite[:1, 1])
        self.set_current(tuple(self.road[-1]) if len(self.road) else None)
        for curve, index in zip(self.earlier, range(len(self.earlier)), strict=True):
            if index < len(self.earlier_roads):
                earlier = _drawable(self.earlier_roads[index][0])
                curve.setData(earlier[:, 0], earlier[:, 1])
            else:
                curve.setData([], [])
        self._update_legend()

    def _update_legend(self) -> None:
        """A legend under the map, in words (one row of entries above it would not fit the labels)."""
        entries = []
        if len(self.road) and self.road_label:
            entries.append(legend_entry(ROAD_COLOUR, "━━", f"now: {self.road_label}"))
        for colour, (_, label) in zip(EARLIER_ROAD_COLOURS, self.earlier_roads, strict=False):
            entries.append(legend_entry(colour, "╍╍", f"earlier: {label}"))
        if self.map is not None and self.map.minimum is not None:
            entries.append(legend_entry("#B8860B", "★", self.map.minimum_name))
        self.legend.setText(" &nbsp;&nbsp; ".join(entries))
        self.controls.clear_roads_button.setEnabled(bool(self.earlier_roads))

    def legend_text(self) -> str:
        return self.legend.text()

    def _show_caption(self) -> None:
        picture = self.map
        if picture is None:
            return
        if picture.kind == LINE:
            what = "The training loss for every line ŷ = W1[1,1]·x + b1[1] (slope and bias)"
        elif picture.directions is not None and picture.offset != (0.0, 0.0) or "[" in picture.x_label:
            what = (
                f"A slice of the loss: only {picture.x_label} and {picture.y_label} change, every other weight "
                "stays as it was when computed (black +)"
            )
        else:
            what = (
                "A slice of the loss along two random directions through the weights when computed (black +), "
                "each scaled to the size of every unit's weights"
            )
        road = (
            "The red-orange road runs from the white square to the big dot, one dot per recorded epoch"
            if picture.kind == LINE
            else "The red-orange road is where the weights went"
        )
        self.caption.setText(
            f"{what}: white is low, dark blue high (log scale); dark grey lines join equal losses. {road}; "
            "dashed roads are earlier runs; the yellow star is the lowest point. "
            "Equal scales: a round bowl looks round."
        )

    def _show_status(self, point: tuple[float, float] | None = None) -> None:
        if self.map is None:
            return
        if point is None and len(self.road):
            point = tuple(self.road[-1])
        if point is not None and (
            not np.all(np.isfinite(point)) or not self.map.contains(np.array(point), FAR_AWAY).all()
        ):
            self.status.setStyleSheet(f"QLabel {{ color: {style.ERROR_TEXT_COLOUR}; font-weight: bold; }}")
            self.status.setText("The road left the map: the loss diverged. Reset (R) and try a smaller learning rate.")
        elif point is not None and not self.map.contains(np.array(point)).all():
            self.status.setStyleSheet("QLabel { color: #333333; }")
            self.status.setText("The road runs off the map here; it is redrawn to fit when training pauses.")
        else:
            self.status.setStyleSheet("QLabel { color: #333333; }")
            self.status.setText("")


def _drawable(points: np.ndarray) -> np.ndarray:
    """Rows with NaN or absurd values become NaN: a gap in the line, not a line to infinity."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    with np.errstate(invalid="ignore"):
        bad = ~np.all(np.isfinite(points) & (np.abs(points) < 1e12), axis=1)
    return np.where(bad[:, None], np.nan, points)
