"""Teaching instruments: each module builds one instrument from the application context.

Every module's `install(context)` gets the `AppContext`, never the window: an instrument listens
to `context.frame_ready` (the latest snapshot, weights included, at most ~30 per second) and to
the session's `state_changed` / `run_replaced` (a frozen `RunState`), sends commands through
`context.session`, adds its dock with `context.add_instrument_dock()` and registers what it offers
others under an id. To add an instrument, write a module with `install(context)` and name it below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

# The order only decides the order of the docks' tabs and menu entries: instruments that use each
# other find each other through the context's registry, whenever the other one is installed.
INSTRUMENT_MODULES: tuple[str, ...] = (
    "timeline",
    "step_inspector",
    "presentation",
    "hidden_units_instrument",
    "network_diagram",
    "backprop_walkthrough",
    "landscape_instrument",
    "runs_instrument",
)


def install_instruments(context: AppContext) -> None:
    for name in INSTRUMENT_MODULES:
        importlib.import_module(f"nnstudio.gui.instruments.{name}").install(context)
