"""The backprop walkthrough: one data point's forward and backward pass on the network diagram, stop by stop.

Train ▸ Walk Through Backprop (W, or the button under the diagram) opens the diagram in walkthrough
mode. Click a training point in the fit plot or the decision map (or press Worst point); then Next (.)
and Back (,) step through forward (layer by layer), loss, backward (last layer first), accumulate and
update, or Auto-play does it at a chosen pace. The numbers are computed in the worker by
`core.teaching.walkthrough` (the numpy backend's own forward and backward) through the session's
`read`; the update stop makes exactly one training step through the session, so the file becomes
unsaved, Back (B) undoes it and the log records it, and the fit redraws. Next from there walks the
same point again at the new weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QStyle

from nnstudio.core.engine.trainer import RunState, RunStatus, Trainer
from nnstudio.core.teaching.walkthrough import (
    ACCUMULATE,
    BACKWARD,
    UPDATE,
    PointWalk,
    stops,
    walk_point,
    worst_point,
)
from nnstudio.core.teaching.walkthrough_text import autograd_line, describe_stop, focus_units
from nnstudio.gui.app_context import PLOTS, TRAIN_MENU
from nnstudio.gui.instruments.instrument_support import HIGHLIGHT_COLOUR
from nnstudio.gui.instruments.walkthrough_overlay import WalkOverlay
from nnstudio.gui.instruments.walkthrough_panel import WalkthroughPanel
from nnstudio.gui.session import RESTING

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

WALKTHROUGH = "backprop_walkthrough"
PICK_PIXELS = 25  # a click this close to a training point picks it
MARKER_SIZE = 22
TOGGLE_TIP = "Walk one data point through the network: forward, loss, backward, accumulate, update (W)"


def read_walk(row: int | None):
    """In the worker: the walkthrough of training point `row` (None: the worst point), or None if there is none."""

    def read(trainer: Trainer) -> PointWalk | None:
        chosen = worst_point(trainer) if row is None else row
        return walk_point(trainer, chosen) if 0 <= chosen < trainer.dataset.n_train else None

    return read


class BackpropWalkthrough(QObject):
    """The walkthrough mode of the network diagram: actions, picking a point, its stops, auto-play."""

    walk_shown = Signal(object)  # the PointWalk just delivered

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context, self.session = context, context.session
        self.walk: PointWalk | None = None
        self.row: int | None = None
        self.stop_index = 0
        self.chosen_focus: dict[int, int] = {}  # column → unit clicked on the diagram
        self.stepped = False  # the update stop has made its step
        self.diagram_instrument = None
        self.overlay: WalkOverlay | None = None
        self._request = 0
        self._generation = -1  # the run's generation the walk was computed at
        self._markers: list[tuple[object, pg.ScatterPlotItem]] = []
        self.toggle_action = context.action(
            "action.walkthrough", "&Walk Through Backprop", None, "W", TOGGLE_TIP, checkable=True
        )
        self.toggle_action.toggled.connect(self.set_active)
        self.next_action = context.action(
            "action.walkthrough_next", "&Next Stop", self.next_stop, ".", "The walkthrough's next stop (.)"
        )
        self.back_action = context.action(
            "action.walkthrough_back", "&Previous Stop", self.previous_stop, ",", "The walkthrough's stop before (,)"
        )
        self.worst_action = context.action(
            "action.walkthrough_worst",
            "W&orst Point",
            lambda: self.pick(None),
            None,
            "Walk through the training point the network fits worst (the largest loss term)",
        )
        self.play_action = context.action(
            "action.walkthrough_play",
            "&Auto-play",
            None,
            None,
            "Go through the stops by themselves, at the pace chosen beside",
            checkable=True,
        )
        self.play_action.toggled.connect(self._on_play)
        style = context.host.style()
        for action, icon in (
            (self.back_action, QStyle.StandardPixmap.SP_ArrowBack),
            (self.next_action, QStyle.StandardPixmap.SP_ArrowForward),
            (self.play_action, QStyle.StandardPixmap.SP_MediaPlay),
        ):
            action.setIcon(style.standardIcon(icon))
        menu = context.menu(TRAIN_MENU)
        menu.addSeparator()
        menu.addAction(self.toggle_action)
        steps = menu.addMenu("Backprop Walkt&hrough")
        steps.setToolTipsVisible(True)
        for action in (self.next_action, self.back_action, self.worst_action, self.play_action):
            steps.addAction(action)
        self.panel = WalkthroughPanel(
            self.toggle_action, self.back_action, self.next_action, self.worst_action, self.play_action
        )
        self.panel.pace.currentIndexChanged.connect(lambda _index: self.timer.setInterval(self.panel.pace_ms))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._auto_next)
        self._enable(False)
        self.session.state_changed.connect(self._on_state_changed)
        self.session.run_replaced.connect(self._on_run_replaced)
        context.when_available("network_diagram", self._attach_diagram)
        context.when_available(PLOTS, self._attach_plots)

    # --- wiring -----------------------------------------------------------------------------------

    def _attach_diagram(self, instrument) -> None:
        self.diagram_instrument = instrument
        instrument.diagram.add_panel(self.panel)
        instrument.diagram.node_clicked.connect(self._on_node_clicked)
        self.overlay = WalkOverlay(instrument.diagram)

    def _attach_plots(self, plots) -> None:
        for plot in (plots.fit_plot, plots.boundary_plot):
            marker = pg.ScatterPlotItem(size=MARKER_SIZE, pen=pg.mkPen(HIGHLIGHT_COLOUR, width=3), brush=None)
            marker.setZValue(100)
            marker.hide()
            plot.plot_item.addItem(marker, ignoreBounds=True)
            plot.plot_item.scene().sigMouseClicked.connect(lambda event, p=plot: self._on_plot_clicked(p, event))
            self._markers.append((plot, marker))

    @property
    def active(self) -> bool:
        return self.toggle_action.isChecked()

    @property
    def stop(self):
        return stops(len(self.walk.layers))[self.stop_index] if self.walk is not None else None

    # --- commands ---------------------------------------------------------------------------------

    def set_active(self, on: bool) -> None:
        if self.toggle_action.isChecked() != on:
            self.toggle_action.setChecked(on)  # comes back here through toggled
            return
        self._enable(on)
        self.panel.set_open(on)
        if self.diagram_instrument is not None:
            diagram = self.diagram_instrument.diagram
            diagram.nodes_picked = on
            diagram.caption.setVisible(not on)  # room for the walkthrough: the legend of widths and the
            diagram.readout.setVisible(not on)  # hover line come back when it closes
            if on:
                self.diagram_instrument.dock.show()
                self.diagram_instrument.dock.raise_()
        if not on:
            self.play_action.setChecked(False)
            self.walk, self.stepped = None, False
            self._request += 1  # an answer still on its way is dropped
            if self.overlay is not None:
                self.overlay.clear()
            self._place_marker()
            return
        self.session.pause()  # the walkthrough reads the weights of a resting run
        self.pick(self.row)

    def pick(self, row: int | None) -> None:
        """Walk through training point `row` (None: the worst one), from the first stop."""
        self.chosen_focus, self.stop_index = {}, 0
        if not self.active:
            self.row = row
            self.set_active(True)  # which computes self.row
            return
        self._compute(row)

    def next_stop(self) -> None:
        if self.walk is None:
            return
        if self.stop.stage == UPDATE:  # the next round: the same point at the new weights
            self.stop_index = 0
            self._compute(self.row)
            return
        self.stop_index += 1
        self._show_stop()

    def previous_stop(self) -> None:
        if self.walk is not None and self.stop_index > 0:
            self.stop_index -= 1
            self._show_stop()

    # --- computing and showing --------------------------------------------------------------------

    def _compute(self, row: int | None) -> None:
        self._request += 1
        request = self._request
        if self.overlay is not None:
            self.overlay.clear()
        self.panel.say("Walkthrough", "Computing the point's numbers…")
        self.session.read(read_walk(row), lambda walk: self._deliver(request, walk))

    def _deliver(self, request: int, walk: PointWalk | None) -> None:
        if request != self._request or not self.active:
            return
        if walk is None:
            self.walk = None
            self.panel.say("Walkthrough", "That point is not in the training set any more: pick another.")
            return
        self.walk, self.row, self.stepped = walk, walk.row, False
        self._generation = self.session.generation
        self.stop_index = min(self.stop_index, len(stops(len(walk.layers))) - 1)
        self._place_marker()
        self._show_stop()
        self.walk_shown.emit(walk)

    def _show_stop(self) -> None:
        walk, stop = self.walk, self.stop
        focus = focus_units(walk, self.chosen_focus)
        text = describe_stop(walk, stop, focus, walk.full_detail)
        if self.overlay is not None:
            self.overlay.show(text, focus)
        footer = autograd_line(walk) if stop.stage in (BACKWARD, ACCUMULATE) else ""
        if stop.stage == UPDATE:
            if not self.stepped:
                self.stepped = True
                self.context.step(1)  # exactly one training step, through the session
            footer = "Step made: the fit shows the new weights. Next walks this point again at them; B undoes the step."
        total = len(stops(len(walk.layers)))
        where = f"point {walk.row + 1} · {self.stop_index + 1}/{total}"
        self.panel.show_stop(where, text, footer)
        self.next_action.setEnabled(True)
        self.back_action.setEnabled(self.stop_index > 0)

    def _place_marker(self) -> None:
        state, walk = self.context.state, self.walk
        for plot, marker in self._markers:
            if walk is None or state is None:
                marker.hide()
                continue
            boundary = plot is not self._markers[0][0]
            if boundary and (state.dataset.grid_shape is None or walk.x_raw.size < 2):
                marker.hide()  # no decision map for this data
                continue
            x, y = (walk.x_raw[0], walk.x_raw[1]) if boundary else (walk.x_raw[0], walk.y_raw[0])
            marker.setData([float(x)], [float(y)])
            marker.show()

    def _enable(self, on: bool) -> None:
        for action in (self.next_action, self.back_action, self.worst_action, self.play_action):
            action.setEnabled(on)

    # --- what happens around it -------------------------------------------------------------------

    def _on_state_changed(self, state: RunState) -> None:
        if not self.active:
            return
        if state.status not in RESTING:
            if state.status == RunStatus.TRAINING and self.walk is not None and not self.stepped:
                self.play_action.setChecked(False)
                self.walk = None
                if self.overlay is not None:
                    self.overlay.clear()
                self.panel.say("Walkthrough", "Training: pause it (Space) and the walkthrough continues.")
            return
        if self.stepped or self.session.generation == self._generation:
            return  # the update stop's own step: the walk stays as it was until Next
        self._compute(self.row)  # the weights moved under it: the same point at the new weights

    def _on_run_replaced(self, _state: RunState) -> None:
        if self.active:
            self.chosen_focus, self.stop_index, self.stepped = {}, 0, False
            self._generation = -1  # recomputed when the new run rests (the row may not exist any more)

    def _on_node_clicked(self, column: int, unit: int) -> None:
        if self.walk is not None:
            self.chosen_focus[column] = unit
            self._show_stop()

    def _on_plot_clicked(self, plot, event) -> None:
        state = self.context.state
        if not self.active or state is None or event.button() != Qt.MouseButton.LeftButton:
            return
        box = plot.plot_item.vb
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        where = box.mapSceneToView(event.scenePos())
        data = state.dataset
        boundary = plot is not self._markers[0][0]
        xs = data.x_train_raw[:, 0]
        ys = data.x_train_raw[:, 1] if boundary else data.y_train_raw[:, 0]
        width, height = box.viewPixelSize()
        distance = np.hypot((xs - where.x()) / width, (ys - where.y()) / height)
        row = int(np.argmin(distance)) if len(distance) else -1
        if row < 0 or distance[row] > PICK_PIXELS:
            self.context.show_message("No training point there: click on one of the circles.")
            return
        event.accept()
        self.pick(row)

    def _on_play(self, on: bool) -> None:
        if on:
            self.timer.start(self.panel.pace_ms)
        else:
            self.timer.stop()

    def _auto_next(self) -> None:
        if self.walk is None or not self.active:
            return
        if self.stop.stage == UPDATE:
            self.play_action.setChecked(False)  # one round: the step is made
            return
        self.next_stop()


def install(context: AppContext) -> BackpropWalkthrough:
    return context.register(WALKTHROUGH, BackpropWalkthrough(context))
