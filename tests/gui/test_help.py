"""Help that explains: F1 opens the glossary and every shortcut in a window that fits the screen and
scrolls; a control that uses a glossary word says so in its tooltip, and F1 on it opens that entry;
the lessons panel lists every shipped lesson; no text sends a student to a tutorial they do not have."""

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.glossary import load_glossary
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons
from nnstudio.gui.glossary_links import GLOSSARY_TERM, term_at
from tests.gui.driving import registered


def test_f1_opens_the_glossary_and_every_shortcut_in_a_window_that_fits_and_scrolls(qtbot, make_window):
    window = make_window(preset("sine"))
    help_ = registered(window, "help")
    assert help_.action.shortcut().toString() == "F1"
    assert window.context.menu("menu.help").actions()[0] is window.lessons.show_action
    help_.action.trigger()
    dialog = help_.window
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    available = dialog.screen().availableGeometry()
    assert dialog.frameGeometry().height() <= available.height() and dialog.width() <= available.width()
    browser = dialog.browser
    assert browser.verticalScrollBar().maximum() > 0  # more than fits: it scrolls
    text = browser.toPlainText()
    for entry in load_glossary():
        assert entry.term in text and entry.paragraphs[0] in text
    shortcuts = text[text.index("Keyboard shortcuts") :]
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty():
            assert action.shortcut().toString() in shortcuts and action.text().replace("&", "") in shortcuts
    dialog.close()


def test_a_dialog_sized_for_a_small_screen_keeps_within_it(qtbot, make_window, monkeypatch):
    """1366×768 and a 1024×768 projector: the help is never taller than the screen."""
    window = make_window(preset("sine"))
    dialog = registered(window, "help").window
    screen = dialog.screen() or QApplication.primaryScreen()
    for width, height in ((1366, 768), (1024, 768), (800, 600)):
        geometry = screen.availableGeometry()
        geometry.setSize(geometry.size().__class__(width, height))
        monkeypatch.setattr(type(screen), "availableGeometry", lambda self, g=geometry: g)
        dialog.fit_to_screen()
        assert dialog.width() <= 0.9 * width + 1 and dialog.height() <= 0.85 * height + 1


def test_f1_on_a_control_opens_the_entry_it_is_about(qtbot, make_window, monkeypatch):
    window = make_window(preset("sine"))
    help_ = registered(window, "help")
    learning_rate = window.training_panel.learning_rate
    assert term_at(learning_rate) == "learning-rate"
    assert term_at(learning_rate.lineEdit()) == "learning-rate"  # the part the mouse is really over
    monkeypatch.setattr(QApplication, "widgetAt", staticmethod(lambda *args: learning_rate.lineEdit()))
    help_.open_for_pointer()
    browser = help_.window.browser
    qtbot.waitUntil(help_.window.isVisible, timeout=5000)
    assert browser.verticalScrollBar().value() > 0  # scrolled down to "learning rate"
    top = browser.cursorForPosition(QPoint(5, 5)).block().text()
    assert "learning rate" in top.lower() or "step" in top.lower(), top
    help_.window.close()


def test_a_tagged_control_s_tooltip_points_to_its_glossary_entry(qtbot, make_window):
    window = make_window(preset("sine"))
    for dock, widget, term in (
        (window.training_dock, window.training_panel.learning_rate, "learning rate"),
        (window.data_dock, window.data_panel.standardize, "standardised units"),
    ):
        dock.raise_()
        qtbot.waitUntil(widget.isVisible, timeout=5000)
        event = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), widget.mapToGlobal(QPoint(5, 5)))
        QApplication.sendEvent(widget, event)
        assert QToolTip.isVisible() and f"F1: “{term}” in the glossary" in QToolTip.text()
        assert QToolTip.text().startswith(widget.toolTip())
        QToolTip.hideText()


def test_every_tagged_control_names_a_word_the_glossary_explains(qtbot, make_window):
    window = make_window(preset("sine"))
    keys = {entry.key for entry in load_glossary()}
    tagged = [w for w in window.findChildren(QWidget) if w.property(GLOSSARY_TERM)]
    assert len(tagged) >= 12
    assert {w.property(GLOSSARY_TERM) for w in tagged} <= keys


def test_the_lessons_panel_lists_every_shipped_lesson_and_opens_the_one_chosen(qtbot, make_window, tmp_path):
    window = make_window(preset("sine"))
    panel = window.lessons.panel
    shipped = shipped_lessons()
    assert panel.choices() == [(load_lesson(path).title, path) for path in shipped]
    assert panel.chooser.isVisibleTo(panel) and panel.chooser.currentData() == str(shipped[0])
    panel.chooser.activated.emit(1)
    assert panel.lesson.path == shipped[1] and panel.page_index == 0
    assert window.settings.lesson_position() == (str(shipped[1]), 0)
    own = tmp_path / "mine.toml"
    own.write_text("title = 'My lesson'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n")
    window.lessons.open_path(str(own))
    assert panel.chooser.currentText() == "My lesson" and panel.chooser.count() == len(shipped) + 1


def test_no_tooltip_or_lesson_sends_the_student_to_a_tutorial(qtbot, make_window):
    window = make_window(preset("sine"))
    about = [a for a in window.findChildren(QAction) if a.text() == "&About nnstudio"]
    texts = [w.toolTip() for w in window.findChildren(QWidget)]
    texts += [a.toolTip() for a in window.findChildren(QAction) if a not in about]
    texts += [window.model_panel.preset.itemData(i, Qt.ItemDataRole.ToolTipRole) or "" for i in range(20)]
    for path in shipped_lessons():
        texts += [f"{page.title} {page.text} {page.formula}" for page in load_lesson(path).pages]
    assert not [text for text in texts if "tutorial" in text.lower()]
