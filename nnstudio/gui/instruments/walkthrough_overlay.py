"""The walkthrough drawn over the network diagram: the units a stop lights up, their numbers beside them,
and the lines of the unit in focus with their labels; the rest of the diagram is faded behind.

The items are made for each stop (a few dozen at most) and removed at the next: a stop changes when a
key is pressed, not thirty times a second.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen
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
LABEL_SCALE = 0.9  # labels a little smaller than the window's text: many share a narrow dock
EDGE_LABEL_AT = 0.5  # along a line from its source: the sources are spread out, their labels too


class WalkOverlay:
    """What one stop draws on the diagram's scene."""

    def __init__(self, diagram: NetworkDiagram) -> None:
        self.diagram = diagram
        self.items: list[QGraphicsItem] = []
        self.text: StopText | None = None
        self.focus: dict[int, int] = {}
        self.node_texts: dict[tuple[int, int], str] = {}  # what the labels on the nodes say now
        self.edge_texts: dict[tuple[int, int, int], str] = {}
        self.label_boxes: list[QRectF] = []  # where this stop's labels are: a new one never covers them
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
        self.items, self.node_texts, self.edge_texts, self.label_boxes = [], {}, {}, []

    def _redraw(self) -> None:
        self._remove()
        text = self.text
        if text is None or not self.diagram.layers:
            return
        self.diagram.set_faded(FADED)
        font = QFont(self.diagram.font())  # the application's: presentation mode enlarges it
        font.setPointSizeF(max(font.pointSizeF() * LABEL_SCALE, 7.0))
        cramped, crowded_lines = self._cramped(text, font)
        for (layer, row, column), label in text.edge_labels.items():
            if self._has(layer, row) and self._has(layer + 1, column):
                if layer in crowded_lines and row != self.focus.get(layer):
                    continue  # no room for every line's label: the one from the unit in focus
                self._edge(layer, row, column, label, font)
        for column, unit in text.lit:
            if self._has(column, unit):
                self._ring(column, unit, unit == self.focus.get(column))
        for (column, unit), label in text.node_labels.items():
            if self._has(column, unit) and (column not in cramped or unit == self.focus.get(column)):
                self._node_label(column, unit, label, font)

    def _cramped(self, text: StopText, font: QFont) -> tuple[set[int], set[int]]:
        """The columns whose labels would overlap (nodes too close for them), and the weight matrices whose
        lines' labels would: there only the unit in focus, or the line from it, is labelled."""
        metrics = QFontMetricsF(font)
        cramped = set()
        columns = len(self.diagram.layers) + 1
        for column in range(columns):
            labels = [label for (c, _), label in text.node_labels.items() if c == column]
            if not labels or self.diagram.node_count(column) < 1:
                continue
            height = max(label.count("\n") + 1 for label in labels) * metrics.lineSpacing() + 4
            width = max(metrics.horizontalAdvance(line) for label in labels for line in label.split("\n")) + 8
            first = self.diagram.node_centre(column, 0)
            gap_y = self.diagram.node_centre(column, 1).y() - first.y() if self.diagram.node_count(column) > 1 else 1e9
            gap_x = self.diagram.node_centre(min(column + 1, columns - 1), 0).x() - first.x() or 1e9
            if len(labels) > 1 and (gap_y < height + self.diagram.node_radius(column) or gap_x < width):
                cramped.add(column)
        crowded_lines = set()
        for layer in {layer for layer, _, _ in text.edge_labels}:  # lines' labels wider than the gap between columns
            labels = [label for (m, _, _), label in text.edge_labels.items() if m == layer]
            gap_x = self.diagram.node_centre(layer + 1, 0).x() - self.diagram.node_centre(layer, 0).x()
            if len(labels) > 1 and max(metrics.horizontalAdvance(label) for label in labels) + 8 > gap_x:
                crowded_lines.add(layer)
        return cramped, crowded_lines

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
        if centre.y() < self.diagram.scene.sceneRect().center().y():  # in the upper half: below, clear of the titles
            self._label(label, centre + QPointF(0, radius + 3), font, below=True)
        else:
            self._label(label, centre - QPointF(0, radius + 3), font, above=True)
        self.node_texts[(column, unit)] = label

    def _label(
        self, label: str, at: QPointF, font: QFont, centred: bool = False, above: bool = False, below: bool = False
    ) -> None:
        """Text on a white box (so it stays legible over the lines), centred on `at` or just above or below it,
        kept inside the scene."""
        words = QGraphicsSimpleTextItem(label)
        words.setFont(font)
        words.setBrush(QBrush(QColor("#000000")))
        bounds = words.boundingRect()
        x, y = at.x(), at.y()
        if centred:
            x, y = x - bounds.width() / 2, y - bounds.height() / 2
        if above:
            x, y = x - bounds.width() / 2, y - bounds.height()
        if below:
            x -= bounds.width() / 2
        scene = self.diagram.scene.sceneRect()
        x = min(max(x, 1.0), scene.right() - bounds.width() - 3)
        y = min(max(y, 1.0), scene.bottom() - bounds.height() - 3)
        rect = self._free_place(QRectF(x - 2, y - 1, bounds.width() + 4, bounds.height() + 2), scene)
        self.label_boxes.append(rect)
        box = QGraphicsRectItem(rect)
        box.setBrush(QBrush(QColor(255, 255, 255, 225)))
        box.setPen(QPen(QColor(HIGHLIGHT_COLOUR), 1.0, Qt.PenStyle.SolidLine))
        self._add(box, LABEL_Z)
        words.setPos(rect.x() + 2, rect.y() + 1)
        self._add(words, LABEL_Z + 1)

    def _free_place(self, rect: QRectF, scene: QRectF) -> QRectF:
        """`rect` moved up or down, as little as it takes, off the labels already placed (a crowded
        diagram: a line's label beside a node's, large type on a projector)."""
        for _ in range(2 * len(self.label_boxes) + 1):
            hit = next((placed for placed in self.label_boxes if placed.intersects(rect)), None)
            if hit is None:
                break
            down, up = hit.bottom() + 1 - rect.top(), hit.top() - 1 - rect.bottom()
            fits_below = rect.bottom() + down <= scene.bottom()
            rect.translate(0, down if fits_below or rect.top() + up < scene.top() else up)
        return rect

    def _add(self, item: QGraphicsItem, z: float) -> None:
        item.setZValue(z)
        self.diagram.scene.addItem(item)
        self.items.append(item)
