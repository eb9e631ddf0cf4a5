"""Presentation mode on a small screen: the window never grows past it, and nothing is cut.

At 1.6 times the normal font a 1024×768 projector holds the plots and one panel beside them, not
more. So, while presenting:

- one panel is beside the plots (the instrument or panel opened last; the others are closed);
- a panel too wide for the room gets a smaller, still enlarged font; if it is not readable beside
  the plots even so (below `READABLE_BESIDE_PLOTS`), it has the window alone, at full size, until
  its key closes it and brings the plots back;
- the toolbar's font shrinks until every button is on it (none behind »);
- a legend above a plot narrower than itself wraps into rows, a plot is at least as wide as its
  legend's widest entry, and buttons and one-line labels show their whole text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)
from shiboken6 import isValid

from nnstudio.gui.dock_keys import on_screen
from nnstudio.gui.instruments.presentation_scaling import SCALE, WIDGET_FONT, Enlarger, scaled_font, sets_size

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

QWIDGETSIZE_MAX = (1 << 24) - 1
PANEL_SHARE = 0.45  # of the window's width, for the one panel beside the plots
READABLE_BESIDE_PLOTS = 1.3  # a panel that needs a smaller font than this to fit has the window alone
SMALLEST_SCALE = 1.0  # a panel or toolbar too wide for the room shrinks its font down to this
SCALE_STEP = 0.1
LEGEND_GAP = 8  # pixels around a legend entry


class ScreenFit:
    """Keeps the presenting window within `room()`, its plots and one panel readable, and nothing cut."""

    def __init__(
        self, context: AppContext, enlarger: Enlarger, room: Callable[[], QSize], undo: Callable[[Callable], None]
    ) -> None:
        self.context = context
        self.window = context.host
        self.enlarger = enlarger
        self.room = room
        self._undo = undo  # records how to put back a change
        self.normal_font = QFont()  # the application's font before presenting
        self.panel: QDockWidget | None = None  # the one panel beside the plots
        self.alone: QDockWidget | None = None  # a panel too wide to be beside the plots: it has the window
        self._shrunk: dict[QWidget, tuple[float, QFont | None]] = {}  # widget: (font scale, its own font)
        self._legend_columns: dict[pg.LegendItem, int] = {}  # each wrapped legend's own column count
        self._sized: set[QDockWidget] = set()  # panels given their share since they came on screen
        self._icons_only_toolbars: set[QToolBar] = set()  # too wide even in the smallest font

    def fit(self) -> None:
        window = self.window
        room = self.room()
        panel = self._one_panel()
        if panel is not self.alone:
            self._show_plots()
        if panel is not None and self.alone is None:
            if not self._shrink_until(panel.widget(), self._fits(room), READABLE_BESIDE_PLOTS):
                self._leave_alone(panel)
        if self.alone is not None:
            self._shrink_until(self.alone.widget(), self._fits(room), SMALLEST_SCALE)
        if window.width() > room.width() or window.height() > room.height():
            window.resize(min(window.width(), room.width()), min(window.height(), room.height()))
        for toolbar in window.findChildren(QToolBar):
            if toolbar.isVisible() and toolbar.orientation() == Qt.Orientation.Horizontal:
                width = min(window.width(), room.width())
                fits = lambda t=toolbar, w=width: _size_hint_width(t) <= w  # noqa: E731
                if not self._shrink_until(toolbar, fits, SMALLEST_SCALE):
                    self._icons_only(toolbar)  # still too wide: the buttons keep their icons, their names go
        self._sized = {dock for dock in self._sized if on_screen(dock)}  # closed and opened again: sized again
        if panel is not None and panel not in self._sized and self.alone is None:
            self._sized.add(panel)
            self._give_share(panel)
        self._wrap_legends()

    def font_factors(self) -> Callable[[QWidget], float | None]:
        """How much a widget's own font grows: as much as the part it is in (a panel or toolbar made smaller
        to fit), else by SCALE; None for those parts themselves, whose fonts are set here."""
        factors: dict[QWidget, float | None] = {}
        for root, (scale, _own) in self._shrunk.items():
            if isValid(root):
                factors.update(dict.fromkeys(root.findChildren(QWidget), scale))
                factors[root] = None
        return lambda widget: factors.get(widget, SCALE)

    def restore(self) -> None:
        for widget, (_scale, own) in self._shrunk.items():
            if isValid(widget):
                widget.setFont(own if own is not None else QFont())  # an empty font: inherit again
        for legend, columns in self._legend_columns.items():
            if isValid(legend):
                legend.setColumnCount(columns)
        self._shrunk.clear()
        self._icons_only_toolbars.clear()
        self._legend_columns.clear()
        self._sized.clear()
        self._show_plots()
        self.panel = None

    # --- one panel beside the plots -------------------------------------------------------------

    def _one_panel(self) -> QDockWidget | None:
        """The panel opened last, of those docked and in front; the others close."""
        shown = [dock for dock in self.window.findChildren(QDockWidget) if on_screen(dock) and not dock.isFloating()]
        opened = [dock for dock in shown if dock is not self.panel]
        if opened:
            instruments = [dock for dock in opened if dock in self.context.instrument_docks]
            self.panel = (instruments or opened)[-1]
        elif self.panel not in shown:
            self.panel = None
        for dock in shown:
            if dock is not self.panel:
                dock.hide()
        return self.panel

    def _fits(self, room: QSize) -> Callable[[], bool]:
        def fits() -> bool:
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # sizes after the latest font change
            return self.window.minimumSizeHint().width() <= room.width()

        return fits

    def _leave_alone(self, panel: QDockWidget) -> None:
        """The panel gets the whole window, at full size; its key again brings the plots back."""
        self.alone = panel
        self._set_font_scale(panel.widget(), SCALE)
        self.window.centralWidget().hide()
        key = panel.toggleViewAction().shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.context.show_message(f"{key or 'Close it'}{' again' if key else ''}: back to the plots", 10000)

    def _show_plots(self) -> None:
        if self.alone is not None:
            self.context.show_message("", 1)  # the hint about the key is out of date
        self.alone = None
        self.window.centralWidget().show()

    def _give_share(self, dock: QDockWidget) -> None:
        """A share of the window for the panel, unless the plots need more; never less than it needs."""
        window = self.window
        plots = window.centralWidget().minimumSizeHint().width()
        separator = window.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent)
        needs = dock.minimumSizeHint().width()
        width = min(max(needs, round(window.width() * PANEL_SHARE)), window.width() - plots - 2 * separator)
        window.resizeDocks([dock], [max(width, needs)], Qt.Orientation.Horizontal)

    # --- smaller fonts where the room is short --------------------------------------------------

    def _shrink_until(self, widget: QWidget, fits: Callable[[], bool], smallest: float) -> bool:
        """Make `widget`'s font (and its children's) smaller, down to `smallest`, until it `fits()`."""
        scale = self._shrunk.get(widget, (SCALE, None))[0]
        while not fits():
            if scale <= smallest:
                return False
            scale = max(smallest, round(scale - SCALE_STEP, 2))
            self._set_font_scale(widget, scale)
        return True

    def _icons_only(self, toolbar: QToolBar) -> None:
        """Buttons with an icon show only it (the name stays in the tooltip); those without keep their text."""
        if toolbar in self._icons_only_toolbars:
            return
        self._icons_only_toolbars.add(toolbar)
        style = toolbar.toolButtonStyle()
        for button in toolbar.findChildren(QToolButton):
            if not button.icon().isNull():
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self._undo(lambda t=toolbar, s=style: _show_button_names(t, s))

    def _set_font_scale(self, widget: QWidget, scale: float) -> None:
        if widget not in self._shrunk:
            own = QFont(widget.font()) if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) else None
            self._shrunk[widget] = (scale, own)
        widget.setFont(scaled_font(self.normal_font, scale))
        self._shrunk[widget] = (scale, self._shrunk[widget][1])
        for child in widget.findChildren(QWidget):  # captions with a size of their own follow now, not later
            if child.testAttribute(Qt.WidgetAttribute.WA_SetFont) and sets_size(child.font()):
                self.enlarger.enlarge(child, WIDGET_FONT, scale)

    # --- nothing cut ----------------------------------------------------------------------------

    def show_texts_in_full(self) -> None:
        """Around the plots and in the panel, a button or a one-line label allowed to shrink below its text
        (the timeline's "Resume from here", "epoch 1200 (now)") shows it whole; a plot is at least as wide
        as its legend's widest entry."""
        parts = [self.window.centralWidget()] + ([self.panel] if self.panel is not None else [])
        for part in parts:
            for widget in part.findChildren(QWidget):
                if isinstance(widget, pg.PlotWidget):
                    self._make_room_for_legend(widget)
                elif isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and not widget.wordWrap()):
                    minimum, wanted = widget.minimumWidth(), widget.sizeHint().width()
                    if 0 < minimum < wanted and widget.maximumWidth() >= QWIDGETSIZE_MAX and widget.isVisible():
                        self._set_minimum_width(widget, wanted)

    def _make_room_for_legend(self, plot_widget: pg.PlotWidget) -> None:
        plot = plot_widget.getPlotItem()
        legend = next((item for item in plot.childItems() if isinstance(item, pg.LegendItem)), None)
        if legend is None or not legend.items or not plot_widget.isVisible():
            return
        widest = max(sample.width() + label.width() for sample, label in legend.items) + 3 * LEGEND_GAP
        wanted = round(widest + plot.getAxis("left").width() + LEGEND_GAP)
        if plot_widget.minimumWidth() < wanted:
            self._set_minimum_width(plot_widget, wanted)

    def _set_minimum_width(self, widget: QWidget, width: int) -> None:
        minimum = widget.minimumWidth()
        widget.setMinimumWidth(width)
        self._undo(lambda: widget.setMinimumWidth(minimum) if isValid(widget) else None)

    def _wrap_legends(self) -> None:
        """A legend above a plot narrower than itself wraps into rows, and its row grows to hold them."""
        for view in self.window.findChildren(pg.GraphicsView):
            if view.isVisible():
                for item in view.scene().items():
                    if isinstance(item, pg.LegendItem) and isinstance(item.parentItem(), pg.PlotItem):
                        self._wrap_legend(item, item.parentItem())

    def _wrap_legend(self, legend: pg.LegendItem, plot: pg.PlotItem) -> None:
        columns = self._legend_columns.setdefault(legend, legend.columnCount)
        legend.setColumnCount(columns)
        while _legend_width(legend) > plot.width() - LEGEND_GAP and columns > 1:
            columns -= 1
            legend.setColumnCount(columns)
        title_row = plot.titleLabel.maximumHeight() if plot.titleLabel.isVisible() else 0
        height = max(title_row, legend.height() + 2)
        if title_row and plot.layout.rowMaximumHeight(0) != height:
            plot.layout.setRowFixedHeight(0, height)


def _show_button_names(toolbar: QToolBar, style: Qt.ToolButtonStyle) -> None:
    if isValid(toolbar):
        toolbar.setToolButtonStyle(style)
        for button in toolbar.findChildren(QToolButton):
            button.setToolButtonStyle(style)


def _size_hint_width(widget: QWidget) -> int:
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return widget.sizeHint().width()


def _legend_width(legend: pg.LegendItem) -> float:
    legend.updateSize()
    return legend.width()
