"""Compare runs: the kept runs' settings and loss curves side by side.

"Keep this run" (`runs_instrument`) copies the trainer's loss history and settings into a
`RunRecord`; this view lists each kept run's configuration, final losses and training time, and
overlays their training-loss curves, each run in its own colour for as long as it is kept.
A name can be edited in place; a run can be hidden (its check box) or deleted (Delete key).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.teaching.runs import TABLE_COLUMNS, RunCollection, RunRecord, RunRow, format_number
from nnstudio.gui import style
from nnstudio.gui.actions import make_action
from nnstudio.gui.instruments.instrument_support import set_axis_label
from nnstudio.gui.plots.legend_plot import legend_names

RUN_COLOURS = (
    style.BLUE,
    style.VERMILLION,
    style.BLUISH_GREEN,
    style.REDDISH_PURPLE,
    style.ORANGE,
    style.SKY_BLUE,
    style.BLACK,
)
RUN_LINE_STYLES = (
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
)  # after 7 runs, colours repeat dashed
SHOW, NAME = 0, 1
RESULT_FIELDS = ("final_train_loss", "final_test_loss", "loss", "epochs", "training_seconds")
COLUMN_FIELDS = [name for name, _ in TABLE_COLUMNS]
NO_VALUE = "–"


def cell_text(row: RunRow, field: str) -> str:
    value = getattr(row, field)
    if field == "learning_rate":
        return format_number(value)
    if field in ("final_train_loss", "final_test_loss"):
        return NO_VALUE if not math.isfinite(value) else f"{value:.4g}"
    if field == "training_seconds":
        return f"{value:.2f}"
    if field == "visible":
        return ""
    return str(value)


def colour_icon(colour: str, line_style: Qt.PenStyle) -> QIcon:
    pixmap = QPixmap(22, 12)
    pixmap.fill(QColor(colour) if line_style == Qt.PenStyle.SolidLine else QColor("white"))
    if line_style != Qt.PenStyle.SolidLine:
        painter = QPainter(pixmap)
        pen = QPen(QColor(colour), 3, line_style)
        painter.setPen(pen)
        painter.drawLine(0, 6, 22, 6)
        painter.end()
    return QIcon(pixmap)


class RunsView(QWidget):
    """The table of kept runs above their overlaid loss curves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.runs = RunCollection()
        self.looks: dict[str, tuple[str, Qt.PenStyle]] = {}  # run name -> (colour, line style), kept for its life
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.test_curves: dict[str, pg.PlotDataItem] = {}
        self.keep_button = QToolButton()
        self.keep_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Forget the selected runs. Shortcut: Delete (in the table)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.log_check = QCheckBox("Log-scale loss")
        self.log_check.setToolTip("Show the loss on a logarithmic axis: small differences late in training show")
        self.log_check.toggled.connect(self.set_log_scale)
        self.test_check = QCheckBox("Test loss too (dashed)")
        self.test_check.setToolTip("Also draw each run's test loss, dashed, in the run's colour")
        self.test_check.toggled.connect(self._draw_test_curves)
        self.test_check.toggled.connect(self._frame_curves)
        self._build_table()
        self._build_plot()
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_check)
        buttons.addWidget(self.log_check)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot_widget)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        self._refresh_buttons()

    def _build_table(self) -> None:
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([header for _, header in TABLE_COLUMNS])
        self.table.setToolTip("The runs kept so far. Double-click a name to rename it; untick Show to hide its curve")
        tips = {
            "visible": "Tick to draw this run's loss curve",
            "name": "The run's name (double-click to edit); the colour is its curve's",
            "loss": "Which loss the run trained on, and in whose units: standardised units when its data was\n"
            "standardised, else the data's original units. Losses compare only within the same loss and units.",
            "final_train_loss": "Training loss at the last epoch, in the run's loss (see Loss), as the log shows it",
            "final_test_loss": "Test loss at the last epoch, in the run's loss (– without a test set)",
            "training_seconds": "Seconds spent training this run (wall clock, including any slow-down)",
            "optimizer": "The optimiser the run ended with",
            "learning_rate": "The learning rate the run ended with",
            "backend": "numpy (hand-written) or torch (autograd)",
            "architecture": "Layer widths, input to output, and the hidden layers' activation",
            "epochs": "Epochs trained when the run was kept",
        }
        for column, (field, _) in enumerate(TABLE_COLUMNS):
            self.table.horizontalHeaderItem(column).setToolTip(tips.get(field, ""))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        corner = self.table.findChild(QAbstractButton)
        if corner is not None:  # the table's select-all corner
            corner.setToolTip("Select every run")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The name says the most: it gets real room (the table scrolls sideways in a narrow dock).
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # The results first, then the settings (which the default name repeats): no scrolling to see a loss.
        for visual, field in enumerate(("visible", "name", *RESULT_FIELDS)):
            header.moveSection(header.visualIndex(COLUMN_FIELDS.index(field)), visual)
        self.table.setWordWrap(False)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._refresh_buttons)
        tip = "Forget the selected runs"
        self.delete_action = make_action(self.table, "Delete Run", self.delete_selected, "Del", tip)
        # Delete forgets runs only while the table has the focus: elsewhere the key means what it always does.
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.delete_action)

    def _build_plot(self) -> None:
        self.plot_widget = style.white_plot(axisItems=style.grid_axes(), enableMenu=False)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        style.style_axes(self.plot_item, "epoch", "training loss")
        self.plot_item.getAxis("left").enableAutoSIPrefix(False)
        self.legend = pg.LegendItem(
            offset=(-10, 10),
            labelTextSize=f"{style.AXIS_FONT_POINTS}pt",
            labelTextColor=style.BLACK,
            brush=pg.mkBrush(255, 255, 255, 230),
            pen=pg.mkPen("#888888"),
        )
        self.legend.setParentItem(self.plot_item.getViewBox())
        self.plot_widget.setToolTip("The kept runs' training loss per epoch, one colour per run")

    # --- public -----------------------------------------------------------------------------------

    def add_run(self, run: RunRecord) -> RunRecord:
        kept = self.runs.add(run)
        self.looks[kept.name] = self._free_look()
        colour, line_style = self.looks[kept.name]
        # Each later run a little thinner and on top: identical curves (numpy vs torch) show as a core in a halo.
        width = max(2.5, 5.0 - 1.0 * len(self.curves))
        curve = pg.PlotDataItem(pen=style.cosmetic_pen(colour, width, line_style), connect="finite")
        curve.setZValue(len(self.runs))
        curve.setData(np.asarray(kept.epochs, dtype=np.float64), np.asarray(kept.train_loss, dtype=np.float64))
        test = pg.PlotDataItem(pen=style.cosmetic_pen(colour, 1.5, Qt.PenStyle.DashLine), connect="finite")
        if np.isfinite(kept.test_loss).any():
            test.setData(np.asarray(kept.epochs, dtype=np.float64), np.asarray(kept.test_loss, dtype=np.float64))
        self.plot_item.addItem(curve)
        self.plot_item.addItem(test)
        self.curves[kept.name], self.test_curves[kept.name] = curve, test
        self._fill_table()
        return kept

    def remove_run(self, name: str) -> None:
        self.runs.remove(name)
        for pool in (self.curves, self.test_curves):
            self.plot_item.removeItem(pool.pop(name))
        self.looks.pop(name)
        self._fill_table()

    def rename_run(self, old: str, new: str) -> str:
        name = self.runs.rename(old, new)
        if name != old:
            for pool in (self.looks, self.curves, self.test_curves):
                pool[name] = pool.pop(old)
        self._fill_table()
        return name

    def set_visible(self, name: str, visible: bool) -> None:
        self.runs.set_visible(name, visible)
        self._fill_table()

    def set_log_scale(self, on: bool) -> None:
        if self.log_check.isChecked() != on:
            self.log_check.setChecked(on)  # comes back here
            return
        self.plot_item.setLogMode(y=on)
        self._name_loss_axis()
        self._frame_curves()

    def loss_axis_title(self) -> str:
        return self.plot_item.getAxis("left").labelText

    def _name_loss_axis(self) -> None:
        """ "training loss (mse, standardised units)" when the runs shown share one loss; else point to the table."""
        losses = {run.loss_description for run in self.runs.visible_runs()}
        which = f" ({losses.pop()})" if len(losses) == 1 else (" (several: see Loss)" if losses else "")
        scale = ", log scale" if self.log_check.isChecked() else ""
        set_axis_label(self.plot_item, "left", f"training loss{which}{scale}")

    def delete_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        names = [self.table.item(row, NAME).data(Qt.ItemDataRole.UserRole) for row in rows]
        for name in names:
            self.remove_run(name)

    def legend_names(self) -> list[str]:
        return legend_names(self.legend)

    # --- drawing ----------------------------------------------------------------------------------

    def _free_look(self) -> tuple[str, Qt.PenStyle]:
        """The first colour (then line style) no kept run has: a run keeps its colour until deleted."""
        taken = set(self.looks.values())
        for line_style in RUN_LINE_STYLES:
            for colour in RUN_COLOURS:
                if (colour, line_style) not in taken:
                    return colour, line_style
        return RUN_COLOURS[len(self.looks) % len(RUN_COLOURS)], Qt.PenStyle.DashDotLine

    def _fill_table(self) -> None:
        self.table.blockSignals(True)
        rows = self.runs.table()
        self.table.setRowCount(len(rows))
        for row_index, row in enumerate(rows):
            for column, field in enumerate(COLUMN_FIELDS):
                item = QTableWidgetItem(cell_text(row, field))
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if column == SHOW:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                    item.setCheckState(Qt.CheckState.Checked if row.visible else Qt.CheckState.Unchecked)
                    item.setToolTip("Tick to draw this run's loss curve")
                elif column == NAME:
                    flags |= Qt.ItemFlag.ItemIsEditable
                    item.setIcon(colour_icon(*self.looks[row.name]))
                    item.setToolTip(f"{row.name} (double-click to rename)")
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setFlags(flags)
                item.setData(Qt.ItemDataRole.UserRole, row.name)
                self.table.setItem(row_index, column, item)
        self.table.blockSignals(False)
        names = [self.table.item(row, NAME).text() for row in range(self.table.rowCount())]
        widest = max((self.table.fontMetrics().horizontalAdvance(name) for name in names), default=0)
        self.table.setColumnWidth(NAME, min(340, max(180, widest + 44)))
        for run in self.runs:
            self.curves[run.name].setVisible(run.visible)
        self._draw_test_curves()
        self._update_legend()
        self._name_loss_axis()
        self._refresh_buttons()
        self._frame_curves()

    def _frame_curves(self) -> None:
        """Frame the shown runs; a run that blew up leaves through the top instead of flattening the rest."""
        shown = [run for run in self.runs.visible_runs() if len(run.epochs)]
        if not shown:
            return
        values = []
        for run in shown:
            losses = np.asarray(run.train_loss, dtype=np.float64)
            if self.test_check.isChecked():
                losses = np.concatenate([losses, np.asarray(run.test_loss, dtype=np.float64)])
            losses = losses[np.isfinite(losses)]
            if len(losses):
                values.append((losses.min(), min(losses.max(), 10 * max(run.train_loss[0], losses.min()))))
        if not values:
            return
        low, high = min(v[0] for v in values), max(v[1] for v in values)
        last = max(float(run.epochs[-1]) for run in shown)
        self.plot_item.setXRange(0, max(last, 1), padding=0.02)
        if self.log_check.isChecked():
            low, high = np.log10(max(low, 1e-300)), np.log10(max(high, 1e-300))
            self.plot_item.setYRange(low - 0.1, high + 0.1, padding=0)
        else:
            self.plot_item.setYRange(min(low, 0.0), high, padding=0.05)

    def _draw_test_curves(self) -> None:
        for run in self.runs:
            self.test_curves[run.name].setVisible(run.visible and self.test_check.isChecked())

    def _update_legend(self) -> None:
        self.legend.clear()
        for run in self.runs.visible_runs():
            self.legend.addItem(self.curves[run.name], run.name)
        self.legend.setVisible(bool(self.runs.visible_runs()))

    def _refresh_buttons(self) -> None:
        self.delete_button.setEnabled(bool(self.table.selectedIndexes()))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if name not in self.runs:
            return
        if item.column() == SHOW:
            self.set_visible(name, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == NAME:
            new = item.text().strip()
            if not new:
                self._fill_table()  # an empty name is not a name: put the old one back
                return
            self.rename_run(name, new)
