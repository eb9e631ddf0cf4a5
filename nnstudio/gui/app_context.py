"""What panels, instruments and lessons get instead of the window: the application context.

`AppContext` holds the training session (its commands and its `state_changed` / `run_replaced`
/ `snapshot_ready` signals), the window's frames (`frame_ready`: the latest snapshot, at most ~30
times a second, with the weights while training), status messages, the settings, and a registry
of what the window is made of — docks, menus, actions, plots and instruments — by id. Nothing is
found by its title, its text or an attribute of the window: an instrument registers what it
offers under an id (`register`), and asks for what another offers with `when_available(id, use)`,
which calls `use` at once or as soon as it is registered, so the order of installing does not
matter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from nnstudio.core.engine.trainer import RunState
from nnstudio.gui.actions import make_action
from nnstudio.gui.dock_keys import raise_with_its_key
from nnstudio.gui.pacing import (
    FRAME_SECONDS,
    FULL_SPEED_FRAME_SECONDS,
    NUMBERS_SECONDS_AT_FULL_SPEED,
    ReadableRate,
)
from nnstudio.gui.session import TrainingSession
from nnstudio.gui.settings import Settings

# Ids of what the window registers (instruments add their own: "dock.<name>", "action.<name>"...).
FILE_MENU, EDIT_MENU, VIEW_MENU, INSTRUMENTS_MENU, TRAIN_MENU, HELP_MENU = (
    "menu.file",
    "menu.edit",
    "menu.view",
    "menu.instruments",
    "menu.train",
    "menu.help",
)
SAVE_ACTION = "action.save"
PLOTS = "plots"  # the PredictionPlots (fit plot, decision boundary) and, beside it, the loss plot
LOSS_PLOT = "plot.loss"
PLOT_AREA = "plot.area"  # the splitter that holds the plots: bars may be added under them
TRAINING_CONTROLS = "controls.training"
TRAINING_TOOLBAR = "toolbar.training"
FILE_ACTIONS = "file_actions"
TIMELINE = "timeline"
HIDDEN_UNITS = "hidden_units"
STEP_INSPECTOR = "step_inspector"


class AppContext(QObject):
    """The session, the frames, status messages, settings, and the registry of docks, menus and actions."""

    frame_ready = Signal(object)  # Snapshot, once per redraw; a change's has no parameters (its RunState has)

    def __init__(self, host: QMainWindow, session: TrainingSession, settings: Settings) -> None:
        super().__init__(host)
        self.host = host  # the parent for dialogs, actions and docks; not a place to look things up
        self.session = session
        self.settings = settings
        self.pace: float | None = None  # epochs per second while training, None = full speed (the speed control's)
        # At full speed the numbers on screen (status bar, metrics, timeline) change together, 10 times a second.
        self.readable_numbers = ReadableRate(NUMBERS_SECONDS_AT_FULL_SPEED)
        self.stop_below: float | None = None  # stop when the epoch loss falls below it
        self._registry: dict[str, Any] = {}
        self._waiting: dict[str, list[Callable[[Any], None]]] = {}
        self._instrument_docks: list[QDockWidget] = []
        self._show_message: Callable[[str, int], None] = lambda _text, _ms: None
        self._draw_now: Callable[[], None] = lambda: None
        self._frame_seconds: Callable[[], float] = lambda: FULL_SPEED_FRAME_SECONDS

    # --- the run --------------------------------------------------------------------------------

    @property
    def state(self) -> RunState | None:
        """The run as the last job left it (None until the first experiment is loaded)."""
        return self.session.state

    def goals(self, **goals) -> dict:
        """`Trainer.run()`'s goals as the window trains: its pace (asked before every step, so that the
        speed control acts at once), news as often as frames are drawn (asked after each: the window draws
        less often when its frames cost more), its stop-below, weights in every frame."""
        return {
            "epochs_per_second": lambda: self.pace,
            "snapshot_interval": self._frame_seconds,
            "paced_interval": FRAME_SECONDS,
            "stop_below": self.stop_below,
            "with_parameters": True,
            **goals,
        }

    def play_pause(self) -> None:
        if self.session.is_training:
            self.session.pause()
        else:
            self.session.play(**self.goals())

    def step(self, count: int = 1) -> None:
        if not self.session.is_training:
            self.session.step(count, **self.goals(stop_below=None))

    def run_to(self, epoch: int) -> None:
        if not self.session.is_training:
            self.session.run(**self.goals(until_epoch=epoch))

    def draw_now(self) -> None:
        """Draw the latest frame at once, rather than at the next tick of the redraw timer."""
        self._draw_now()

    # --- status messages ------------------------------------------------------------------------

    def show_message(self, text: str, milliseconds: int = 8000) -> None:
        self._show_message(text, milliseconds)

    def set_message_sink(
        self, show: Callable[[str, int], None], draw_now: Callable[[], None], frame_seconds: Callable[[], float]
    ) -> None:
        """The window says where messages go, how it draws a frame now and how often it draws frames at
        full speed (once, while assembling; `frame_seconds` is asked from the training thread)."""
        self._show_message, self._draw_now, self._frame_seconds = show, draw_now, frame_seconds

    # --- the registry ---------------------------------------------------------------------------

    def register(self, item_id: str, item: Any) -> Any:
        """Offer `item` under `item_id`; whoever waits for it gets it now."""
        if item_id in self._registry:
            raise ValueError(f"{item_id} is registered twice")
        self._registry[item_id] = item
        for use in self._waiting.pop(item_id, []):
            use(item)
        return item

    def get(self, item_id: str) -> Any:
        """What is registered under `item_id` (a KeyError names it when nothing is)."""
        return self._registry[item_id]

    def find(self, item_id: str) -> Any | None:
        return self._registry.get(item_id)

    def when_available(self, item_id: str, use: Callable[[Any], None]) -> None:
        """Call `use(item)` now if `item_id` is registered, else as soon as it is."""
        if item_id in self._registry:
            use(self._registry[item_id])
        else:
            self._waiting.setdefault(item_id, []).append(use)

    # --- docks, menus and actions ---------------------------------------------------------------

    def menu(self, item_id: str) -> QMenu:
        return self.get(item_id)

    def action(self, item_id: str, text: str, slot=None, shortcut: str | None = None, tooltip: str = "", **kwargs):
        """A window-wide action (shortcut anywhere in the window), registered under `item_id`."""
        action: QAction = make_action(self.host, text, slot, shortcut, tooltip, window_shortcut=True, **kwargs)
        return self.register(item_id, action)

    def add_dock(self, item_id: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.host)
        dock.setObjectName(title.lower().replace(" ", "_"))  # the saved layout knows docks by this name
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.host.addDockWidget(area, dock)
        raise_with_its_key(dock)  # behind another tab, its key brings it to the front rather than hiding it
        return self.register(item_id, dock)

    def add_instrument_dock(
        self, item_id: str, title: str, widget: QWidget, shortcut: str | None, tooltip: str
    ) -> QDockWidget:
        """An instrument's dock on the right (tabbed with the others), hidden until asked for."""
        dock = self.add_dock(item_id, title, widget, Qt.DockWidgetArea.RightDockWidgetArea)
        if self._instrument_docks:
            self.host.tabifyDockWidget(self._instrument_docks[-1], dock)
        self._instrument_docks.append(dock)
        dock.hide()
        toggle = dock.toggleViewAction()
        toggle.setToolTip(tooltip)
        toggle.setStatusTip(tooltip)
        if shortcut:
            toggle.setShortcut(QKeySequence(shortcut))
        self.menu(INSTRUMENTS_MENU).addAction(toggle)
        return dock

    @property
    def instrument_docks(self) -> list[QDockWidget]:
        return list(self._instrument_docks)
