"""The timeline: scrub back through the recorded epochs, step Back, and branch a new run from the past.

A bar under the plots holds a slider over the epochs trained so far. At its right end it is
"now" and the plots are live. Dragged back (training pauses), the fit plot shows the model as it
was at the latest recorded epoch (the run state's recorded weights, thinned on long runs), the
loss plot marks that epoch with a line that can be dragged too, and `moment_selected(epoch,
parameters)` tells other instruments. "Resume from here" asks the session to rewind to that epoch
and trains on: a new branch. Back (B) undoes the last step, or goes back one recorded epoch.
A training setting changed while looking at the past offers the same branch, with the new setting
(`offer_branch`). Either way the abandoned later epochs are kept as a run in Compare runs first.

The recorded weights come with each `RunState` (the records themselves, never changed), so a
past moment is shown from the last state once the session rests; its prediction is one forward
pass over the 256-point grid, and its fit metrics (the table beside the loss plot, "epoch 20
(past)") a forward pass over the data, computed off the GUI thread.

The loss curve's point at epoch N was measured before epoch N's update (the tutorial's log does
so), while the weights recorded at epoch N are those after it. The marker and the caption on the
fit plot say so, rather than shift one of them: the log, the plot and the files keep one convention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from nnstudio.core.engine.live_changes import describe_changes
from nnstudio.core.engine.prediction import metrics_with_parameters, prediction_with_parameters
from nnstudio.core.engine.trainer import TRAINING, RunState, Snapshot
from nnstudio.core.errors import NNStudioError
from nnstudio.gui import style
from nnstudio.gui.app_context import (
    LOSS_PLOT,
    PLOT_AREA,
    PLOTS,
    TIMELINE,
    TRAIN_MENU,
    TRAINING_CONTROLS,
    TRAINING_TOOLBAR,
)
from nnstudio.gui.instruments.branch_question import branch_question
from nnstudio.gui.session import RESTING
from nnstudio.gui.steady_label import SteadyLabel

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

LIVE, PENDING, PAST = "live", "pending", "past"
COMPARE_RUNS = "compare_runs"  # where the abandoned later epochs are kept (gui/instruments/runs_view.py)
NOW_CURVE_COLOUR = "#8A8A8A"
MARKER_COLOUR = style.HOVER_COLOUR
MARKER_LABEL = "epoch {value:.0f} (fit: the weights after it)"
MARKER_TOOLTIP = (
    "The epoch shown on the fit plot: drag to move through time.\n"
    "The fit shows the weights after this epoch's update(s). The loss curve's point here was measured\n"
    "before them, as the log prints it (the usual convention); so the loss of the weights shown\n"
    "is the next epoch's point (with full batches)."
)


class Timeline(QWidget):
    """The bar under the plots; also the owner of the Back action."""

    moment_selected = Signal(int, object)  # (recorded epoch, parameters): a past moment is shown
    returned_to_now = Signal()  # the plots are live again

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.session = context.session
        self.plots = context.get(PLOTS)
        self.loss_plot = context.get(LOSS_PLOT)
        self.mode = LIVE
        self.selected_epoch: int | None = None  # the recorded epoch shown; None when live
        self.now_epoch = 0
        self._now_step = 0
        self._past_step = -1  # the step count when the past moment was picked
        self._pending_epoch: int | None = None
        self._live_prediction: np.ndarray | None = None
        self._past_prediction: np.ndarray | None = None
        self._resume_after_change = False  # train on once the run has gone back (a new branch)...
        self._resume_after_rewind = False  # ...asked for: the rewind itself has not happened yet
        self.branch_box: QMessageBox | None = None  # the open "Continue from epoch …?" question, if any
        self._metrics_request = 0  # the newest past moment's metrics asked for: older answers are dropped
        self._build_actions()
        self._build_bar()
        self._build_plot_items()
        self._connect()
        self._show_range()

    # --- building ---------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward)
        tip = "Undo the last step or weight set by hand (or go back one recorded epoch). Shortcut: B"
        self.back_action = self.context.action("action.back", "&Back", self.back, "B", tip, icon=icon)
        controls = self.context.get(TRAINING_CONTROLS)
        self.context.menu(TRAIN_MENU).insertAction(controls.run_to, self.back_action)
        self.context.get(TRAINING_TOOLBAR).insertAction(controls.step, self.back_action)

    def _build_bar(self) -> None:
        self.setObjectName("timeline")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(
            "Timeline: drag back to see the model as it was at an earlier epoch (training pauses).\n"
            "At the right end the plots are live."
        )
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.epoch_label = SteadyLabel()  # its text changes every frame
        self.epoch_label.setToolTip("The epoch shown, of the epochs trained so far")
        self.now_button = QToolButton()
        self.now_button.setText("Now")
        self.now_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.now_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.now_button.setToolTip("Back to the present: the plots follow training live again")
        self.now_button.clicked.connect(self.go_live)
        self.resume_button = QToolButton()
        self.resume_button.setText("▶ Resume from here")
        self.resume_button.setToolTip(
            "Go back to the epoch shown and train on from it: a new branch.\n"
            "The epochs after it are kept as a run in Compare runs (Ctrl+5)."
        )
        self.resume_button.clicked.connect(self.resume_from_here)
        # Small explicit minimums: the bar never makes the window wider than the plots need. At
        # normal sizes everything shows in full; only a squeezed window clips the texts.
        minimums = ((self.slider, 60), (self.epoch_label, 60), (self.now_button, 40), (self.resume_button, 60))
        for widget, width in minimums:
            widget.setMinimumWidth(width)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.epoch_label)
        layout.addWidget(self.now_button)
        layout.addWidget(self.resume_button)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        area = self.context.get(PLOT_AREA)  # under the plots, as wide as they are
        area.addWidget(self)
        area.setCollapsible(area.indexOf(self), False)

    def _build_plot_items(self) -> None:
        fit_item = self.plots.fit_plot.plot_item
        pen = style.cosmetic_pen(NOW_CURVE_COLOUR, 2, Qt.PenStyle.DashLine)
        self.now_curve = pg.PlotDataItem(pen=pen, connect="finite")
        fit_item.addItem(self.now_curve, ignoreBounds=True)
        self.now_curve.setZValue(5)
        self.now_curve.hide()
        self.looking_back_label = QLabel(self.plots)  # over the prediction plot, whichever it is
        self.looking_back_label.setStyleSheet(
            f"QLabel {{ background: rgba(255, 255, 255, 235); color: {MARKER_COLOUR}; "
            f"border: 2px solid {MARKER_COLOUR}; border-radius: 4px; padding: 3px 8px; font-weight: bold; }}"
        )
        self.looking_back_label.setToolTip(
            "The plot shows a past moment: the weights after that epoch's update(s) (the loss curve's point\n"
            "at that epoch was measured before them). On the fit plot the grey dashed curve is now."
        )
        self.looking_back_label.move(70, 40)
        self.looking_back_label.hide()
        marker_pen = pg.mkPen(MARKER_COLOUR, width=2, style=Qt.PenStyle.DashLine)
        self.loss_marker = pg.InfiniteLine(
            angle=90,
            movable=True,
            pen=marker_pen,
            hoverPen=pg.mkPen(MARKER_COLOUR, width=4),
            label=MARKER_LABEL,
            labelOpts={"position": 0.9, "color": MARKER_COLOUR, "fill": (255, 255, 255, 220), "movable": False},
        )
        self.loss_marker.setToolTip(MARKER_TOOLTIP)
        self.loss_plot.plot_item.addItem(self.loss_marker, ignoreBounds=True)
        self.loss_marker.setZValue(25)
        self.loss_marker.hide()

    def _connect(self) -> None:
        self.context.frame_ready.connect(self._on_frame)
        self.session.run_replaced.connect(self._on_run_replaced)
        self.session.state_changed.connect(self._on_state_changed)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.loss_marker.sigDragged.connect(self._on_marker_dragged)

    # --- public -----------------------------------------------------------------------------------

    @property
    def is_live(self) -> bool:
        return self.mode == LIVE

    def show_epoch(self, epoch: int) -> None:
        """Scrub to `epoch` (as dragging the slider does); the end of the slider is live."""
        self._set_slider(int(epoch))  # its range too: at full speed it follows the epochs 10 times a second
        self._on_slider_moved(self.slider.value())

    def go_live(self) -> None:
        was_live = self.mode == LIVE
        self.mode, self.selected_epoch, self._pending_epoch = LIVE, None, None
        self._set_slider(self.now_epoch)
        self.now_curve.hide()
        self.loss_marker.hide()
        self.looking_back_label.hide()
        if self._live_prediction is not None:
            self.prediction_plot().set_prediction(self._live_prediction)
        self._metrics_request += 1
        self.loss_plot.show_live_metrics()
        self._show_range()
        if not was_live:
            self.returned_to_now.emit()

    def back(self) -> None:
        state = self.context.state
        if state is None:
            return
        if not self.session.is_running and not state.can_undo and state.step == 0:
            self.context.show_message("Back: this is the start, there is nothing to go back to.", 5000)
            return
        self.session.back()  # the worker decides what Back means once the jobs before it are done

    def resume_from_here(self) -> None:
        """Rewind to the epoch shown and train on from there: a new branch (the old one is kept)."""
        if self.mode != PAST or self.selected_epoch is None:
            return
        epoch = self.selected_epoch
        kept = self._keep_later_epochs(epoch)
        self._resume_after_rewind = True
        self.session.rewind(epoch, f"Resumed from epoch {epoch}: a new branch; {kept}.")

    def offer_branch(self, changes: dict, declined: Callable[[], None]) -> bool:
        """Looking at the past, ask whether to continue from the epoch shown with the training `changes`.

        Continue: the later epochs are kept as a run, the run goes back there, takes on the changes
        and trains on. Cancel: nothing changes and `declined()` is called (to put the panels back).
        False, asking nothing, when the plots are live: the change is the caller's to make."""
        state = self.context.state
        if self.mode != PAST or self.selected_epoch is None or state is None:
            return False
        try:
            what = describe_changes(state.experiment.training, state.experiment.with_training(**changes).training)
        except NNStudioError:
            return False  # the session refuses it, with its own message
        if not what:
            return False
        epoch = self.selected_epoch
        box, go = branch_question(self.context.host, epoch, self.now_epoch, what)

        def answered() -> None:
            self.branch_box = None
            if box.clickedButton() is go:
                self._branch(epoch, changes)
            else:
                declined()

        box.finished.connect(answered)
        self.branch_box = box
        box.open()
        return True

    def _branch(self, epoch: int, changes: dict) -> None:
        kept = self._keep_later_epochs(epoch)
        self._resume_after_rewind = True
        self.session.branch(epoch, changes, note=f"{kept}.")

    def _keep_later_epochs(self, epoch: int) -> str:
        """Keep the run as it is before going back to `epoch`; says where its later epochs went."""
        runs = self.context.find(COMPARE_RUNS)
        if runs is None:
            return "the later history is forgotten"
        runs.keep_before_going_back(epoch)
        return "the old one is kept in Compare runs (Ctrl+5)"

    def prediction_plot(self):
        """The plot the window draws the prediction on (the fit plot, or the decision map for classes)."""
        return self.plots.current

    def prediction(self) -> np.ndarray | None:
        """The past prediction shown, or None when live."""
        return None if self.mode != PAST else self._past_prediction

    # --- scrubbing --------------------------------------------------------------------------------

    def _on_slider_moved(self, value: int) -> None:
        if self.slider.signalsBlocked():
            return
        if value >= self.now_epoch:
            self.go_live()
            return
        self._pending_epoch = value
        if self.session.is_running:  # the worker owns the trainer: pause, and show it when it is free
            self.mode = PENDING
            self.session.pause()
            self.epoch_label.setText(f"epoch {value}: pausing…")
            return
        self._show_past(value)

    def _on_marker_dragged(self, line: pg.InfiniteLine) -> None:
        self.show_epoch(max(0, min(self.now_epoch, int(round(line.value())))))

    def _show_past(self, epoch: int) -> None:
        state = self.context.state
        if state is None or not state.recorded_epochs:
            return
        recorded, parameters = state.recorded_at_or_before(epoch)
        loss = state.experiment.training.loss
        self._past_prediction = prediction_with_parameters(state.layers, parameters, state.dataset, loss)
        self.mode, self.selected_epoch, self._pending_epoch = PAST, recorded, None
        self._past_step = self._now_step
        self._apply_past()
        self._show_range()
        self._measure_past(state, recorded, parameters)
        self.moment_selected.emit(recorded, parameters)

    def _measure_past(self, state: RunState, epoch: int, parameters: dict[str, np.ndarray]) -> None:
        """The metrics table follows the timeline: the weights of `epoch`, measured off the GUI thread."""
        self._metrics_request += 1
        request = self._metrics_request
        self.loss_plot.show_past_metrics(epoch, measured=False)

        def show(metrics: tuple) -> None:
            if request == self._metrics_request and self.mode == PAST:
                self.loss_plot.show_past_metrics(epoch, *metrics)

        loss = state.experiment.training.loss
        self.session.compute(lambda: metrics_with_parameters(state.layers, parameters, state.dataset, loss), show)

    def _apply_past(self) -> None:
        if self.mode != PAST or self._past_prediction is None:
            return
        plot, fit_plot = self.prediction_plot(), self.plots.fit_plot
        if plot is fit_plot and self._live_prediction is not None:
            x, _ = fit_plot.prediction()
            if len(x) == len(self._live_prediction):
                self.now_curve.setData(x, np.asarray(self._live_prediction, dtype=np.float64).reshape(len(x), -1)[:, 0])
                self.now_curve.show()
        plot.set_prediction(self._past_prediction)
        self.loss_marker.show()  # first: a hidden line's label does not follow its value
        self.loss_marker.setValue(self.selected_epoch)
        now_note = "  (grey dashed: now)" if plot is fit_plot else ""
        self.looking_back_label.setText(
            f"◀ epoch {self.selected_epoch} of {self.now_epoch}: the model after that epoch{now_note}"
        )
        self.looking_back_label.adjustSize()
        self.looking_back_label.show()
        self.looking_back_label.raise_()

    # --- following the session --------------------------------------------------------------------

    def _on_frame(self, snapshot: Snapshot) -> None:
        self.now_epoch, self._now_step = snapshot.epoch, snapshot.step
        self._live_prediction = snapshot.prediction
        state = self.context.state
        self.back_action.setEnabled(snapshot.step > 0 or (state is not None and state.can_undo))
        if self.mode == PAST and (snapshot.status == TRAINING or snapshot.step != self._past_step):
            self.go_live()  # the model moved on: show it
        elif self.mode == PAST:  # the window draws this frame's prediction next: put the past back after it
            QTimer.singleShot(0, self._apply_past)
        if not self.context.readable_numbers.due(snapshot.at_full_speed, snapshot):
            return  # the slider and the epoch follow at a rate that can be read
        if self.mode == LIVE:
            self._set_slider(self.now_epoch)
        self._show_range()

    def _on_run_replaced(self, state: RunState) -> None:
        # Keeping the later epochs is a job of its own before the rewind: train on after the rewind, not it.
        self._resume_after_change, self._resume_after_rewind = self._resume_after_rewind, False
        self.now_epoch, self._now_step = state.epoch, state.step
        self._live_prediction = None  # it belonged to the old model; the change's own frame follows
        self.go_live()

    def _on_state_changed(self, state: RunState) -> None:
        # Only a resting state means the worker is free and the state's records are the run's latest.
        if state.status not in RESTING:
            return
        self.back_action.setEnabled(state.step > 0 or state.can_undo)  # a weight set by hand before any step, too
        if self._resume_after_change:
            self._resume_after_change = False
            self.context.play_pause()
            return
        if self.mode == PENDING and self._pending_epoch is not None:
            self.context.draw_now()  # draw the run's last frame now, so it cannot cover the past afterwards
            self._show_past(min(self._pending_epoch, self.now_epoch))

    # --- the bar's text ---------------------------------------------------------------------------

    def _set_slider(self, value: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(self.now_epoch, 0))
        self.slider.setValue(value)
        self.slider.blockSignals(False)

    def _show_range(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(self.now_epoch, 0))
        self.slider.blockSignals(False)
        self.slider.setEnabled(self.now_epoch > 0)
        self.slider.setTickInterval(max(1, self.now_epoch // 10))
        self.slider.setPageStep(max(1, self.now_epoch // 20))
        past = self.mode == PAST
        self.now_button.setEnabled(not self.is_live)
        self.resume_button.setEnabled(past)
        if past:
            self.epoch_label.setText(f"epoch <b>{self.selected_epoch}</b> of {self.now_epoch}")
        elif self.mode == LIVE:
            self.epoch_label.setText(f"epoch {self.now_epoch} (now)")


def install(context: AppContext) -> Timeline:
    return context.register(TIMELINE, Timeline(context))
