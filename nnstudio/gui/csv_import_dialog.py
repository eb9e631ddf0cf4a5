"""The CSV import dialog: see the first rows, choose the x and y columns, import only what reads cleanly.

It reads the chosen columns with `data.parse_csv` on every change, so a problem is shown with
its line and column, and Import stays disabled, before anything in the window changes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.csv_preview import CsvPreview, preview_csv, problem_line, row_at
from nnstudio.core.data import parse_csv
from nnstudio.core.errors import NNStudioError
from nnstudio.gui.panels.widgets import error_label, show_error
from nnstudio.gui.style import PREDICTION_COLOUR, TRAIN_COLOUR

SHOWN_ROWS = 11  # the first rows of the file; a row with a problem is added below them


def _pale(colour: str, share: float = 0.22) -> QColor:
    """`colour` mixed into white: a tint that marks a column and leaves its numbers easy to read."""
    c = QColor(colour)
    return QColor(*(round(255 * (1 - share) + part * share) for part in (c.red(), c.green(), c.blue())))


X_TINT, Y_TINT, PROBLEM_TINT = _pale(TRAIN_COLOUR), _pale(PREDICTION_COLOUR), _pale("#D55E00", 0.35)


class CsvImportDialog(QDialog):
    """Preview CSV text; on Import, `points`, `x_column`, `y_column` and `header` say what to use."""

    def __init__(self, text: str, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import data — {source}")
        self.source = source
        self._text = text
        self.points: tuple[np.ndarray, np.ndarray] | None = None
        self.preview: CsvPreview | None = None
        try:
            self.preview = preview_csv(text)
        except NNStudioError as error:
            self._build(None)
            self._show_problem(str(error))
            return
        self._build(self.preview)
        self._update()

    # --- what the caller reads ------------------------------------------------------------------

    @property
    def x_column(self) -> int:
        return int(self.x_combo.currentIndex())

    @property
    def y_column(self) -> int:
        return int(self.y_combo.currentIndex())

    @property
    def header(self) -> bool:
        return self.header_check.isChecked()

    def problem(self) -> str:
        """The error shown (empty when the chosen columns read cleanly)."""
        return "" if self.points is not None else self.error_label.text()

    # --- building ---------------------------------------------------------------------------------

    def _build(self, preview: CsvPreview | None) -> None:
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.header_check = QCheckBox("The first row is a header (column names, not data)")
        self.header_check.setToolTip("Detected from the first row: it is a header when a cell is not a number")
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        self.x_combo.setToolTip("The input: the network's x")
        self.y_combo.setToolTip("The target: what the network learns to predict from x")
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setToolTip("The first rows of the file, as they will be read (numbers as written)")
        self.error_label = error_label()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout()
        form_x, form_y = QFormLayout(), QFormLayout()
        form_x.addRow("x (input)", self.x_combo)
        form_y.addRow("y (target)", self.y_combo)
        columns.addLayout(form_x, 1)
        columns.addLayout(form_y, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.header_check)
        layout.addLayout(columns)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(640, 600)

        if preview is None:
            for widget in (self.header_check, self.x_combo, self.y_combo, self.table):
                widget.setEnabled(False)
            self.summary.setText(f"<b>{self.source}</b>")
            return
        separator = {",": "commas", ";": "semicolons", "\t": "tabs"}[preview.delimiter]
        columns = "1 column" if preview.width == 1 else f"{preview.width} columns separated by {separator}"
        self.summary.setText(f"<b>{self.source}</b>: {preview.row_count} rows, {columns}.")
        self.header_check.setChecked(preview.header_detected)
        self._fill_combos(preview)
        self.x_combo.setCurrentIndex(0)
        self.y_combo.setCurrentIndex(min(1, preview.width - 1))
        self.header_check.toggled.connect(self._on_header_toggled)
        self.x_combo.currentIndexChanged.connect(self._update)
        self.y_combo.currentIndexChanged.connect(self._update)

    def _fill_combos(self, preview: CsvPreview) -> None:
        names = preview.column_names(self.header_check.isChecked())
        for combo in (self.x_combo, self.y_combo):
            index = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def _on_header_toggled(self) -> None:
        self._fill_combos(self.preview)
        self._update()

    # --- reading ----------------------------------------------------------------------------------

    def _update(self) -> None:
        self.points = None
        self._fill_table()
        if self.x_column == self.y_column:
            self._show_problem("Choose two different columns for x and y.")
            return
        try:
            x, y = parse_csv(self._text, self.x_column, self.y_column, self.header)
        except NNStudioError as error:
            self._show_problem(str(error))
            return
        self.points = (x, y)
        show_error(self.error_label, "")
        self.result_label.setText(
            f"<b>{len(x)} points</b> will be imported: x from {x.min():.4g} to {x.max():.4g}, "
            f"y from {y.min():.4g} to {y.max():.4g}. The model is then re-initialised."
        )
        self.import_button.setEnabled(True)

    def _show_problem(self, message: str) -> None:
        self.points = None
        self._show_problem_row(message)
        show_error(self.error_label, f"Cannot import: {message}")
        self.result_label.setText("Nothing has changed. Choose other columns, or fix the file and import it again.")
        self.import_button.setEnabled(False)

    def _fill_table(self) -> None:
        preview = self.preview
        rows = (preview.rows[1:] if self.header else preview.rows)[:SHOWN_ROWS]
        self.table.clear()
        self.table.setColumnCount(preview.width)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(preview.column_names(self.header))
        self.table.setVerticalHeaderLabels([f"line {number}" for number, _ in rows])
        for r, (_, cells) in enumerate(rows):
            for c in range(preview.width):
                item = QTableWidgetItem(cells[c].strip() if c < len(cells) else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if c == self.x_column:
                    item.setBackground(QBrush(X_TINT))
                elif c == self.y_column:
                    item.setBackground(QBrush(Y_TINT))
                if c in (self.x_column, self.y_column):
                    item.setForeground(QBrush(QColor("#000000")))
                self.table.setItem(r, c, item)
        mode = QHeaderView.ResizeMode.Stretch if preview.width <= 6 else QHeaderView.ResizeMode.ResizeToContents
        self.table.horizontalHeader().setSectionResizeMode(mode)

    def _show_problem_row(self, message: str) -> None:
        """Add the row the problem is on, tinted, below the first rows (unless it is among them)."""
        line = problem_line(message)
        shown = [self.table.verticalHeaderItem(r).text() for r in range(self.table.rowCount())]
        if line is None or f"line {line}" in shown:
            for r, label in enumerate(shown):
                if label == f"line {line}":
                    for c in range(self.table.columnCount()):
                        self.table.item(r, c).setBackground(QBrush(PROBLEM_TINT))
            return
        cells = row_at(self._text, line)
        if cells is None:
            return
        row = self.table.rowCount()
        self.table.setRowCount(row + 1)
        self.table.setVerticalHeaderItem(row, QTableWidgetItem(f"line {line}"))
        for c in range(self.table.columnCount()):
            item = QTableWidgetItem(cells[c].strip() if c < len(cells) else "")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setBackground(QBrush(PROBLEM_TINT))
            item.setForeground(QBrush(QColor("#000000")))
            self.table.setItem(row, c, item)
        self.table.scrollToItem(self.table.item(row, 0))
