"""The hidden-unit instrument: its dock in the window, fed with new runs, live weights and timeline moments.

The view itself (`hidden_units_view.HiddenUnitView`) knows nothing of the session: this module
hands it the model when a run is replaced and the weights the `ParameterFeed` delivers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from nnstudio.gui.app_context import HIDDEN_UNITS, PLOTS
from nnstudio.gui.instruments.hidden_units_view import HiddenUnitView
from nnstudio.gui.instruments.instrument_support import ParameterFeed, add_dock, on_shown

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

DOCK_TOOLTIP = "Hidden units: each unit's curve, and how they add up to the prediction (Ctrl+2)"


class HiddenUnitsInstrument(QObject):
    """The dock, fed through the context: new runs, live weights, timeline moments.

    The view is built the first time it is needed (its dock shown, or a unit highlighted), so a
    window whose hidden-unit view is never opened does not pay for its plot.
    """

    unit_highlighted = Signal(int, int)  # the view's, once it exists: (layer, unit); (0, -1) cleared

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self._view: HiddenUnitView | None = None
        self.dock = add_dock(context, "dock.hidden_units", "Hidden units", QWidget(), "Ctrl+2", DOCK_TOOLTIP)
        self.feed = ParameterFeed(context, self.dock, also_active=self._overlay_on)
        self.feed.run_replaced.connect(self._on_run_replaced)
        self.feed.parameters_changed.connect(lambda parameters: self.view.set_parameters(parameters))
        on_shown(self.dock, lambda: self.view)  # built when first shown

    @property
    def view(self) -> HiddenUnitView:
        if self._view is None:
            view = HiddenUnitView(self.context.get(PLOTS).fit_plot)
            self._view = view
            self.dock.setWidget(view)
            if self.feed.state is not None:
                view.set_model(list(self.feed.state.layers), self.feed.state.dataset)
            view.overlay_check.toggled.connect(self._on_overlay_toggled)
            view.unit_highlighted.connect(self.unit_highlighted)
        return self._view

    def _overlay_on(self) -> bool:
        return self._view is not None and self._view.overlay_check.isChecked()

    def _on_run_replaced(self, state) -> None:
        if self._view is not None:
            self._view.set_model(list(state.layers), state.dataset)

    def _on_overlay_toggled(self, on: bool) -> None:
        if on:  # the overlay stays live even when the dock is closed
            self.feed.refresh()

    def highlight_unit(self, layer: int, unit: int | None) -> None:
        self.view.highlight_unit(layer, unit)


def install(context: AppContext) -> HiddenUnitsInstrument:
    return context.register(HIDDEN_UNITS, HiddenUnitsInstrument(context))
