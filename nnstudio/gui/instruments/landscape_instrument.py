"""The loss-landscape instrument: what to compute when, and the road from the live weights.

`landscape_view.LandscapeView` draws; this module decides. On a new run it keeps or clears the
roads, reads the exactly recorded road from the worker when training pauses, and asks
`TrainingSession.compute` for a new map (`landscape_maps`) in a background thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QWidget

from nnstudio.core.engine.trainer import TRAINING, RunEnd
from nnstudio.core.teaching.landscape import line_path, line_point, recorded_states
from nnstudio.core.teaching.runs import format_number
from nnstudio.gui.instruments.instrument_support import ParameterFeed, add_dock, on_shown
from nnstudio.gui.instruments.landscape_maps import LINE, SLICE, LandscapeMap, line_map, slice_map
from nnstudio.gui.instruments.landscape_view import FAR_AWAY, LandscapeView

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.trainer import RunState, Snapshot, Trainer
    from nnstudio.gui.app_context import AppContext

DOCK_TOOLTIP = "Loss landscape: the loss as a map, and the road the optimiser takes on it (Ctrl+4)"


def road_name(training: TrainingSpec) -> str:
    return f"{training.optimizer} lr {format_number(training.learning_rate)}"


def read_line_road(trainer: Trainer) -> tuple[int, np.ndarray]:
    """In the worker: the step count and the recorded (w, b) road, plus where the weights are now."""
    road = line_path(trainer.state_history)
    now = np.array([line_point(trainer.backend.parameters())])
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
                road = np.array([line_point(self.feed.parameters)])
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
