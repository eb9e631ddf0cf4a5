"""Every value of a few tensors, on demand: the "Show all values…" dialog of `TensorTable`.

`ValuesDialog` shows the tensors side by side (one row per entry), then each one as its own
grid, every value with 10 significant digits. `ArrayTableModel` computes only the cells on
screen, so a million-entry tensor costs nothing until it is scrolled to.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTableView, QTabWidget, QVBoxLayout, QWidget

from nnstudio.gui.instruments.tensor_text import NOT_COMPUTED, Labeller, format_number


class ArrayTableModel(QAbstractTableModel):
    """Columns of numbers as a read-only table. A model computes only the cells on screen, and its
    row labels are made on demand too, so a million-entry tensor costs nothing until scrolled to."""

    def __init__(self, columns: list[np.ndarray], row_label: Callable[[int], str], column_labels: list[str]) -> None:
        super().__init__()
        self.columns = columns  # 1-D, one per table column, all the same length (views, not copies)
        self.row_label, self.column_labels = row_label, column_labels

    @property
    def values(self) -> np.ndarray:
        """The whole table as one array (a copy: for tests and small tables)."""
        return np.column_stack(self.columns)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() or not self.columns else len(self.columns[0])

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            value = float(self.columns[index.column()][index.row()])
            return NOT_COMPUTED if math.isnan(value) else format_number(value, 10)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.column_labels[section] if section < len(self.column_labels) else None
        return self.row_label(section)


class ValuesDialog(QDialog):
    """Every entry: the tensors side by side (one row per entry), then each one as its own grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("All values")
        self.resize(760, 560)
        self.tabs = QTabWidget()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.models: dict[str, ArrayTableModel] = {}

    def set_arrays(self, title: str, arrays: dict[str, np.ndarray], labeller: Labeller) -> None:
        self.setWindowTitle(f"All values: {title}")
        self.tabs.clear()
        self.models = {}
        shape = next(iter(arrays.values())).shape

        def entry_label(row: int) -> str:
            return labeller(tuple(int(i) for i in np.unravel_index(row, shape)) if shape else ())

        flat = [np.ravel(values) for values in arrays.values()]  # views of contiguous arrays
        self._add_tab("side by side", ArrayTableModel(flat, entry_label, list(arrays)))
        for name, values in arrays.items():
            grid = values.reshape(1, -1) if values.ndim < 2 else values.reshape(values.shape[0], -1)
            columns = [grid[:, j] for j in range(grid.shape[1])]
            model = ArrayTableModel(columns, lambda row: str(row + 1), [str(j + 1) for j in range(grid.shape[1])])
            self._add_tab(name, model)

    def _add_tab(self, name: str, model: ArrayTableModel) -> None:
        view = QTableView()
        view.setModel(model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setDefaultSectionSize(130)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no measuring every row
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
        view.setToolTip(f"{name}: every value, 10 significant digits ({NOT_COMPUTED} = not computed)")
        self.models[name] = model
        self.tabs.addTab(view, name)
