"""The log: the tutorial's `Epoch: 10 Loss: …` lines and the window's own notes, in a fixed-width font."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

MAX_LINES = 5_000  # older lines are dropped, so a run of a million epochs never slows the panel


class LogPanel(QWidget):
    """Read-only text that keeps only its last `max_lines` lines."""

    def __init__(self, max_lines: int = MAX_LINES, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # long messages stay readable
        # QPlainTextEdit drops the first blocks itself once there are more than this many.
        self.text.setMaximumBlockCount(max_lines)
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
        lines = lines[-self.text.maximumBlockCount() :]  # a burst longer than the log: only its end would stay
        scroll_bar = self.text.verticalScrollBar()
        at_end = scroll_bar.value() == scroll_bar.maximum()
        # One call for the whole batch: one layout pass instead of one per line.
        self.text.appendPlainText("\n".join(lines))
        if at_end:
            scroll_bar.setValue(scroll_bar.maximum())

    def clear(self) -> None:
        self.text.clear()

    def lines(self) -> list[str]:
        text = self.text.toPlainText()
        return text.split("\n") if text else []

    def copy_all(self) -> None:
        """Put every line on the clipboard (for pasting into notes or a bug report)."""
        QGuiApplication.clipboard().setText(self.text.toPlainText())
