"""What presentation mode enlarges, item by item, and how each is put back.

Every enlarged value is recorded with the value the app had set (`Enlarged`). A sweep enlarges what
it has not seen yet — an instrument's plots, made when its dock first opens during the presentation
— and what the app has set again since (the loss plot switches to a thin pen after 1,000 epochs):
a value that differs from the one enlarged is the app's new one, enlarged in turn. Leaving puts back
the app's value wherever the enlarged one is still in place, and leaves alone what the app changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

SCALE = 1.6  # fonts; lines and points grow by LINE_SCALE
LINE_SCALE = 1.75
SIZE_RESOLVED = 0x0002  # QFont::SizeResolved, which PySide6 does not expose


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


def scaled_css_size(size: str, factor: float) -> str:
    for unit in ("pt", "px"):
        if size.endswith(unit):
            return f"{float(size[: -len(unit)]) * factor:g}{unit}"
    return size


def sets_size(font: QFont) -> bool:
    return bool(font.resolveMask() & SIZE_RESOLVED)


@dataclass
class Property:
    """One enlargeable value of an item: how to read it, write it, and what it becomes, `factor` times larger."""

    get: Callable[[Any], Any]
    set: Callable[[Any, Any], None]
    enlarge: Callable[[Any, float], Any]
    factor: float = SCALE


@dataclass
class Enlarged:
    target: Any
    prop: Property
    original: Any  # what the app set
    shown: Any  # what we set, as read back
    factor: float


class Enlarger:
    """Enlarges fonts, pens and symbols as they appear and change; `restore()` puts back the app's."""

    def __init__(self) -> None:
        self._enlarged: dict[tuple[int, int], Enlarged] = {}

    def enlarge(self, target: Any, prop: Property, factor: float | None = None) -> None:
        """Show `target`'s value `factor` times larger (the property's own factor by default): the value the
        app set, or set since it was last enlarged."""
        factor = prop.factor if factor is None else factor
        key = (id(target), id(prop))
        entry = self._enlarged.get(key)
        current = prop.get(target)
        if current is None:
            return
        if entry is not None and entry.target is target and _same(current, entry.shown):
            if entry.factor == factor:
                return  # enlarged before, and the app has not set it since
            current = entry.original  # the same value, to another scale
        prop.set(target, prop.enlarge(current, factor))
        self._enlarged[key] = Enlarged(target, prop, current, prop.get(target), factor)

    def sweep_widgets(self, widgets: list[QWidget], factor_of: Callable[[QWidget], float | None]) -> None:
        """Widgets given a font of their own with a size (the log's fixed-width font, an instrument's captions)
        do not follow the application's font: they grow here, by `factor_of(widget)` (None: leave it alone).
        A font that sets only a family grows with the application's anyway."""
        for widget in widgets:
            if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and sets_size(widget.font()):
                factor = factor_of(widget)
                if factor is not None:
                    self.enlarge(widget, WIDGET_FONT, factor)

    def sweep_scene_items(self, items) -> None:
        for item in items:
            for prop in _properties_of(item):
                self.enlarge(item, prop)

    def restore(self) -> None:
        """Put back each value the app had set, where the enlarged one is still in place; newest first."""
        entries, self._enlarged = list(self._enlarged.values()), {}
        for entry in reversed(entries):
            if isValid(entry.target) and _same(entry.prop.get(entry.target), entry.shown):
                entry.prop.set(entry.target, entry.original)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return a is b


# --- what grows -----------------------------------------------------------------------------------


def _set_pen(item, pen) -> None:
    item.setPen(pen)


def _data_item_pen(item: pg.PlotDataItem):
    pen = item.opts.get("pen")
    return None if pen is None else QPen(pg.mkPen(pen)) if not isinstance(pen, QPen) else pen


def _symbol_size(item: pg.PlotDataItem):
    return item.opts.get("symbolSize") or None if item.opts.get("symbol") is not None else None


def _tick_font(axis: pg.AxisItem):
    font = axis.style.get("tickFont")
    return None if font is None else QFont(font)


def _label_size(axis: pg.AxisItem):
    return axis.labelStyle.get("font-size")


def _set_label_size(axis: pg.AxisItem, size: str) -> None:
    axis.setLabel(axis.labelText, axis.labelUnits or None, **{**axis.labelStyle, "font-size": size})


def _set_legend_text_size(legend: pg.LegendItem, size: str) -> None:
    legend.setLabelTextSize(size)
    for _, label in legend.items:  # setLabelTextSize only records the size: draw the text again...
        label.setText(label.text)
        label.resize(label.effectiveSizeHint(Qt.SizeHint.PreferredSize))  # ...and let the label shrink too
    legend.updateSize()


def _title_height(plot: pg.PlotItem):
    return plot.titleLabel.maximumHeight() if plot.titleLabel.isVisible() else None


def _set_title_height(plot: pg.PlotItem, height: float) -> None:
    plot.titleLabel.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


def _font(font: QFont, factor: float) -> QFont:
    return scaled_font(font, factor)


def _css_size(size: str, factor: float) -> str:
    return scaled_css_size(size, factor)


def _line(pen, _factor: float) -> QPen:
    return scaled_pen(pen, LINE_SCALE)


def _times(value: float, factor: float) -> float:
    return value * factor


def _curve_pen(item: pg.PlotCurveItem):
    pen = item.opts.get("pen")
    return None if pen is None else QPen(pg.mkPen(pen))


WIDGET_FONT = Property(lambda w: QFont(w.font()), lambda w, f: w.setFont(f), _font)
TICK_FONT = Property(_tick_font, lambda a, f: a.setTickFont(f), _font)
LABEL_SIZE = Property(_label_size, _set_label_size, _css_size)
LEGEND_SIZE = Property(lambda legend: legend.labelTextSize(), _set_legend_text_size, _css_size)
TITLE_HEIGHT = Property(_title_height, _set_title_height, _times)
DATA_PEN = Property(_data_item_pen, _set_pen, _line)
SYMBOL_SIZE = Property(_symbol_size, lambda i, s: i.setSymbolSize(s), _times)
CURVE_PEN = Property(_curve_pen, _set_pen, _line)
LINE_PEN = Property(lambda i: QPen(i.pen), _set_pen, _line)
TEXT_FONT = Property(lambda i: QFont(i.textItem.font()), lambda i, f: i.setFont(f), _font)


def _properties_of(item) -> tuple[Property, ...]:
    if isinstance(item, pg.AxisItem):
        return (TICK_FONT, LABEL_SIZE)
    if isinstance(item, pg.LegendItem):
        return (LEGEND_SIZE,)
    if isinstance(item, pg.PlotItem):
        return (TITLE_HEIGHT,)
    if isinstance(item, pg.PlotDataItem):
        return (DATA_PEN, SYMBOL_SIZE)
    if isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        return (CURVE_PEN,)
    if isinstance(item, pg.InfiniteLine):
        return (LINE_PEN,)
    if isinstance(item, pg.TextItem):
        return (TEXT_FONT,)
    return ()
