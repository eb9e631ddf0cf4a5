"""One palette for every plot, readable on a projector and by colour-blind viewers.

The colours are Okabe and Ito's (2008) set, chosen to stay distinct under the common forms of
colour blindness. Each role has one colour everywhere: the training points and the training
loss share blue, the test points and the test loss share vermillion. Roles also differ by shape
(circles / triangles, solid / dashed lines), so nothing depends on colour alone.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsItem

# Okabe-Ito, minus its yellow, which vanishes on a white background under a projector.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

TRAIN_COLOUR = BLUE
TEST_COLOUR = VERMILLION
PENALTY_COLOUR = ORANGE  # the regularisation penalty on the loss plot
TRUE_FUNCTION_COLOUR = BLACK
PREDICTION_COLOUR = BLUISH_GREEN
HOVER_COLOUR = REDDISH_PURPLE
ERROR_TEXT_COLOUR = "#B03A2E"  # messages in panels; the status bar uses the same red

AXIS_FONT_POINTS = 11  # tick numbers and axis titles read from the back of a classroom

_configured = False


def configure_pyqtgraph() -> None:
    """White background, black text, antialiased lines: set once, before any plot exists."""
    global _configured
    if _configured:
        return
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    _configured = True


def white_plot(**options) -> pg.PlotWidget:
    """A pyqtgraph plot on white that paints every pixel of its view itself. Qt otherwise paints the
    window and the splitter behind the view first, at each of the ~30 frames a second, for nothing."""
    configure_pyqtgraph()
    plot = pg.PlotWidget(background="w", **options)
    plot.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
    return plot


def cosmetic_pen(colour: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen `width` screen pixels wide whatever the zoom: the one way the app makes a plot pen."""
    pen = pg.mkPen(color=colour, width=width, style=style)
    pen.setCosmetic(True)
    return pen


def points_style(colour: str, training: bool, rim: str = "w") -> dict:
    """Keyword arguments for a PlotDataItem of points: training points are circles, test points triangles.

    A solid fill with a rim: vivid on a washed-out projector, and overlapping points stay apart.
    """
    symbol, size = ("o", 8) if training else ("t1", 10)
    return {
        "pen": None,
        "symbol": symbol,
        "symbolSize": size,
        "symbolBrush": pg.mkBrush(colour),
        "symbolPen": pg.mkPen(rim, width=1),
    }


def train_points_style() -> dict:
    """Training points: blue filled circles."""
    return points_style(TRAIN_COLOUR, training=True)


def test_points_style() -> dict:
    """Test points: vermillion triangles."""
    return points_style(TEST_COLOUR, training=False)


def true_function_pen() -> QPen:
    """The function the points were drawn from: a black dashed line."""
    return cosmetic_pen(TRUE_FUNCTION_COLOUR, 2, Qt.PenStyle.DashLine)


def prediction_pen() -> QPen:
    """The network's current prediction: the thickest line, so it is the one the eye follows."""
    return cosmetic_pen(PREDICTION_COLOUR, 3.5)


# A 2-pixel antialiased line costs 5–15× a 1-pixel one to draw (with noisy losses, 110 ms against
# 8 ms for a million epochs at 800×400), so long histories switch to the thin pen that pyqtgraph's
# speed examples use; short classroom runs keep the line that reads from the back row.
THICK_LOSS_PEN_MAX_POINTS = 1000


def train_loss_pen(thin: bool = False) -> QPen:
    return cosmetic_pen(TRAIN_COLOUR, 1 if thin else 2)


def test_loss_pen(thin: bool = False) -> QPen:
    return cosmetic_pen(TEST_COLOUR, 1 if thin else 2, Qt.PenStyle.DashLine)


def penalty_pen(thin: bool = False) -> QPen:
    """The weights' penalty beside the data loss (regularisation): orange, dash-dotted."""
    return cosmetic_pen(PENALTY_COLOUR, 1 if thin else 2, Qt.PenStyle.DashDotLine)


def hover_marker_style() -> dict:
    """The dots that mark the epoch under the mouse on the loss plot."""
    return {
        "pen": None,
        "symbol": "o",
        "symbolSize": 11,
        "symbolBrush": pg.mkBrush("w"),
        "symbolPen": pg.mkPen(HOVER_COLOUR, width=2.5),
    }


class GridAxis(pg.AxisItem):
    """An axis whose grid lines are opaque: the same light grey, but cheap to draw.

    pyqtgraph draws a grid as translucent lines, and Qt's raster engine blends translucent
    lines pixel by pixel, about 30 times slower than opaque ones (some 3 ms per axis). A live
    plot repaints its axes on every frame, on the GUI thread, which holds the GIL the training
    thread needs. So each line's colour is blended onto the white background here instead;
    `style_axes` puts the axes beneath the data, so the grid still never hides a point.
    """

    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph's name)
        specs = super().generateDrawSpecs(p)
        if specs is None or self.grid is False:
            return specs
        axis_spec, tick_specs, text_specs = specs
        opaque: dict[int, QPen] = {}  # one pen per tick level, shared by its lines
        lines = []
        for pen, start, stop in tick_specs:
            if id(pen) not in opaque:
                opaque[id(pen)] = _blended_onto_white(pen)
            lines.append((opaque[id(pen)], start, stop))
        return axis_spec, lines, text_specs


def _blended_onto_white(pen: QPen) -> QPen:
    colour, alpha = pen.color(), pen.color().alphaF()
    blended = QPen(pen)
    blended.setColor(QColor(*(round(255 * (1 - alpha) + channel * alpha) for channel in colour.getRgb()[:3])))
    return blended


def grid_axes() -> dict[str, GridAxis]:
    """The `axisItems` for a `pg.PlotWidget` with a cheap grid (see `GridAxis`)."""
    return {side: GridAxis(side) for side in ("bottom", "left")}


AXES_Z = -200  # beneath the ViewBox (z −100) and so beneath every curve and point


def style_axes(plot_item: pg.PlotItem, x_label: str, y_label: str) -> None:
    """Large axis titles and tick numbers, a light grid beneath the data, the same look on every plot."""
    font = QFont()
    font.setPointSize(AXIS_FONT_POINTS)
    for side in ("bottom", "left"):
        axis = plot_item.getAxis(side)
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen(BLACK))
        axis.setPen(pg.mkPen("#555555"))
        axis.setZValue(AXES_Z)
        # Axes and grid change only when the view moves, but a live curve's repaint covers them every
        # frame: copy them from a cache instead of replaying their drawing (~15 % of a frame).
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot_item.setLabel("bottom", x_label, **{"font-size": f"{AXIS_FONT_POINTS + 1}pt"})
    plot_item.setLabel("left", y_label, **{"font-size": f"{AXIS_FONT_POINTS + 1}pt"})
    plot_item.showGrid(x=True, y=True, alpha=0.15)


class StripLegend(pg.LegendItem):
    """A legend whose entries are painted once, into a cache, and then copied.

    The strip reaches a few pixels into the plot, and a live curve's repaint covers the whole
    plot: without the cache, every frame would lay out and draw the legend's text again (some
    10 % of a frame of the fit plot)."""

    def addItem(self, item, name):  # noqa: N802 (pyqtgraph's name)
        super().addItem(item, name)
        sample, label = self.items[-1]
        _paint_once(sample)
        _paint_once(label)


def _paint_once(item: QGraphicsItem) -> None:
    """Cache what `item` and its children paint: repainting it copies pixels (text is costly to lay out)."""
    for part in (item, *item.childItems()):
        part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def legend_strip(plot_item: pg.PlotItem, columns: int) -> pg.LegendItem:
    """A one-row legend in the space above the plot, where it never hides a point or a curve.

    The plot's (empty) title row is reserved for it; entries are added by the caller.
    """
    plot_item.setTitle(" ")  # keeps pyqtgraph's 30-pixel title row, for the legend to sit in
    _paint_once(plot_item.titleLabel)
    legend = StripLegend(
        colCount=columns,
        labelTextSize=f"{AXIS_FONT_POINTS}pt",
        labelTextColor=BLACK,
        horSpacing=12,
        frame=False,
    )
    legend.setParentItem(plot_item)
    legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 1))
    return legend


# --- classes (the decision-boundary map) --------------------------------------------------------------
# One colour per class, Okabe-Ito first (then brown and grey): the points are drawn in it, and the map
# beneath them is shaded towards it where the network is sure. Shape tells training (circles) from
# test points (triangles with a black rim), so neither role depends on colour alone.
CLASS_COLOURS = (ORANGE, BLUE, BLUISH_GREEN, REDDISH_PURPLE, VERMILLION, SKY_BLUE, "#8C6D31", "#666666")
CLASS_SHADE_MAX = 0.4  # where the network is sure, the map is this share of the class colour (the rest white)


def class_colour(k: int) -> str:
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def class_train_points_style(k: int) -> dict:
    """Training points of class k: circles in the class colour with a white rim."""
    return points_style(class_colour(k), training=True)


def class_test_points_style(k: int) -> dict:
    """Test points of class k: triangles in the class colour with a black rim (never trained on)."""
    return points_style(class_colour(k), training=False, rim="#222222")
