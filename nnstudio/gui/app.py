"""Starting the application: the interactive window, and the offscreen snapshot renderer."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.errors import NNStudioError


def create_application(offscreen: bool = False):
    """The QApplication (created once), with pyqtgraph configured before any plot exists."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.desktop import DESKTOP_FILE_NAME, application_icon
    from nnstudio.gui.style import configure_pyqtgraph

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnstudio")
    app.setOrganizationName("nnstudio")
    app.setDesktopFileName(DESKTOP_FILE_NAME)  # Wayland and the task bar match the window to nnstudio.desktop
    app.setWindowIcon(application_icon())
    configure_pyqtgraph()
    return app


def run_app(experiment: Experiment, path: str | None = None, reopen_last: bool = False) -> int:
    """Open the window on the file `path` (or `experiment`), and run until it is closed.

    With `reopen_last`, the experiment file open when the app last closed is opened instead, if it is still there.
    Without a screen Qt can use, NNStudioError says so (in one line) before Qt is started.
    """
    from nnstudio.gui.desktop import display_problem, fit_to_screen

    problem = display_problem()
    if problem:
        raise NNStudioError(problem)
    app = create_application()
    from nnstudio.gui.crash_report import install_crash_report
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.settings import Settings

    install_crash_report(app)
    # Whatever the settings file holds, the window opens: the window checks each remembered item.
    window = MainWindow(experiment, path, Settings.for_user(), reopen_last=reopen_last)
    app.aboutToQuit.connect(window.session.shutdown)
    window.setWindowIcon(app.windowIcon())
    available = (window.screen() or app.primaryScreen()).availableGeometry()
    fit_to_screen(window, available)
    window.show()
    fit_to_screen(window, available)  # again with the frame the window manager gave it, where known
    window.lessons.offer_on_first_start(set_up=reopen_last)  # a FILE or --preset asked for wins over the lesson
    freeze_built_objects()
    leave_a_core_for_the_window()
    return app.exec()


def freeze_built_objects() -> None:
    """Leave the objects built so far out of the garbage collector's full passes.

    The window is built: its ~100,000 Python objects (widgets' wrappers, plots, modules) live as long
    as it does. A full pass of the collector walks them all, ~30 ms with Python's GIL held, now and
    then while a run trains: a frame missed, a key answered late. Frozen, they are skipped (objects
    made from now on are collected as usual).
    """
    gc.collect()
    gc.freeze()


def leave_a_core_for_the_window() -> None:
    """NumPy's BLAS gets one core fewer than the machine has (the command line keeps them all).

    On large data (10⁶ points) each product of a step is spread over every core, and the window's
    thread then waits for one: a key or a frame answered up to 150 ms late on 2 cores. With a core
    left to it, ~15 ms at worst; the products are bound by memory, and a step loses little.
    """
    from threadpoolctl import threadpool_limits

    cores = os.cpu_count() or 1
    if cores > 1:
        threadpool_limits(limits=cores - 1, user_api="blas")


def wait_until(app, condition, timeout: float) -> bool:
    """Process events until `condition()` holds or `timeout` seconds pass (for headless scripts)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


def render_snapshot(experiment: Experiment, output: str, size: tuple[int, int], epochs: int | None) -> int:
    """Build the real window offscreen, train `epochs` epochs through its worker, save a PNG."""
    from nnstudio.core.engine.experiment import write_atomically
    from nnstudio.core.storage.export import check_writable

    if Path(output).suffix.lower() != ".png":
        raise NNStudioError(f"the snapshot is a PNG picture: name it *.png, not {output!r}")
    check_writable(output)  # a missing or read-only folder is said now, not after the training
    app = create_application(offscreen=True)
    from PySide6.QtCore import QBuffer, QIODevice

    from nnstudio.gui.main_window import MainWindow

    with _offscreen_size_hints_unmentioned():
        window = MainWindow(experiment)
        window.resize(*size)
        window.show()
        session = window.session
        if not wait_until(app, lambda: session.state is not None and not session.is_running, 60):
            raise NNStudioError("the experiment could not be loaded in time")
        if epochs:
            session.run(until_epoch=epochs)  # starts the worker at once: is_running is True from here
            wait_until(app, lambda: not session.is_running, 600)
        wait_until(app, lambda: False, 0.1)  # let the last snapshot arrive
        window.redraw()
        app.processEvents()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        drawn = window.grab().save(buffer, "PNG")
        window.close()
    if not drawn:
        raise NNStudioError(f"cannot write {output}: the window could not be drawn")
    write_atomically(Path(output), bytes(buffer.data()))
    return 0


@contextlib.contextmanager
def _offscreen_size_hints_unmentioned() -> Iterator[None]:
    """Drop Qt's "This plugin does not support propagateSizeHints()", which the offscreen platform prints for
    every window it shows (nothing is wrong); every other Qt message goes on to stderr as before."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message: str) -> None:
        if "propagateSizeHints()" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)
