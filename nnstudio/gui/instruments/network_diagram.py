"""The network diagram: nodes by layer, one line per weight, live as the network learns.

A line's colour is its weight's sign (blue positive, vermillion negative: Okabe-Ito colours,
apart for colour-blind viewers) and its width the weight's size, on one scale for the whole
network, so equal widths mean equal weights. Pointing at a line shows the weight's exact value
and the gradient the last step used (read from the backend whenever training pauses); clicking
a hidden node highlights that unit in the hidden-unit view.

Every graphics item is created when the network's shape changes and afterwards only moved and
re-coloured. Big layers are capped: at most MAX_NODES_PER_LAYER nodes a layer and the
MAX_EDGES_PER_LAYER strongest weights of each matrix are drawn, and the caption says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.model import DenseLayer, entry_name
from nnstudio.core.engine.trainer import RunState
from nnstudio.gui.app_context import HIDDEN_UNITS
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.instruments.instrument_support import (
    HIGHLIGHT_COLOUR,
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    READOUT_POINTS,
    ParameterFeed,
    add_dock,
    format_value,
    on_shown,
    text_label,
)
from nnstudio.gui.session import RESTING

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

MAX_NODES_PER_LAYER = 128
MAX_EDGES_PER_LAYER = 160  # the strongest weights of each matrix; more is a solid block of ink
MIN_EDGE_WIDTH, MAX_EDGE_WIDTH = 0.6, 7.0  # pixels, for |w| = 0 and the largest |w|
WIDTH_STEP = 0.2  # widths are rounded to this, so pens can be shared
NODE_PEN = "#333333"
NODE_FILL, END_NODE_FILL = "#FFFFFF", "#E8E8E8"
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 70.0, 56.0, 16.0
HOVER_PIXELS = 5.0
READOUT_PROMPT = "Point at a line to see its weight and gradient; click a hidden node."
DOCK_TOOLTIP = "Network diagram: every weight as a line, colour = sign, width = size (Ctrl+3)"


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
    fraction = np.clip(np.asarray(magnitude, dtype=np.float64) / scale, 0.0, 1.0) if scale > 0 else 0.0
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


class _DiagramView(QGraphicsView):
    """The canvas: tells the diagram about size changes, mouse moves and clicks."""

    resized = Signal()
    mouse_moved = Signal(QPointF, object)  # scene position, global position
    clicked = Signal(QPointF)

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


class NetworkDiagram(QWidget):
    """Nodes and weights of a dense network, redrawn from each new set of parameters."""

    unit_clicked = Signal(int, int)  # (hidden layer, unit), 1-based layer
    input_names: tuple[str, ...] = ()  # the network's inputs as named by the run's dataset (X₁², sin x, …)

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
        self.scene = QGraphicsScene(self)
        self.view = _DiagramView(self.scene)
        self.view.setToolTip("")
        explains(self, "weights and biases")  # F1 on it: the glossary's entry
        self.view.resized.connect(self._layout)
        self.view.mouse_moved.connect(self._on_mouse_moved)
        self.view.clicked.connect(self._on_clicked)
        self.hover_line = QGraphicsLineItem()
        self.hover_line.setPen(self._plain_pen(HIGHLIGHT_COLOUR, 4.0))
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

    # --- public -----------------------------------------------------------------------------------

    def set_model(self, layers: list[DenseLayer]) -> None:
        """A new network shape: build its nodes and line pools (the only time items are created).

        Whatever the shape, what was read out under the mouse belonged to the run before: it goes."""
        self.forget_readout()
        shape = [(layer.n_in, layer.n_out, layer.activation) for layer in layers]
        if shape == [(layer.n_in, layer.n_out, layer.activation) for layer in self.layers]:
            self.layers = list(layers)
            return
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
                node.setPen(self._plain_pen(NODE_PEN, 1.5))
                node.setBrush(QBrush(QColor(NODE_FILL if 0 < column < len(widths) - 1 else END_NODE_FILL)))
                node.setZValue(1e8)
                self.scene.addItem(node)
                nodes.append(node)
            self._columns.append(nodes)
            title = QGraphicsSimpleTextItem(self._column_title(column))
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

    def text_at(self, position: QPointF) -> str:
        """What hovering at a scene position shows: a node, a weight, or nothing."""
        node = self._node_at(position)
        if node is not None:
            return self._describe_node(*node)
        edge = self._edge_at(position)
        return self._describe_edge(*edge) if edge is not None else ""

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

    def _column_title(self, column: int) -> str:
        if column == 0:
            inputs = self.layers[0].n_in
            if len(self.input_names) == inputs <= 3:  # the run's features by name (X₁², X₂²); more would not fit
                return ("input " if inputs == 1 else "inputs ") + ", ".join(self.input_names)
            return "input x" if inputs == 1 else "inputs x₁, x₂" if inputs == 2 else f"{inputs} inputs"
        if column == len(self.layers):
            outputs = self.layers[-1].n_out
            return "output ŷ" if outputs == 1 else f"{outputs} outputs"
        layer = self.layers[column - 1]
        return f"hidden {column}\n{layer.n_out} {layer.activation}"

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
            title.setPos(x - bounds.width() / 2, max(2.0, MARGIN_TOP - bounds.height() - 6))
            more = self._more[column]
            more.setPos(x - more.boundingRect().width() / 2, height - MARGIN_BOTTOM)
        self._draw_edges()

    def _plain_pen(self, colour: str, width: float) -> QPen:
        pen = QPen(QColor(colour))
        pen.setWidthF(width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        return pen

    def _pen(self, positive: bool, width: float) -> QPen:
        key = (positive, round(float(width), 3))
        if key not in self._pens:
            self._pens[key] = self._plain_pen(POSITIVE_COLOUR if positive else NEGATIVE_COLOUR, key[1])
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
        if not self.layers:
            self.caption.setText("")
            return
        text = (
            f"<span style='color:{POSITIVE_COLOUR}'>■</span> positive weight &nbsp; "
            f"<span style='color:{NEGATIVE_COLOUR}'>■</span> negative weight &nbsp; "
            f"thicker = larger |w| (thickest: |w| = {self.scale:.3g})"
        )
        capped = []
        for layer, pool in zip(self.layers, self._lines, strict=True):
            total = layer.n_in * layer.n_out
            if len(pool) < total:
                capped.append(f"{layer.weight_name}: the {len(pool)} strongest of {total} weights")
        widths = [self.layers[0].n_in, *(layer.n_out for layer in self.layers)]
        if any(len(nodes) < width for nodes, width in zip(self._columns, widths, strict=True)):
            capped.append(f"at most {MAX_NODES_PER_LAYER} units a layer")
        if capped:
            text += "<br>Drawn: " + "; ".join(capped) + "."
        self.caption.setText(text)

    # --- the mouse --------------------------------------------------------------------------------

    def _node_at(self, position: QPointF) -> tuple[int, int] | None:
        for column, centres in enumerate(self._centres):
            if not len(centres):
                continue
            distance = np.hypot(centres[:, 0] - position.x(), centres[:, 1] - position.y())
            unit = int(np.argmin(distance))
            if distance[unit] <= self._radii[column] + 2:
                return column, unit
        return None

    def _edge_at(self, position: QPointF) -> tuple[int, int, int] | None:
        """(matrix index, row, column) of the drawn line nearest to `position`, if close enough."""
        best, best_distance = None, np.inf
        point = np.array([position.x(), position.y()])
        for index, (rows, columns) in enumerate(self._drawn):
            if not len(rows) or self.parameters is None:
                continue
            start, end = self._centres[index][rows], self._centres[index + 1][columns]
            direction = end - start
            length2 = np.maximum(np.sum(direction**2, axis=1), 1e-12)
            t = np.clip(np.sum((point - start) * direction, axis=1) / length2, 0.0, 1.0)
            distance = np.hypot(*(start + t[:, None] * direction - point).T)
            values = self.parameters[self.layers[index].weight_name][rows, columns]
            reach = edge_width(np.abs(values), self.scale) / 2 + HOVER_PIXELS
            distance = np.where(np.isfinite(values) & (distance <= reach), distance, np.inf)
            # Among overlapping lines prefer the strongest (drawn on top), then the nearest.
            slot = int(np.argmin(distance - 1e-3 * np.nan_to_num(np.abs(values))))
            if np.isfinite(distance[slot]) and distance[slot] < best_distance:
                best, best_distance = (index, int(rows[slot]), int(columns[slot])), distance[slot]
        return best

    def _describe_edge(self, index: int, row: int, column: int) -> str:
        layer = self.layers[index]
        name = entry_name(layer.weight_name, (row, column))
        value = self.parameters[layer.weight_name][row, column]
        source, target = self._unit_name(index, row), self._unit_name(index + 1, column)
        text = f"<b>{name} = {format_value(value)}</b> &nbsp; from {source} to {target}"
        return text + "<br>" + self._gradient_text(layer.weight_name, (row, column), name)

    def _describe_node(self, column: int, unit: int) -> str:
        name = self._unit_name(column, unit)
        if column == 0:
            return f"<b>{name}</b>: the network's input"
        layer = self.layers[column - 1]
        text = f"<b>{name}</b> ({layer.activation})"
        if layer.bias and self.parameters is not None:
            bias, name = self.parameters[layer.bias_name][unit], entry_name(layer.bias_name, (unit,))
            text += f": bias {name} = {format_value(bias)}"
            text += "<br>" + self._gradient_text(layer.bias_name, (unit,), name)
        if 0 < column < len(self.layers):
            text += "<br>Click to highlight this unit in the hidden-unit view."
        return text

    def _gradient_text(self, parameter: str, index: tuple[int, ...], name: str) -> str:
        gradient = self.gradients.get(parameter)
        if self.gradient_withheld or gradient is None or gradient.shape != self.parameters[parameter].shape:
            return f"gradient: {self.gradient_withheld or self.gradient_note}"
        return f"gradient dL/d{name} = {format_value(gradient[index])} &nbsp; ({self.gradient_note})"

    def _unit_name(self, column: int, unit: int) -> str:
        """Units are counted from 1, like the indices of W1[1,2]."""
        if column == 0:
            return (
                f"input {self.input_names[unit]}" if unit < len(self.input_names) else f"input x{_subscript(unit + 1)}"
            )
        if column == len(self.layers):
            return "output ŷ" if self.layers[-1].n_out == 1 else f"output {unit + 1}"
        return f"unit {unit + 1} of hidden layer {column}"

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
        self.hover_line.setPen(self._plain_pen(HIGHLIGHT_COLOUR, float(edge_width(abs(value), self.scale)) + 4))
        self.hover_line.show()

    def _on_clicked(self, position: QPointF) -> None:
        node = self._node_at(position)
        if node is None:
            return
        column, unit = node
        if 0 < column < len(self.layers):
            self.highlight_node(column, unit)
            self.unit_clicked.emit(column, unit)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


class NetworkDiagramInstrument:
    """The dock, its feed of weights, and the gradients of the last step whenever training rests."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.session = context.session
        self.diagram = NetworkDiagram()
        self.dock = add_dock(context, "dock.network", "Network diagram", self.diagram, "Ctrl+3", DOCK_TOOLTIP)
        self.feed = ParameterFeed(context, self.dock)
        self.feed.run_replaced.connect(self._on_run_replaced)
        self.feed.parameters_changed.connect(self._on_parameters)
        self.session.state_changed.connect(self._on_state_changed)  # each state carries the last step's gradients
        on_shown(self.dock, self._on_shown)
        self.hidden_units = None
        context.when_available(HIDDEN_UNITS, self._link_hidden_units)

    def _link_hidden_units(self, hidden_units) -> None:
        self.hidden_units = hidden_units
        self.diagram.unit_clicked.connect(self._on_unit_clicked)
        hidden_units.unit_highlighted.connect(self.diagram.highlight_node)

    def _on_run_replaced(self, state) -> None:
        self.diagram.input_names = state.dataset.input_names  # the chosen features (X₁², …), from the core
        self.diagram.set_model(list(state.layers))
        self.diagram.set_gradients({}, "no step made yet")

    def _on_parameters(self, parameters) -> None:
        self.diagram.set_parameters(parameters)
        if self.feed.is_past:
            self.diagram.gradient_withheld = "shown for the present moment only (the timeline shows the past)"
        elif self.session.is_training:
            self.diagram.gradient_withheld = "pause training to see the last step's gradient"
        else:
            self.diagram.gradient_withheld = ""

    def _on_state_changed(self, state: RunState) -> None:
        if state.status not in RESTING:
            return
        if not self.feed.is_past:
            self.diagram.gradient_withheld = ""
        if self.dock.isVisible():
            self._show_gradients(state)

    def _on_shown(self) -> None:
        if self.context.state is not None and not self.session.is_training:
            self._show_gradients(self.context.state)

    def _show_gradients(self, state: RunState) -> None:
        gradients = state.gradients
        note = f"used by the last step, step {state.step}" if gradients else "no step made yet"
        self.diagram.set_gradients(gradients, note)

    def _on_unit_clicked(self, layer: int, unit: int) -> None:
        hidden_units = self.hidden_units
        hidden_dock = hidden_units.dock
        if not hidden_dock.isVisible():  # show it beside the diagram, not hidden behind its tab
            hidden_dock.show()
            if not self.dock.isFloating() and not hidden_dock.isFloating():
                self.context.host.splitDockWidget(self.dock, hidden_dock, Qt.Orientation.Vertical)
        hidden_units.highlight_unit(layer, unit)
        hidden_units.feed.refresh()


def install(context: AppContext) -> NetworkDiagramInstrument:
    return context.register("network_diagram", NetworkDiagramInstrument(context))
