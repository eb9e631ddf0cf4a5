"""Showing tensors to a class: every number when there are few, a summary and heat maps when there are many.

`TensorTable` takes a few arrays of one shape (W before, g, Δ, W after...) and shows them side by
side: with ≤ `SMALL_ENTRIES` entries, one row per entry with every digit; beyond that, one row
per array with its norm, min, max and mean, heat maps of the ones that matter, and "Show all
values…", which opens every entry in a table. A heat map names what its rows and columns are
(points × units, inputs × units) and has a colour key marked with the tensor's true min and max.
Used by the step inspector; nothing here knows what a layer is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.model import entry_name
from nnstudio.core.teaching.diagnostics import summarise
from nnstudio.gui.instruments.presentation import SCALES_ITSELF

SMALL_ENTRIES = 16  # up to this many entries, every value is shown in the panel itself
WORKED_EXAMPLE_ENTRIES = 4  # up to this many, the arrays are rows and the entries columns
HEAT_MAP_WIDTH, HEAT_MAP_HEIGHT = 150, 96
COLOUR_MAP = "CET-D1"  # blue (−), white (0), red (+): the sign of a weight or gradient at a glance
NOT_COMPUTED = "—"  # finite differences sampled on big tensors leave the other entries empty (NaN)

KEY_HEIGHT = 10  # the colour key's strip, in pixels

Labeller = Callable[[tuple[int, ...]], str]
Axes = tuple[str, str]  # what a heat map's rows and columns are, e.g. ("points", "units")


MATH_FAMILIES = ["DejaVu Serif", "Cambria Math", "STIX Two Math", "Times New Roman", "serif"]


def math_font() -> QFont:
    """A serif family for formulas and symbols (its size follows the widget's).

    Serif faces draw combining accents (m̂, v̂: U+0302) that some sans faces such as DejaVu Sans drop.
    """
    font = QFont()
    font.setFamilies(MATH_FAMILIES)
    font.setStyleHint(QFont.StyleHint.Serif)
    return font


def format_number(value: float, digits: int = 8) -> str:
    """A number as a student reads it: `digits` significant digits, a real minus sign, nan/inf spelled out."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}g}".replace("-", "−")


def index_labeller(name: str) -> Labeller:
    """Labels like W1[2,3] (1-based, as in the maths: row = input, column = unit)."""
    return lambda index: entry_name(name, index)


def batch_labeller(units: int) -> Labeller:
    """Labels for a (points × units) tensor: "point 5" for one unit, "point 5, unit 3" otherwise."""
    if units == 1:
        return lambda index: f"point {index[0] + 1}"
    return lambda index: f"point {index[0] + 1}, unit {index[1] + 1}"


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


def axes_text(shape: tuple[int, ...], axes: Axes) -> str:
    """What a heat map's rows and columns hold: "↓ 100 points · → 64 units" ("→ 64 units" for a vector)."""
    rows, columns = axes
    if len(shape) < 2:
        return f"→ {_counted(int(np.prod(shape)), columns)}"
    return f"↓ {_counted(shape[0], rows)} · → {_counted(int(np.prod(shape[1:])), columns)}"


def _counted(count: int, name: str) -> str:
    """ "64 units", "1 unit" (names are plurals ending in s)."""
    return f"{count} {name[:-1] if count == 1 and name.endswith('s') else name}"


class ColourKey(QWidget):
    """The heat map's colours from −limit to +limit, with ticks where the tensor's true min and max fall."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = 1.0
        self.marks: tuple[float, ...] = ()  # the true min and max (finite), drawn as ticks on the strip
        self._gradient_colours = pg.colormap.get(COLOUR_MAP)
        self.setFixedSize(HEAT_MAP_WIDTH, KEY_HEIGHT + 5)

    def set_range(self, limit: float, marks: tuple[float, ...]) -> None:
        self.limit, self.marks = limit, marks
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        width = self.width()
        strip = QRectF(0, 0, width, KEY_HEIGHT)
        painter.fillRect(strip, QBrush(self._gradient_colours.getGradient(QPointF(0, 0), QPointF(width, 0))))
        painter.setPen(QPen(QColor("#888888")))
        painter.drawRect(strip.adjusted(0, 0, -1, -1))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#000000"))
        for value in self.marks:  # a small triangle under the strip, pointing at the value
            x = (value / self.limit + 1.0) / 2.0 * (width - 1)
            painter.drawPolygon(
                QPolygonF([QPointF(x, KEY_HEIGHT - 3), QPointF(x - 4, KEY_HEIGHT + 5), QPointF(x + 4, KEY_HEIGHT + 5)])
            )
        painter.end()


class HeatMap(QWidget):
    """A small heat map of one tensor (block means, ≤ 32 × 32) under its title, its axes named, and a
    colour key from −m to +m, m = max |value| (white is 0), marked with the true min and max."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.axes_label = QLabel()
        self.axes_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.axes_label.setToolTip("What the heat map's rows (↓) and columns (→) are")
        self.key = ColourKey()
        self.key.setToolTip("The colour key: blue negative, white 0, red positive; ▲ marks the true min and max")
        self.key_labels = (QLabel(), QLabel(), QLabel())  # −m, 0, +m under the key
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        for label, alignment in zip(
            self.key_labels,
            (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter, Qt.AlignmentFlag.AlignRight),
            strict=True,
        ):
            label.setAlignment(alignment)
            key_row.addWidget(label, 1)
        self.key_labels[1].setText("0")
        key_row_widget = QWidget()
        key_row_widget.setLayout(key_row)
        key_row_widget.setFixedWidth(HEAT_MAP_WIDTH)
        self.range_label = QLabel()  # the true min and max
        self.range_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.range_label.setToolTip("The smallest and largest entry of the whole tensor (▲ on the key)")
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        self.view.setFixedSize(HEAT_MAP_WIDTH, HEAT_MAP_HEIGHT)
        self.view_box = self.view.addViewBox(lockAspect=False, enableMouse=False, invertY=True)
        self.view_box.setMenuEnabled(False)
        self.view_box.setDefaultPadding(0.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLOUR_MAP))
        self.view_box.addItem(self.image)
        self.levels: tuple[float, float] = (-1.0, 1.0)
        self.true_range: tuple[float, float] = (math.nan, math.nan)  # the tensor's finite min and max
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.axes_label)
        layout.addWidget(self.key, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(key_row_widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.range_label)

    def set_tensor(self, title: str, values: np.ndarray, axes: Axes = ("rows", "columns")) -> None:
        """Draw `values` (block means when large), `axes` naming what its rows and columns are."""
        values = np.asarray(values, dtype=np.float64)
        summary = summarise(values)
        finite = np.isfinite(summary.heat_map)
        block_means = np.where(finite, summary.heat_map, 0.0)  # not-finite cells: white
        entries = values[np.isfinite(values)]
        low, high = (float(entries.min()), float(entries.max())) if entries.size else (math.nan, math.nan)
        # The key spans the true extremes (not the block means'), so every colour reads as a real value.
        largest = max(abs(low), abs(high)) if entries.size else 0.0
        largest = largest if largest > 0 else 1.0
        cells = np.ascontiguousarray(block_means, dtype=np.float32)
        self.levels = (-largest, largest)
        self.true_range = (low, high)
        self.image.setImage(cells, levels=self.levels, autoLevels=False)
        self.view_box.autoRange(padding=0.0)
        self.title.setText(title)
        self.axes_label.setText(axes_text(values.shape, axes))
        self.key.set_range(largest, (low, high) if entries.size else ())
        self.key_labels[0].setText(format_number(-largest, 3))
        self.key_labels[2].setText("+" + format_number(largest, 3))
        if entries.size:
            self.range_label.setText(f"min {format_number(low, 3)} · max {format_number(high, 3)}")
        else:
            self.range_label.setText("not finite")
        rows, columns = cells.shape if cells.ndim == 2 else (0, 0)
        averaged = " (each cell the mean of a block)" if values.size > rows * columns else ""
        self.setToolTip(
            f"{title}: blue negative, white 0, red positive; the colours span ±{format_number(largest, 4)}.\n"
            f"{axes_text(values.shape, axes)}: {' × '.join(map(str, summary.shape))} values shown as "
            f"{rows} × {columns} cells{averaged}"
            + ("" if finite.all() else "\nWhite cells here are not finite (nan or ∞).")
        )

    def key_text(self) -> str:
        """The colour key's labels and the true range, as shown: "−0.52 0 +0.52 · min −0.31 · max 0.52"."""
        ends = " ".join(label.text() for label in self.key_labels)
        return f"{ends} · {self.range_label.text()}"


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


# --- every value, on demand ----------------------------------------------------------------------------


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
