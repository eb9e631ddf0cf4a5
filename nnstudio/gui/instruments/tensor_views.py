"""Showing tensors to a class: every number when there are few, a summary and heat maps when there are many.

`TensorTable` takes a few arrays of one shape (W before, g, Δ, W after...) and shows them side by
side: with ≤ `SMALL_ENTRIES` entries, one row per entry with every digit; beyond that, one row
per array with its norm, min, max and mean, heat maps of the ones that matter (heat_map.py), and
"Show all values…", which opens every entry in a table (values_dialog.py). Numbers and entry
names are written as tensor_text.py says. Used by the step inspector; nothing here knows what a
layer is.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.teaching.diagnostics import summarise
from nnstudio.gui.instruments.heat_map import Axes, HeatMap
from nnstudio.gui.instruments.presentation import SCALES_ITSELF
from nnstudio.gui.instruments.tensor_text import NOT_COMPUTED, Labeller, format_number, index_labeller, math_font
from nnstudio.gui.instruments.values_dialog import ValuesDialog

SMALL_ENTRIES = 16  # up to this many entries, every value is shown in the panel itself
WORKED_EXAMPLE_ENTRIES = 4  # up to this many, the arrays are rows and the entries columns


def _table(rows: int, columns: int) -> QTableWidget:
    table = QTableWidget(rows, columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setWordWrap(False)
    table.horizontalHeader().setFont(math_font())  # headers hold symbols: m̂, v̂, dL/dW…
    table.verticalHeader().setFont(math_font())
    return table


def _fit_height(table: QTableWidget) -> None:
    """Exactly as large as its cells: the page around it scrolls, not each little table."""
    table.resizeColumnsToContents()
    table.resizeRowsToContents()
    frame = 2 * table.frameWidth()
    header = table.verticalHeader()
    width = frame + header.sizeHint().width() + sum(table.columnWidth(c) for c in range(table.columnCount()))
    height = frame + table.horizontalHeader().sizeHint().height()
    height += sum(table.rowHeight(row) for row in range(table.rowCount()))
    table.setFixedSize(width, height)


class TensorTable(QWidget):
    """Arrays of one shape side by side: every entry when small, a summary with heat maps when large."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.arrays: dict[str, np.ndarray] = {}
        self.transposed = False
        self._indices: list[tuple[int, ...]] = []
        self.digits = 8
        self._labeller: Labeller = index_labeller("")
        self._title = ""
        self._heat_axes: Axes = ("rows", "columns")
        self.table = _table(0, 0)
        self.table.setProperty(SCALES_ITSELF, True)  # its height follows its rows: refitted on font changes
        self.heat_maps: list[HeatMap] = []
        self._heat_row = QHBoxLayout()
        self._heat_row.setSpacing(10)
        self._heat_row.addStretch(1)
        self.show_all_button = QPushButton("Show all values…")
        self.show_all_button.setToolTip("Open every entry of these tensors in a table, side by side")
        self.show_all_button.clicked.connect(self.show_all_values)
        self.dialog: ValuesDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self._heat_row)
        layout.addWidget(self.show_all_button, 0, Qt.AlignmentFlag.AlignLeft)

    @property
    def is_summary(self) -> bool:
        """True when the arrays are too large to list, so the table shows one row of statistics per array."""
        first = next(iter(self.arrays.values()), np.zeros(0))
        return first.size > SMALL_ENTRIES

    def set_arrays(
        self,
        title: str,
        arrays: dict[str, np.ndarray],
        labeller: Labeller,
        heat: tuple[str, ...] = (),
        digits: int = 8,
        tooltips: dict[str, str] | None = None,
        heat_axes: Axes = ("rows", "columns"),
    ) -> None:
        """Show `arrays` (name → array, all one shape); `heat` names the ones that get a heat map when large,
        `heat_axes` what the maps' rows and columns are (e.g. ("points", "units"))."""
        self._title, self._labeller, self.digits = title, labeller, digits
        self._heat_axes = heat_axes
        self.arrays = {name: np.asarray(value, dtype=np.float64) for name, value in arrays.items()}
        tooltips = tooltips or {}
        if self.is_summary:
            self._show_summary(tooltips)
            self._show_heat_maps([name for name in heat if name in self.arrays])
        else:
            self._show_entries(tooltips)
            self._show_heat_maps([])
        self.show_all_button.setVisible(self.is_summary)
        _fit_height(self.table)
        if self.dialog is not None and self.dialog.isVisible():
            self.show_all_values()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.arrays:
            QTimer.singleShot(0, self, lambda: _fit_height(self.table))  # after the rows took the new font

    def cell_text(self, row: int, column: int) -> str:
        return self.table.item(row, column).text()

    def show_all_values(self) -> None:
        if self.dialog is None:
            self.dialog = ValuesDialog(self.window())
        self.dialog.set_arrays(self._title, self.arrays, self._labeller)
        self.dialog.show()
        self.dialog.raise_()

    # --- the two layouts --------------------------------------------------------------------------

    def _show_entries(self, tooltips: dict[str, str]) -> None:
        """Every entry. Up to WORKED_EXAMPLE_ENTRIES entries, each array is a row, so that the table reads
        down like a worked example (W before, g, Δ, W after); beyond that each entry is a row."""
        names = list(self.arrays)
        shape = next(iter(self.arrays.values())).shape
        self._indices = list(np.ndindex(*shape)) if shape else [()]
        self.transposed = len(self._indices) <= WORKED_EXAMPLE_ENTRIES
        entry_labels = [self._labeller(index) for index in self._indices]
        table = self.table
        table.clear()
        rows, columns = (names, entry_labels) if self.transposed else (entry_labels, names)
        table.setRowCount(len(rows))
        table.setColumnCount(len(columns))
        for column, label in enumerate(columns):
            header = QTableWidgetItem(label)
            header.setToolTip(tooltips.get(label, label))
            table.setHorizontalHeaderItem(column, header)
        for row, label in enumerate(rows):
            header = QTableWidgetItem(label)
            header.setToolTip(tooltips.get(label, label))
            table.setVerticalHeaderItem(row, header)
        for a, name in enumerate(names):
            for e, index in enumerate(self._indices):
                item = _number_item(float(self.arrays[name][index]), self.digits, tooltips.get(name, ""))
                table.setItem(*((a, e) if self.transposed else (e, a)), item)

    def value_text(self, name: str, index: tuple[int, ...] = ()) -> str:
        """The text shown for entry `index` of array `name` (small tables only)."""
        entry = self._indices.index(tuple(index))
        column = list(self.arrays).index(name)
        return self.cell_text(*((column, entry) if self.transposed else (entry, column)))

    def _show_summary(self, tooltips: dict[str, str]) -> None:
        statistics = ("‖·‖", "min", "max", "mean")
        table = self.table
        table.clear()
        table.setRowCount(len(self.arrays))
        table.setColumnCount(len(statistics))
        table.setHorizontalHeaderLabels(list(statistics))
        for column, tip in enumerate(("norm: √(Σ of the squares)", "smallest entry", "largest entry", "average")):
            table.horizontalHeaderItem(column).setToolTip(tip)
        for row, (name, values) in enumerate(self.arrays.items()):
            summary = summarise(values)
            header = QTableWidgetItem(f"{name}  ({' × '.join(map(str, values.shape))})")
            header.setToolTip(tooltips.get(name, name))
            table.setVerticalHeaderItem(row, header)
            for column, value in enumerate((summary.norm, summary.minimum, summary.maximum, summary.mean)):
                table.setItem(row, column, _number_item(value, 4, tooltips.get(name, "")))

    def _show_heat_maps(self, names: list[str]) -> None:
        while len(self.heat_maps) < len(names):
            heat_map = HeatMap()
            self._heat_row.insertWidget(len(self.heat_maps), heat_map)
            self.heat_maps.append(heat_map)
        for heat_map, name in zip(self.heat_maps, names, strict=False):
            heat_map.set_tensor(name, self.arrays[name], self._heat_axes)
        for number, heat_map in enumerate(self.heat_maps):
            heat_map.setVisible(number < len(names))


def _number_item(value: float, digits: int, tooltip: str) -> QTableWidgetItem:
    item = QTableWidgetItem(NOT_COMPUTED if math.isnan(value) and digits > 8 else format_number(value, digits))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if not math.isfinite(value):
        item.setForeground(QColor("#B03A2E"))
    item.setToolTip(tooltip)
    return item
