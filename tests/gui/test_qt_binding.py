"""Guard against a Qt binding that corrupts Python: PySide6 6.12.0 on Python 3.11 drops a reference
to None on every void call, and a window repainting at 30 Hz dies within minutes."""

import sys

from PySide6.QtGui import QColor, QImage, QPainter, QPen


def test_painting_does_not_leak_references_to_none(qapp):
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    pen = QPen(QColor("red"))
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.setPen(pen)
    drift = sys.getrefcount(None) - before
    painter.end()
    assert abs(drift) < 100, f"None's reference count moved by {drift} over 2000 calls"
