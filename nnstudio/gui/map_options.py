"""The two-input maps' toggles, as in TensorFlow Playground: "Discretize output" and "Show test data".

Two checkable actions in the View menu. They change how the decision boundary and the regression
heat map are drawn, never the run, so they are view preferences (remembered in the settings, not
saved with the experiment).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from nnstudio.gui import app_context as ids
from nnstudio.gui.app_context import AppContext
from nnstudio.gui.plots.prediction_plots import PredictionPlots

DISCRETIZE_ACTION, TEST_DATA_ACTION = "action.discretize_output", "action.show_test_data"


class MapOptions(QObject):
    """The toggles' actions, kept in step with the settings and applied to both maps."""

    def __init__(self, context: AppContext, plots: PredictionPlots) -> None:
        super().__init__(context.host)
        self._settings, self._plots = context.settings, plots
        self.discretize = context.action(
            DISCRETIZE_ACTION,
            "&Discretize Output",
            None,
            "D",
            "On the two-input maps: hard class colours instead of how sure the network is; "
            "for numbers, the heat map in a few bands",
            checkable=True,
        )
        self.show_test_data = context.action(
            TEST_DATA_ACTION,
            "Show &Test Data",
            None,
            "T",
            "On the two-input maps: draw the test points (triangles) or hide them",
            checkable=True,
        )
        menu = context.menu(ids.VIEW_MENU)
        menu.addSeparator()
        for name, action in self._actions():
            action.setChecked(self._settings.map_option(name))
            action.toggled.connect(lambda on, n=name: self._on_toggled(n, on))
            menu.addAction(action)
        self._apply()

    def _actions(self) -> tuple[tuple[str, QAction], ...]:
        return (("discretize_output", self.discretize), ("show_test_data", self.show_test_data))

    def _on_toggled(self, name: str, on: bool) -> None:
        self._settings.set_map_option(name, on)
        self._apply()

    def _apply(self) -> None:
        for plot in self._plots.maps:
            plot.set_discrete(self.discretize.isChecked())
            plot.set_test_shown(self.show_test_data.isChecked())
