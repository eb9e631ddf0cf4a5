"""What the hidden-unit view, the network diagram and the loss landscape share.

`ParameterFeed` decides which weights an instrument draws: the live ones from the window's
frames (at most ~30 per second), a past moment picked on the timeline, or, right after a change
(new data, model, reset), the new trainer's weights read once through the worker, since a
change's frame carries no parameters. It does the work only while its dock is on screen: a
hidden instrument costs one reference per frame.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from nnstudio.core.engine.trainer import Snapshot, Trainer

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

Parameters = dict[str, np.ndarray]

# Weights: one colour per sign, everywhere (Okabe-Ito blue and vermillion stay apart for
# colour-blind viewers); the lighter pair is for thin curves drawn over the fit's points.
POSITIVE_COLOUR = "#0072B2"
NEGATIVE_COLOUR = "#D55E00"
POSITIVE_LIGHT = "#56B4E9"
NEGATIVE_LIGHT = "#E69F00"
HIGHLIGHT_COLOUR = "#CC79A7"  # the style's hover colour: the one unit or weight pointed at
CAPTION_POINTS, READOUT_POINTS = 11, 12  # set as fonts, not in style sheets, so presentation mode scales them


def read_parameters(trainer: Trainer) -> tuple[int, Parameters]:
    """In the worker: the step count and copies of the current weights."""
    return trainer.step_count, trainer.backend.parameters()


class ParameterFeed(QObject):
    """The weights an instrument should show now, and the trainer they belong to."""

    trainer_changed = Signal(object)  # the new Trainer: read its layers, dataset and experiment only
    parameters_changed = Signal(object)  # Parameters to draw (live, past or just read)

    def __init__(self, window: MainWindow, dock: QDockWidget, also_active: Callable[[], bool] | None = None) -> None:
        super().__init__(dock)
        self._also_active = also_active  # e.g. a drawing outside the dock that must stay live
        self.window = window
        self.session = window.session
        self.dock = dock
        self.trainer: Trainer | None = None
        self.parameters: Parameters | None = None  # what was last published
        self.step = -1  # the optimiser step of the live weights
        self.past_epoch: int | None = None  # set while the timeline shows a past moment
        self._live: Parameters | None = None
        self._past: Parameters | None = None
        self._generation = 0  # trainer changes so far: reads for an older trainer are dropped
        window.frame_ready.connect(self._on_frame)
        self.session.trainer_changed.connect(self._on_trainer_changed)
        on_shown(dock, self.refresh)
        timeline = getattr(window, "timeline", None)
        if timeline is not None:  # another developer's instrument: follow it when it is there
            timeline.moment_selected.connect(self._on_moment_selected)
            timeline.returned_to_now.connect(self._on_returned_to_now)

    @property
    def active(self) -> bool:
        return self.dock.isVisible() or (self._also_active is not None and self._also_active())

    @property
    def is_past(self) -> bool:
        return self._past is not None

    def refresh(self) -> None:
        """Publish what there is now (asking the worker for it if nothing has come yet)."""
        if self._live is None and self.trainer is not None:
            self._read()
        else:
            self._publish()

    # --- sources ----------------------------------------------------------------------------------

    def _on_trainer_changed(self, trainer: Trainer, _message: str = "") -> None:
        self.trainer = trainer
        self._generation += 1
        self._live, self._past, self.past_epoch, self.step = None, None, None, -1
        self.trainer_changed.emit(trainer)
        if self.active:
            self._read()

    def _read(self) -> None:
        generation = self._generation
        self.session.use_trainer(read_parameters, lambda result: self._on_read(generation, result))

    def _on_read(self, generation: int, result: tuple[int, Parameters]) -> None:
        step, parameters = result
        if generation != self._generation or step < self.step:
            return  # a newer trainer, or newer frames, came meanwhile
        self._live, self.step = parameters, step
        self._publish()

    def _on_frame(self, snapshot: Snapshot) -> None:
        if not snapshot.parameters:  # a change's frame: the read after the change brings them
            return
        self._live, self.step = snapshot.parameters, snapshot.step
        if self.active and self._past is None:
            self._publish()

    def _on_moment_selected(self, epoch: int, parameters: Parameters) -> None:
        self._past, self.past_epoch = parameters, epoch
        if self.active:
            self._publish()

    def _on_returned_to_now(self) -> None:
        self._past, self.past_epoch = None, None
        if self.active:
            self.refresh()

    def _publish(self) -> None:
        parameters = self._past if self._past is not None else self._live
        if parameters is None or not fits(self.trainer, parameters):
            return  # (a frame of the network before a change, drawn just after it: skip it)
        self.parameters = parameters
        self.parameters_changed.emit(parameters)


def fits(trainer: Trainer | None, parameters: Parameters) -> bool:
    """Whether `parameters` are weights of the trainer's network (names and shapes)."""
    if trainer is None:
        return False
    for layer in trainer.layers:
        if np.shape(parameters.get(layer.weight_name)) != (layer.n_in, layer.n_out):
            return False
        if layer.bias and np.shape(parameters.get(layer.bias_name)) != (layer.n_out,):
            return False
    return True


def add_dock(window: MainWindow, title: str, widget: QWidget, shortcut: str, tooltip: str) -> QDockWidget:
    """The window's instrument dock, made wide enough for a plot when first shown."""
    dock = window.add_instrument_dock(title, widget, shortcut, tooltip)
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


def window_action(window: QWidget, text: str, shortcut: str, tooltip: str) -> QAction:
    """An action whose shortcut works anywhere in the window."""
    action = QAction(text, window)
    action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tooltip)
    action.setStatusTip(tooltip)
    window.addAction(action)
    return action


def menu_named(window, title: str):
    """The window's top-level menu called `title` (ignoring the & mnemonic), or None."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


def format_value(value: float) -> str:
    """A weight as the hover text shows it: every digit (repr round-trips exactly)."""
    return repr(float(value))
