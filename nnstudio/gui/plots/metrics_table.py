"""The fit metrics beside the loss plot: a caption saying which moment they measure, a table, a confusion matrix.

Regression shows MSE, RMSE and R² in the data's original units; classification shows accuracy, the
wrong points and how many were measured, with the confusion matrix below. The table shows the
latest frame, or a past moment picked on the timeline (and says which).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from nnstudio.core.engine.classification import ClassificationMetrics
from nnstudio.core.engine.trainer import Metrics
from nnstudio.gui import style
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.plots.confusion_table import ConfusionTable, confusion_text, show_only
from nnstudio.gui.steady_label import SteadyLabel

METRIC_ROWS = (
    ("MSE", "mse", "Mean squared error, original units:  (1/n) Σ (y − ŷ)²"),
    ("RMSE", "rmse", "Root mean squared error:  √MSE, in the units of y"),
    ("R²", "r2", "Coefficient of determination:  1 − Σ(y − ŷ)² / Σ(y − ȳ)²  (1 is a perfect fit)"),
)
# For classification the same three rows show these instead (and a confusion matrix appears below).
CLASSIFICATION_ROWS = (
    ("Accuracy", "accuracy", "Share of the points whose most probable class is their own (100 % is perfect)"),
    ("Wrong", "errors", "How many points the network puts in another class than their own"),
    ("Points", "n_points", "How many points were measured"),
)
NO_VALUE = "–"
MEASURING = "…"  # a past moment's metrics, while they are computed
PAST_COLOUR = style.HOVER_COLOUR  # the timeline's marker colour: "this is the past"
Metric = Metrics | ClassificationMetrics | None


class MetricsTable:
    """The caption, the table and the confusion matrix (three widgets the loss plot lays out beside itself)."""

    def __init__(self) -> None:
        self._live: tuple[Metric, Metric, int | None] = (None, None, None)  # the latest frame's metrics
        self._past_epoch: int | None = None  # the timeline's moment the table shows (None: now)
        self.table = QTableWidget(len(METRIC_ROWS), 2)
        self.table.setToolTip(
            "How well the prediction fits, in the data's original units (undoing any standardisation;\n"
            "the loss is in the units the model trains in), at the moment shown above the table:\n"
            "now, or the epoch picked on the timeline"
        )
        explains(self.table, "MSE, RMSE and R²")
        explains(self.table.horizontalHeader(), "training and test points")
        self.caption = SteadyLabel(width=210)  # its text changes every frame
        self.caption.setToolTip(
            "Which moment the metrics measure (now, or the epoch picked on the timeline: past), and in\n"
            "whose units: MSE, RMSE and R² are in the data's original units, even when the model trains\n"
            "on standardised data and its loss is in standardised units"
        )
        for column, (name, colour) in enumerate((("train", style.TRAIN_COLOUR), ("test", style.TEST_COLOUR))):
            header = QTableWidgetItem(name)
            header.setForeground(QColor(colour))
            header.setToolTip(f"Measured on the {name} points")
            self.table.setHorizontalHeaderItem(column, header)
        for row, (label, _, tooltip) in enumerate(METRIC_ROWS):
            header = QTableWidgetItem(label)
            header.setToolTip(tooltip)
            self.table.setVerticalHeaderItem(row, header)
            for column in range(2):
                item = QTableWidgetItem(NO_VALUE)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(tooltip)
                self.table.setItem(row, column, item)
        show_only(self.table)
        self.table.setFixedWidth(210)
        height = self.table.horizontalHeader().sizeHint().height()
        height += sum(self.table.verticalHeader().sectionSizeHint(row) for row in range(len(METRIC_ROWS)))
        self.table.setFixedHeight(height + 2 * self.table.frameWidth())
        self._rows = METRIC_ROWS
        self.confusion = ConfusionTable()  # shown for classification only
        self.confusion.hide()

    def widgets(self) -> tuple[QWidget, ...]:
        """Top to bottom, as they are laid out."""
        return self.caption, self.table, self.confusion

    def set_metrics(self, train: Metric, test: Metric, epoch: int | None = None) -> None:
        """The live metrics (of the latest frame, at `epoch`); shown unless the table shows a past moment."""
        self._live = (train, test, epoch)
        if self._past_epoch is None:
            self._show_metrics(train, test)
            self._show_moment(epoch, past=False)

    def show_past_metrics(self, epoch: int, train: Metric = None, test: Metric = None, measured: bool = True) -> None:
        """The metrics of a moment picked on the timeline (`measured` False: still being computed)."""
        self._past_epoch = epoch
        if measured:
            self._show_metrics(train, test)
        else:
            for row in range(self.table.rowCount()):
                for column in range(2):
                    self.table.item(row, column).setText(MEASURING)
        self._show_moment(epoch, past=True)

    def show_live_metrics(self) -> None:
        """Back to now: the latest frame's metrics."""
        self._past_epoch = None
        train, test, epoch = self._live
        self._show_metrics(train, test)
        self._show_moment(epoch, past=False)

    def caption_text(self) -> str:
        """What the line above the metrics says, as plain text (e.g. "epoch 20 (past) · original units")."""
        return self.caption.text().replace("<b>", "").replace("</b>", "")

    def metric_text(self, name: str, column: str) -> str:
        """The table's text for a metric ("MSE", "RMSE", "R²") of "train" or "test"."""
        row = [label for label, _, _ in self._rows].index(name)
        return self.table.item(row, ("train", "test").index(column)).text()

    def confusion_counts(self, shown_in: QWidget) -> np.ndarray | None:
        """The confusion matrix shown (in `shown_in`), or None when there is none (regression)."""
        return self.confusion.counts() if self.confusion.isVisibleTo(shown_in) else None

    def _show_moment(self, epoch: int | None, past: bool) -> None:
        """Say which moment the table measures, and in whose units."""
        when = "" if epoch is None else f"<b>epoch {epoch}</b> ({'past' if past else 'now'})"
        units = "" if self._rows is CLASSIFICATION_ROWS else "original units"
        self.caption.setText(" · ".join(part for part in (when, units) if part))
        colour = f"color: {PAST_COLOUR};" if past else ""
        if self.caption.styleSheet() != colour:  # a new style sheet styles the label afresh: only when it changes
            self.caption.setStyleSheet(colour)

    def _show_metrics(self, train: Metric, test: Metric) -> None:
        classes = isinstance(train, ClassificationMetrics) or isinstance(test, ClassificationMetrics)
        self._set_rows(CLASSIFICATION_ROWS if classes else METRIC_ROWS)
        if classes:
            self._set_class_metrics(train, test)
            return
        self.confusion.hide()
        for column, metrics in enumerate((train, test)):
            for row, (_, field, _) in enumerate(METRIC_ROWS):
                value = getattr(metrics, field) if metrics is not None else math.nan
                text = f"{value:.4g}" if math.isfinite(value) else NO_VALUE
                item = self.table.item(row, column)
                if item.text() != text:  # each change repaints the table: during training, ~30 times a second
                    item.setText(text)

    def _set_rows(self, rows: tuple[tuple[str, str, str], ...]) -> None:
        """The table's row names and tooltips: regression's MSE/RMSE/R² or classification's accuracy."""
        if rows is self._rows:
            return
        self._rows = rows
        for row, (label, _, tooltip) in enumerate(rows):
            header = self.table.verticalHeaderItem(row)
            header.setText(label)
            header.setToolTip(tooltip)
            for column in range(2):
                self.table.item(row, column).setToolTip(tooltip)
                self.table.item(row, column).setText(NO_VALUE)

    def _set_class_metrics(self, train: ClassificationMetrics | None, test: ClassificationMetrics | None) -> None:
        for column, metrics in enumerate((train, test)):
            for row, (_, field, tooltip) in enumerate(CLASSIFICATION_ROWS):
                item = self.table.item(row, column)
                if metrics is None:
                    item.setText(NO_VALUE)
                    continue
                value = getattr(metrics, field)
                item.setText(f"{100 * value:.1f} %" if field == "accuracy" else f"{value:d}")
                item.setToolTip(f"{tooltip}\n\nConfusion matrix:\n{confusion_text(metrics)}")
        if test is not None:
            self.confusion.set_metrics(test, "test")
        else:
            self.confusion.set_metrics(train, "training")
