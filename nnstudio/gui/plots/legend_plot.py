"""What the fit plot and the decision map share: one pyqtgraph plot in the app's style, a legend strip above it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nnstudio.gui import style


class LegendPlot(QWidget):
    """A plot filling the widget, axes styled and labelled, pyqtgraph's own menu off, a legend in columns."""

    def __init__(
        self, x_label: str, y_label: str, legend_columns: int, tooltip: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.plot_widget = style.white_plot(axisItems=style.grid_axes())
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        style.style_axes(self.plot_item, x_label, y_label)
        self.plot_item.setMenuEnabled(False)  # pyqtgraph's own menu offers settings that fight ours
        self.legend = style.legend_strip(self.plot_item, columns=legend_columns)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.setToolTip(tooltip)

    def auto_range(self) -> None:
        """Fit the view to the items that count for its bounds (not to a wild prediction)."""
        self.plot_item.enableAutoRange()

    def legend_names(self) -> list[str]:
        return legend_names(self.legend)


class MapPlot(LegendPlot):
    """A legend plot whose prediction is a colour map over two inputs (`self.map`, made by each kind)."""

    map: pg.ImageItem
    discrete = False  # "Discretize output": hard class colours, or the heat map in bands
    _prediction: np.ndarray | None = None  # what the map shows, kept to draw it again another way

    _rect: tuple[float, float, float, float] | None = None  # where the map lies, in the inputs' units

    def clear_prediction(self) -> None:
        self._prediction = None
        self.map.clear()

    def _place_on_grid(self, grid_axes: tuple[np.ndarray, np.ndarray]) -> None:
        """The map's place for a dataset's grid: each cell centred on its grid point."""
        x1, x2 = grid_axes
        step1, step2 = x1[1] - x1[0], x2[1] - x2[0]
        self._rect = (x1[0] - step1 / 2, x2[0] - step2 / 2, step1 * len(x1), step2 * len(x2))

    def _show_image(self, image: np.ndarray, levels: tuple[float, float]) -> None:
        """Paint `image` on the map; the first after new data also puts the map in its place (later ones
        keep it, and the view keeps its range)."""
        placed = self.map.image is not None
        self.map.setImage(image, autoLevels=False, levels=levels)
        if not placed:
            self.map.setRect(*self._rect)

    def set_discrete(self, on: bool) -> None:
        """Hard class colours or a few bands (True), or smooth shades (False)."""
        self.discrete = on
        self._draw()

    def _draw(self) -> None:
        raise NotImplementedError  # each kind of map paints its own image

    def image(self) -> np.ndarray | None:
        """The map's values now (rows × columns float32), or None before the first prediction."""
        return self.map.image

    def levels(self) -> tuple[float, float]:
        low, high = self.map.getLevels()
        return float(low), float(high)


def legend_names(legend: pg.LegendItem) -> list[str]:
    """The names a legend shows, in its order."""
    return [label.text for _, label in legend.items]


def drawn_data(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) an item holds now (empty arrays when it holds none)."""
    x, y = item.getData()
    return (x, y) if x is not None else (np.empty(0), np.empty(0))
