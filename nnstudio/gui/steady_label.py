"""A label for text that changes many times a second while a run trains (an epoch, a loss, a speed).

Qt lays the whole window out again each time a label's text changes: the label asks its parents for
room, they ask theirs, and the main window moves every dock and toolbar (each with an animation
object made and thrown away). At 30 frames a second that cost more than drawing the frame. A widget
of fixed size asks nobody, so this label holds a fixed size that only grows (when a text needs more
room) and a new number repaints the label alone. A new font or style measures it afresh.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QWidget

# Presentation mode's larger type, a new style sheet, new margins: the label's room is measured afresh.
MEASURE_AFRESH = (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.ContentsRectChange)


class SteadyLabel(QLabel):
    """A QLabel whose size does not follow its text down, only up (see the module's docstring).

    `width`: a fixed width for a word-wrapped label (its height then grows to fit the text)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, width: int | None = None) -> None:
        super().__init__(text, parent)
        self._width = width
        self.setWordWrap(width is not None)
        self._hold_size(grow_only=False)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text == self.text():
            return  # not even a repaint
        super().setText(text)
        self._hold_size(grow_only=True)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in MEASURE_AFRESH:
            self._hold_size(grow_only=False)
            # Again once the change has settled: a word-wrapped label's text is laid out in the new font
            # only after this event (measured now, a two-line caption got one line's height).
            QTimer.singleShot(0, self, lambda: self._hold_size(grow_only=False))
        return handled

    def _hold_size(self, grow_only: bool) -> None:
        width = self._width if self._width is not None else self.sizeHint().width()
        height = self.heightForWidth(width) if self._width is not None else -1
        if height < 0:  # not word-wrapped, or no text yet
            height = self.sizeHint().height()
        if grow_only:
            width, height = max(width, self.minimumWidth()), max(height, self.minimumHeight())
        if (width, height) != (self.minimumWidth(), self.minimumHeight()) or self.minimumSize() != self.maximumSize():
            self.setFixedSize(width, height)
