"""Unexpected errors are kept: a log file in the user's data folder, and a dialog that says where it is.

A traceback printed to a terminal nobody looks at helps no one. While the window runs, an exception that
reaches `sys.excepthook` (a slot, an event handler) or `threading.excepthook` (a Python thread) is written
with its traceback to `nnstudio.log` in the user's data folder, and a dialog tells the user what happened
and where that file is. The app keeps running: the exception ended only the slot that raised it.

An error that repeats (a redraw timer failing 30 times a second) is shown once and logged in full once;
its repeats are counted in the log at the 2nd, 4th, 8th … time, so the first report is never rotated away.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from nnstudio import __version__

LOG_FILE_NAME = "nnstudio.log"
MAX_LOG_BYTES = 1_000_000  # then one older file is kept: a crash loop cannot fill the disk
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DIALOG_TITLE = "nnstudio: something went wrong"

logger = logging.getLogger("nnstudio")


def log_folder() -> Path:
    """nnstudio's folder among the user's data (Qt's AppDataLocation, e.g. ~/.local/share/nnstudio/nnstudio)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) if location else Path(tempfile.gettempdir()) / "nnstudio"


def _file_handler(folder: Path) -> RotatingFileHandler | None:
    """A handler appending to folder/nnstudio.log, or None when the folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(folder / LOG_FILE_NAME, maxBytes=MAX_LOG_BYTES, backupCount=1, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


class CrashReporter(QObject):
    """While installed: every unexpected exception is logged, and a dialog (on the GUI thread) says where."""

    _report = Signal(str)  # the dialog's text; emitted from any thread, shown on the GUI thread

    def __init__(self, folder: Path, parent_window: Callable[[], QWidget | None] = QApplication.activeWindow):
        super().__init__()
        self.folder = folder
        self._parent_window = parent_window
        self._handlers: list[logging.Handler] = []
        self._previous_hooks = None
        self._showing = False  # one dialog at a time; errors while it is open are only logged
        self._seen: Counter[tuple] = Counter()  # how often each error (type, message, place) happened
        self._report.connect(self._show_dialog)

    @property
    def log_path(self) -> Path | None:
        """The log file, or None when the data folder could not be written."""
        files = [h for h in self._handlers if isinstance(h, RotatingFileHandler)]
        return Path(files[0].baseFilename) if files else None

    def install(self) -> None:
        file_handler = _file_handler(self.folder)
        self._handlers = [file_handler] if file_handler else []
        if sys.stderr is not None:  # None under pythonw (Windows): no terminal at all
            terminal = logging.StreamHandler(sys.stderr)
            terminal.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            self._handlers.append(terminal)
        for handler in self._handlers:
            handler.setLevel(logging.WARNING)
            logger.addHandler(handler)
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception

    def uninstall(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
        for handler in self._handlers:
            logger.removeHandler(handler)
            handler.close()
        self._handlers = []

    def _on_exception(self, exc_type, exc_value, exc_traceback) -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in the terminal: not an error to report
            sys.__excepthook__(exc_type, exc_value, exc_traceback)
            return
        self._report_error("", (exc_type, exc_value, exc_traceback))

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:  # how a thread may end itself quietly
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self._report_error(f" in {name}", (args.exc_type, args.exc_value, args.exc_traceback))

    def _report_error(self, where: str, exc_info: tuple) -> None:
        exc_type, exc_value, exc_traceback = exc_info
        last_frame = traceback.extract_tb(exc_traceback)[-1:] if exc_traceback is not None else []
        place = (last_frame[0].filename, last_frame[0].lineno) if last_frame else None
        key = (exc_type.__name__, str(exc_value), place)
        self._seen[key] += 1
        times = self._seen[key]
        if times == 1:
            logger.error("Unexpected error%s (nnstudio %s)", where, __version__, exc_info=exc_info)
            self._report.emit(self.message(exc_value))
        elif times & (times - 1) == 0:  # 2, 4, 8, …: the log shows it goes on without filling up
            logger.error("The same error again%s: %s: %s (%d times so far)", where, *key[:2], times)

    def message(self, error: BaseException | None) -> str:
        """What the dialog says: what happened, that the work is still there, where the details are."""
        what = type(error).__name__ + (f": {error}" if str(error) else "")
        where = (
            f"The details were written to this file:\n{self.log_path}\n\n"
            "Please send that file with a description of what you did when you report the problem."
            if self.log_path is not None
            else f"The details could not be written to a log file ({self.folder} cannot be written)."
        )
        return (
            f"Something went wrong inside nnstudio ({what}).\n\n"
            "The window is still running, but to be safe, save your work under a new name.\n\n" + where
        )

    def _show_dialog(self, text: str) -> None:
        if self._showing:
            return
        self._showing = True
        try:
            QMessageBox.critical(self._parent_window(), DIALOG_TITLE, text)
        finally:
            self._showing = False


def install_crash_report(app: QApplication, folder: Path | None = None) -> CrashReporter:
    """Keep unexpected errors in the log and show where it is, until the application quits."""
    reporter = CrashReporter(folder if folder is not None else log_folder())
    reporter.setParent(app)
    reporter.install()
    app.aboutToQuit.connect(reporter.uninstall)
    return reporter
