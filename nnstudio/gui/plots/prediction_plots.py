"""The prediction, on the plot that suits the data: the fit plot, the decision map for two-input classes,
or the regression heat map for two-input numbers.

Data with more inputs than a plot has axes gets a plot of its own (many_inputs_plots.py): predicted
against actual for numbers, a slice of the decision map for classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStackedWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.many_inputs_plots import ClassSlicePlot, PredictedActualPlot
from nnstudio.gui.plots.regression_map_plot import RegressionMapPlot

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext


class PredictionPlots(QStackedWidget):
    """Every plot, one on screen; `current` is the one the user is looking at."""

    def __init__(self) -> None:
        super().__init__()
        self.fit_plot = FitPlot()
        self.boundary_plot = DecisionBoundaryPlot()
        self.regression_map = RegressionMapPlot()
        self.predicted_actual_plot = PredictedActualPlot()
        self.class_slice_plot = ClassSlicePlot()
        many_inputs = (self.predicted_actual_plot, self.class_slice_plot)
        for plot in (self.fit_plot, self.boundary_plot, self.regression_map, *many_inputs):
            self.addWidget(plot)

    @property
    def current(self) -> FitPlot | DecisionBoundaryPlot | RegressionMapPlot | PredictedActualPlot | ClassSlicePlot:
        return self.currentWidget()

    @property
    def maps(self) -> tuple[DecisionBoundaryPlot, RegressionMapPlot]:
        """The two-input maps, which the "Discretize output" and "Show test data" toggles change."""
        return self.boundary_plot, self.regression_map

    def follow(self, context: AppContext) -> None:
        """Give the slice map each frame's weights: a slice the trainer does not predict on is predicted from them."""

        def on_frame(snapshot) -> None:
            state = context.state
            if self.currentWidget() is self.class_slice_plot and state is not None:
                parameters = snapshot.parameters or state.parameters
                self.class_slice_plot.set_weights(state.layers, parameters, state.experiment.training.loss)

        context.frame_ready.connect(on_frame)

    def show_dataset(self, dataset: Dataset) -> None:
        # The fit plot always gets the data, so whatever draws on it (the timeline) finds a matching grid.
        self.fit_plot.set_dataset(dataset)
        if dataset.predicts_points:
            self.predicted_actual_plot.set_dataset(dataset)
            self.setCurrentWidget(self.predicted_actual_plot)
            return
        if dataset.grid_shape is not None and dataset.is_classification and dataset.n_inputs > 2:
            self.class_slice_plot.set_dataset(dataset)
            self.setCurrentWidget(self.class_slice_plot)
            return
        if dataset.grid_shape is None:
            self.setCurrentWidget(self.fit_plot)
            return
        plot = self.boundary_plot if dataset.is_classification else self.regression_map
        plot.set_dataset(dataset)
        self.setCurrentWidget(plot)
