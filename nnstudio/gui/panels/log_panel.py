"""The log: the tutorial's `Epoch: 10 Loss: …` lines and the window's own notes, in a fixed-width font."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

MAX_LINES = 5_000  # older lines are dropped, so a run of a million epochs never slows the panel


class LogPanel(QWidget):
    """Read-only text that keeps only its last `max_lines` lines."""

    def __init__(self, max_lines: int = MAX_LINES, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # long messages stay readable
        self.text.setUndoRedoEnabled(False)  # a log is not edited: nothing to remember of its insertions
        self.max_lines = max_lines  # older lines are dropped after each append, in one cut (`_drop_oldest`)
        # The platform's fixed font, not a family name: "monospace" or "Courier" may resolve to a
        # proportional font on a machine whose font configuration lacks them, and the columns would drift.
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setToolTip(f"Training log: the loss every few epochs (the last {max_lines:,} lines are kept)")
        self.text.setPlaceholderText("Press Play (Space) or Step (N): the loss is logged here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)

    def append_lines(self, lines: Sequence[str]) -> None:
        """Add lines at the end, following them only if the view was already at the end."""
        if not lines:
            return
        lines = lines[-self.max_lines :]  # a burst longer than the log: only its end would stay
        scroll_bar = self.text.verticalScrollBar()
        at_end = scroll_bar.value() == scroll_bar.maximum()
        self._drop_oldest(len(lines))
        # One call for the whole batch: one layout pass instead of one per line.
        self.text.appendPlainText("\n".join(lines))
        if at_end:
            scroll_bar.setValue(scroll_bar.maximum())

    def _drop_oldest(self, coming: int) -> None:
        """Make room for `coming` lines within `max_lines`, cutting the oldest in one edit. (QPlainTextEdit's
        own maximumBlockCount drops them one by one: at full speed, with ~1,000 new lines twice a second,
        that took 5 of an append's 7 ms of the GUI thread, and so of training.)"""
        document = self.text.document()
        held = 0 if document.isEmpty() else document.blockCount()
        extra = held + coming - self.max_lines
        if extra <= 0:
            return
        if extra >= held:
            self.text.clear()
            return
        cursor = QTextCursor(document)
        cursor.setPosition(document.findBlockByNumber(extra).position(), QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()

    def clear(self) -> None:
        self.text.clear()

    def lines(self) -> list[str]:
        text = self.text.toPlainText()
        return text.split("\n") if text else []

    def copy_all(self) -> None:
        """Put every line on the clipboard (for pasting into notes or a bug report)."""
        QGuiApplication.clipboard().setText(self.text.toPlainText())
