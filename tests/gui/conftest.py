"""GUI fixtures: a main window per test, a data panel, and a check that no test leaves a worker thread running."""

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QFont


@pytest.fixture(autouse=True)
def no_dangling_worker_threads(qapp):
    """Fail any test that leaves training running in the thread pool (as napari's conftest does)."""
    yield
    pool = QThreadPool.globalInstance()
    finished = pool.waitForDone(5000)
    assert finished and pool.activeThreadCount() == 0, "a test left a worker thread running"


@pytest.fixture(autouse=True)
def full_speed_unless_chosen(monkeypatch):
    """Windows in tests train at full speed: a test of the speed control chooses its pace itself
    (`window.controls.pace.choose(...)`, or the default: `choose("auto")`)."""
    from nnstudio.gui import pace_control

    monkeypatch.setattr(pace_control, "DEFAULT_CHOICE", "full")


@pytest.fixture
def make_window(qtbot):
    """Build the real main window on an experiment and wait until its trainer is ready."""
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.style import configure_pyqtgraph

    configure_pyqtgraph()
    windows = []

    def make(experiment):
        window = MainWindow(experiment)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=20000)
        window.redraw()  # draw the loaded model's first frame now, not at the redraw timer's next tick
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.session.shutdown()


@pytest.fixture
def data_panel(qtbot):
    """A data panel on the default data spec, on its own (no window)."""
    from nnstudio.core.engine.experiment import DataSpec
    from nnstudio.gui.panels.data_panel import DataPanel

    panel = DataPanel(DataSpec())
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def app_font(qapp):
    """The application font is global: put it back even when a test fails half-way."""
    font = QFont(qapp.font())
    yield font
    qapp.setFont(font)
