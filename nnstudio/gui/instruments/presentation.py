"""Presentation mode: the window readable from the back of a classroom, and back again exactly.

View ▸ Presentation Mode (F5) scales the application font, every plot's axis fonts, legend
text, line widths and point sizes, and the toolbar icons by `SCALE`, and hides the panels a
class does not need to see (Data, Model, Log; the toolbar, the Training panel and the
instruments stay). Every change is recorded with the way to undo it, so switching it off
restores the window exactly as it was. View ▸ Full Screen (F11) works in either mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QPen
from PySide6.QtWidgets import QApplication, QToolBar, QWidget

from nnstudio.gui.app_context import VIEW_MENU

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

HIDDEN_DOCKS = ("dock.data", "dock.model", "dock.log")  # what a class does not need to see

SCALE = 1.6  # fonts; lines and points grow by LINE_SCALE
LINE_SCALE = 1.75
QWIDGETSIZE_MAX = (1 << 24) - 1
SIZE_RESOLVED = 0x0002  # QFont::SizeResolved, which PySide6 does not expose
SCALES_ITSELF = "scales_itself"  # a widget with this property refits itself when its font changes


def scaled_font(font: QFont, factor: float) -> QFont:
    bigger = QFont(font)
    if font.pointSizeF() > 0:
        bigger.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        bigger.setPixelSize(round(font.pixelSize() * factor))
    return bigger


def scaled_pen(spec, factor: float) -> QPen:
    pen = QPen(pg.mkPen(spec))
    pen.setWidthF(max(pen.widthF(), 1.0) * factor)
    return pen


def _scaled_css_size(size: str, factor: float) -> str:
    for unit in ("pt", "px"):
        if size.endswith(unit):
            return f"{float(size[: -len(unit)]) * factor:g}{unit}"
    return size


class PresentationMode(QObject):
    """The View menu's Presentation Mode and Full Screen toggles."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.window = context.host  # the whole window is what grows
        self._undo: list[Callable[[], None]] = []  # how to put back each change, newest last
        self.action = _checkable(
            context,
            "action.presentation",
            "&Presentation Mode",
            "F5",
            "Large fonts and thick lines for a projector; Data, Model and Log panels hidden. F5 switches back",
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
        return bool(self._undo)

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        if on:
            self._enter()
        else:
            while self._undo:
                self._undo.pop()()
            self.full_screen_action.blockSignals(True)
            self.full_screen_action.setChecked(self.window.isFullScreen())
            self.full_screen_action.blockSignals(False)
        self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(False)

    def set_full_screen(self, on: bool) -> None:
        window = self.window
        if on:
            window.setWindowState(window.windowState() | Qt.WindowState.WindowFullScreen)
        else:
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowFullScreen)

    # --- entering: each change remembers its undo ---------------------------------------------------

    def _enter(self) -> None:
        window = self.window
        layout, window_state, window_size = window.saveState(), window.windowState(), window.size()
        self._undo.append(lambda: self._restore_layout(layout, window_state, window_size))
        for dock_id in HIDDEN_DOCKS:
            self.context.get(dock_id).hide()
        self._scale_fonts()
        self._scale_fixed_sizes()
        for toolbar in window.findChildren(QToolBar):
            size = toolbar.iconSize()
            toolbar.setIconSize(QSize(round(size.width() * 1.5), round(size.height() * 1.5)))
            self._undo.append(lambda t=toolbar, s=size: t.setIconSize(s))
        for view in window.findChildren(pg.GraphicsView):
            for item in view.scene().items():
                self._scale_plot_item(item)

    def _restore_layout(self, layout: QByteArray, window_state: Qt.WindowState, size: QSize) -> None:
        window = self.window

        def restore() -> None:
            if window.windowState() != window_state:
                window.setWindowState(window_state)
            normal = not window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen)
            if normal and window.size() != size:
                window.resize(size)  # large fonts may have pushed the window's minimum size up
            window.restoreState(layout)

        restore()  # the panels come back at once, and their sizes once the normal fonts have
        QTimer.singleShot(0, window, restore)  # shrunk the panels' minimum sizes again

    def _scale_fonts(self) -> None:
        app = QApplication.instance()
        font = QFont(app.font())
        app.setFont(scaled_font(font, SCALE))
        self._repolish_style_sheets()
        self._undo.append(lambda: (app.setFont(font), self._repolish_style_sheets()))
        # Widgets given a font of their own with a size (the log's fixed-width font) do not follow the
        # application's, so they grow here; fonts that set only a family inherit the size and grow anyway.
        for widget in self.window.findChildren(QWidget):
            if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and _sets_size(widget.font()):
                own = QFont(widget.font())
                widget.setFont(scaled_font(own, SCALE))
                self._undo.append(lambda w=widget, f=own: w.setFont(f))

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

    def _scale_plot_item(self, item) -> None:
        undo = self._undo
        if isinstance(item, pg.AxisItem):
            tick_font = item.style.get("tickFont")
            if tick_font is not None:
                original = QFont(tick_font)
                item.setTickFont(scaled_font(original, SCALE))
                undo.append(lambda a=item, f=original: a.setTickFont(f))
            if "font-size" in item.labelStyle:
                label_style = dict(item.labelStyle)
                bigger = {**label_style, "font-size": _scaled_css_size(label_style["font-size"], SCALE)}
                item.setLabel(item.labelText, item.labelUnits or None, **bigger)
                undo.append(lambda a=item, s=label_style: a.setLabel(a.labelText, a.labelUnits or None, **s))
        elif isinstance(item, pg.LegendItem):
            size = item.labelTextSize()
            _set_legend_text_size(item, _scaled_css_size(size, SCALE))
            undo.append(lambda legend=item, s=size: _set_legend_text_size(legend, s))
        elif isinstance(item, pg.PlotItem) and item.titleLabel.isVisible():
            height = item.titleLabel.maximumHeight()
            item.titleLabel.setMaximumHeight(height * SCALE)
            item.layout.setRowFixedHeight(0, height * SCALE)
            undo.append(lambda p=item, h=height: (p.titleLabel.setMaximumHeight(h), p.layout.setRowFixedHeight(0, h)))
        elif isinstance(item, pg.PlotDataItem):
            pen, size = item.opts.get("pen"), item.opts.get("symbolSize")
            if pen is not None:
                item.setPen(scaled_pen(pen, LINE_SCALE))
                undo.append(lambda i=item, p=pen: i.setPen(p))
            if item.opts.get("symbol") is not None and size:
                item.setSymbolSize(size * SCALE)
                undo.append(lambda i=item, s=size: i.setSymbolSize(s))
        elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
            pen = item.opts.get("pen")
            item.setPen(scaled_pen(pen, LINE_SCALE))
            undo.append(lambda i=item, p=pen: i.setPen(p))
        elif isinstance(item, pg.InfiniteLine):
            pen = QPen(item.pen)
            item.setPen(scaled_pen(pen, LINE_SCALE))
            undo.append(lambda i=item, p=pen: i.setPen(p))
        elif isinstance(item, pg.TextItem):
            font = QFont(item.textItem.font())
            item.setFont(scaled_font(font, SCALE))
            undo.append(lambda i=item, f=font: i.setFont(f))


def _set_legend_text_size(legend: pg.LegendItem, size: str) -> None:
    legend.setLabelTextSize(size)
    for _, label in legend.items:  # setLabelTextSize only records the size: draw the text again...
        label.setText(label.text)
        label.resize(label.effectiveSizeHint(Qt.SizeHint.PreferredSize))  # ...and let the label shrink too
    legend.updateSize()


def _sets_size(font: QFont) -> bool:
    return bool(font.resolveMask() & SIZE_RESOLVED)


def _checkable(context: AppContext, item_id: str, text: str, shortcut: str, tooltip: str) -> QAction:
    return context.action(item_id, text, None, shortcut, tooltip, checkable=True)


def install(context: AppContext) -> PresentationMode:
    return context.register("presentation", PresentationMode(context))
