"""The prediction, on the plot that suits the data: the fit plot, the decision map for two-input classes,
or the regression heat map for two-input numbers."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.regression_map_plot import RegressionMapPlot


class PredictionPlots(QStackedWidget):
    """The three plots, one on screen; `current` is the one the user is looking at."""

    def __init__(self) -> None:
        super().__init__()
        self.fit_plot = FitPlot()
        self.boundary_plot = DecisionBoundaryPlot()
        self.regression_map = RegressionMapPlot()
        for plot in (self.fit_plot, self.boundary_plot, self.regression_map):
            self.addWidget(plot)

    @property
    def current(self) -> FitPlot | DecisionBoundaryPlot | RegressionMapPlot:
        shown = self.currentWidget()
        return shown if shown in (self.boundary_plot, self.regression_map) else self.fit_plot

    @property
    def maps(self) -> tuple[DecisionBoundaryPlot, RegressionMapPlot]:
        """The two-input maps, which the "Discretize output" and "Show test data" toggles change."""
        return self.boundary_plot, self.regression_map

    def show_dataset(self, dataset: Dataset) -> None:
        # The fit plot always gets the data, so whatever draws on it (the timeline) finds a matching grid.
        self.fit_plot.set_dataset(dataset)
        if dataset.grid_shape is None:
            self.setCurrentWidget(self.fit_plot)
            return
        plot = self.boundary_plot if dataset.is_classification else self.regression_map
        plot.set_dataset(dataset)
        self.setCurrentWidget(plot)
