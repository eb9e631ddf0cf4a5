"""Help ▸ Help and Glossary (F1): the glossary and every keyboard shortcut, in one window that scrolls.

The glossary's words come from resources/help/glossary.txt (core.teaching.glossary). A control
that uses one of them is tagged with `glossary_links.explains(widget, term)`: its tooltip then ends with
"F1: “term” in the glossary" (added as the tooltip shows, so a tooltip set later keeps it), and F1
pressed while pointing at it, or while it has the keyboard focus, opens the help at that entry.
The window is sized to the screen it opens on (a 1024×768 projector included) and scrolls.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QCursor, QHelpEvent
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.glossary import GlossaryEntry, load_glossary
from nnstudio.gui import app_context as ids
from nnstudio.gui.glossary_links import term_at

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

HELP_ACTION = "action.help"
SHORTCUTS_ANCHOR = "shortcuts"
SCREEN_SHARE = (0.9, 0.85)  # the most of the screen's width and height the window takes
PREFERRED_SIZE = (760, 900)


def shown_tooltip(widget: QWidget, position: QPoint) -> str:
    """The tooltip Qt would show for `widget` at `position`: an item's or a header section's, else the widget's."""
    view = widget.parentWidget()
    if isinstance(widget, QHeaderView):
        view, widget = widget, widget.viewport()
    if isinstance(view, QAbstractItemView) and widget is view.viewport():
        if isinstance(view, QHeaderView):
            section = view.logicalIndexAt(position)
            role = Qt.ItemDataRole.ToolTipRole
            text = view.model().headerData(section, view.orientation(), role) if section >= 0 else None
        else:
            index = view.indexAt(position)
            text = index.data(Qt.ItemDataRole.ToolTipRole) if index.isValid() else None
        return str(text) if text else view.toolTip()
    return widget.toolTip()


def with_glossary_note(text: str, entry: GlossaryEntry) -> str:
    note = f"F1: “{entry.term}” in the glossary"
    if GuiQt.mightBeRichText(text):
        return f"{text}<br><br><i>{html.escape(note)}</i>"
    return f"{text}\n\n{note}"


class HelpWindow(QDialog):
    """The glossary, then the keyboard shortcuts; links at the top jump to each entry."""

    def __init__(self, entries: tuple[GlossaryEntry, ...], problem: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("nnstudio help: glossary and keyboard shortcuts")
        self.entries = entries
        self.problem = problem  # why the glossary could not be read, or ""
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setToolTip("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)

    def show_at(self, key: str | None, shortcuts: list[tuple[str, str]]) -> None:
        """Fill the page (the shortcuts as they are now), show the window and scroll to entry `key`."""
        self.browser.setHtml(self.page(shortcuts))
        self.fit_to_screen()
        self.show()
        self.raise_()
        self.activateWindow()
        if key and key in {entry.key for entry in self.entries}:
            self.browser.scrollToAnchor(key)
        else:
            self.browser.verticalScrollBar().setValue(0)

    def page(self, shortcuts: list[tuple[str, str]]) -> str:
        links = " · ".join(f"<a href='#{entry.key}'>{html.escape(entry.term)}</a>" for entry in self.entries)
        parts = [
            "<h2>Glossary</h2>",
            "<p>Point at a control and press <b>F1</b> to come straight to the word it is about.</p>",
            f"<p>{links} · <a href='#{SHORTCUTS_ANCHOR}'>keyboard shortcuts</a></p>" if self.entries else "",
            f"<p style='color:#B00020'>{html.escape(self.problem)}</p>" if self.problem else "",
        ]
        for entry in self.entries:
            parts.append(f"<h3><a name='{entry.key}'></a>{html.escape(entry.term)}</h3>")
            parts.extend(f"<p>{html.escape(paragraph)}</p>" for paragraph in entry.paragraphs)
        rows = "".join(
            f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td></tr>" for keys, what in shortcuts
        )
        parts.append(f"<h2><a name='{SHORTCUTS_ANCHOR}'></a>Keyboard shortcuts</h2>")
        parts.append(f"<table cellpadding='4'>{rows}</table>")
        return "".join(parts)

    def fit_to_screen(self) -> None:
        screen = (self.parentWidget().screen() if self.parentWidget() else None) or QApplication.primaryScreen()
        available = screen.availableGeometry()
        width = min(PREFERRED_SIZE[0], round(available.width() * SCREEN_SHARE[0]))
        height = min(PREFERRED_SIZE[1], round(available.height() * SCREEN_SHARE[1]))
        self.resize(width, height)
        self.move(available.center().x() - width // 2, available.center().y() - height // 2)


class Help(QObject):
    """The F1 action, the help window, and the glossary note on the tooltips of tagged controls."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        try:
            self.entries, problem = load_glossary(), ""
        except NNStudioError as error:  # a broken installation: the shortcuts are still there
            self.entries, problem = (), f"The glossary cannot be shown: {error}"
        self._by_key = {entry.key: entry for entry in self.entries}
        self.window = HelpWindow(self.entries, problem, context.host)
        self.action = context.action(
            HELP_ACTION,
            "&Help and Glossary",
            self.open_for_pointer,
            "F1",
            "What the words mean (loss, gradient, epoch…) and every keyboard shortcut.\n"
            "Point at a control and press F1: the word it is about",
        )
        self.action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        context.menu(ids.HELP_MENU).addAction(self.action)
        QApplication.instance().installEventFilter(self)

    def entry(self, key: str) -> GlossaryEntry | None:
        return self._by_key.get(key)

    def open_for_pointer(self) -> None:
        """F1: the entry of the control under the mouse, else of the one with the focus, else the top."""
        pointed = QApplication.widgetAt(QCursor.pos())
        key = term_at(pointed) if pointed is not None and pointed.window() is self.context.host else None
        self.open(key or term_at(QApplication.focusWidget()))

    def open(self, key: str | None = None) -> None:
        self.window.show_at(key, self.shortcuts())

    def shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what) of every action of the window that has a shortcut, in the order they were made."""
        rows = []
        for action in self.context.host.findChildren(QAction):
            if not action.shortcut().isEmpty():
                keys = ", ".join(sequence.toString() for sequence in action.shortcuts())
                rows.append((keys, action.text().replace("&", "")))
        return rows

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.ToolTip or not isinstance(watched, QWidget) or not self._by_key:
            return False
        entry = self._by_key.get(term_at(watched) or "")
        if entry is None or not isinstance(event, QHelpEvent):
            return False
        text = shown_tooltip(watched, event.pos())
        if not text:
            return False  # Qt passes the event on to the parent, which may have a tooltip
        QToolTip.showText(event.globalPos(), with_glossary_note(text, entry), watched)
        return True


def install(context: AppContext) -> Help:
    return context.register("help", Help(context))
