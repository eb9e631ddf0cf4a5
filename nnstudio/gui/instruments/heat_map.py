"""A heat map of one tensor for a class: its sign at a glance, its axes named, its true range marked.

`HeatMap` draws a tensor as at most 32 × 32 cells (block means when it is larger) in a blue
(−), white (0), red (+) map spanning ±max |value|, says what its rows and columns are (points
× units, inputs × units), and keys the colours with a `ColourKey` marked at the tensor's true
min and max. Used by `TensorTable` for the tensors too large to list.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.teaching.diagnostics import summarise
from nnstudio.gui.instruments.tensor_text import format_number

HEAT_MAP_WIDTH, HEAT_MAP_HEIGHT = 150, 96
COLOUR_MAP = "CET-D1"  # blue (−), white (0), red (+): the sign of a weight or gradient at a glance

KEY_HEIGHT = 10  # the colour key's strip, in pixels

Axes = tuple[str, str]  # what a heat map's rows and columns are, e.g. ("points", "units")


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
