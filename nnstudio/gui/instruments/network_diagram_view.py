"""The network diagram: nodes by layer, one line per weight, live as the network learns.

A line's colour is its weight's sign (blue positive, vermillion negative: Okabe-Ito colours,
apart for colour-blind viewers) and its width the weight's size, on one scale for the whole
network, so equal widths mean equal weights. Pointing at a line shows the weight's exact value
and the gradient the last step used (read from the backend whenever training pauses); clicking
a hidden node highlights that unit in the hidden-unit view; double-clicking a line or a node asks
for that weight or bias (`entry_double_clicked`), which the instrument lets the student edit.

Every graphics item is created when the network's shape changes and afterwards only moved and
re-coloured. Big layers are capped: at most MAX_NODES_PER_LAYER nodes a layer and the
MAX_EDGES_PER_LAYER strongest weights of each matrix are drawn, and the caption says so.
The canvas and its geometry are in diagram_canvas, the words in diagram_texts.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.model import DenseLayer
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.instruments.diagram_canvas import (
    END_NODE_FILL,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MAX_EDGES_PER_LAYER,
    MAX_NODES_PER_LAYER,
    NODE_FILL,
    NODE_PEN,
    DiagramView,
    DrawnEdge,
    edge_at,
    edge_width,
    node_at,
    plain_pen,
    strongest,
)
from nnstudio.gui.instruments.diagram_texts import READOUT_PROMPT, Readout, caption_text, column_title
from nnstudio.gui.instruments.instrument_support import (
    HIGHLIGHT_COLOUR,
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    READOUT_POINTS,
    text_label,
)
from nnstudio.gui.instruments.weight_editor import WeightEditor


class NetworkDiagram(QWidget):
    """Nodes and weights of a dense network, redrawn from each new set of parameters."""

    unit_clicked = Signal(int, int)  # (hidden layer, unit), 1-based layer
    input_names: tuple[str, ...] = ()  # the network's inputs as named by the run's dataset (X₁², sin x, …)
    laid_out = Signal()  # nodes moved (a new shape or size): whatever is drawn over them follows
    node_clicked = Signal(int, int)  # (column, unit) of any node, while `nodes_picked` says so
    entry_double_clicked = Signal(str, object, QPointF)  # parameter (W1, b1…), 0-based index, scene position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layers: list[DenseLayer] = []
        self.parameters: dict[str, np.ndarray] | None = None
        self.gradients: dict[str, np.ndarray] = {}
        self.gradient_note = "no step made yet"  # which step the gradients are from
        self.gradient_withheld = ""  # why no gradient is shown now (training, a past moment), or ""
        self.hover_text = ""
        self.highlighted: tuple[int, int] | None = None  # (column, unit)
        self.scale = 0.0  # the largest |w| drawn: the widest line
        self._pens: dict[tuple[bool, float], QPen] = {}
        self._columns: list[list[QGraphicsEllipseItem]] = []
        self._titles: list[QGraphicsSimpleTextItem] = []
        self._more: list[QGraphicsSimpleTextItem] = []
        self._lines: list[list[QGraphicsLineItem]] = []  # per weight matrix, a pool
        self._drawn: list[tuple[np.ndarray, np.ndarray]] = []  # per matrix: (rows, columns) in the pool's order
        self._centres: list[np.ndarray] = []  # per column: (n, 2) node centres
        self._radii: list[float] = []  # per column: node radius
        self._hovered: tuple[int, int, int] | None = None  # the weight under the mouse: (matrix, row, column)
        self.nodes_picked = False  # True: a click on a node picks it (node_clicked), not a hidden unit to show
        self.scene = QGraphicsScene(self)
        self.view = DiagramView(self.scene)
        self.view.setToolTip("")
        explains(self, "weights and biases")  # F1 on it: the glossary's entry
        self.view.resized.connect(self._layout)
        self.view.mouse_moved.connect(self._on_mouse_moved)
        self.view.clicked.connect(self._on_clicked)
        self.view.double_clicked.connect(self._on_double_clicked)
        self.editor = WeightEditor(self)
        self.hover_line = QGraphicsLineItem()
        self.hover_line.setPen(plain_pen(HIGHLIGHT_COLOUR, 4.0))
        self.hover_line.setZValue(1e9)
        self.hover_line.hide()
        self.scene.addItem(self.hover_line)
        self.caption = text_label(tooltip="How to read the lines, and what is left out of a big network")
        self.readout = text_label(
            READOUT_PROMPT,
            READOUT_POINTS,
            "#000000",
            "The weight or unit under the mouse",
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.readout)
        self._layout_box = layout

    def add_panel(self, widget: QWidget) -> None:
        """A panel under the drawing (the backprop walkthrough's), above the caption: open, 2/5 of the height."""
        self._layout_box.insertWidget(1, widget, 2)
        self._layout_box.setStretch(0, 3)

    def set_faded(self, opacity: float) -> None:
        """Draw every node and line at `opacity` (1: as usual), so that what is drawn over them stands out."""
        for item in (*(n for c in self._columns for n in c), *(e for p in self._lines for e in p)):
            item.setOpacity(opacity)

    def node_count(self, column: int) -> int:
        """How many nodes column `column` draws (0 is the input column)."""
        return len(self._columns[column]) if column < len(self._columns) else 0

    def node_radius(self, column: int) -> float:
        return self._radii[column] if column < len(self._radii) else 0.0

    def node_under(self, position: QPointF) -> tuple[int, int] | None:
        """(column, unit) of the node at a scene position, if any."""
        return self._node_at(position)

    # --- public -----------------------------------------------------------------------------------

    def set_model(self, layers: list[DenseLayer]) -> None:
        """A new network shape: build its nodes and line pools (the only time items are created).

        Whatever the shape, what was read out under the mouse belonged to the run before: it goes."""
        self.forget_readout()
        shape = [(layer.n_in, layer.n_out, layer.activation) for layer in layers]
        if shape == [(layer.n_in, layer.n_out, layer.activation) for layer in self.layers]:
            self.layers = list(layers)
            return
        self.editor.close()  # its entry may not be in the new network
        for item in [
            *self._titles,
            *self._more,
            *(n for c in self._columns for n in c),
            *(e for p in self._lines for e in p),
        ]:
            self.scene.removeItem(item)
        self.layers = list(layers)
        self.parameters, self.highlighted, self.gradients, self._hovered = None, None, {}, None
        widths = [layers[0].n_in, *(layer.n_out for layer in layers)] if layers else []
        font = self._title_font()
        self._columns, self._titles, self._more, self._lines, self._drawn = [], [], [], [], []
        for column, width in enumerate(widths):
            nodes = []
            for _ in range(min(width, MAX_NODES_PER_LAYER)):
                node = QGraphicsEllipseItem()
                node.setPen(plain_pen(NODE_PEN, 1.5))
                node.setBrush(QBrush(QColor(NODE_FILL if 0 < column < len(widths) - 1 else END_NODE_FILL)))
                node.setZValue(1e8)
                self.scene.addItem(node)
                nodes.append(node)
            self._columns.append(nodes)
            title = QGraphicsSimpleTextItem(column_title(self.layers, column, self.input_names))
            title.setFont(font)
            self.scene.addItem(title)
            self._titles.append(title)
            more = QGraphicsSimpleTextItem(
                f"+{width - MAX_NODES_PER_LAYER} more" if width > MAX_NODES_PER_LAYER else ""
            )
            more.setFont(font)
            self.scene.addItem(more)
            self._more.append(more)
        for layer in layers:
            count = min(
                min(layer.n_in, MAX_NODES_PER_LAYER) * min(layer.n_out, MAX_NODES_PER_LAYER), MAX_EDGES_PER_LAYER
            )
            pool = []
            for _ in range(count):
                line = QGraphicsLineItem()
                line.hide()
                self.scene.addItem(line)
                pool.append(line)
            self._lines.append(pool)
            self._drawn.append((np.zeros(0, dtype=int), np.zeros(0, dtype=int)))
        self._layout()

    def forget_readout(self) -> None:
        """Back to the prompt: no weight pointed at, no value from an earlier run left under the diagram."""
        self.hover_text, self._hovered = "", None
        self.hover_line.hide()
        self.readout.setText(READOUT_PROMPT)

    def set_parameters(self, parameters: dict[str, np.ndarray]) -> None:
        self.parameters = parameters
        self._draw_edges()

    def set_gradients(self, gradients: dict[str, np.ndarray], note: str) -> None:
        self.gradients, self.gradient_note = gradients, note

    def edges(self) -> list[DrawnEdge]:
        """Every line drawn now, weakest first."""
        result = []
        for index, (pool, (rows, columns)) in enumerate(zip(self._lines, self._drawn, strict=True)):
            weights = self.parameters[self.layers[index].weight_name] if self.parameters else None
            for line, row, column in zip(pool, rows, columns, strict=False):
                pen = line.pen()
                result.append(
                    DrawnEdge(
                        index + 1,
                        int(row),
                        int(column),
                        float(weights[row, column]),
                        pen.color().name().upper(),
                        pen.widthF(),
                        line,
                    )
                )
        return result

    def node_centre(self, layer: int, unit: int) -> QPointF:
        """Scene position of a node; layer 0 is the input column, len(layers) the output."""
        x, y = self._centres[layer][unit]
        return QPointF(float(x), float(y))

    def highlight_node(self, layer: int, unit: int | None) -> None:
        """Mark one hidden node (layer 1-based), or none."""
        if self.highlighted is not None:
            column, old = self.highlighted
            if column < len(self._columns) and old < len(self._columns[column]):
                self._columns[column][old].setBrush(QBrush(QColor(NODE_FILL)))
        self.highlighted = None
        if unit is not None and 0 < layer < len(self._columns) - 1 and 0 <= unit < len(self._columns[layer]):
            self._columns[layer][unit].setBrush(QBrush(QColor(HIGHLIGHT_COLOUR)))
            self.highlighted = (layer, unit)

    def entry_at(self, position: QPointF) -> tuple[str, tuple[int, ...]] | None:
        """The parameter and 0-based index under a scene position: a node's bias, else a line's weight."""
        node = self._node_at(position)
        if node is not None:
            column, unit = node
            layer = self.layers[column - 1] if column > 0 else None
            return (layer.bias_name, (unit,)) if layer is not None and layer.bias else None
        edge = self._edge_at(position)
        if edge is None:
            return None
        index, row, column = edge
        return self.layers[index].weight_name, (row, column)

    def open_editor(self, parameter: str, index: tuple[int, ...], position: QPointF) -> None:
        """The box to type a new value for `parameter`[`index`] in, beside the scene `position`."""
        at = self.view.viewport().mapToGlobal(self.view.mapFromScene(position))
        self.editor.open(parameter, index, float(self.parameters[parameter][index]), at)

    def text_at(self, position: QPointF) -> str:
        """What hovering at a scene position shows: a node, a weight, or nothing."""
        node = self._node_at(position)
        if node is not None:
            return self._readout().node(*node)
        edge = self._edge_at(position)
        return self._readout().edge(*edge) if edge is not None else ""

    # --- layout -----------------------------------------------------------------------------------

    def _title_font(self) -> QFont:
        font = QFont(self.font())  # the application's, so presentation mode enlarges it too
        font.setPointSizeF(max(font.pointSizeF(), 8.0) * 1.25)
        return font

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self._titles:
            font = self._title_font()
            for item in (*self._titles, *self._more):
                item.setFont(font)
            self._layout()

    def _layout(self) -> None:
        if not self._columns:
            return
        size = self.view.viewport().size()
        width, height = max(size.width(), 200), max(size.height(), 150)
        self.scene.setSceneRect(QRectF(0, 0, width, height))
        usable = height - MARGIN_TOP - MARGIN_BOTTOM
        step_x = (width - 2 * MARGIN_X) / max(len(self._columns) - 1, 1)
        self._centres, self._radii = [], []
        for column, nodes in enumerate(self._columns):
            x = MARGIN_X + column * step_x
            gap = usable / max(len(nodes), 1)
            centres = np.array([(x, MARGIN_TOP + (i + 0.5) * gap) for i in range(len(nodes))]).reshape(-1, 2)
            self._centres.append(centres)
            r = float(np.clip(0.38 * gap, 2.5, 16.0))
            self._radii.append(r)
            for node, (cx, cy) in zip(nodes, centres, strict=True):
                node.setRect(QRectF(cx - r, cy - r, 2 * r, 2 * r))
            title = self._titles[column]
            bounds = title.boundingRect()
            # A title narrower than its column and the view's edge, so that neighbours never run together
            # (large type on a projector, many layers in a narrow dock): smaller, never cut.
            room = min(0.92 * step_x, 2 * min(x, width - x)) if len(self._columns) > 1 else width
            scale = min(1.0, room / max(bounds.width(), 1.0))
            title.setScale(scale)
            title.setPos(x - scale * bounds.width() / 2, max(2.0, MARGIN_TOP - scale * bounds.height() - 6))
            more = self._more[column]
            more.setPos(x - more.boundingRect().width() / 2, height - MARGIN_BOTTOM)
        self._draw_edges()
        self.laid_out.emit()

    def _pen(self, positive: bool, width: float) -> QPen:
        key = (positive, round(float(width), 3))
        if key not in self._pens:
            self._pens[key] = plain_pen(POSITIVE_COLOUR if positive else NEGATIVE_COLOUR, key[1])
        return self._pens[key]

    # --- drawing ----------------------------------------------------------------------------------

    def _draw_edges(self) -> None:
        if self.parameters is None or not self._centres:
            self._show_caption()
            return
        chosen = []
        for index, layer in enumerate(self.layers):
            weights = self.parameters[layer.weight_name][: len(self._columns[index]), : len(self._columns[index + 1])]
            chosen.append((weights, *strongest(weights, len(self._lines[index]))))
        magnitudes = [np.abs(w[r, c]) for w, r, c in chosen]
        finite = np.concatenate([m[np.isfinite(m)] for m in magnitudes]) if magnitudes else np.zeros(0)
        self.scale = float(finite.max()) if finite.size else 0.0
        for index, (weights, rows, columns) in enumerate(chosen):
            values = weights[rows, columns]
            widths = edge_width(np.abs(values), self.scale)
            start, end = self._centres[index][rows], self._centres[index + 1][columns]
            pool = self._lines[index]
            for slot, line in enumerate(pool):
                if slot >= len(values) or not np.isfinite(values[slot]):
                    line.hide()
                    continue
                line.setLine(start[slot][0], start[slot][1], end[slot][0], end[slot][1])
                line.setPen(self._pen(bool(values[slot] >= 0), widths[slot]))
                line.setZValue(float(widths[slot]))  # the strongest on top
                line.show()
            self._drawn[index] = (rows, columns)
        self._place_hover_line()
        self._show_caption()

    def _show_caption(self) -> None:
        lines = [len(pool) for pool in self._lines]
        self.caption.setText(caption_text(self.layers, lines, [len(c) for c in self._columns], self.scale))

    # --- the mouse --------------------------------------------------------------------------------

    def _node_at(self, position: QPointF) -> tuple[int, int] | None:
        return node_at(self._centres, self._radii, position)

    def _edge_at(self, position: QPointF) -> tuple[int, int, int] | None:
        if self.parameters is None:
            return None
        weights = [self.parameters[layer.weight_name] for layer in self.layers]
        return edge_at(self._centres, self._drawn, weights, self.scale, position)

    def _readout(self) -> Readout:
        return Readout(
            self.layers, self.parameters, self.gradients, self.gradient_note, self.gradient_withheld, self.input_names
        )

    def _on_mouse_moved(self, position: QPointF, global_position) -> None:
        text = self.text_at(position)
        self._hovered = None if self._node_at(position) is not None else self._edge_at(position)
        self._place_hover_line()
        if text:
            self.hover_text = text
            self.readout.setText(text)
            QToolTip.showText(global_position, text, self.view)
        else:
            QToolTip.hideText()

    def _place_hover_line(self) -> None:
        """Outline the weight under the mouse (it stays outlined while the lines move under it)."""
        if self._hovered is None or self._hovered[0] >= len(self.layers):
            self.hover_line.hide()
            return
        index, row, column = self._hovered
        start, end = self._centres[index][row], self._centres[index + 1][column]
        self.hover_line.setLine(start[0], start[1], end[0], end[1])
        value = self.parameters[self.layers[index].weight_name][row, column] if self.parameters else 0.0
        self.hover_line.setPen(plain_pen(HIGHLIGHT_COLOUR, float(edge_width(abs(value), self.scale)) + 4))
        self.hover_line.show()

    def _on_clicked(self, position: QPointF) -> None:
        node = self._node_at(position)
        if node is None:
            return
        column, unit = node
        if self.nodes_picked:
            self.node_clicked.emit(column, unit)
        elif 0 < column < len(self.layers):
            self.highlight_node(column, unit)
            self.unit_clicked.emit(column, unit)

    def _on_double_clicked(self, position: QPointF) -> None:
        if self.nodes_picked or self.parameters is None:  # the walkthrough's clicks pick nodes: no editing then
            return
        entry = self.entry_at(position)
        if entry is not None:
            self.entry_double_clicked.emit(*entry, position)
