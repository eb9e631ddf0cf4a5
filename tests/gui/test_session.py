"""The training session and the application context: one owner of the trainer, one state, ids not titles."""

import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QMainWindow

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import FINISHED, RunState, RunStatus
from nnstudio.gui.app_context import AppContext
from nnstudio.gui.export_actions import plot_bytes
from nnstudio.gui.session import TrainingSession
from nnstudio.gui.settings import Settings
from tests.gui.driving import registered, trainer_of, wait_idle


def test_a_pause_that_comes_as_a_run_ends_does_not_stop_the_next_run(qtbot, make_window):
    """Pause pressed after a run's last step, while the window still says "training": too late for
    that run, and not a stop for the next one (after Reset, Play used to say "Paused at epoch 0")."""
    window = make_window(preset("sine"))
    late = []

    def pause_as_the_run_ends(snapshot) -> None:
        if snapshot.status == FINISHED and not late:
            QThreadPool.globalInstance().waitForDone()  # the run's generator is over; its end not yet announced
            late.append(window.session.is_training)
            window.play_pause()  # so this is a Pause

    window.session.snapshot_ready.connect(pause_as_the_run_ends)
    window.step(3)
    wait_idle(qtbot, window)
    window.session.snapshot_ready.disconnect(pause_as_the_run_ends)
    assert late == [True] and window.state.step == 3
    window.reset()
    window.run_to(5)
    wait_idle(qtbot, window)
    assert window.state.epoch == 5 and window.state.status == RunStatus.PAUSED
    assert window.frame.message == "Reached epoch 5."


def test_switching_to_torch_and_straight_back_keeps_the_second_click(qtbot, make_window):
    pytest.importorskip("torch")
    window = make_window(preset("sine"))
    window.switch_backend("torch")
    window.switch_backend("numpy")  # asked before the first switch is made
    wait_idle(qtbot, window)
    assert window.state.backend == "numpy" == trainer_of(window).backend.name
    assert [action.text() for action in window.backend_actions.actions() if action.isChecked()] == ["numpy"]


def test_switching_to_the_backend_in_use_changes_nothing(qtbot, make_window):
    window = make_window(preset("sine"))
    generation = window.state.generation
    window.switch_backend("numpy")
    wait_idle(qtbot, window)
    assert window.state.generation == generation and not window.file_actions.dirty


def test_a_step_of_the_inspector_is_unsaved_work_and_reaches_the_plots(qtbot, make_window):
    window = make_window(preset("sine"))
    assert not window.file_actions.dirty
    registered(window, "step_inspector").inspect_step_action.trigger()  # the I key
    wait_idle(qtbot, window)
    assert window.state.step == 1 and window.frame.step == 1
    assert window.file_actions.dirty and window.isWindowModified()
    assert window.state.can_undo  # Back undoes it, like any step
    registered(window, "timeline").back()
    wait_idle(qtbot, window)
    assert window.state.step == 0


def test_every_job_publishes_one_frozen_state_with_a_growing_generation(qtbot, make_window):
    window = make_window(preset("sine"))
    states = []
    window.session.state_changed.connect(states.append)
    window.step(2)
    wait_idle(qtbot, window)
    window.reset()
    wait_idle(qtbot, window)
    resting = [state for state in states if state.status in (RunStatus.IDLE, RunStatus.PAUSED)]
    assert [(state.step, state.status) for state in resting] == [(2, RunStatus.PAUSED), (0, RunStatus.IDLE)]
    assert resting[0].generation + 1 == resting[1].generation
    assert all(isinstance(state, RunState) for state in states)
    with pytest.raises(AttributeError):
        resting[0].epoch = 7  # frozen


def test_the_fit_plot_export_is_the_plot_on_screen(qtbot, make_window, tmp_path):
    """On two-input classes the screen shows the decision map: Export ▸ Fit Plot writes that."""
    window = make_window(preset("circle"))
    assert window.prediction_plot is window.boundary_plot
    path = tmp_path / "fit.png"
    assert window.export_actions.export_plot("fit", "png", str(path))
    written = path.read_bytes()
    assert written == plot_bytes(window.boundary_plot.plot_widget.getPlotItem(), "png")
    assert written != plot_bytes(window.fit_plot.plot_widget.getPlotItem(), "png")


def test_the_registry_calls_back_whatever_the_order_of_installing(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    context = AppContext(host, TrainingSession(host), Settings())
    seen = []
    context.when_available("thing", lambda item: seen.append(("early", item)))
    context.register("thing", 42)
    context.when_available("thing", lambda item: seen.append(("late", item)))
    assert seen == [("early", 42), ("late", 42)] and context.find("missing") is None
    with pytest.raises(ValueError):
        context.register("thing", 43)


CLOSE_WHILE_IMPORTING_TORCH = textwrap.dedent(
    """
    import importlib.abc, sys, time
    from PySide6.QtCore import QThreadPool, QTimer
    from nnstudio.core.engine.presets import preset
    from nnstudio.gui.app import create_application
    from nnstudio.gui.main_window import MainWindow

    class SlowTorch(importlib.abc.MetaPathFinder):
        # A loaded machine: importing torch takes longer than any fixed wait for it could allow.
        def find_spec(self, name, path=None, target=None):
            if name == "torch":
                time.sleep(6)
            return None

    assert "torch" not in sys.modules
    sys.meta_path.insert(0, SlowTorch())
    app = create_application(offscreen=True)
    window = MainWindow(preset("sine").with_training(backend="torch"))  # its first job imports torch
    window.show()

    def close_once_the_job_runs():
        if QThreadPool.globalInstance().activeThreadCount():
            window.close()
        else:
            QTimer.singleShot(1, close_once_the_job_runs)

    QTimer.singleShot(0, close_once_the_job_runs)
    code = app.exec()
    print("torch imported before the window closed:", "torch" in sys.modules, flush=True)
    sys.exit(code)
    """
)


def test_closing_while_a_job_imports_torch_waits_for_it_and_exits_cleanly():
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, "-c", CLOSE_WHILE_IMPORTING_TORCH], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch imported before the window closed: True" in result.stdout
    for problem in ("Signal source has been deleted", "Traceback", "RuntimeError", "QThread"):
        assert problem not in result.stderr, result.stderr[-2000:]
