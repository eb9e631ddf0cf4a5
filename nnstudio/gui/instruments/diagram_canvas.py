"""The network diagram's canvas and geometry: the view, line widths, which weights are drawn, what is under the mouse.

A line's width is its weight's size on one scale for the whole network (equal widths, equal weights),
rounded so that pens can be shared. Hit-testing works on the node centres and the drawn lines' ends, in
scene coordinates, so it needs no graphics item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene, QGraphicsView

MAX_NODES_PER_LAYER = 128
MAX_EDGES_PER_LAYER = 160  # the strongest weights of each matrix; more is a solid block of ink
MIN_EDGE_WIDTH, MAX_EDGE_WIDTH = 0.6, 7.0  # pixels, for |w| = 0 and the largest |w|
WIDTH_STEP = 0.2  # widths are rounded to this, so pens can be shared
NODE_PEN = "#333333"
NODE_FILL, END_NODE_FILL = "#FFFFFF", "#E8E8E8"
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 70.0, 56.0, 16.0
HOVER_PIXELS = 5.0


@dataclass(frozen=True)
class DrawnEdge:
    """One weight drawn as a line: W{layer}[row + 1,column + 1] as the hover text names it."""

    layer: int  # 1-based: the matrix W{layer}
    row: int  # the unit it comes from (in the layer before), 0-based as numpy indexes it
    column: int  # the unit it goes to, 0-based
    value: float
    colour: str
    width: float
    line: QGraphicsLineItem


def edge_width(magnitude: np.ndarray | float, scale: float) -> np.ndarray:
    """Pen width for |w| on a scale where `scale` (the largest |w| drawn) is the widest."""
    magnitude = np.asarray(magnitude, dtype=np.float64)
    # Every weight 0 (one set so by hand): all thinnest, in the shape asked for, not one number for all.
    fraction = np.clip(magnitude / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(magnitude)
    width = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * np.nan_to_num(fraction)
    return np.round(width / WIDTH_STEP) * WIDTH_STEP


def strongest(weights: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the `count` largest |w|, weakest first (so the strong are drawn on top)."""
    magnitude = np.nan_to_num(np.abs(weights), nan=0.0, posinf=np.finfo(float).max).ravel()
    if count < magnitude.size:
        chosen = np.argpartition(magnitude, magnitude.size - count)[magnitude.size - count :]
    else:
        chosen = np.arange(magnitude.size)
    chosen = chosen[np.argsort(magnitude[chosen], kind="stable")]
    return np.unravel_index(chosen, weights.shape)


def plain_pen(colour: str, width: float) -> QPen:
    pen = QPen(QColor(colour))
    pen.setWidthF(width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def node_at(centres: list[np.ndarray], radii: list[float], position: QPointF) -> tuple[int, int] | None:
    """(column, unit) of the node under `position`, if any."""
    for column, column_centres in enumerate(centres):
        if not len(column_centres):
            continue
        distance = np.hypot(column_centres[:, 0] - position.x(), column_centres[:, 1] - position.y())
        unit = int(np.argmin(distance))
        if distance[unit] <= radii[column] + 2:
            return column, unit
    return None


def edge_at(
    centres: list[np.ndarray],
    drawn: list[tuple[np.ndarray, np.ndarray]],
    weights: list[np.ndarray],
    scale: float,
    position: QPointF,
) -> tuple[int, int, int] | None:
    """(matrix index, row, column) of the drawn line nearest to `position`, if close enough.

    `drawn` holds each matrix's drawn (rows, columns), `weights` each matrix."""
    best, best_distance = None, np.inf
    point = np.array([position.x(), position.y()])
    for index, (rows, columns) in enumerate(drawn):
        if not len(rows):
            continue
        start, end = centres[index][rows], centres[index + 1][columns]
        direction = end - start
        length2 = np.maximum(np.sum(direction**2, axis=1), 1e-12)
        t = np.clip(np.sum((point - start) * direction, axis=1) / length2, 0.0, 1.0)
        distance = np.hypot(*(start + t[:, None] * direction - point).T)
        values = weights[index][rows, columns]
        reach = edge_width(np.abs(values), scale) / 2 + HOVER_PIXELS
        distance = np.where(np.isfinite(values) & (distance <= reach), distance, np.inf)
        # Among overlapping lines prefer the strongest (drawn on top), then the nearest.
        slot = int(np.argmin(distance - 1e-3 * np.nan_to_num(np.abs(values))))
        if np.isfinite(distance[slot]) and distance[slot] < best_distance:
            best, best_distance = (index, int(rows[slot]), int(columns[slot])), distance[slot]
    return best


class DiagramView(QGraphicsView):
    """The canvas: tells the diagram about size changes, mouse moves and clicks."""

    resized = Signal()
    mouse_moved = Signal(QPointF, object)  # scene position, global position
    clicked = Signal(QPointF)
    double_clicked = Signal(QPointF)  # scene position

    def __init__(self, scene: QGraphicsScene) -> None:
        super().__init__(scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QBrush(QColor("white")))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.resized.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mouseMoveEvent(event)
        self.mouse_moved.emit(self.mapToScene(event.position().toPoint()), event.globalPosition().toPoint())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapToScene(event.position().toPoint()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mouseDoubleClickEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit(self.mapToScene(event.position().toPoint()))
