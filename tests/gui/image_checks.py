"""Looking at rendered widgets from a test: is there a picture, and are the expected colours in it?"""

import numpy as np
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget


def rendered_pixels(widget: QWidget) -> np.ndarray:
    """The widget as drawn now, an (h, w, 3) uint8 RGB array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def distinct_colours(pixels: np.ndarray) -> int:
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


def pixels_near(pixels: np.ndarray, colour: str, tolerance: int = 12) -> int:
    """How many pixels are within `tolerance` (per channel) of `colour`."""
    target = QColor(colour)
    rgb = np.array([target.red(), target.green(), target.blue()], dtype=np.int16)
    close = np.all(np.abs(pixels.astype(np.int16) - rgb) <= tolerance, axis=-1)
    return int(close.sum())
