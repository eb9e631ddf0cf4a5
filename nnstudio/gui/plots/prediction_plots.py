"""The prediction, on the plot that suits the data: the fit plot, or the decision map for two-input classes."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot


class PredictionPlots(QStackedWidget):
    """Both plots, one on screen; `current` is the one the user is looking at."""

    def __init__(self) -> None:
        super().__init__()
        self.fit_plot = FitPlot()
        self.boundary_plot = DecisionBoundaryPlot()
        self.addWidget(self.fit_plot)
        self.addWidget(self.boundary_plot)

    @property
    def current(self) -> FitPlot | DecisionBoundaryPlot:
        return self.boundary_plot if self.currentWidget() is self.boundary_plot else self.fit_plot

    def show_dataset(self, dataset: Dataset) -> None:
        # The fit plot always gets the data, so whatever draws on it (the timeline) finds a matching grid.
        self.fit_plot.set_dataset(dataset)
        if dataset.grid_shape is not None:
            self.boundary_plot.set_dataset(dataset)
            self.setCurrentWidget(self.boundary_plot)
        else:
            self.setCurrentWidget(self.fit_plot)
