"""The hidden-unit view: the prediction taken apart into one simple curve per hidden unit.

For one input and one hidden layer, each unit j adds c_j(x) = w2_j · g(w1_j · x + b1_j) to the
output, so the class sees the ReLU hinges (or tanh steps) add up, with the output bias b2, to
the green prediction of the fit plot. Curves are coloured by the sign of w2_j, ReLU elbows are
marked, and the same curves can be drawn on the fit plot itself. For other networks the view
shows each unit's output a_j over x for a chosen hidden layer.

The numbers come from `nnstudio.core.teaching.hidden_units`, in the data's original units (y_sd · c_j,
offset y_sd · b2 + y_mean), as the fit curve is. One forward pass over the 256-point grid per
frame is cheap enough for the GUI thread (well under a millisecond for 64 units). What to draw is
computed in `hidden_unit_curves`, the words in `hidden_unit_captions`; `hidden_units_instrument`
puts the view in its dock and feeds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.model import DenseLayer
from nnstudio.gui import style
from nnstudio.gui.instruments.hidden_unit_captions import KEEP, caption, describe_unit, legend_entries
from nnstudio.gui.instruments.hidden_unit_curves import (
    CONTRIBUTIONS,
    HINGED,
    MAPS,
    OUTPUTS,
    ShownCurves,
    curve_choices,
    elbows,
    nearest_unit,
    shown_curves,
    shown_maps,
)
from nnstudio.gui.instruments.hidden_unit_maps import MAX_MAPS, UnitMaps
from nnstudio.gui.instruments.instrument_support import (
    HIGHLIGHT_COLOUR,
    NEGATIVE_LIGHT,
    POSITIVE_LIGHT,
    READOUT_POINTS,
    set_axis_label,
    text_label,
)

if TYPE_CHECKING:
    from nnstudio.gui.plots.fit_plot import FitPlot

# Layer outputs cycle through the palette, minus the purple that marks the highlighted unit.
OUTPUT_COLOURS = (style.BLUE, style.VERMILLION, style.BLUISH_GREEN, style.ORANGE, style.SKY_BLUE)
PICK_PIXELS = 12  # how near the mouse a curve must be to be picked


class HiddenUnitView(QWidget):
    """The plot of unit curves with a layer chooser; optionally mirrored on the fit plot."""

    unit_highlighted = Signal(int, int)  # (layer, unit); (0, -1) when the highlight is cleared

    def __init__(self, fit_plot: FitPlot | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.fit_plot = fit_plot
        self.layers: list[DenseLayer] = []
        self.dataset: Dataset | None = None
        self.parameters: dict[str, np.ndarray] | None = None
        self.shown: ShownCurves | None = None
        self.highlighted: tuple[int, int] | None = None
        colours = (POSITIVE_LIGHT, NEGATIVE_LIGHT, *OUTPUT_COLOURS)
        self._pens = {colour: style.cosmetic_pen(colour, 1.5) for colour in colours}
        self._curves: list[pg.PlotCurveItem] = []
        self._overlay: list[pg.PlotCurveItem] = []
        self._build_controls()
        self._build_plot()
        self._build_overlay_items()
        self.maps = UnitMaps()
        self.maps.hide()
        self.maps.unit_clicked.connect(lambda unit: self.shown and self.highlight_unit(self.shown.layer, unit))
        self.maps.unit_hovered.connect(self._on_map_hovered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._controls)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.maps, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.readout)
        layout.addStretch(0)  # takes the room only when there is no plot, so the caption stays on top
        self._show_caption()

    # --- building ---------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip(
            "What to draw: each hidden unit's share of the prediction (one hidden layer),\n"
            "or each unit's output over x for one hidden layer"
        )
        self.layer_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_combo.setMinimumContentsLength(16)  # long entries must not widen the window
        self.overlay_check = QCheckBox("Also on the fit plot")
        self.overlay_check.setToolTip(
            "Draw the units' curves on the fit plot too, beneath the prediction they add up to"
        )
        self.overlay_check.toggled.connect(self._redraw)
        self._controls = QHBoxLayout()
        show = QLabel("Show:")
        show.setToolTip(self.layer_combo.toolTip())
        self._controls.addWidget(show)
        self._controls.addWidget(self.layer_combo, 1)
        self._controls.addWidget(self.overlay_check)
        self.caption = text_label(tooltip="What the curves are, in symbols")
        self.legend = text_label("", READOUT_POINTS, "#000000", "What each kind of line on the plot is")
        self.readout = text_label(
            "Point at a curve to see its unit; click to highlight it.",
            READOUT_POINTS,
            "#000000",
            "The unit under the mouse, or the highlighted unit: its weights",
        )

    def _build_plot(self) -> None:
        self.plot_widget = style.white_plot(axisItems=style.grid_axes(), enableMenu=False)
        self.plot_widget.setToolTip("")
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        style.style_axes(self.plot_item, "x", "contribution to ŷ")
        self.plot_item.getAxis("left").enableAutoSIPrefix(False)  # no "(x0.001)": the numbers are y's own
        self.sum_curve = pg.PlotDataItem(pen=style.prediction_pen(), connect="finite")
        self.sum_curve.setZValue(20)
        offset_pen = style.cosmetic_pen("#555555", 2, Qt.PenStyle.DotLine)
        self.offset_line = pg.InfiniteLine(angle=0, pen=offset_pen)
        self.offset_line.setZValue(15)
        self.elbows = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1))
        self.elbows.setZValue(18)
        self.highlight_curve = pg.PlotCurveItem(pen=style.cosmetic_pen(HIGHLIGHT_COLOUR, 4), connect="finite")
        self.highlight_curve.setZValue(30)
        for item in (self.sum_curve, self.elbows, self.highlight_curve):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.offset_line, ignoreBounds=True)
        self.plot_item.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot_item.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def _build_overlay_items(self) -> None:
        self.overlay_highlight = pg.PlotCurveItem(pen=style.cosmetic_pen(HIGHLIGHT_COLOUR, 3.5), connect="finite")
        if self.fit_plot is not None:
            self.fit_plot.plot_item.addItem(self.overlay_highlight, ignoreBounds=True)
            self.overlay_highlight.setZValue(8)
        self.overlay_highlight.hide()

    # --- public -----------------------------------------------------------------------------------

    def set_model(self, layers: list[DenseLayer], dataset: Dataset) -> None:
        """A new network or new data: offer its hidden layers; the curves come with its weights."""
        previous = self.layer_combo.currentData()
        self.layers, self.dataset, self.parameters, self.shown = list(layers), dataset, None, None
        self.highlighted = None
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for text, choice in curve_choices(self.layers, dataset):
            self.layer_combo.addItem(text, choice)
        index = self._choice_index(previous)
        self.layer_combo.setCurrentIndex(max(index, 0))
        self.layer_combo.setEnabled(self.layer_combo.count() > 0)
        self.layer_combo.blockSignals(False)
        thing = "curve" if dataset.n_inputs == 1 else "map"
        self.readout.setText(f"Point at a {thing} to see its unit; click to highlight it.")
        self._redraw()

    def _choice_index(self, choice: tuple[str, int] | None) -> int:
        """The combo row of a (mode, layer) choice, or −1 (findData does not compare Python tuples)."""
        for index in range(self.layer_combo.count()):
            if self.layer_combo.itemData(index) == choice:
                return index
        return -1

    def set_parameters(self, parameters: dict[str, np.ndarray]) -> None:
        self.parameters = parameters
        self._redraw()

    @property
    def choice(self) -> tuple[str, int] | None:
        return self.layer_combo.currentData()

    def highlight_unit(self, layer: int, unit: int | None) -> None:
        """Draw unit `unit` of hidden layer `layer` (1-based) thick; None clears the highlight.

        If the view shows another layer, it switches to the one asked for.
        """
        if unit is None or layer < 1 or layer >= len(self.layers) or not 0 <= unit < self.layers[layer - 1].n_out:
            self.highlighted = None
        else:
            self.highlighted = (layer, int(unit))
            choice = self.choice
            if choice is None or choice[1] != layer:
                index = self._choice_index((CONTRIBUTIONS, layer))
                if index < 0:
                    index = self._choice_index((OUTPUTS, layer))
                if index < 0:
                    index = self._choice_index((MAPS, layer))
                if index >= 0:
                    self.layer_combo.setCurrentIndex(index)  # redraws
        self._redraw()
        self.unit_highlighted.emit(*(self.highlighted or (0, -1)))

    def curve_data(self, unit: int) -> np.ndarray | None:
        """The drawn curve of `unit` (its y values), or None when it has no curve of its own."""
        for curve in self._curves:
            if curve.isVisible() and curve.property("unit") == unit:
                return curve.getData()[1]
        return None

    def overlay_curve_count(self) -> int:
        return sum(curve.isVisible() for curve in self._overlay)

    # --- drawing ----------------------------------------------------------------------------------

    def _on_choice_changed(self) -> None:
        if self.highlighted is not None and self.choice is not None and self.highlighted[0] != self.choice[1]:
            self.highlighted = None
        self._redraw()

    def _redraw(self) -> None:
        choice = self.choice
        maps = choice is not None and choice[0] == MAPS
        self.plot_widget.setVisible(choice is not None and not maps)  # nothing to draw: only the caption says why
        self.maps.setVisible(maps)
        self.readout.setVisible(choice is not None)
        self.overlay_check.setEnabled(self.fit_plot is not None and choice is not None and choice[0] == CONTRIBUTIONS)
        if choice is None or self.parameters is None or self.dataset is None:
            self.shown = None
            self._draw_empty()
            return
        if maps:
            self._draw_maps(choice[1])
            return
        mode, layer = choice
        shown = shown_curves(self.layers, self.parameters, self.dataset, mode, layer)
        self.shown = shown
        self._draw_curves(shown)
        self._draw_sum_and_elbows(shown)
        self._draw_highlight(shown)
        self._show_caption()

    def _draw_maps(self, layer: int) -> None:
        """Two inputs: each unit's output over the 2-D grid, one heat map a unit, one colour scale a layer."""
        shown = shown_maps(self.layers, self.parameters, self.dataset, layer, MAX_MAPS)
        self.shown = shown
        for curve in (*self._curves, *self._overlay):
            curve.hide()
        self.highlight_curve.setData([], [])
        self.overlay_highlight.hide()
        self.maps.set_maps(shown.values, self.dataset, len(shown.drawn_units))
        unit = self._highlighted_unit(shown)
        self.maps.set_highlighted(unit)
        if unit is not None:
            self.readout.setText(self._describe(shown, unit, "Highlighted"))
        self._update_legend(shown)
        self._show_caption()

    def _on_map_hovered(self, unit: int) -> None:
        if self.shown is not None and self.shown.mode == MAPS and unit < self.shown.values.shape[1]:
            self.readout.setText(self._describe(self.shown, unit, "Unit"))

    def _draw_empty(self) -> None:
        for curve in (*self._curves, *self._overlay):
            curve.hide()
        self.sum_curve.setData([], [])
        self.elbows.setData([], [])
        self.highlight_curve.setData([], [])
        self.overlay_highlight.hide()
        self.offset_line.hide()
        self.maps.clear_maps()
        self._update_legend(None)
        self._show_caption()

    def _draw_curves(self, shown: ShownCurves) -> None:
        units = shown.drawn_units
        overlay = self.fit_plot is not None and self.overlay_check.isChecked() and shown.mode == CONTRIBUTIONS
        self._grow(self._curves, len(units), self.plot_item, z=10)
        if overlay:
            self._grow(self._overlay, len(units), self.fit_plot.plot_item, z=2)
        colours = self._unit_colours(shown)
        x = np.ascontiguousarray(shown.x, dtype=np.float64)
        for slot, unit in enumerate(units):
            y = np.ascontiguousarray(shown.values[:, unit], dtype=np.float64)
            for pool, show in ((self._curves, True), (self._overlay, overlay)):
                if not show:
                    continue
                curve = pool[slot]
                if curve.property("colour") != colours[unit]:
                    curve.setPen(self._pens[colours[unit]])
                    curve.setProperty("colour", colours[unit])
                curve.setProperty("unit", int(unit))
                curve.setData(x, y)
                curve.show()
        for curve in self._curves[len(units) :]:
            curve.hide()
        for curve in self._overlay[len(units) if overlay else 0 :]:
            curve.hide()

    def _grow(self, pool: list[pg.PlotCurveItem], count: int, plot_item: pg.PlotItem, z: float) -> None:
        """Curves are created once and reused; a bigger layer adds the missing ones."""
        while len(pool) < count:
            curve = pg.PlotCurveItem(connect="finite")
            curve.setZValue(z)
            plot_item.addItem(curve, ignoreBounds=plot_item is not self.plot_item)
            pool.append(curve)

    def _unit_colours(self, shown: ShownCurves) -> list[str]:
        if shown.mode == CONTRIBUTIONS:
            w2 = self.parameters[self.layers[1].weight_name][:, 0]
            return [POSITIVE_LIGHT if w >= 0 else NEGATIVE_LIGHT for w in w2]
        return [OUTPUT_COLOURS[unit % len(OUTPUT_COLOURS)] for unit in range(shown.values.shape[1])]

    def _draw_sum_and_elbows(self, shown: ShownCurves) -> None:
        if shown.mode != CONTRIBUTIONS:
            self.sum_curve.setData([], [])
            self.elbows.setData([], [])
            self.offset_line.hide()
            self._update_legend(shown)
            return
        self.sum_curve.setData(shown.x, np.where(np.isfinite(shown.total), shown.total, np.nan))
        self.offset_line.setValue(shown.offset if np.isfinite(shown.offset) else 0.0)
        self.offset_line.setVisible(bool(np.isfinite(shown.offset)))
        hidden = self.layers[0]
        if hidden.activation in HINGED and self.dataset.uses_raw_inputs:  # features: no single elbow in x
            x_at, units = elbows(self.layers, self.parameters, self.dataset.scaler, shown)
            w2 = self.parameters[self.layers[1].weight_name][units, 0]
            brushes = [pg.mkBrush(POSITIVE_LIGHT if w >= 0 else NEGATIVE_LIGHT) for w in w2]
            self.elbows.setData(x_at, np.zeros(len(x_at)), brush=brushes)
        else:
            self.elbows.setData([], [])
        self._update_legend(shown)

    def _draw_highlight(self, shown: ShownCurves) -> None:
        unit = self._highlighted_unit(shown)
        if unit is None:
            self.highlight_curve.setData([], [])
            self.overlay_highlight.hide()
            return
        y = np.ascontiguousarray(shown.values[:, unit], dtype=np.float64)
        self.highlight_curve.setData(shown.x, y)
        if self.fit_plot is not None and self.overlay_check.isChecked() and shown.mode == CONTRIBUTIONS:
            self.overlay_highlight.setData(shown.x, y)
            self.overlay_highlight.show()
        else:
            self.overlay_highlight.hide()
        self.readout.setText(self._describe(shown, unit, "Highlighted"))

    def _highlighted_unit(self, shown: ShownCurves) -> int | None:
        if self.highlighted is None or self.highlighted[0] != shown.layer:
            return None
        return self.highlighted[1] if self.highlighted[1] < shown.values.shape[1] else None

    def _update_legend(self, shown: ShownCurves | None) -> None:
        entries = legend_entries(self.layers, shown)
        text = " &nbsp;&nbsp; ".join(entries)
        if text != self.legend.text():
            self.legend.setText(text)
        self.legend.setVisible(bool(entries))

    def _show_caption(self) -> None:
        overlay_on = self.overlay_check.isChecked()
        words = caption(
            self.layers, self.dataset, self.shown, self.choice is not None, overlay_on, self.maps.levels()[1]
        )
        if words is None:
            return
        text, axis_label = words
        self.caption.setText(text)
        if axis_label is not KEEP:
            set_axis_label(self.plot_item, "left", axis_label)

    # --- the mouse --------------------------------------------------------------------------------

    def unit_near(self, scene_position) -> int | None:
        """The drawn unit whose curve passes within PICK_PIXELS of a scene point, or None."""
        shown = self.shown
        view = self.plot_item.getViewBox()
        if shown is None or not len(shown.drawn_units) or not view.sceneBoundingRect().contains(scene_position):
            return None
        point = view.mapSceneToView(scene_position)
        return nearest_unit(shown, point.x(), point.y(), PICK_PIXELS * view.viewPixelSize()[1])

    def _on_mouse_moved(self, scene_position) -> None:
        unit = self.unit_near(scene_position)
        if unit is not None and self.shown is not None:
            self.readout.setText(self._describe(self.shown, unit, "Unit"))

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.shown is None:
            return
        unit = self.unit_near(event.scenePos())
        self.highlight_unit(self.shown.layer, unit)

    def _describe(self, shown: ShownCurves, unit: int, prefix: str) -> str:
        return describe_unit(self.layers, self.parameters, self.dataset, shown, unit, prefix)
