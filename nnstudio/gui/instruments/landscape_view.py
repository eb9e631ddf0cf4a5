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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from nnstudio.core.engine.trainer import TRAINING, RunEnd
from nnstudio.core.teaching.landscape import line_path, recorded_states
from nnstudio.core.teaching.runs import format_number
from nnstudio.gui import style
from nnstudio.gui.instruments.instrument_support import (
    READOUT_POINTS,
    ParameterFeed,
    add_dock,
    legend_entry,
    on_shown,
    set_axis_label,
    text_label,
)
from nnstudio.gui.instruments.landscape_controls import LandscapeControls
from nnstudio.gui.instruments.landscape_maps import LINE, SLICE, LandscapeMap, line_map, slice_map

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.trainer import RunState, Snapshot, Trainer
    from nnstudio.gui.app_context import AppContext

COLOUR_MAP = "CET-L12"  # white (low loss) to blue (high): dark roads and contours stand out on it
ROAD_COLOUR = style.VERMILLION
EARLIER_ROAD_COLOURS = (style.BLACK, style.REDDISH_PURPLE, style.BLUISH_GREEN)
CONTOUR_COLOUR = "#4A4A4A"
FAR_AWAY = 20.0  # a road this many map-sizes away has left for good (diverged): the map does not chase it
DOCK_TOOLTIP = "Loss landscape: the loss as a map, and the road the optimiser takes on it (Ctrl+4)"


def _pen(colour: str, width: float, line_style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    pen = pg.mkPen(color=colour, width=width, style=line_style)
    pen.setCosmetic(True)
    return pen


def road_name(training: TrainingSpec) -> str:
    return f"{training.optimizer} lr {format_number(training.learning_rate)}"


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
        self.plot_widget = pg.PlotWidget(background="w", axisItems=style.grid_axes(), enableMenu=False)
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
        self.contours = pg.PlotCurveItem(pen=_pen(CONTOUR_COLOUR, 1.2), connect="finite")
        self.contours.setZValue(5)
        self.earlier = [
            pg.PlotDataItem(pen=_pen(colour, 2.5, Qt.PenStyle.DashLine), connect="finite")
            for colour in EARLIER_ROAD_COLOURS
        ]
        self.road_curve = pg.PlotDataItem(
            pen=_pen(ROAD_COLOUR, 3),
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


def read_line_road(trainer: Trainer) -> tuple[int, np.ndarray]:
    """In the worker: the step count and the recorded (w, b) road, plus where the weights are now."""
    road = line_path(trainer.state_history)
    parameters = trainer.backend.parameters()
    now = np.array([[float(parameters["W1"].ravel()[0]), float(parameters["b1"].ravel()[0])]])
    if not len(road) or not np.array_equal(road[-1], now[0]):  # mid-epoch, or thinned out: end where it is
        road = np.vstack([road, now])
    return trainer.step_count, road


def read_slice_inputs(trainer: Trainer) -> tuple[dict, list[dict]]:
    """In the worker: copies of the current weights and of every recorded state's weights."""
    _, states = recorded_states(trainer.state_history)
    return trainer.backend.parameters(), [state.parameters for state in states]


class LandscapeInstrument:
    """Wires the view to the window: what to compute when, and the road from the live weights.

    The view is built when the dock is first shown (a window whose landscape is never opened
    does not pay for its plot); until then only the run's state is remembered.
    """

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.session = context.session
        self._view: LandscapeView | None = None
        self.dock = add_dock(context, "dock.landscape", "Loss landscape", QWidget(), "Ctrl+4", DOCK_TOOLTIP)
        self.feed = ParameterFeed(context, self.dock)
        self.state: RunState | None = None  # the run the map is of
        self.kind: str | None = None
        self._landscape_key: tuple | None = None  # same data, model and loss: the same map
        self._request = 0  # the newest computation asked for; older answers are dropped
        self._road_step = -1  # the step of the last point on the road
        self._asked_road_step: int | None = None  # the step the recorded road was last read for
        self._next_label: tuple[int, str] | None = None  # (from step, label) after a mid-road change
        self.feed.run_replaced.connect(self._on_run_replaced)
        self.feed.parameters_changed.connect(self._on_parameters)
        # A run's last snapshot arrives while its worker is still alive: the read asked for then runs
        # right behind the run, before a Reset the user asks for next could forget the history.
        self.session.snapshot_ready.connect(self._on_snapshot)
        on_shown(self.dock, self._on_shown)

    @property
    def view(self) -> LandscapeView:
        if self._view is None:
            self._view = LandscapeView()
            self.dock.setWidget(self._view)
            self._view.controls.recompute_requested.connect(self.recompute)
            if self.state is not None:
                self._view.controls.set_model(list(self.state.layers), self.kind)
                self._view.set_road_label(road_name(self.state.experiment.training))
        return self._view

    # --- what to compute --------------------------------------------------------------------------

    def _on_run_replaced(self, state: RunState) -> None:
        layers = list(state.layers)
        kind = LINE if (len(layers) == 1 and layers[0].n_in == 1 and layers[0].n_out == 1 and layers[0].bias) else SLICE
        training = state.experiment.training
        key = (id(state.dataset), tuple(layers), training.loss)
        same_map = key == self._landscape_key and kind == self.kind
        if self._view is None:  # nothing drawn yet: the view starts from this run when built
            self.state, self.kind, self._landscape_key = state, kind, key
            return
        if kind == LINE and same_map and state.step == 0:
            self.view.keep_road_as_earlier()  # Reset: the old road stays, dashed, beside the new one
        elif not same_map or kind == SLICE:
            self.view.clear()  # a slice is centred on the weights: new weights, new slice
        if state.step == 0 or not same_map:
            self.view.set_road_label(road_name(training))
            self._next_label = None
        elif not self.view.road_label.endswith(road_name(training)):
            # another optimiser or learning rate: the label says so once the road goes on with it
            self._next_label = (state.step, _joined(self.view.road_label, road_name(training)))
        self.state, self.kind, self._landscape_key = state, kind, key
        self.view.controls.set_model(layers, kind)
        self._road_step, self._asked_road_step = -1, None
        if kind == LINE and self.view.map is not None:
            self._read_road(state.step)
        elif self.dock.isVisible():
            self.recompute()

    def recompute(self) -> None:
        """A new map: around the road for the line, around the current weights for a slice."""
        if self.state is None:
            return
        if self.kind != LINE and self.session.is_training:
            self.session.pause()  # the slice is centred on the weights of now: stop them moving first
            self.context.show_message("Paused to take the weights for the landscape: Space trains on.", 6000)
        request = self._next_request()
        self.view.status.setText("Computing the landscape in the background…")
        if self.kind == LINE and self.session.is_training:
            # The whole plane needs only the data: draw it now around the road so far (the worker is
            # busy training; the recorded road replaces the live one when the run ends).
            road = self.view.road
            if not len(road) and self.feed.parameters is not None:
                road = np.array([LandscapeMap.line_point(self.feed.parameters)])
            self._compute_line(request, (self.feed.step, road))
        elif self.kind == LINE:
            self.session.read(read_line_road, lambda result: self._compute_line(request, result))
        else:
            self.session.read(read_slice_inputs, lambda result: self._compute_slice(request, result))

    def _compute_line(self, request: int, result: tuple[int, np.ndarray]) -> None:
        if request != self._request or self.state is None:
            return
        self._road_step = result[0]
        self.view.set_road(result[1])
        state, road = self.state, self.view.road
        data = state.dataset
        layers, loss, x, y = list(state.layers), state.experiment.training.loss, data.x_train, data.y_train
        standardised = state.experiment.data.standardize
        include = [tuple(p) for p in road]
        self.session.compute(
            lambda: line_map(layers, loss, x, y, include, standardised=standardised),
            lambda picture: self._show(request, picture),
        )

    def _compute_slice(self, request: int, result: tuple[dict, list[dict]]) -> None:
        if request != self._request or self.state is None:
            return
        centre, states = result
        state, controls = self.state, self.view.controls
        data = state.dataset
        layers, loss, x, y = list(state.layers), state.experiment.training.loss, data.x_train, data.y_train
        along, seed, span = controls.along(), controls.seed(), controls.span()
        self.session.compute(
            lambda: slice_map(layers, loss, x, y, centre, states, along=along, seed=seed, span=span),
            lambda picture: self._show(request, picture),
        )

    def _show(self, request: int, picture: LandscapeMap) -> None:
        if request != self._request:
            return
        self.view.show_map(picture)
        if picture.kind != LINE and self.feed.parameters is not None and not self.feed.is_past:
            self.view.set_current(picture.place(self.feed.parameters))

    def _next_request(self) -> int:
        self._request += 1
        return self._request

    # --- the road ---------------------------------------------------------------------------------

    def _on_parameters(self, parameters: dict) -> None:
        picture = self.view.map
        if picture is None or (picture.kind == LINE) != (self.kind == LINE):
            return
        with np.errstate(all="ignore"):
            point = picture.place(parameters)
        if self.feed.is_past:
            self.view.set_current(point)  # a moment on the timeline: the dot goes there, the road stays
        elif self.feed.step != self._road_step:
            self._road_step = self.feed.step
            self._relabel(self.feed.step)
            self.view.extend_road(point)
        else:  # back from a past moment: the dot returns to now
            self.view.set_current(point)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self._view is None or snapshot.status in (TRAINING, RunEnd.CHANGED):
            return
        if self.dock.isVisible() and self.view.map is not None:
            self._read_road(snapshot.step)

    def _on_shown(self) -> None:
        if self.state is not None and self.view.map is None:
            self.recompute()

    def _read_road(self, step: int) -> None:
        """The exactly recorded road (the live one only has the frames' points); refit the map if it ran off."""
        # A slice's road is projected from the recorded states when it is computed, and extended live after.
        if self.state is None or self.kind != LINE:
            return
        if self._asked_road_step == step:
            return
        self._asked_road_step = step
        self.session.read(read_line_road, self._on_road)

    def _on_road(self, result: tuple[int, np.ndarray]) -> None:
        step, road = result
        if self.kind != LINE:
            return
        self._road_step = step
        self._relabel(step)
        self.view.set_road(road)
        picture = self.view.map
        if picture is None:
            return
        finite = road[np.all(np.isfinite(road), axis=1)]
        outside = ~picture.contains(finite)
        if outside.any() and picture.contains(finite[outside], FAR_AWAY).all():
            self.recompute()  # the road ran off the map (but not off to infinity): a bigger map

    def _relabel(self, step: int) -> None:
        if self._next_label is not None and step > self._next_label[0]:
            self.view.set_road_label(self._next_label[1])
            self._next_label = None


def _joined(label: str, name: str) -> str:
    """A road's label when the optimiser or learning rate changed mid-road: "gd lr 1e-4 → adam lr 0.1"."""
    return label if label.endswith(name) else f"{label} → {name}"


def install(context: AppContext) -> LandscapeInstrument:
    return context.register("loss_landscape", LandscapeInstrument(context))
