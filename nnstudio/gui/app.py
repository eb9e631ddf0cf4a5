"""Starting the application: the interactive window, and the offscreen snapshot renderer."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from nnstudio.core.errors import NNStudioError
from nnstudio.core.experiment import Experiment


def create_application(offscreen: bool = False):
    """The QApplication (created once), with pyqtgraph configured before any plot exists."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.style import configure_pyqtgraph

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnstudio")
    app.setOrganizationName("nnstudio")
    configure_pyqtgraph()
    return app


def run_app(experiment: Experiment, path: str | None = None, reopen_last: bool = False) -> int:
    """Open the window on the file `path` (or `experiment`), and run until it is closed.

    With `reopen_last`, the experiment file open when the app last closed is opened instead, if it is still there.
    """
    app = create_application()
    from nnstudio.gui.crash_report import install_crash_report
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.settings import Settings

    install_crash_report(app)

    settings = Settings.for_user()
    if reopen_last and path is None:
        path = settings.experiment_to_reopen()
    window = MainWindow(experiment, path, settings)
    app.aboutToQuit.connect(window.session.shutdown)
    window.show()
    window.lessons.offer_on_first_start()
    return app.exec()


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
    if Path(output).suffix.lower() != ".png":
        raise NNStudioError(f"the snapshot is a PNG picture: name it *.png, not {output!r}")
    if not Path(output).resolve().parent.is_dir():
        raise NNStudioError(f"cannot write {output}: its folder does not exist")
    app = create_application(offscreen=True)
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(experiment)
    window.resize(*size)
    window.show()
    session = window.session
    if not wait_until(app, lambda: session.trainer is not None and not session.is_running, 60):
        raise NNStudioError("the experiment could not be loaded in time")
    if epochs:
        session.run(until_epoch=epochs)  # starts the worker at once: is_running is True from here
        wait_until(app, lambda: not session.is_running, 600)
    wait_until(app, lambda: False, 0.1)  # let the last snapshot arrive
    window.redraw()
    app.processEvents()
    saved = window.grab().save(output, "PNG")
    window.close()
    if not saved:
        raise NNStudioError(f"cannot write {output}")
    return 0
