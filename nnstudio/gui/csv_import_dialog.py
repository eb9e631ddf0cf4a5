"""The CSV import dialog: read the file off the GUI thread, see the first rows, choose x and y, import.

x is one input (the combo), or any number of them (ticked in the list of inputs, by the header's
names); y is the target, numbers to fit or, with "classes" ticked, class labels 0, 1, 2, ….

The file is read and parsed once, in a worker thread, with a progress bar; Cancel stops it between
two chunks. Choosing other columns or the header takes them from the parsed table, so a problem is
shown at once with its line and column, and Import stays disabled, before anything in the window
changes. Every failure, from a pipe to a 50 MB line, ends as one message in the dialog.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
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
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.datasets.csv_preview import column_names, header_name, problem_line, summary
from nnstudio.core.datasets.csv_table import CsvTable, read_csv_file_steps, read_csv_steps
from nnstudio.core.datasets.data import csv_input_points, csv_labelled_points, csv_points
from nnstudio.core.errors import NNStudioError
from nnstudio.gui.background_read import BackgroundRead
from nnstudio.gui.panels.widgets import error_label, show_error
from nnstudio.gui.style import PREDICTION_COLOUR, TRAIN_COLOUR

SHOWN_ROWS = 11  # the first rows of the file; a row with a problem is added below them
PROGRESS_STEPS = 1000


def _pale(colour: str, share: float = 0.22) -> QColor:
    """`colour` mixed into white: a tint that marks a column and leaves its numbers easy to read."""
    c = QColor(colour)
    return QColor(*(round(255 * (1 - share) + part * share) for part in (c.red(), c.green(), c.blue())))


X_TINT, Y_TINT, PROBLEM_TINT = _pale(TRAIN_COLOUR), _pale(PREDICTION_COLOUR), _pale("#D55E00", 0.35)


class CsvImportDialog(QDialog):
    """Read and preview a CSV; on Import, `points`, `x_column`, `y_column` and `header` say what to use."""

    read_done = Signal()  # reading ended: a table is shown, or the problem that stopped it

    def __init__(self, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import data — {source}")
        self.source = source
        self.csv_table: CsvTable | None = None
        self.points: tuple[np.ndarray, np.ndarray] | None = None
        self._reading = BackgroundRead(self)
        self._reading.progressed.connect(self._on_progress)
        self._reading.returned.connect(self._on_table)
        self._reading.failed.connect(self._show_failure)
        self._build()

    # --- reading ------------------------------------------------------------------------------------

    def read_path(self, path: str | Path) -> None:
        """Read the file at `path` in a worker thread; the preview appears when it is parsed."""
        self._start(read_csv_file_steps, Path(path), False)  # the title names the file

    def read_text(self, text: str) -> None:
        """Parse CSV text (pasted, or from a test) in a worker thread."""
        self._start(read_csv_steps, text.encode("utf-8", "surrogatepass"))

    @property
    def is_reading(self) -> bool:
        return self._reading.is_running

    def cancel_reading(self) -> None:
        """Stop the worker between two chunks; nothing it read is used."""
        self._reading.cancel()
        self.progress.hide()

    def _start(self, steps, *source) -> None:
        self.summary.setText(f"<b>{html.escape(self.source, quote=False)}</b>: reading…")
        self.progress.setValue(0)
        self.progress.show()
        self._reading.start(steps, *source)

    def _on_progress(self, done: float) -> None:
        self.progress.setValue(round(PROGRESS_STEPS * done))

    def _on_table(self, table: CsvTable) -> None:
        self.progress.hide()
        self.csv_table = table
        if table.row_count == 0:
            self._show_failure("line 1: there is nothing to import (the file is empty)")
            return
        said = html.escape(summary(table), quote=False).replace("\n", "<br>")
        self.summary.setText(f"<b>{html.escape(self.source, quote=False)}</b>: {said}")
        self.header_check.blockSignals(True)
        self.header_check.setChecked(table.header_detected)
        self.header_check.blockSignals(False)
        self._fill_combos()
        for combo, index in ((self.x_combo, 0), (self.y_combo, min(1, table.width - 1))):
            combo.blockSignals(True)  # one _update below, not one per combo
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._tick_inputs((0,))
        for widget in (self.header_check, self.x_combo, self.y_combo, self.table, self.inputs_list, self.classes_check):
            widget.setEnabled(True)
        self._update()
        self.read_done.emit()

    def _show_failure(self, message: str) -> None:
        self.progress.hide()
        self.summary.setText(f"<b>{html.escape(self.source, quote=False)}</b>")
        self._show_problem(message)
        self.read_done.emit()

    def done(self, result: int) -> None:  # Import, Cancel, Escape and closing all end here
        self.cancel_reading()
        super().done(result)

    # --- what the caller reads ------------------------------------------------------------------

    @property
    def x_column(self) -> int:
        return int(self.x_combo.currentIndex())

    @property
    def y_column(self) -> int:
        return int(self.y_combo.currentIndex())

    @property
    def input_columns(self) -> tuple[int, ...]:
        """The ticked input columns (0 = the first), in the file's order."""
        items = (self.inputs_list.item(row) for row in range(self.inputs_list.count()))
        return tuple(row for row, item in enumerate(items) if item.checkState() == Qt.CheckState.Checked)

    @property
    def classes(self) -> bool:
        """The target holds class labels (a classifier), not numbers to fit."""
        return self.classes_check.isChecked()

    @property
    def input_names(self) -> tuple[str, ...] | None:
        """The header's names of the ticked inputs (None without a header line)."""
        if self.csv_table is None:
            return None
        names = tuple(header_name(self.csv_table, self.header, column) for column in self.input_columns)
        return None if any(name is None for name in names) else names

    def choose_columns(self, inputs: tuple[str, ...], target: str, classes: bool = False) -> None:
        """Tick the inputs and choose the target by their header names, as a user does (for tests and scripts)."""
        titles = [self.inputs_list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.inputs_list.count())]
        self.classes_check.setChecked(classes)
        self.y_combo.setCurrentIndex(titles.index(target))
        self._tick_inputs(tuple(titles.index(name) for name in inputs))

    @property
    def header(self) -> bool:
        return self.header_check.isChecked()

    @property
    def column_titles(self) -> tuple[str | None, str | None]:
        """The header's names of the chosen x and y columns (None without a header line)."""
        if self.csv_table is None:
            return None, None
        return tuple(header_name(self.csv_table, self.header, column) for column in (self.x_column, self.y_column))

    def problem(self) -> str:
        """The error shown (empty when the chosen columns read cleanly)."""
        return "" if self.points is not None else self.error_label.text()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setToolTip("Reading the file; Cancel stops it")
        self.progress.hide()
        self.header_check = QCheckBox("The first row is a header (column names, not data)")
        self.header_check.setToolTip("Detected from the first row: it is a header when a cell is not a number")
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        self.x_combo.setToolTip("The input: the network's x (tick more inputs in the list below)")
        self.y_combo.setToolTip("The target: what the network learns to predict from x")
        self.inputs_list = QListWidget()
        self.inputs_list.setToolTip(
            "The inputs: tick every column the network gets as an input (each is standardised on its own)"
        )
        self.inputs_list.setMaximumHeight(96)
        self.inputs_list.setFlow(QListWidget.Flow.LeftToRight)
        self.inputs_list.setWrapping(True)
        self.classes_check = QCheckBox("The target holds classes (labels 0, 1, 2, …): train a classifier")
        self.classes_check.setToolTip("Tick it when y names a class; then two or more inputs are needed")
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setToolTip("The first rows of the file, as they will be read (numbers as written)")
        self.error_label = error_label()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # a cell's text is shown, never rendered
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
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
        layout.addWidget(self.progress)
        layout.addWidget(self.header_check)
        layout.addLayout(columns)
        layout.addWidget(QLabel("Inputs (tick one or more columns):"))
        layout.addWidget(self.inputs_list)
        layout.addWidget(self.classes_check)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(640, 600)
        for widget in (self.header_check, self.x_combo, self.y_combo, self.table, self.inputs_list, self.classes_check):
            widget.setEnabled(False)  # until the file is read
        self.summary.setText(f"<b>{html.escape(self.source, quote=False)}</b>")
        self.header_check.toggled.connect(self._on_header_toggled)
        self.x_combo.currentIndexChanged.connect(lambda index: self._tick_inputs((index,)))
        self.y_combo.currentIndexChanged.connect(self._update)
        self.inputs_list.itemChanged.connect(self._on_inputs_ticked)
        self.classes_check.toggled.connect(self._update)

    def _fill_combos(self) -> None:
        names = column_names(self.csv_table, self.header_check.isChecked())
        for combo in (self.x_combo, self.y_combo):
            index = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        ticked = self.input_columns if self.inputs_list.count() else (0,)
        self.inputs_list.blockSignals(True)
        self.inputs_list.clear()
        for column, name in enumerate(names):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if column in ticked else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, header_name(self.csv_table, self.header_check.isChecked(), column))
            self.inputs_list.addItem(item)
        self.inputs_list.blockSignals(False)

    def _tick_inputs(self, columns: tuple[int, ...]) -> None:
        """Tick exactly `columns` as the inputs; the x combo shows the first."""
        self.inputs_list.blockSignals(True)
        for row in range(self.inputs_list.count()):
            checked = Qt.CheckState.Checked if row in columns else Qt.CheckState.Unchecked
            self.inputs_list.item(row).setCheckState(checked)
        self.inputs_list.blockSignals(False)
        self._on_inputs_ticked()

    def _on_inputs_ticked(self) -> None:
        inputs = self.input_columns
        if inputs and self.x_combo.currentIndex() != inputs[0]:
            self.x_combo.blockSignals(True)
            self.x_combo.setCurrentIndex(inputs[0])
            self.x_combo.blockSignals(False)
        self._update()

    def _on_header_toggled(self) -> None:
        if self.csv_table is not None:
            self._fill_combos()
            self._update()

    # --- choosing columns -------------------------------------------------------------------------

    def _update(self) -> None:
        if self.csv_table is None:
            return
        self.points = None
        self._fill_table()
        inputs = self.input_columns
        if not inputs:
            self._show_problem("Tick at least one input column.")
            return
        if self.y_column in inputs:
            if len(inputs) == 1:
                self._show_problem("Choose two different columns for x and y.")
            else:
                self._show_problem("The target cannot also be an input: untick it in the list of inputs.")
            return
        if self.classes and len(inputs) < 2:
            self._show_problem("A classifier needs two or more input columns: tick another.")
            return
        try:
            if self.classes:
                x, y = csv_labelled_points(self.csv_table, inputs, self.y_column, self.header)
            elif len(inputs) == 1:
                x, y = csv_points(self.csv_table, self.x_column, self.y_column, self.header)
            else:
                x, y = csv_input_points(self.csv_table, inputs, self.y_column, self.header)
        except NNStudioError as error:
            self._show_problem(str(error))
            return
        self.points = (x, y)
        show_error(self.error_label, "")
        if self.classes:
            what = f"{len(inputs)} inputs, {len(np.unique(y))} classes"
        elif len(inputs) > 1:
            what = f"{len(inputs)} inputs, y from {y.min():.4g} to {y.max():.4g}"
        else:
            what = f"x from {x.min():.4g} to {x.max():.4g}, y from {y.min():.4g} to {y.max():.4g}"
        self.result_label.setText(f"<b>{len(x)} points</b> will be imported: {what}. The model is then re-initialised.")
        self.import_button.setEnabled(True)

    def _show_problem(self, message: str) -> None:
        self.points = None
        show_error(self.error_label, f"Cannot import: {message}")
        self.result_label.setText("Nothing has changed. Choose other columns, or fix the file and import it again.")
        self.import_button.setEnabled(False)
        if self.csv_table is not None:
            self._show_problem_row(message)

    def _fill_table(self) -> None:
        table = self.csv_table
        rows = (table.preview[1:] if self.header else table.preview)[:SHOWN_ROWS]
        self.table.clear()
        self.table.setColumnCount(table.width)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(column_names(table, self.header))
        self.table.setVerticalHeaderLabels([f"line {number}" for number, _ in rows])
        for r, (_, cells) in enumerate(rows):
            for c in range(table.width):
                item = QTableWidgetItem(cells[c] if c < len(cells) else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if c in self.input_columns:
                    item.setBackground(QBrush(X_TINT))
                elif c == self.y_column:
                    item.setBackground(QBrush(Y_TINT))
                if c in (*self.input_columns, self.y_column):
                    item.setForeground(QBrush(QColor("#000000")))
                self.table.setItem(r, c, item)
        mode = QHeaderView.ResizeMode.Stretch if table.width <= 6 else QHeaderView.ResizeMode.ResizeToContents
        self.table.horizontalHeader().setSectionResizeMode(mode)

    def _show_problem_row(self, message: str) -> None:
        """Tint the row the problem is on; add it below the first rows unless it is among them."""
        line = problem_line(message)
        if line is None:
            return
        shown = [self.table.verticalHeaderItem(r).text() for r in range(self.table.rowCount())]
        if f"line {line}" in shown:
            row = shown.index(f"line {line}")
            for c in range(self.table.columnCount()):
                self.table.item(row, c).setBackground(QBrush(PROBLEM_TINT))
            return
        cells = self.csv_table.row_cells(line)
        if cells is None:
            return
        row = self.table.rowCount()
        self.table.setRowCount(row + 1)
        self.table.setVerticalHeaderItem(row, QTableWidgetItem(f"line {line}"))
        for c in range(self.table.columnCount()):
            item = QTableWidgetItem(cells[c] if c < len(cells) else "")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setBackground(QBrush(PROBLEM_TINT))
            item.setForeground(QBrush(QColor("#000000")))
            self.table.setItem(row, c, item)
        self.table.scrollToItem(self.table.item(row, 0))
