"""The network diagram instrument: its dock, its feed of weights, and the gradients of the last step.

The drawing itself is `NetworkDiagram` (network_diagram_view): nodes by layer, one line per weight,
live as the network learns; clicking a hidden node highlights that unit in the hidden-unit view;
double-clicking a line or a node opens a box to set that weight or bias by hand (through the session,
so the fit, the loss and every instrument follow, the document is unsaved and Back undoes it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from nnstudio.core.engine.trainer import RunState
from nnstudio.gui.app_context import HIDDEN_UNITS
from nnstudio.gui.instruments.diagram_canvas import MAX_EDGES_PER_LAYER
from nnstudio.gui.instruments.diagram_texts import READOUT_PROMPT
from nnstudio.gui.instruments.instrument_support import ParameterFeed, add_dock, on_shown
from nnstudio.gui.instruments.network_diagram_view import NetworkDiagram
from nnstudio.gui.session import RESTING

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

__all__ = ["MAX_EDGES_PER_LAYER", "READOUT_PROMPT", "NetworkDiagram", "NetworkDiagramInstrument", "install"]

DOCK_TOOLTIP = (
    "Network diagram: every weight as a line, colour = sign, width = size; double-click a weight or a node to edit it"
    " (Ctrl+3)"
)
PAST_EDIT_REFUSED = "That is a past moment: go to the present on the timeline to edit a weight."


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
        self.diagram.entry_double_clicked.connect(self._on_entry_double_clicked)
        self.diagram.editor.value_entered.connect(self.session.set_parameter)
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

    def _on_entry_double_clicked(self, parameter: str, index: tuple[int, ...], position) -> None:
        if self.feed.is_past:  # the diagram shows recorded weights, the edit would change the present ones
            self.context.show_message(PAST_EDIT_REFUSED)
            return
        self.diagram.open_editor(parameter, index, position)

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
