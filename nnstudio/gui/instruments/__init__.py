"""Teaching instruments: each module builds one instrument and adds it to the window.

Every `install(window)` gets the `MainWindow`; an instrument listens to `window.frame_ready`
(the latest snapshot, parameters included, at most ~30 per second) and to
`window.session.trainer_changed`, asks the worker for work through `window.session.use_trainer()`
or `window.session.compute()`, and adds its dock with `window.add_instrument_dock()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

INSTRUMENT_MODULES: tuple[str, ...] = ("timeline", "step_inspector", "presentation")
# The hidden-unit view, network diagram, loss landscape and run comparison (hidden_units_view comes
# before network_diagram, which links its nodes to the hidden units).
INSTRUMENT_MODULES += ("hidden_units_view", "network_diagram", "landscape_view", "runs_view")


def install_instruments(window: MainWindow) -> None:
    import importlib

    for name in INSTRUMENT_MODULES:
        importlib.import_module(f"nnstudio.gui.instruments.{name}").install(window)
