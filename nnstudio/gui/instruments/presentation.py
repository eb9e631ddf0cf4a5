"""Presentation mode: the window readable from the back of a classroom, and back again exactly.

View ▸ Presentation Mode (F5) scales the application font, every plot's axis fonts, legend
text, line widths and point sizes, and the toolbar icons, and hides the side panels (Data,
Model, Training, Log, Lessons): the plots get the screen, with at most one panel beside them.
What opens later (F2, an instrument with Ctrl+1…5) and what is drawn later (an instrument's
plots, built when it first opens; the loss plot's thinner pen after 1,000 epochs) is enlarged
too, within a fraction of a second (`presentation_scaling`). The window never grows past the
screen, and nothing is cut (`presentation_layout`). Every change is recorded with the way to
undo it, so switching it off restores the window exactly as it was. View ▸ Full Screen (F11)
works in either mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QApplication, QDockWidget, QToolBar, QWidget

from nnstudio.gui.app_context import VIEW_MENU
from nnstudio.gui.desktop import room_on_screen
from nnstudio.gui.dock_keys import on_screen
from nnstudio.gui.instruments.presentation_layout import ScreenFit
from nnstudio.gui.instruments.presentation_scaling import LINE_SCALE, SCALE, Enlarger, scaled_font

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

__all__ = ["LINE_SCALE", "SCALE", "SCALES_ITSELF", "PresentationMode", "install"]

QWIDGETSIZE_MAX = (1 << 24) - 1
SCALES_ITSELF = "scales_itself"  # a widget with this property refits itself when its font changes
ICON_SCALE = 1.5
SWEEP_MS = 300  # how soon something drawn or opened during the presentation is enlarged


class PresentationMode(QObject):
    """The View menu's Presentation Mode and Full Screen toggles."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.window = context.host  # the whole window is what grows
        self.screen_room: Callable[[], QSize] = lambda: room_on_screen(self.window)  # the window's largest size
        self._active = False
        self._undo: list[Callable[[], None]] = []  # how to put back each change, newest last
        self._enlarger = Enlarger()
        self.screen_fit = ScreenFit(context, self._enlarger, lambda: self.screen_room(), self._undo.append)
        self._sweep_timer = QTimer(self)
        self._sweep_timer.setInterval(SWEEP_MS)
        self._sweep_timer.timeout.connect(self.sweep)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.sweep)
        self.action = _checkable(
            context,
            "action.presentation",
            "&Presentation Mode",
            "F5",
            "Large fonts and thick lines for a projector; the side panels hidden. F5 switches back",
        )
        self.action.toggled.connect(self.set_active)
        self.full_screen_action = _checkable(
            context, "action.full_screen", "&Full Screen", "F11", "Fill the whole screen (F11 again: back)"
        )
        self.full_screen_action.toggled.connect(self.set_full_screen)
        menu = context.menu(VIEW_MENU)
        menu.addSeparator()
        menu.addAction(self.action)
        menu.addAction(self.full_screen_action)

    @property
    def active(self) -> bool:
        return self._active

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        if on:
            self._enter()
        else:
            self._leave()
        self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(False)

    def set_full_screen(self, on: bool) -> None:
        window = self.window
        if on:
            window.setWindowState(window.windowState() | Qt.WindowState.WindowFullScreen)
        else:
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowFullScreen)

    def sweep(self) -> None:
        """Enlarge what appeared or changed since the last sweep, and fit the window to the screen again."""
        if not self._active:
            return
        self._enlarger.sweep_widgets(self.window.findChildren(QWidget), self.screen_fit.font_factors())
        for view in self.window.findChildren(pg.GraphicsView):
            self._enlarger.sweep_scene_items(view.scene().items())
        self.screen_fit.show_texts_in_full()
        self.screen_fit.fit()

    # --- entering: each change remembers its undo ---------------------------------------------------

    def _enter(self) -> None:
        window = self.window
        layout, window_state, window_size = window.saveState(), window.windowState(), window.size()
        self._undo.append(lambda: self._restore_layout(layout, window_state, window_size))
        self._active = True
        self._hide_side_panels()
        self._scale_fonts()
        self._scale_fixed_sizes()
        for toolbar in window.findChildren(QToolBar):
            size = toolbar.iconSize()
            toolbar.setIconSize(QSize(round(size.width() * ICON_SCALE), round(size.height() * ICON_SCALE)))
            self._undo.append(lambda t=toolbar, s=size: t.setIconSize(s))
        self._undo.append(self._enlarger.restore)
        docks = window.findChildren(QDockWidget)
        for dock in docks:
            dock.visibilityChanged.connect(self._on_dock_moved)
            dock.topLevelChanged.connect(self._on_dock_moved)
        self._undo.append(lambda: self._stop_following(docks))
        window.installEventFilter(self)  # resized: fit it again; closed: leave first
        self._undo.append(lambda: window.removeEventFilter(self))
        self._sweep_timer.start()
        self._undo.append(self._sweep_timer.stop)
        self._undo.append(self.screen_fit.restore)
        self.sweep()

    def _leave(self) -> None:
        self._active = False
        self._fit_timer.stop()
        while self._undo:
            self._undo.pop()()
        self.full_screen_action.blockSignals(True)
        self.full_screen_action.setChecked(self.window.isFullScreen())
        self.full_screen_action.blockSignals(False)

    def _hide_side_panels(self) -> None:
        """Everything but the instruments goes (the settings, the log, the lessons); of the instruments in
        front, one stays (a floating one stays too: it is on a screen of its own)."""
        instruments = self.context.instrument_docks
        kept = None
        for dock in self.window.findChildren(QDockWidget):
            if dock.isHidden():
                continue
            if dock in instruments and kept is None and on_screen(dock):
                kept = dock
            elif dock not in instruments or not dock.isFloating():
                dock.hide()

    def _stop_following(self, docks: list[QDockWidget]) -> None:
        for dock in docks:
            dock.visibilityChanged.disconnect(self._on_dock_moved)
            dock.topLevelChanged.disconnect(self._on_dock_moved)

    def _on_dock_moved(self, _value: bool = False) -> None:
        self._fit_timer.start()  # once events settle: the instrument has built its view and asked for its width

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and self._active:
            if event.type() == QEvent.Type.Resize:
                self._fit_timer.start()
            elif event.type() == QEvent.Type.Close:
                self.set_active(False)  # the layout remembered for next time is the normal one, panels and all
        return False

    def _restore_layout(self, layout: QByteArray, window_state: Qt.WindowState, size: QSize) -> None:
        window = self.window

        def restore() -> None:
            if window.windowState() != window_state:
                window.setWindowState(window_state)
            window.restoreState(layout)
            # The panels shown again were hidden while the fonts changed: their sizes follow only now, and
            # until then their old large minimums may have pushed the window past its size (and the screen).
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            normal = not window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen)
            if normal and window.size() != size:
                window.resize(size)

        restore()  # the panels come back at once, and their sizes once the normal fonts have
        QTimer.singleShot(0, window, restore)  # shrunk the panels' minimum sizes again

    def _scale_fonts(self) -> None:
        app = QApplication.instance()
        font = QFont(app.font())
        self.screen_fit.normal_font = font
        app.setFont(scaled_font(font, SCALE))
        self._repolish_style_sheets()
        self._undo.append(lambda: (app.setFont(font), self._repolish_style_sheets()))

    def _repolish_style_sheets(self) -> None:
        """A widget with a style sheet keeps the font it was polished with: polish it again."""
        for widget in self.window.findChildren(QWidget):
            if widget.styleSheet():
                widget.setStyleSheet(widget.styleSheet())

    def _scale_fixed_sizes(self) -> None:
        """Widgets sized for their text at the normal font (the metrics table) grow with it."""
        for widget in self.window.findChildren(QWidget):
            if widget.property(SCALES_ITSELF):
                continue
            fixed_width = 0 < widget.minimumWidth() == widget.maximumWidth() < QWIDGETSIZE_MAX
            fixed_height = 0 < widget.minimumHeight() == widget.maximumHeight() < QWIDGETSIZE_MAX
            if fixed_width:
                width = widget.minimumWidth()
                widget.setFixedWidth(round(width * SCALE))
                self._undo.append(lambda w=widget, v=width: w.setFixedWidth(v))
            if fixed_height:
                height = widget.minimumHeight()
                widget.setFixedHeight(round(height * SCALE))
                self._undo.append(lambda w=widget, v=height: w.setFixedHeight(v))


def _checkable(context: AppContext, item_id: str, text: str, shortcut: str, tooltip: str) -> QAction:
    return context.action(item_id, text, None, shortcut, tooltip, checkable=True)


def install(context: AppContext) -> PresentationMode:
    return context.register("presentation", PresentationMode(context))
