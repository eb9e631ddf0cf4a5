"""The loss per epoch, train and test, with the exact values under the mouse and a table of fit metrics
(gui/plots/metrics_table.py).

The history lives in growable NumPy arrays (`loss_history`), and the two curves are created once.
Each append hands a curve only what one screen can show: every point of a short run, or the
lowest and highest loss of each bucket of epochs of a long one (`Envelope`, kept up to date as
points arrive), so a frame costs the same at a million epochs as at a thousand and a spike is
never thinned away. Zoomed in, the curve is redrawn from the exact points in view.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.losses import STANDARDISED_UNITS
from nnstudio.gui import style
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.plots.loss_axis import LossAxis, followed_range
from nnstudio.gui.plots.loss_history import BUCKETS_MAX, RAW_POINTS_MAX, Envelope, LossHistory, visible_indices
from nnstudio.gui.plots.metrics_table import Metric, MetricsTable

__all__ = ["LossHistory", "LossPlot"]

TRAIN_NAME = "train loss"
TEST_NAME = "test loss"
PENALTY_NAME = "penalty"
VIEW_SECONDS_AT_FULL_SPEED = 0.25  # at full speed the view moves to the data at most this often
SHOWN_LOSS_MAX = 1e300  # larger losses are left out of the view, like NaN and inf
LOSS_CONVENTION = (
    "Each point is one epoch's training loss, measured on its batches before their updates, as the\n"
    "log prints it (the usual convention): with full batches, the loss at epoch 20 is that of\n"
    "the weights after epoch 19. Move the mouse over the plot to read the exact loss at an epoch."
)


class LossPlot(QWidget):
    """Train and test loss per epoch, a log-scale toggle, hover read-out, and MSE/RMSE/R² for both sets."""

    log_scale_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style.configure_pyqtgraph()
        self._history = LossHistory()
        self._has_test = False
        self._has_penalty = False
        self._thin_pens = False
        self._loss: tuple[str, str] = ("", "")  # the loss's name and units, as the y axis says
        self._build_plot()
        self._build_side()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(self._side)

    # --- public -----------------------------------------------------------------------------------

    def append(
        self,
        epochs: np.ndarray,
        train: np.ndarray,
        test: np.ndarray,
        penalty: np.ndarray | None = None,
        at_full_speed: bool = False,
    ) -> None:
        """Add new points; a NaN test loss means there is no test set, and its curve stays hidden.
        `penalty`: the weights' penalty of a regularised run (None or NaN: none, and no penalty curve).
        `at_full_speed`: the view moves to the data at most 4 times a second (see `_follow`)."""
        self._steady_view = at_full_speed
        penalty = np.full(len(epochs), np.nan) if penalty is None else penalty
        epochs, train, test, penalty = (np.asarray(a, dtype=np.float64).ravel() for a in (epochs, train, test, penalty))
        if not len(epochs):
            return
        newest = self._history.epochs[-1] if len(self._history) else -math.inf
        self._history.extend(epochs, train, test, penalty)
        self._set_thin_pens(len(self._history) > style.THICK_LOSS_PEN_MAX_POINTS)
        if not self._has_test and np.isfinite(test).any():
            self._has_test = True
            self.test_curve.setVisible(True)
            self.legend.addItem(self.test_curve, TEST_NAME)
        if not self._has_penalty and np.isfinite(penalty).any():
            self._has_penalty = True
            self.penalty_curve.setVisible(True)
            self.legend.addItem(self.penalty_curve, PENALTY_NAME)
        if self._zoomed_in():
            (left, right), _ = self.plot_item.getViewBox().viewRange()
            if epochs[-1] >= left and newest <= right:  # new points in view: redraw what is in view
                self._draw_view(left, right)
        else:
            self._draw_all()

    def catch_up(self) -> None:
        """The run no longer trains at full speed: the view moves to every point now (see `_follow`)."""
        if self._steady_view:
            self._steady_view = False
            self._follow()

    def clear(self) -> None:
        """No points, and a view that fits the next ones: a long run's range must not outlive it."""
        self._history.clear()
        for envelope in self._envelopes:
            envelope.clear()
        self._set_thin_pens(False)
        self.train_curve.setData([], [])
        self.test_curve.setData([], [])
        self.penalty_curve.setData([], [])
        if self._has_test:
            self._has_test = False
            self.test_curve.setVisible(False)
            self.legend.removeItem(self.test_curve)
        if self._has_penalty:
            self._has_penalty = False
            self.penalty_curve.setVisible(False)
            self.legend.removeItem(self.penalty_curve)
        self._hide_hover()
        self._following = [True, True]
        self._shown_range = None
        self.plot_item.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def set_log_scale(self, on: bool) -> None:
        """Show the loss on a log10 axis (also what the checkbox beside the plot does)."""
        self.log_scale_check.setChecked(bool(on))

    def is_log_scale(self) -> bool:
        return self.log_scale_check.isChecked()

    def set_loss(self, loss_name: str, units: str) -> None:
        """Name the loss on the y axis: "mse loss", or "mse (std. units)" when it is in standardised units
        (short: a projector leaves the axis little room; the metrics beside say "original units")."""
        if (loss_name, units) == self._loss:
            return
        self._loss = (loss_name, units)
        title = f"{loss_name} (std. units)" if units == STANDARDISED_UNITS else f"{loss_name} loss"
        axis = self.plot_item.getAxis("left")
        axis.setLabel(title, **axis.labelStyle)
        where = "standardised units: the data was standardised" if units == STANDARDISED_UNITS else units
        axis.setToolTip(f"The {loss_name} loss" + (f", in {where}" if where else ""))

    def loss_axis_title(self) -> str:
        return self.plot_item.getAxis("left").labelText

    def set_metrics(self, train: Metric, test: Metric, epoch: int | None = None) -> None:
        """The live metrics (of the latest frame, at `epoch`); shown unless the table shows a past moment."""
        self.metrics.set_metrics(train, test, epoch)

    def show_past_metrics(self, epoch: int, train: Metric = None, test: Metric = None, measured: bool = True) -> None:
        """The metrics of a moment picked on the timeline (`measured` False: still being computed)."""
        self.metrics.show_past_metrics(epoch, train, test, measured)

    def show_live_metrics(self) -> None:
        """Back to now: the latest frame's metrics."""
        self.metrics.show_live_metrics()

    def metrics_caption(self) -> str:
        """What the line above the metrics says, as plain text (e.g. "epoch 20 (past) · original units")."""
        return self.metrics.caption_text()

    def metric_text(self, name: str, column: str) -> str:
        """The table's text for a metric ("MSE", "RMSE", "R²") of "train" or "test"."""
        return self.metrics.metric_text(name, column)

    def confusion_counts(self) -> np.ndarray | None:
        """The confusion matrix shown beside the plot, or None when there is none (regression)."""
        return self.metrics.confusion_counts(self)

    def epochs(self) -> np.ndarray:
        return self._history.epochs.copy()

    def train_values(self) -> np.ndarray:
        return self._history.train.copy()

    def test_values(self) -> np.ndarray:
        return self._history.test.copy()

    def penalty_values(self) -> np.ndarray:
        return self._history.penalty.copy()

    def has_test_curve(self) -> bool:
        return self._has_test

    def has_penalty_curve(self) -> bool:
        return self._has_penalty

    def hover_text(self) -> str:
        """What the hover read-out says now ("" when hidden)."""
        return self.hover_label.toPlainText() if self.hover_label.isVisible() else ""

    def auto_range(self) -> None:
        """Fit the view to the finite losses there are (a NaN or an overflow is left out), and follow them."""
        self._following = [True, True]
        self._draw_all()
        self._follow(force=True)

    def drawn_points(self, curve: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """The (epochs, losses) a curve ("train", "test" or "penalty") draws now: all, or each bucket's extremes."""
        return _drawn({"train": self.train_curve, "test": self.test_curve, "penalty": self.penalty_curve}[curve])

    def is_following(self) -> tuple[bool, bool]:
        """Does the view follow the data along x and y (until the user drags or zooms that axis)?"""
        return self._following[0], self._following[1]

    # --- what the curves draw, and where the view is ----------------------------------------------

    def _zoomed_in(self) -> bool:
        """Has the user chosen the epochs in view (wheel, drag) on a run too long to draw point by point?"""
        return len(self._history) > RAW_POINTS_MAX and not self._following[0]

    def _curves(self) -> list[tuple[pg.PlotDataItem, np.ndarray, Envelope]]:
        history = self._history
        curves = [(self.train_curve, history.train, self._envelopes[0])]
        if self._has_test:
            curves.append((self.test_curve, history.test, self._envelopes[1]))
        if self._has_penalty:
            curves.append((self.penalty_curve, history.penalty, self._envelopes[2]))
        return curves

    def _draw_all(self) -> None:
        """The whole run: every point, or each bucket's lowest and highest (cheap: kept as points arrive)."""
        epochs = self._history.epochs
        for curve, values, envelope in self._curves():
            if len(values) <= RAW_POINTS_MAX:
                curve.setData(epochs, values)  # views of the history: nothing is copied here
            else:
                shown = envelope.indices(values)
                curve.setData(epochs[shown], values[shown])
        self._follow()

    def _draw_view(self, left: float, right: float) -> None:
        """Only the epochs in view, exactly where they are few enough (one pass over them)."""
        epochs = self._history.epochs
        for curve, values, envelope in self._curves():
            envelope.indices(values)  # keep the whole run's envelope up to date for the way back
            shown = visible_indices(epochs, values, left, right, BUCKETS_MAX)
            curve.setData(epochs[shown], values[shown])
        self._follow()

    def _drawn_extent(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """Epochs and losses (log10 on a log axis) of the finite points drawn: the drawn points hold
        every bucket's extremes, so this is the data's extent at the cost of a screenful of points."""
        xs, ys = [], []
        for curve, _, _ in self._curves():
            x, y = _drawn(curve)
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(y) if self.is_log_scale() else y
                # a loss near the largest float is an overflow in all but name: a view around it cannot be padded
                finite = np.isfinite(y) & (np.abs(y) < SHOWN_LOSS_MAX)
            xs.append(x[finite])
            ys.append(y[finite])
        x, y = np.concatenate(xs), np.concatenate(ys)
        if not len(y):
            return None
        return (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))

    def _follow(self, force: bool = False) -> None:
        """Move the view to the data along the axes it follows, in round steps (see `followed_range`)."""
        if not (self._following[0] or self._following[1]):
            return
        extent = self._drawn_extent()
        if extent is None:
            return
        wanted = followed_range(*extent, log_y=self.is_log_scale())
        if not np.all(np.isfinite(wanted)):
            wanted = extent  # round edges beyond the largest float: the data's own edges
        target = tuple(wanted[axis] if self._following[axis] else None for axis in (0, 1))
        if not force and target != self._shown_range and self._steady_view and self._shown_range is not None:
            # At full speed the epochs grow tenfold and more in a run's first second: a new range at every
            # frame (each costs a frame ~2-5 ms more: new ticks, a new grid, every curve again). The newest
            # epochs may wait a quarter of a second off the right edge; the run's last frame shows them.
            if time.perf_counter() - self._range_set_at < VIEW_SECONDS_AT_FULL_SPEED:
                return
        if force or target != self._shown_range:
            self._shown_range = target
            self._range_set_at = time.perf_counter()
            self.plot_item.getViewBox().setRange(xRange=target[0], yRange=target[1], padding=0.02)

    def _on_range_changed_by_user(self, axes: list[bool]) -> None:
        """A drag or a wheel turn on an axis: that axis stays where the user put it (Ctrl+0 follows again)."""
        for axis, changed in enumerate(axes[:2]):
            if changed:
                self._following[axis] = False

    def _on_x_range_changed(self, _view_box, x_range) -> None:
        if self._zoomed_in():
            self._draw_view(*x_range)

    # --- building ---------------------------------------------------------------------------------

    def _build_plot(self) -> None:
        axes = {side: LossAxis(side) for side in ("bottom", "left")}
        self.plot_widget = style.white_plot(axisItems=axes)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        style.style_axes(self.plot_item, "epoch", "loss")
        self.plot_item.setMenuEnabled(False)
        # No pyqtgraph downsampling or clipping: the curves get only what fits a screen (`Envelope`),
        # and pyqtgraph's auto-downsampling drew nothing when a short run followed a long one's range.
        self._envelopes = (Envelope(), Envelope(), Envelope())
        # The view follows the data itself, in round steps (`_follow`), not by pyqtgraph's auto-range.
        self._following = [True, True]
        self._shown_range: tuple | None = None
        self._range_set_at = -math.inf  # perf_counter seconds when the view last moved to the data
        self._steady_view = False  # the run trains at full speed: the view moves at most 4 times a second
        view_box = self.plot_item.getViewBox()
        view_box.disableAutoRange()
        view_box.sigRangeChangedManually.connect(self._on_range_changed_by_user)
        view_box.sigXRangeChanged.connect(self._on_x_range_changed)
        self.legend = style.legend_strip(self.plot_item, columns=2)
        self.train_curve = self.plot_item.plot(pen=style.train_loss_pen())
        self.legend.addItem(self.train_curve, TRAIN_NAME)
        self.test_curve = self.plot_item.plot(pen=style.test_loss_pen())  # joins the legend with its data
        self.test_curve.setVisible(False)
        self.penalty_curve = self.plot_item.plot(pen=style.penalty_pen())  # only for a regularised run
        self.penalty_curve.setVisible(False)
        self.hover_markers = pg.PlotDataItem(**style.hover_marker_style())
        self.plot_item.addItem(self.hover_markers, ignoreBounds=True)
        self.hover_markers.setZValue(20)
        self.hover_label = pg.TextItem(color=style.BLACK, fill=pg.mkBrush(255, 255, 255, 230), border="#888888")
        font = QFont()
        font.setPointSize(style.AXIS_FONT_POINTS)
        self.hover_label.setFont(font)
        self.plot_item.addItem(self.hover_label, ignoreBounds=True)
        self.hover_label.setZValue(30)
        self._hide_hover()
        self.plot_item.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot_widget.setToolTip(LOSS_CONVENTION)
        explains(self.plot_widget, "loss")  # F1 on it: the glossary's entry

    def _build_side(self) -> None:
        self.log_scale_check = QCheckBox("Log scale")
        self.log_scale_check.setToolTip("Show the loss on a logarithmic axis: late, small improvements become visible")
        self.log_scale_check.toggled.connect(self._on_log_scale_toggled)
        self.metrics = MetricsTable()  # its widgets are laid out below the checkbox
        self.metrics_table = self.metrics.table  # the table itself, e.g. for a film to hide
        self._side = QVBoxLayout()
        self._side.addWidget(self.log_scale_check)
        for widget in self.metrics.widgets():
            self._side.addWidget(widget)
        self._side.addStretch(1)

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # The scene reports moves only inside the plot: leaving the widget must hide the read-out too.
        self._hide_hover()
        super().leaveEvent(event)

    def _set_thin_pens(self, thin: bool) -> None:
        if thin != self._thin_pens:
            self._thin_pens = thin
            self.train_curve.setPen(style.train_loss_pen(thin))
            self.test_curve.setPen(style.test_loss_pen(thin))
            self.penalty_curve.setPen(style.penalty_pen(thin))

    # --- log scale and hover ----------------------------------------------------------------------

    def _on_log_scale_toggled(self, on: bool) -> None:
        self.plot_item.setLogMode(x=False, y=on)
        self._following[1] = True  # the y range was in the other scale's units
        self._follow(force=True)
        self._hide_hover()
        self.log_scale_changed.emit(on)

    def _hide_hover(self) -> None:
        self.hover_label.setVisible(False)
        self.hover_markers.setData([], [])

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        view_box = self.plot_item.getViewBox()
        if not len(self._history) or not view_box.sceneBoundingRect().contains(scene_position):
            self._hide_hover()
            return
        self._show_values_near(view_box.mapSceneToView(scene_position).x())

    def _show_values_near(self, epoch: float) -> None:
        """Mark the recorded epoch nearest to `epoch` and print its exact losses beside it."""
        epochs = self._history.epochs
        index = int(np.clip(np.searchsorted(epochs, epoch), 1, len(epochs) - 1)) if len(epochs) > 1 else 0
        if index > 0 and abs(epochs[index - 1] - epoch) <= abs(epochs[index] - epoch):
            index -= 1
        at, train, test = epochs[index], self._history.train[index], self._history.test[index]
        lines = [f"epoch {at:.0f}", f"train loss {train:.6g}"]
        marked = [train]
        if self._has_test and math.isfinite(test):
            lines.append(f"test loss {test:.6g}")
            marked.append(test)
        penalty = self._history.penalty[index]
        if self._has_penalty and math.isfinite(penalty):
            lines.append(f"penalty {penalty:.6g}")
            marked.append(penalty)
        self.hover_markers.setData([at] * len(marked), marked)  # the item maps log mode itself
        self.hover_label.setText("\n".join(lines))
        y = max(marked)
        if self.is_log_scale():
            y = math.log10(y) if y > 0 else math.nan
        (left, right), _ = self.plot_item.getViewBox().viewRange()
        # Keep the label inside the view: to the left of the point when it is on the right half.
        self.hover_label.setAnchor((1.05, 1.05) if at > (left + right) / 2 else (-0.05, 1.05))
        if math.isfinite(y):
            self.hover_label.setPos(at, y)
            self.hover_label.setVisible(True)
        else:
            self.hover_label.setVisible(False)


def _drawn(curve: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The (epochs, losses) a curve item draws now (empty arrays before its first points)."""
    x, y = curve.getOriginalDataset()
    return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))
