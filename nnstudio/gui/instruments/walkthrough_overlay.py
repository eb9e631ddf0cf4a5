"""The walkthrough drawn over the network diagram: the units a stop lights up, their numbers beside them,
and the lines of the unit in focus with their labels; the rest of the diagram is faded behind.

The items are made for each stop (a few dozen at most) and removed at the next: a stop changes when a
key is pressed, not thirty times a second.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
)

from nnstudio.core.teaching.walkthrough_text import StopText
from nnstudio.gui.instruments.diagram_canvas import plain_pen
from nnstudio.gui.instruments.instrument_support import HIGHLIGHT_COLOUR
from nnstudio.gui.instruments.network_diagram_view import NetworkDiagram

FADED = 0.18  # the opacity of the diagram's own nodes and lines during a walkthrough
LIT_FILL = "#F3D9E8"  # a lit unit: a light shade of the highlight colour
FOCUS_PEN = 3.0
LABEL_Z, LINE_Z, RING_Z = 3e9, 2e9, 2.5e9
EDGE_LABEL_AT = 0.32  # along a line from its source: the sources are spread out, their labels too


class WalkOverlay:
    """What one stop draws on the diagram's scene."""

    def __init__(self, diagram: NetworkDiagram) -> None:
        self.diagram = diagram
        self.items: list[QGraphicsItem] = []
        self.text: StopText | None = None
        self.focus: dict[int, int] = {}
        self.node_texts: dict[tuple[int, int], str] = {}  # what the labels on the nodes say now
        self.edge_texts: dict[tuple[int, int, int], str] = {}
        diagram.laid_out.connect(self._redraw)

    def show(self, text: StopText, focus: dict[int, int]) -> None:
        self.text, self.focus = text, focus
        self._redraw()

    def clear(self) -> None:
        self.text = None
        self._remove()
        self.diagram.set_faded(1.0)

    def _remove(self) -> None:
        for item in self.items:
            self.diagram.scene.removeItem(item)
        self.items, self.node_texts, self.edge_texts = [], {}, {}

    def _redraw(self) -> None:
        self._remove()
        text = self.text
        if text is None or not self.diagram.layers:
            return
        self.diagram.set_faded(FADED)
        font = QFont(self.diagram.font())  # the application's: presentation mode enlarges it
        font.setPointSizeF(max(font.pointSizeF(), 8.0))
        for (layer, row, column), label in text.edge_labels.items():
            if self._has(layer, row) and self._has(layer + 1, column):
                self._edge(layer, row, column, label, font)
        for column, unit in text.lit:
            if self._has(column, unit):
                self._ring(column, unit, unit == self.focus.get(column))
        for (column, unit), label in text.node_labels.items():
            if self._has(column, unit):
                self._node_label(column, unit, label, font)

    def _has(self, column: int, unit: int) -> bool:
        return unit < self.diagram.node_count(column)

    def _ring(self, column: int, unit: int, in_focus: bool) -> None:
        centre, radius = self.diagram.node_centre(column, unit), self.diagram.node_radius(column) + 2
        ring = QGraphicsEllipseItem(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius))
        ring.setPen(plain_pen(HIGHLIGHT_COLOUR, FOCUS_PEN if in_focus else 1.5))
        ring.setBrush(QBrush(QColor(LIT_FILL)))
        self._add(ring, RING_Z)

    def _edge(self, layer: int, row: int, column: int, label: str, font: QFont) -> None:
        start, end = self.diagram.node_centre(layer, row), self.diagram.node_centre(layer + 1, column)
        line = QGraphicsLineItem(start.x(), start.y(), end.x(), end.y())
        line.setPen(plain_pen(HIGHLIGHT_COLOUR, FOCUS_PEN))
        self._add(line, LINE_Z)
        at = start + (end - start) * EDGE_LABEL_AT
        self._label(label, at, font, centred=True)
        self.edge_texts[(layer, row, column)] = label

    def _node_label(self, column: int, unit: int, label: str, font: QFont) -> None:
        centre, radius = self.diagram.node_centre(column, unit), self.diagram.node_radius(column)
        last = column == len(self.diagram.layers)
        self._label(label, centre + QPointF(radius + 4, -radius), font, left_of=last, gap=2 * radius + 8)
        self.node_texts[(column, unit)] = label

    def _label(
        self, label: str, at: QPointF, font: QFont, centred: bool = False, left_of: bool = False, gap: float = 0.0
    ) -> None:
        """Text on a white box (so it stays legible over the lines), kept inside the scene."""
        words = QGraphicsSimpleTextItem(label)
        words.setFont(font)
        words.setBrush(QBrush(QColor("#000000")))
        bounds = words.boundingRect()
        x, y = at.x(), at.y()
        if centred:
            x, y = x - bounds.width() / 2, y - bounds.height() / 2
        if left_of:
            x -= bounds.width() + gap
        scene = self.diagram.scene.sceneRect()
        x = min(max(x, 1.0), scene.right() - bounds.width() - 3)
        y = min(max(y, 1.0), scene.bottom() - bounds.height() - 3)
        box = QGraphicsRectItem(QRectF(x - 2, y - 1, bounds.width() + 4, bounds.height() + 2))
        box.setBrush(QBrush(QColor(255, 255, 255, 225)))
        box.setPen(QPen(QColor(HIGHLIGHT_COLOUR), 1.0, Qt.PenStyle.SolidLine))
        self._add(box, LABEL_Z)
        words.setPos(x, y)
        self._add(words, LABEL_Z + 1)

    def _add(self, item: QGraphicsItem, z: float) -> None:
        item.setZValue(z)
        self.diagram.scene.addItem(item)
        self.items.append(item)
