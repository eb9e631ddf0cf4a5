"""One frame of a film: the window's own plots, painted offscreen into a picture of the film's size.

The stage is a widget that is never shown: the fit plot (or the decision map), the loss plot and the network
diagram are the same classes the window uses, given the recording's data once and each frame's prediction
or weights, and `QWidget.render` paints them into a QImage. A film narrower than 960 pixels is laid out 960
wide and painted smaller, a faithful thumbnail (no legend cut off); a wider one is laid out at its own size,
as the window would be (enlarging the drawing would blur the points, which pyqtgraph draws as pixmaps).
A line above the plots names the run and says the frame's epoch and loss. On the loss plot the whole run is
drawn faint and the part up to the frame's epoch in full, with a dot at the frame's epoch.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.teaching.film_plan import FilmSettings, prediction_view
from nnstudio.core.teaching.film_recording import FilmFrame, FilmRecording
from nnstudio.gui import style
from nnstudio.gui.instruments.network_diagram import NetworkDiagram
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.loss_history import BUCKETS_MAX, visible_indices
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.gui.plots.regression_map_plot import RegressionMapPlot

FAINT = 0.3  # the opacity of the whole run's loss curve behind the part already played
MARKER_SIZE = 11
LAYOUT_MIN_WIDTH = 960  # the fit plot's legend needs half of this beside the loss plot


def layout_size(width: int, height: int) -> tuple[int, int]:
    """The size the stage is laid out at for frames of width × height (the same shape, never narrower than
    LAYOUT_MIN_WIDTH)."""
    laid_out = max(width, LAYOUT_MIN_WIDTH)
    return laid_out, max(1, round(height * laid_out / width))


class FilmStage(QWidget):
    """The views a film shows, sized to its frames; `show_frame(i)` then `picture()` gives frame i."""

    def __init__(self, recording: FilmRecording, settings: FilmSettings) -> None:
        super().__init__()
        style.configure_pyqtgraph()
        self.recording, self.settings = recording, settings
        self._layout_height = layout_size(*settings.size)[1]
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("white"))
        self.setPalette(palette)
        self.title = self._header_label(Qt.AlignmentFlag.AlignLeft, bold=True)
        self.title.setText(recording.title)
        self.moment = self._header_label(Qt.AlignmentFlag.AlignRight, bold=False)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.moment, 1)
        layout = QVBoxLayout(self)
        margin = max(4, self._layout_height // 60)
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(margin)
        layout.addLayout(header)
        self.note = None
        if recording.message:  # a diverged run says why on its last frame; the line is there from the first
            self.note = self._header_label(Qt.AlignmentFlag.AlignLeft, bold=False, colour=style.ERROR_TEXT_COLOUR)
            self.note.setWordWrap(True)
            layout.addWidget(self.note)
        views = QHBoxLayout()
        views.setSpacing(margin)
        layout.addLayout(views, 1)
        self.prediction_plot = self._prediction_plot(views)
        self.loss_plot = self._loss_plot(views) if settings.view in ("both", "loss") else None
        self.diagram = self._diagram(views) if settings.view == "diagram" else None
        self.resize(*layout_size(*settings.size))

    # --- building ---------------------------------------------------------------------------------

    def _header_label(self, alignment, bold: bool, colour: str = style.BLACK) -> QLabel:
        label = QLabel()
        font = QFont(label.font())
        font.setPixelSize(round(self._layout_height / 32))
        font.setBold(bold)
        label.setFont(font)
        label.setAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)
        label.setStyleSheet(f"QLabel {{ color: {colour}; }}")
        return label

    def _prediction_plot(self, views: QHBoxLayout) -> FitPlot | DecisionBoundaryPlot | RegressionMapPlot | None:
        which = prediction_view(self.settings.view, self.recording.dataset.grid_shape is not None)
        if which is None:
            return None
        plot: FitPlot | DecisionBoundaryPlot | RegressionMapPlot = FitPlot()
        if which == "boundary":  # the two-input map: classes' boundary, or numbers' heat map
            plot = DecisionBoundaryPlot() if self.recording.dataset.is_classification else RegressionMapPlot()
        plot.set_dataset(self.recording.dataset)
        views.addWidget(plot, 1)
        return plot

    def _loss_plot(self, views: QHBoxLayout) -> LossPlot:
        plot = LossPlot()
        plot.log_scale_check.hide()  # the controls and the metrics table are the window's, not the film's
        plot.metrics_table.hide()
        recording = self.recording
        self._so_far = [pg.PlotDataItem(pen=style.train_loss_pen())]
        plot.plot_item.addItem(self._so_far[0])
        if np.isfinite(recording.test_loss).any():
            self._so_far.append(pg.PlotDataItem(pen=style.test_loss_pen()))
            plot.plot_item.addItem(self._so_far[1])
        self._marker = pg.PlotDataItem(
            pen=None,
            symbol="o",
            symbolSize=MARKER_SIZE,
            symbolBrush=pg.mkBrush(style.TRAIN_COLOUR),
            symbolPen=pg.mkPen("w", width=2),
        )
        self._marker.setZValue(20)
        plot.plot_item.addItem(self._marker)
        plot.append(recording.loss_epochs, recording.train_loss, recording.test_loss)  # the view fits the whole run
        plot.set_log_scale(self.settings.log_loss)
        for curve in (plot.train_curve, plot.test_curve):
            curve.setOpacity(FAINT)
        views.addWidget(plot, 1)
        return plot

    def _diagram(self, views: QHBoxLayout) -> NetworkDiagram:
        diagram = NetworkDiagram()
        diagram.readout.hide()  # it answers the mouse; a film has none
        diagram.set_model(list(self.recording.layers))
        views.addWidget(diagram, 1)
        return diagram

    # --- frames -----------------------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        return len(self.recording.frames)

    def show_frame(self, index: int) -> None:
        """Put frame `index` on the views and its epoch and loss in the header."""
        frame = self.recording.frames[index]
        if self.prediction_plot is not None:
            self.prediction_plot.set_prediction(frame.prediction)
        if self.loss_plot is not None:
            self._show_loss_until(frame.epoch)
        if self.diagram is not None and frame.parameters is not None:
            self.diagram.set_parameters(frame.parameters)
        self.moment.setText(self.moment_text(frame))
        if self.note is not None:
            self.note.setText(self.recording.message if index == self.frame_count - 1 else "")

    def moment_text(self, frame: FilmFrame) -> str:
        """ "epoch 40 of 100 · loss 1.234" (and the test loss when there is a test set)."""
        text = f"epoch {frame.epoch} of {self.recording.last_epoch}"
        if frame.epoch == 0:
            return text + " · before training"
        train, test = self.recording.losses_at(frame.epoch)
        if not math.isnan(train):
            text += f" · loss {_number(train)}"
        if math.isfinite(test):
            text += f" · test {_number(test)}"
        return text

    def _show_loss_until(self, epoch: int) -> None:
        recording = self.recording
        count = int(np.searchsorted(recording.loss_epochs, epoch, side="right"))
        epochs = recording.loss_epochs[:count].astype(np.float64)
        for curve, values in zip(self._so_far, (recording.train_loss, recording.test_loss), strict=False):
            shown = visible_indices(epochs, values[:count], -math.inf, math.inf, BUCKETS_MAX)
            curve.setData(epochs[shown], values[:count][shown])
        if count and math.isfinite(recording.train_loss[count - 1]):
            self._marker.setData([epochs[-1]], [recording.train_loss[count - 1]])
        else:
            self._marker.setData([], [])

    def picture(self) -> np.ndarray:
        """The stage as it looks now: (height, width, 3) uint8 RGB."""
        width, height = self.settings.size
        image = QImage(width, height, QImage.Format.Format_RGB888)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.scale(width / self.width(), height / self.height())  # < 1: a thumbnail of the laid-out stage
        self.render(painter, QPoint(0, 0))
        painter.end()
        rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(height, image.bytesPerLine())
        return rows[:, : width * 3].reshape(height, width, 3).copy()


def _number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "–"
