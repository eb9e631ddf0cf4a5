"""Small multiples for two-input data: one heat map per hidden unit, its output a_j over (x₁, x₂).

Each map is an `ImageItem` (row-major, C-contiguous float32, explicit levels) over the dataset's
2-D prediction grid, as the decision-boundary map is. All maps of a layer share one colour scale,
symmetric about 0 (blue below, white at 0, orange-red above), so units can be compared at a glance.
A click on a map emits its unit; the highlighted unit gets a thick purple frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.gui import style
from nnstudio.gui.instruments.instrument_support import HIGHLIGHT_COLOUR

MAX_MAPS = 32  # more maps than this are too small to read: the first ones are drawn
FRAME_COLOUR = "#BBBBBB"


def unit_images(values: np.ndarray, grid_shape: tuple[int, int], count: int) -> list[np.ndarray]:
    """The first `count` units' columns of `values` (G, units) as (rows, columns) C-contiguous float32 images."""
    return [np.ascontiguousarray(values[:, unit].reshape(grid_shape), dtype=np.float32) for unit in range(count)]


def shared_levels(values: np.ndarray) -> tuple[float, float]:
    """One colour scale for the whole layer, symmetric about 0: (−m, m), m the largest finite |a|."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 1.0
    top = top if np.isfinite(top) and top > 1e-12 else 1.0
    return -top, top


def lookup_table() -> np.ndarray:
    colours = [pg.mkColor(style.BLUE), pg.mkColor("#FFFFFF"), pg.mkColor(style.VERMILLION)]
    return pg.ColorMap([0.0, 0.5, 1.0], colours).getLookupTable(nPts=256)


class UnitMaps(QWidget):
    """A grid of heat maps, one per unit of a layer, drawn on one GraphicsLayoutWidget."""

    unit_clicked = Signal(int)
    unit_hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.ci.setSpacing(2)
        self._lut = lookup_table()
        self._boxes: list[pg.ViewBox] = []
        self._images: list[pg.ImageItem] = []
        self._levels: tuple[float, float] = (-1.0, 1.0)
        self._highlighted: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.graphics.scene().sigMouseClicked.connect(self._on_clicked)
        self.graphics.scene().sigMouseMoved.connect(self._on_moved)
        self.setToolTip(
            "One map per hidden unit: its output over the two inputs (x₁ across, x₂ up).\n"
            "All maps of the layer share one colour scale: blue below 0, white at 0, red above.\n"
            "Click a map to highlight its unit."
        )

    # --- public -----------------------------------------------------------------------------------

    def set_maps(self, values: np.ndarray, dataset: Dataset, count: int) -> None:
        """Draw the first `count` units of `values` (G, units) over the dataset's grid."""
        if len(self._images) != count:
            self._build(count)
        x1, x2 = dataset.grid_axes
        step1, step2 = x1[1] - x1[0], x2[1] - x2[0]
        rect = (x1[0] - step1 / 2, x2[0] - step2 / 2, step1 * len(x1), step2 * len(x2))
        self._levels = shared_levels(values[:, :count])
        for image_item, image in zip(self._images, unit_images(values, dataset.grid_shape, count), strict=True):
            image_item.setImage(image, autoLevels=False, levels=self._levels)
            image_item.setRect(*rect)
        self._frame()

    def clear_maps(self) -> None:
        self._build(0)

    def set_highlighted(self, unit: int | None) -> None:
        self._highlighted = unit
        self._frame()

    def count(self) -> int:
        return len(self._images)

    def images(self) -> list[np.ndarray]:
        """Each drawn map's values (rows × columns float32), in unit order."""
        return [item.image for item in self._images]

    def levels(self) -> tuple[float, float]:
        return self._levels

    def unit_at(self, scene_position) -> int | None:
        for unit, box in enumerate(self._boxes):
            if box.sceneBoundingRect().contains(scene_position):
                return unit
        return None

    def box(self, unit: int) -> pg.ViewBox:
        return self._boxes[unit]

    # --- inside -----------------------------------------------------------------------------------

    def _build(self, count: int) -> None:
        self.graphics.ci.clear()
        self._boxes, self._images = [], []
        columns = max(1, int(np.ceil(np.sqrt(count))))
        for unit in range(count):
            row, column = divmod(unit, columns)
            self.graphics.ci.addLabel(f"unit {unit + 1}", row=2 * row, col=column, size="8pt", color="#333333")
            box = self.graphics.ci.addViewBox(row=2 * row + 1, col=column, lockAspect=True, enableMouse=False)
            box.setMenuEnabled(False)
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(self._lut)
            box.addItem(image)
            self._boxes.append(box)
            self._images.append(image)

    def _frame(self) -> None:
        for unit, box in enumerate(self._boxes):
            if unit == self._highlighted:
                box.setBorder(pg.mkPen(HIGHLIGHT_COLOUR, width=4))
            else:
                box.setBorder(pg.mkPen(FRAME_COLOUR, width=1))

    def _on_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        unit = self.unit_at(event.scenePos())
        if unit is not None:
            self.unit_clicked.emit(unit)

    def _on_moved(self, scene_position) -> None:
        unit = self.unit_at(scene_position)
        if unit is not None:
            self.unit_hovered.emit(unit)
