"""A start-up nothing remembered can break: whatever the settings file and the lessons hold, the
window opens, says once what it could not use, and shows the defaults instead.

Windows here are built as the app builds them (`run_app`): the user's settings (a temporary file),
the experiment open last time reopened, the lessons panel restored.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import example, given
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.lessons import shipped_lessons
from nnstudio.gui import lessons as lessons_module
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.settings import Settings
from nnstudio.gui.style import configure_pyqtgraph
from nnstudio.gui.themes import apply_theme
from tests.gui.driving import trainer_of
from tests.gui.test_settings import settings_bytes, written_by_the_app
from tests.hostile import hostile_settings, scaled
from tests.portability import needs_dev_zero

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")
NOTE = "remembered setting(s) could not be used"
_names = itertools.count()


@pytest.fixture
def open_window(qtbot):
    """Build the window as `nnstudio` does on `settings` and wait until its first model is ready."""
    configure_pyqtgraph()
    windows = []

    def make(settings: Settings, path: str | None = None, experiment=None) -> MainWindow:
        window = MainWindow(experiment or preset("sine"), path, settings, reopen_last=True)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=20000)
        qtbot.waitUntil(lambda: window.status.currentMessage() != "", timeout=5000)
        window.redraw()
        return window

    yield make
    for window in windows:
        window.session.shutdown()
    apply_theme("system")


def ini(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / f"nnstudio{next(_names)}.ini"
    path.write_text(text)
    return Settings.at(path)


def log_text(window: MainWindow) -> str:
    return window.log_panel.text.toPlainText()


def tutorial() -> Path:
    return shipped_lessons()[0]


def test_a_theme_read_as_a_list_opens_the_window_on_the_system_theme(qtbot, open_window, tmp_path):
    system = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    window = open_window(ini(tmp_path, "[view]\ntheme=light, dark\n"))
    assert window.isVisible() and window.file_actions.theme_actions.checkedAction().text() == "Follow the system"
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window) == system
    assert f"1 {NOTE}" in window.status.currentMessage()
    assert "not restored: the theme: expected one of system, light, dark, found ['light', 'dark']" in log_text(window)


@pytest.mark.parametrize(
    "lesson, fragment",
    [
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[pages.setup]\npreset = ['linear']\n", "'preset' must be"),
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nests its values too deeply"),
        ("format_version = '1'\ntitle = 'x'\n", "'format_version' must be a whole number"),
        ("\xff", "not UTF-8"),
    ],
)
def test_a_broken_remembered_lesson_opens_the_tutorial_and_says_why_once(
    qtbot, open_window, tmp_path, lesson, fragment
):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(lesson.encode("utf-8", "surrogateescape") if lesson != "\xff" else b"\xff")
    settings = ini(tmp_path, f"[lessons]\npath={bad}\npage=3\n")
    window = open_window(settings)
    panel = window.lessons.panel
    assert panel.lesson.path == tutorial() and panel.page_index == 0
    assert f"1 {NOTE}" in window.status.currentMessage()
    assert "not restored: the lesson last read: bad.toml" in log_text(window) and fragment in log_text(window)
    assert settings.lesson_position() == (None, 0)  # forgotten: the next start is quiet


@FIFO
def test_named_pipes_as_the_remembered_lesson_and_experiment_do_not_hang_the_start(qtbot, open_window, tmp_path):
    pipe = tmp_path / "pipe.nnstudio"
    os.mkfifo(pipe)
    window = open_window(ini(tmp_path, f"[lessons]\npath={pipe}\n[files]\nlast_experiment={pipe}\n"))
    assert window.path is None and window.lessons.panel.lesson.path == tutorial()
    assert log_text(window).count("is not a regular file") == 2 and f"2 {NOTE}" in window.status.currentMessage()


@FIFO
def test_a_settings_file_that_is_a_named_pipe_does_not_hang_the_start(qtbot, open_window, tmp_path):
    pipe = tmp_path / "nnstudio.ini"
    os.mkfifo(pipe)
    window = open_window(Settings.at(pipe))
    assert window.isVisible() and "settings file" in log_text(window) and "is not a regular file" in log_text(window)


@needs_dev_zero
def test_dev_zero_as_the_remembered_lesson_and_experiment_is_never_read(qtbot, open_window, tmp_path):
    window = open_window(ini(tmp_path, "[lessons]\npath=/dev/zero\n[files]\nlast_experiment=/dev/zero\n"))
    assert window.path is None and window.lessons.panel.lesson.path == tutorial()
    assert log_text(window).count("/dev/zero is not a regular file") == 2


def test_a_broken_remembered_experiment_is_told_with_the_rest_not_in_a_dialog(
    qtbot, open_window, tmp_path, monkeypatch
):
    broken = tmp_path / "broken.toml"
    broken.write_text("[training]\nlearning_rate = 'fast'\n")
    dialogs = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: dialogs.append(box.text()))
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: dialogs.append(args[2]))
    window = open_window(ini(tmp_path, f"[files]\nlast_experiment={broken}\n[view]\ntheme=blue\n"))
    assert dialogs == [] and window.path is None and window.experiment.name == preset("sine").name
    assert f"2 {NOTE}" in window.status.currentMessage()
    assert "not restored: the experiment open last time: broken.toml" in log_text(window)


def test_good_settings_are_restored_without_a_word(qtbot, open_window, tmp_path):
    kept = tmp_path / "kept.toml"
    preset("linear").save(kept)
    settings = ini(tmp_path, f"[view]\ntheme=dark\n[lessons]\npath={shipped_lessons()[1]}\npage=1\n")
    settings.set_last_experiment(kept)
    window = open_window(settings)
    assert window.path == str(kept.resolve()) and window.lessons.panel.lesson.path == shipped_lessons()[1]
    assert window.lessons.panel.page_index == 1 and NOTE not in window.status.currentMessage()
    assert "not restored" not in log_text(window)
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() < 100  # dark


def test_a_file_named_on_the_command_line_opens_whatever_the_settings_hold(qtbot, open_window, tmp_path):
    named = tmp_path / "named.toml"
    preset("linear").save(named)
    window = open_window(ini(tmp_path, "[view]\ntheme=light, dark\n[lessons]\npage=x\n"), path=str(named))
    assert window.path == str(named) and f"2 {NOTE}" in window.status.currentMessage()


def test_an_error_the_checks_did_not_foresee_is_caught_logged_and_told(
    qtbot, open_window, tmp_path, monkeypatch, caplog
):
    def broken(*args):
        raise RuntimeError("Qt said no")

    monkeypatch.setattr(Settings, "restore_window", broken)
    real_load = lessons_module.load_lesson
    remembered = tmp_path / "remembered.toml"
    remembered.write_text("title = 'x'\n")
    monkeypatch.setattr(
        lessons_module,
        "load_lesson",
        lambda path: (_ for _ in ()).throw(RecursionError("deep")) if Path(path) == remembered else real_load(path),
    )
    window = open_window(ini(tmp_path, f"[lessons]\npath={remembered}\n"))
    assert window.isVisible() and window.lessons.panel.lesson.path == tutorial()
    assert "the window's layout: RuntimeError: Qt said no" in log_text(window)
    assert "the lesson last read: RecursionError: deep" in log_text(window)
    assert "could not restore the window's layout" in caplog.text


# --- no lessons at all ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shipped, fragment",
    [
        (lambda tmp: [], "missing from this installation"),
        (lambda tmp: (_ for _ in ()).throw(PermissionError(13, "Permission denied")), "cannot be listed"),
        (lambda tmp: [tmp / "gone.toml"], "cannot be read: cannot read"),
        (lambda tmp: [tmp], "cannot be read"),
    ],
)
def test_without_a_readable_lesson_the_panel_says_what_is_missing(
    qtbot, make_window, tmp_path, monkeypatch, shipped, fragment
):
    monkeypatch.setattr(lessons_module, "shipped_lessons", lambda: shipped(tmp_path))
    window = make_window(preset("sine"))
    panel = window.lessons.panel
    window.lessons.show()
    assert panel.lesson is None and panel.page is None and fragment in panel.text.toPlainText()
    assert "File ▸ Open Lesson…" in panel.text.toPlainText() and panel.title.text() == "No lesson could be opened"
    assert not any(b.isEnabled() for b in (panel.setup_button, panel.next_button, panel.back_button))
    panel.show_page(1)  # nothing to show: nothing happens
    window.lessons.set_up(panel.page)
    assert panel.lesson is None
    window.lessons.open_path(str(tutorial()))  # a lesson opened by hand still works
    assert panel.lesson.path == tutorial() and panel.next_button.isEnabled() and panel.setup_button.isEnabled()


# --- lesson text is plain text ----------------------------------------------------------------------


def test_a_lessons_titles_and_text_are_shown_as_typed_never_as_html(qtbot, make_window, tmp_path, monkeypatch):
    lesson = tmp_path / "html.toml"
    lesson.write_text(
        "title = '<font size=7>BIG</font>'\n[[pages]]\ntitle = '<h1>Huge</h1>'\n"
        "text = '<b>bold</b> <a href=\"x\">link</a>'\nformula = '<font size=7>x</font>'\n"
    )
    window = make_window(preset("sine"))
    window.lessons.open_path(str(lesson))
    panel = window.lessons.panel
    labels = (panel.lesson_title, panel.title, panel.formula, panel.position)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert panel.lesson_title.text() == "<font size=7>BIG</font>" and panel.title.text() == "<h1>Huge</h1>"
    assert panel.text.toPlainText() == '<b>bold</b> <a href="x">link</a>'
    for label in (panel.lesson_title, panel.title, panel.formula):  # the height of a line of plain text
        typed, height = label.text(), label.heightForWidth(3000)
        label.setText("plain")
        assert height == label.heightForWidth(3000), typed  # <font size=7> or <h1> as HTML would be taller
        label.setText(typed)
    assert panel.text.document().toPlainText() == panel.text.toPlainText() and "<b>" in panel.text.toPlainText()

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.textFormat(), box.text())))
    odd = tmp_path / "<font size=7>odd.toml"
    odd.write_text("title = 1\n")
    window.lessons.open_path(str(odd))
    assert shown and shown[0][0] == Qt.TextFormat.PlainText and "<font size=7>odd.toml" in shown[0][1]


# --- Hypothesis: any bytes in the settings file, and the window opens ---------------------------------


@scaled
def test_the_window_opens_whatever_bytes_the_settings_file_holds(qtbot, open_window, tmp_path, scale):
    seed = written_by_the_app(tmp_path)

    @hostile_settings(6, scale)
    @given(settings_bytes(seed))
    @example(b"[view]\ntheme=light, dark\n[lessons]\npath=/dev/zero\npage=-1\n[files]\nlast_experiment=/\n")
    def check(raw):
        path = tmp_path / f"hostile{next(_names)}.ini"
        path.write_bytes(raw)
        window = open_window(Settings.at(path))
        try:
            assert window.isVisible() and trainer_of(window) is not None
            assert window.lessons.panel.lesson is not None  # the tutorial at least
            assert "Error:" not in log_text(window)  # the checks caught it all, not the guard
        finally:
            window.close()  # saves the settings back, as at the end of a session
            window.session.shutdown()
            apply_theme("system")

    check()
