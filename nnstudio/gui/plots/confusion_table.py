"""A small confusion matrix beside the loss plot: for each true class (row), where its points were put (column).

The diagonal holds the points in their own class and is tinted in the class colour; everything
off the diagonal is a mistake, shown in red when it is not zero.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.classification import ClassificationMetrics
from nnstudio.gui import style

WIDTH = 210  # as wide as the metrics table above it


def confusion_text(metrics: ClassificationMetrics) -> str:
    """The matrix as plain text lines for a tooltip: "true 0: 40  2" ..."""
    width = max(len(str(int(metrics.confusion.max(initial=0)))), 3)
    head = "predicted →  " + " ".join(f"{k:>{width}}" for k in range(metrics.n_classes))
    rows = [
        f"true {k}:      " + " ".join(f"{int(count):>{width}}" for count in row)
        for k, row in enumerate(metrics.confusion)
    ]
    return "\n".join([head, *rows])


def show_only(table: QTableWidget) -> None:
    """A table to read, not to use: no editing, selection, focus or scroll bars; columns share the width."""
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


class ConfusionTable(QWidget):
    """The title line and a K × K table of counts; hidden for regression."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        show_only(self.table)
        self.table.setToolTip("Rows: the true class. Columns: the class the network predicts. The diagonal is right.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self.setFixedWidth(WIDTH)
        self._classes = -1

    def set_metrics(self, metrics: ClassificationMetrics | None, which: str) -> None:
        """Show `metrics`' matrix, measured on the `which` ("training" or "test") points."""
        if metrics is None:
            self.hide()
            return
        self.title.setText(f"<b>Confusion</b> ({which} points): rows true, columns predicted")
        if metrics.n_classes != self._classes:
            self._build(metrics.n_classes)
        for row, counts in enumerate(metrics.confusion):
            for column, count in enumerate(counts):
                item = self.table.item(row, column)
                item.setText(str(int(count)))
                if row != column:
                    item.setForeground(QColor(style.ERROR_TEXT_COLOUR if count else "#888888"))
        self.show()

    def counts(self) -> np.ndarray:
        """The numbers the table shows, as an array (for tests)."""
        size = self.table.rowCount()
        return np.array([[int(self.table.item(r, c).text()) for c in range(size)] for r in range(size)], dtype=int)

    def _build(self, classes: int) -> None:
        self._classes = classes
        self.table.setRowCount(classes)
        self.table.setColumnCount(classes)
        bold = QFont()
        bold.setBold(True)
        for k in range(classes):
            for header, setter in (
                (QTableWidgetItem(str(k)), self.table.setHorizontalHeaderItem),
                (QTableWidgetItem(f"true {k}"), self.table.setVerticalHeaderItem),
            ):
                header.setForeground(QColor(style.class_colour(k)))
                header.setFont(bold)
                setter(k, header)
            for j in range(classes):
                item = QTableWidgetItem("0")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if j == k:
                    tint = QColor(style.class_colour(k))
                    tint.setAlpha(60)
                    item.setBackground(tint)
                    item.setFont(bold)
                self.table.setItem(k, j, item)
        height = self.table.horizontalHeader().sizeHint().height()
        height += sum(self.table.verticalHeader().sectionSizeHint(row) for row in range(classes))
        self.table.setFixedHeight(height + 2 * self.table.frameWidth())
