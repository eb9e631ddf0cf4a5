"""What the instruments share: the weights to draw, their docks, words on screen, and the colours of weights.

`ParameterFeed` decides which weights an instrument draws (the hidden units, the network diagram,
the loss landscape): the live ones from the window's frames (at most ~30 per second), a past
moment picked on the timeline, or, right after a change (new data, model, reset, Back), the
weights in the session's new `RunState`. It publishes only while its dock is on screen (or while
`also_active` says it must, as for the hidden units drawn on the fit plot): a hidden instrument
costs one reference per frame.
While it shows a past moment, the dock's title says which ("Hidden units — epoch 20 (past)").
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from nnstudio.core.engine.trainer import RunState, Snapshot
from nnstudio.gui.app_context import TIMELINE

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

Parameters = dict[str, np.ndarray]

# Weights: one colour per sign, everywhere (Okabe-Ito blue and vermillion stay apart for
# colour-blind viewers); the lighter pair is for thin curves drawn over the fit's points.
POSITIVE_COLOUR = "#0072B2"
NEGATIVE_COLOUR = "#D55E00"
POSITIVE_LIGHT = "#56B4E9"
NEGATIVE_LIGHT = "#E69F00"
HIGHLIGHT_COLOUR = "#CC79A7"  # the style's hover colour: the one unit or weight pointed at
CAPTION_POINTS, READOUT_POINTS = 11, 12  # set as fonts, not in style sheets, so presentation mode scales them


class ParameterFeed(QObject):
    """The weights an instrument should show now, and the run they belong to."""

    run_replaced = Signal(object)  # the new RunState: its layers, dataset and experiment
    parameters_changed = Signal(object)  # Parameters to draw (live, past or just read)

    def __init__(self, context: AppContext, dock: QDockWidget, also_active: Callable[[], bool] | None = None) -> None:
        super().__init__(dock)
        self._also_active = also_active  # e.g. a drawing outside the dock that must stay live
        self.context = context
        self.dock = dock
        self.state: RunState | None = None  # the run the weights belong to
        self.parameters: Parameters | None = None  # what was last published
        self.step = -1  # the optimiser step of the live weights
        self.past_epoch: int | None = None  # set while the timeline shows a past moment
        self._live: Parameters | None = None
        self._past: Parameters | None = None
        context.frame_ready.connect(self._on_frame)
        context.session.run_replaced.connect(self._on_run_replaced)
        on_shown(dock, self.refresh)
        context.when_available(TIMELINE, self._follow_timeline)

    def _follow_timeline(self, timeline) -> None:
        timeline.moment_selected.connect(self._on_moment_selected)
        timeline.returned_to_now.connect(self._on_returned_to_now)

    @property
    def active(self) -> bool:
        return self.dock.isVisible() or (self._also_active is not None and self._also_active())

    @property
    def is_past(self) -> bool:
        return self._past is not None

    def refresh(self) -> None:
        """Publish what there is now (the last frame's weights, or the last state's if newer)."""
        if self.context.state is not None and self.state is not None:
            self._take(self.context.state)
        self._publish()

    # --- sources ----------------------------------------------------------------------------------

    def _on_run_replaced(self, state: RunState) -> None:
        self.state = state
        self._live, self._past, self.past_epoch, self.step = None, None, None, -1
        show_moment_in_title(self.dock, None)
        self.run_replaced.emit(state)
        self._take(state)
        if self.active:
            self._publish()

    def _take(self, state: RunState) -> None:
        if state.step >= self.step:
            self._live, self.step = state.parameters, state.step

    def _on_frame(self, snapshot: Snapshot) -> None:
        if not snapshot.parameters:  # a change's frame carries no weights: its RunState brought them
            return
        self._live, self.step = snapshot.parameters, snapshot.step
        if self.active and self._past is None:
            self._publish()

    def _on_moment_selected(self, epoch: int, parameters: Parameters) -> None:
        self._past, self.past_epoch = parameters, epoch
        show_moment_in_title(self.dock, epoch)
        if self.active:
            self._publish()

    def _on_returned_to_now(self) -> None:
        self._past, self.past_epoch = None, None
        show_moment_in_title(self.dock, None)
        if self.active:
            self.refresh()

    def _publish(self) -> None:
        parameters = self._past if self._past is not None else self._live
        if parameters is None or not fits(self.state, parameters):
            return  # (a frame of the network before a change, drawn just after it: skip it)
        self.parameters = parameters
        self.parameters_changed.emit(parameters)


def show_moment_in_title(dock: QDockWidget, past_epoch: int | None) -> None:
    """Say in the dock's title which moment it shows: "Step inspector — epoch 20 (past)", or its own title
    when it shows now. Its menu entry keeps the instrument's name."""
    plain = dock.property(PLAIN_TITLE) or dock.windowTitle()
    dock.setProperty(PLAIN_TITLE, plain)
    title = plain if past_epoch is None else f"{plain} — epoch {past_epoch} (past)"
    if dock.windowTitle() != title:
        toggle = dock.toggleViewAction()
        entry = toggle.text()
        dock.setWindowTitle(title)
        toggle.setText(entry)  # Qt renames the toggle action after the title: View ▸ Instruments keeps the name


PLAIN_TITLE = "plain_title"  # the dock property that keeps an instrument's own title


def fits(state: RunState | None, parameters: Parameters) -> bool:
    """Whether `parameters` are weights of the run's network (names and shapes)."""
    if state is None:
        return False
    for layer in state.layers:
        if np.shape(parameters.get(layer.weight_name)) != (layer.n_in, layer.n_out):
            return False
        if layer.bias and np.shape(parameters.get(layer.bias_name)) != (layer.n_out,):
            return False
    return True


def add_dock(
    context: AppContext, item_id: str, title: str, widget: QWidget, shortcut: str, tooltip: str
) -> QDockWidget:
    """An instrument's dock, made wide enough for a plot when first shown."""
    dock = context.add_instrument_dock(item_id, title, widget, shortcut, tooltip)
    window = context.host
    shown_before = False

    def widen() -> None:
        nonlocal shown_before
        if not shown_before and not dock.isFloating():
            shown_before = True
            window.resizeDocks([dock], [max(500, round(window.width() * 0.4))], Qt.Orientation.Horizontal)

    on_shown(dock, widen)
    return dock


def on_shown(dock: QDockWidget, callback: Callable[[], None]) -> None:
    """Call `callback` whenever the dock comes on screen (shown, its tab picked, split out of a tab group).

    `visibilityChanged`'s argument is not to be trusted when a dock moves between tab groups
    (it can say False while the dock ends up visible), so the dock is asked once events settle.
    """

    def check(_visible: bool = False) -> None:
        QTimer.singleShot(0, dock, lambda: callback() if dock.isVisible() else None)

    dock.visibilityChanged.connect(check)


def text_label(text: str = "", points: int = CAPTION_POINTS, colour: str = "#333333", tooltip: str = "") -> QLabel:
    """A wrapping rich-text label in a font of its own size (which presentation mode enlarges)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    font = QFont(label.font())
    font.setPointSize(points)
    label.setFont(font)
    label.setStyleSheet(f"QLabel {{ color: {colour}; }}")
    label.setToolTip(tooltip)
    return label


def legend_entry(colour: str, glyph: str, text: str) -> str:
    """One legend entry as rich text: a coloured line or mark, then its meaning."""
    return f"<span style='color:{colour}; font-weight:bold'>{glyph}</span>&nbsp;{html.escape(text)}"


def set_axis_label(plot_item, side: str, text: str) -> None:
    """Retitle an axis in the style it has now (presentation mode may have enlarged it)."""
    axis = plot_item.getAxis(side)
    if axis.labelText != text:
        axis.setLabel(text, **axis.labelStyle)


def format_value(value: float) -> str:
    """A weight as the hover text shows it: every digit (repr round-trips exactly)."""
    return repr(float(value))
