"""The lessons panel: short pages that walk through a lesson, each able to set the app up.

A page shows a title, a few sentences, its formula in large Unicode maths, and a "Set up"
button that loads the page's experiment and opens the instrument it talks about. The chooser at
the top lists every lesson that comes with nnstudio, and a lesson file opened from disk. Everything a
lesson file says is shown as plain text: a title such as "<font size=7>" appears as typed.
With no lesson at all (none could be read), the panel says what is missing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.teaching.lessons import Lesson, LessonPage


class LessonPanel(QWidget):
    """One lesson, one page at a time."""

    setup_requested = Signal(object)  # the LessonPage whose set-up to apply
    page_changed = Signal(int)
    lesson_chosen = Signal(object)  # the Path of the lesson picked in the chooser

    def __init__(self, lesson: Lesson | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lesson = lesson
        self.page_index = 0

        self.chooser = QComboBox()
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(16)
        self.chooser.setToolTip("Every lesson that comes with nnstudio (File ▸ Open Lesson… opens your own)")
        self.chooser.hide()  # until there are lessons to choose from
        self.chooser.activated.connect(self._on_chosen)
        self.lesson_title = QLabel()
        self.lesson_title.setWordWrap(True)
        self.lesson_title.setStyleSheet("color: #555;")
        self.lesson_title.setToolTip("The lesson you are reading (File ▸ Open Lesson… loads another)")
        self.title = QLabel()
        self.title.setWordWrap(True)
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setToolTip("What this page is about")
        text_font = QFont(self.font())
        text_font.setPointSizeF(text_font.pointSizeF() * 1.15)
        self.text.setFont(text_font)
        self.formula = QLabel()
        self.formula.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.formula.setWordWrap(True)
        self.formula.setFrameShape(QFrame.Shape.StyledPanel)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula.setToolTip("The formula this page is about")
        formula_font = QFont("DejaVu Serif")
        formula_font.setPointSizeF(self.font().pointSizeF() * 1.6)
        self.formula.setFont(formula_font)
        self.formula.setStyleSheet("padding: 10px; background: #f7f7f2;")

        self.setup_button = QPushButton("Set up")
        self.setup_button.setToolTip("Load this page's data, model and settings, and open the instrument it uses")
        self.back_button = QPushButton("◀ Back")
        self.back_button.setToolTip("The previous page")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("The next page")
        self.position = QLabel()
        self.position.setToolTip("Which page of the lesson this is")

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.position, 1, Qt.AlignmentFlag.AlignCenter)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        layout.addWidget(self.lesson_title)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.formula)
        layout.addWidget(self.setup_button)
        layout.addLayout(buttons)

        for label in (self.lesson_title, self.title, self.formula, self.position):
            label.setTextFormat(Qt.TextFormat.PlainText)  # a lesson's text is never HTML

        self.setup_button.clicked.connect(lambda: self.setup_requested.emit(self.page))
        self.back_button.clicked.connect(lambda: self.show_page(self.page_index - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self.page_index + 1))
        if lesson is None:
            self.show_missing("No lesson is open.")
        else:
            self.set_lesson(lesson)

    @property
    def page(self) -> LessonPage | None:
        return self.lesson.pages[self.page_index] if self.lesson is not None else None

    def set_choices(self, lessons: list[tuple[str, Path]]) -> None:
        """The lessons the chooser offers: (title, file), in order."""
        self.chooser.clear()
        for title, path in lessons:
            self.chooser.addItem(title, str(path))
            self.chooser.setItemData(self.chooser.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        self.chooser.setVisible(self.chooser.count() > 0)
        self.show_choice()

    def choices(self) -> list[tuple[str, Path]]:
        return [(self.chooser.itemText(i), Path(self.chooser.itemData(i))) for i in range(self.chooser.count())]

    def set_lesson(self, lesson: Lesson, page_index: int = 0) -> None:
        self.lesson = lesson
        self.lesson_title.setText(lesson.title)
        self.show_choice()
        self.page_index = -1
        self.show_page(page_index)

    def show_choice(self) -> None:
        """Select the open lesson in the chooser (a file from elsewhere is added to it); its title is shown there."""
        path = None if self.lesson is None or self.lesson.path is None else str(self.lesson.path)
        if path is None or not self.chooser.count():
            self.lesson_title.setVisible(True)
            return
        index = self.chooser.findData(path)
        if index < 0:
            self.chooser.addItem(self.lesson.title, path)
            self.chooser.setItemData(self.chooser.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
            index = self.chooser.count() - 1
        self.chooser.setCurrentIndex(index)
        self.lesson_title.setVisible(False)  # the chooser says it

    def _on_chosen(self, index: int) -> None:
        path = Path(self.chooser.itemData(index))
        if self.lesson is None or self.lesson.path is None or Path(self.lesson.path) != path:
            self.lesson_chosen.emit(path)

    def show_missing(self, why: str) -> None:
        """No lesson to show: say why, and how to open one; every button is off."""
        self.lesson = None
        self.page_index = 0
        self.lesson_title.setText("No lesson")
        self.title.setText("No lesson could be opened")
        self.text.setPlainText(f"{why}\n\nFile ▸ Open Lesson… (Ctrl+L) opens a lesson file (.toml).")
        self.formula.clear()
        self.formula.setVisible(False)
        for button in (self.setup_button, self.back_button, self.next_button):
            button.setEnabled(False)
        self.position.clear()

    def show_page(self, index: int) -> None:
        if self.lesson is None:
            return
        index = max(0, min(index, len(self.lesson.pages) - 1))
        if index == self.page_index:
            return
        self.page_index = index
        page = self.page
        self.title.setText(page.title)
        self.text.setPlainText(page.text)
        self.formula.setText(page.formula)
        self.formula.setVisible(bool(page.formula))
        self.setup_button.setEnabled(page.setup is not None)
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.lesson.pages) - 1)
        self.position.setText(f"page {index + 1} of {len(self.lesson.pages)}")
        self.page_changed.emit(index)
