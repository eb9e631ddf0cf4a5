"""Help ▸ Lessons: the lesson panel as a dock, its "Set up" wired to the app, and File ▸ Open Lesson…

The panel remembers the lesson and page the user was on; the first time the app starts, it opens
on the first lesson's first page (a panel, not a dialog, so nothing blocks a class). A remembered
lesson that is gone or broken is reported with the other settings that could not be restored,
and the first lesson opens instead; with no lesson readable at all, the panel says so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.lessons import LESSONS_FOLDER, LessonPage, load_lesson, shipped_lessons
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.lesson_panel import LessonPanel

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

log = logging.getLogger(__name__)

# A page names an instrument; the app registers its dock under an id.
INSTRUMENT_DOCKS = {
    "inspector": "dock.inspector",
    "hidden_units": "dock.hidden_units",
    "network": "dock.network",
    "landscape": "dock.landscape",
    "runs": "dock.runs",
}


class Lessons:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.window = context.host  # the dialogs' parent
        self.settings = context.settings
        self.panel = LessonPanel(None)
        self._restore()
        self.dock = context.add_dock("dock.lessons", "Lessons", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.window.tabifyDockWidget(context.get("dock.training"), self.dock)
        self.dock.hide()

        self.show_action = self.dock.toggleViewAction()
        self.show_action.setText("&Lessons")
        self.show_action.setShortcut(QKeySequence("F2"))
        self.show_action.setToolTip("Short pages that walk you through, each able to set the app up (F2)")
        self.open_action = make_action(
            self.window,
            "Open &Lesson…",
            self.open_lesson,
            "Ctrl+L",
            "Open a lesson file (.toml) — a teacher can write their own",
        )
        help_menu = context.menu(ids.HELP_MENU)
        help_menu.insertAction(help_menu.actions()[0], self.show_action)
        context.menu(ids.FILE_MENU).insertAction(context.get(ids.SAVE_ACTION), self.open_action)

        self.panel.setup_requested.connect(self.set_up)
        self.panel.page_changed.connect(self._remember)
        self.panel.lesson_chosen.connect(self._on_chosen)

    def _restore(self) -> None:
        """The lesson and page last read; if that cannot be, the first shipped lesson that reads."""
        self._offer_shipped()
        restored = False
        with self.settings.restoring("the lesson last read"):
            restored = self._restore_position()
        if not restored:
            self._open_shipped()

    def _offer_shipped(self) -> None:
        """Every shipped lesson that reads, by title, in the panel's chooser."""
        try:
            candidates = shipped_lessons()
        except Exception:  # a folder that cannot be listed: _open_shipped says so
            return
        choices = []
        for path in candidates:
            try:
                choices.append((load_lesson(path).title, path))
            except Exception:  # a broken one is left out here; opening it says why
                log.warning("could not read the lesson %s", path, exc_info=True)
        self.panel.set_choices(choices)

    def _on_chosen(self, path: Path) -> None:
        self.open_path(str(path))

    def _restore_position(self) -> bool:
        path, page = self.settings.lesson_position()  # a regular file, or None
        if path is None:
            return False
        try:
            self.panel.set_lesson(load_lesson(path), page)
        except NNStudioError as error:
            self.settings.note_problem("the lesson last read", str(error))
            self.settings.forget_lesson_position()  # told once, not at every start
            return False
        return True

    def _open_shipped(self) -> None:
        try:
            candidates = shipped_lessons()
        except Exception as error:  # a folder that cannot be listed: the panel says so, the window opens
            self.panel.show_missing(f"The lessons that come with nnstudio cannot be listed: {error}")
            return
        problems = []
        for candidate in candidates:
            try:
                self.panel.set_lesson(load_lesson(candidate))
                return
            except NNStudioError as error:
                problems.append(str(error))
            except Exception as error:  # a broken installation must not stop the window opening either
                log.warning("could not read the lesson %s", candidate, exc_info=True)
                problems.append(f"{Path(candidate).name}: {type(error).__name__}: {error}")
        if problems:
            self.panel.show_missing(f"The lessons that come with nnstudio cannot be read: {problems[0]}")
        else:
            self.panel.show_missing("The lessons that come with nnstudio are missing from this installation.")

    def _remember(self, page: int) -> None:
        if self.panel.lesson.path is not None:
            self.settings.set_lesson_position(self.panel.lesson.path, page)

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def offer_on_first_start(self, set_up: bool = False) -> None:
        """The first time the app starts, open the panel; with `set_up` (no file or preset was asked
        for), set its page up too, so that what is on screen is what the page describes."""
        if self.settings.lessons_offered():
            return
        self.settings.set_lessons_offered()
        self.show()
        welcome = "New here? Read on in the Lessons panel (F2), one page at a time."
        page = self.panel.page
        reopened = self.settings.last_experiment() is not None  # an experiment file open last time wins
        if set_up and not reopened and page is not None and page.setup is not None:
            self.set_up(page, "New here? Read on in the Lessons panel (F2).")
        else:
            self.context.show_message(welcome, 15000)

    def open_lesson(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson", str(LESSONS_FOLDER), "Lessons (*.toml)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        try:
            lesson = load_lesson(path)
        except NNStudioError as error:
            warn(self.window, "Cannot open the lesson", str(error))
            self.panel.show_choice()  # the chooser goes back to the lesson still open
            return
        self.panel.set_lesson(lesson)
        self._remember(0)
        self.show()

    def set_up(self, page: LessonPage | None, message: str = "") -> None:
        """Load the page's experiment (asking first about unsaved work) and open its instrument."""
        if page is None or page.setup is None:
            return
        try:
            experiment = page.setup.experiment()
        except NNStudioError as error:  # checked on loading; a preset may have changed since
            warn(self.window, "Cannot set up the page", str(error))
            return
        said = f"Lesson: {page.title}" + (f". {message}" if message else "")
        self.context.get(ids.FILE_ACTIONS).open_experiment(experiment, said)
        self.open_instrument(page.setup.instrument, page.setup.tab)

    def open_instrument(self, name: str | None, tab: str | None = None) -> None:
        """Show the instrument a page names, on the tab it names (the inspector's phases have tabs)."""
        if name is None:
            return
        if name == "timeline":
            self.context.get(ids.TIMELINE).setVisible(True)
            return
        if name == "inspector":
            self.context.get(ids.STEP_INSPECTOR).open(tab)
            return
        dock = self.context.find(INSTRUMENT_DOCKS.get(name, ""))
        if dock is not None:
            dock.show()
            dock.raise_()


def warn(parent: QWidget, title: str, message: str) -> None:
    """A warning whose text is shown as typed (a file name such as "<b>.toml" is not HTML)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def install(context: AppContext) -> Lessons:
    return context.register("lessons", Lessons(context))
