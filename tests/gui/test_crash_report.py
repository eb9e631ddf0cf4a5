"""An unexpected exception while the window runs is kept in the log file and shown in a dialog; the app goes on."""

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QVBoxLayout, QWidget

from nnstudio import __version__
from nnstudio.gui.crash_report import DIALOG_TITLE, LOG_FILE_NAME, install_crash_report, log_folder
from tests.gui.driving import trainer_of


@pytest.fixture
def dialogs(monkeypatch):
    """The critical dialogs the app opened, as (title, text), instead of blocking the test."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *args: shown.append((title, text)))
    return shown


@pytest.fixture
def reporter(qapp, tmp_path):
    reporter = install_crash_report(qapp, tmp_path / "data")
    yield reporter
    reporter.uninstall()
    reporter.setParent(None)


def a_window_whose_button_fails(qtbot):
    """A small window: its button's slot divides by zero on the first click and works on the next."""
    window = QWidget()
    button = QPushButton("Divide", window)
    QVBoxLayout(window).addWidget(button)
    clicks = []

    def divide_by_earlier_clicks():
        clicks.append(1)
        return 1 / (len(clicks) - 1)

    button.clicked.connect(divide_by_earlier_clicks)
    qtbot.addWidget(window)
    window.show()
    return window, button, clicks


def test_an_error_in_a_slot_is_logged_and_shown_and_the_app_keeps_running(qtbot, reporter, dialogs, tmp_path):
    window, button, clicks = a_window_whose_button_fails(qtbot)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5000)
    log_path = tmp_path / "data" / LOG_FILE_NAME
    title, text = dialogs[0]
    assert title == DIALOG_TITLE
    assert "Something went wrong inside nnstudio (ZeroDivisionError: division by zero)" in text
    assert f"The details were written to this file:\n{log_path}\n" in text
    log = log_path.read_text(encoding="utf-8")
    assert f"ERROR nnstudio: Unexpected error (nnstudio {__version__})" in log
    assert "Traceback (most recent call last)" in log and "in divide_by_earlier_clicks" in log
    assert log.rstrip().endswith("ZeroDivisionError: division by zero")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the window still answers
    assert clicks == [1, 1] and window.isVisible() and len(dialogs) == 1


def test_an_error_in_a_python_thread_is_shown_on_the_gui_thread(qtbot, reporter, dialogs, tmp_path):
    def fail():
        raise RuntimeError("the landscape went flat")

    thread = threading.Thread(target=fail, name="landscape")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5000)  # delivered through a queued signal
    assert "(RuntimeError: the landscape went flat)" in dialogs[0][1]
    log = (tmp_path / "data" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "Unexpected error in landscape" in log and "RuntimeError: the landscape went flat" in log


def test_the_hooks_are_given_back_when_the_app_quits(qapp, tmp_path):
    before = (sys.excepthook, threading.excepthook)
    reporter = install_crash_report(qapp, tmp_path)
    assert sys.excepthook == reporter._on_exception and threading.excepthook == reporter._on_thread_exception
    qapp.aboutToQuit.emit()
    assert (sys.excepthook, threading.excepthook) == before
    reporter.setParent(None)


def test_a_folder_that_cannot_be_written_is_said_in_the_dialog(qtbot, qapp, dialogs, tmp_path):
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file where the folder would be")
    reporter = install_crash_report(qapp, not_a_folder)
    try:
        window, button, _ = a_window_whose_button_fails(qtbot)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5000)
    finally:
        reporter.uninstall()
        reporter.setParent(None)
    assert reporter.log_path is None and window.isVisible()
    assert f"could not be written to a log file ({not_a_folder} cannot be written)" in dialogs[0][1]


def test_the_log_lives_in_the_users_data_folder(qapp):
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert data and log_folder() == Path(data) and log_folder().is_absolute()


def test_an_error_that_repeats_is_shown_once_and_counted_in_the_log(qtbot, reporter, dialogs, tmp_path):
    window, button, clicks = a_window_whose_button_fails(qtbot)
    button.clicked.disconnect()
    button.clicked.connect(lambda: [][0])  # fails on every click, like a broken redraw timer
    for _ in range(5):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5000)
    QApplication.processEvents()
    assert len(dialogs) == 1 and "(IndexError: list index out of range)" in dialogs[0][1]
    log = (tmp_path / "data" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert log.count("Traceback") == 1
    assert "The same error again: IndexError: list index out of range (2 times so far)" in log
    assert "(4 times so far)" in log and "(3 times so far)" not in log and "(5 times" not in log


def test_a_bug_while_training_goes_to_the_log_and_the_window_says_so(
    qtbot, make_window, reporter, dialogs, tmp_path, monkeypatch
):
    from nnstudio.core.engine.presets import preset

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *args: warnings.append(text))
    window = make_window(preset("linear"))

    def broken_step(*args, **kwargs):
        raise ZeroDivisionError("a bug in a step")  # not RuntimeError: superqt only warns about those

    trainer_of(window).step = broken_step
    with qtbot.waitSignal(window.session.failed, timeout=20000) as failed:
        window.step(1)
    assert failed.args == ["Unexpected error: ZeroDivisionError: a bug in a step"]
    assert warnings == failed.args and dialogs == []  # the window's own warning, not the crash dialog
    log = (tmp_path / "data" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "ERROR nnstudio.gui.session: Unexpected error while training" in log and "in broken_step" in log
