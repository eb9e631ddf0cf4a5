"""The window under a storm of random actions, extreme settings, and being closed mid-training.

A seeded random sequence of Play, Pause, Step, Step ×10, Run to, Reset, New weights, backend
switches, model, data and learning-rate edits is fired at the real window, often faster than the
worker can finish them. No exception may escape, no unexpected error may be reported, nothing may
deadlock, and whenever the window comes to rest its numbers must be the core's: the loss plot holds
`trainer.loss_history.train`, and the status bar shows its last epoch's loss.
~300 actions by default, 10,000 under `pytest --slow`.
"""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.exceptions import TimeoutError

from nnstudio.core.datasets.data import GENERATORS
from nnstudio.core.engine.experiment import DataSpec, LayerSpec, ModelSpec
from nnstudio.core.engine.losses import STANDARDISED_UNITS, loss_units
from nnstudio.core.engine.model import INITIALISATIONS
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import TRAINING, RunStatus
from tests.gui.driving import trainer_of

BUSY = RunStatus.BUSY

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "softplus", "identity")
IDLE_TIMEOUT_MS = 60_000  # a deadlock fails here, not by hanging the suite


@pytest.fixture
def dialogs(monkeypatch):
    """Warnings the window would show in a dialog, recorded instead (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *rest, **options: shown.append(text))
    return shown


def wait_idle(qtbot, window, pausing: bool = False) -> None:
    """Until no job runs (pausing any run first, and any run that starts later, if `pausing`)."""

    def idle() -> bool:
        if pausing and window.session.status == TRAINING:
            window.session.pause()  # a run queued behind a change starts only after it: pause that too
        return not window.session.is_running

    try:
        qtbot.waitUntil(idle, timeout=IDLE_TIMEOUT_MS)
    except TimeoutError as error:  # a deadlock: say where the session was stuck
        session = window.session
        raise AssertionError(
            f"stuck: state {session.state}, jobs {list(session._jobs)}, worker {session._worker}"
        ) from error


def come_to_rest(qtbot, window) -> None:
    """Pause whatever runs, let every job finish, and draw the last snapshot."""
    wait_idle(qtbot, window, pausing=True)
    window.redraw()


def assert_window_shows_the_core(window) -> None:
    trainer = trainer_of(window)
    history = trainer.loss_history.train  # the status bar shows the epoch's loss, as the log and the plot
    standardised = loss_units(trainer.training.loss, trainer.experiment.data.standardize) == STANDARDISED_UNITS
    units = " (standardised units)" if standardised and len(history) else ""
    expected = f"loss {history[-1]:.6g}{units}" if len(history) else "loss –"
    assert window.status.loss_label.text() == expected
    np.testing.assert_array_equal(window.loss_plot.train_values(), trainer.loss_history.train)
    np.testing.assert_array_equal(window.loss_plot.epochs(), trainer.loss_history.epochs)


def random_model(rng: random.Random) -> ModelSpec:
    layers = tuple(
        LayerSpec(rng.choice([1, 2, 8, 16, 64]), rng.choice(ACTIVATIONS), rng.random() < 0.9)
        for _ in range(rng.randint(0, 3))
    )
    init = rng.choice(list(INITIALISATIONS))
    return ModelSpec(hidden=layers, init=init, init_constant=rng.choice([0.0, 0.5, 1.0]))


def random_data(rng: random.Random) -> DataSpec:
    return DataSpec(
        generator=rng.choice(list(GENERATORS)),
        n_points=rng.choice([2, 3, 10, 50, 200]),
        noise_sd=rng.choice([0.0, 0.1, 1.0, 50.0]),
        test_fraction=rng.choice([0.0, 0.2, 0.5]),
        standardize=rng.random() < 0.3,
        seed=rng.randrange(2**32),
    )


def act(window, rng: random.Random, action: str) -> None:
    training = window.training_panel
    if action == "play_pause":
        window.play_pause()
    elif action == "pause":
        window.session.pause()
    elif action == "step":
        window.step(1)
    elif action == "step10":
        window.step(10)
    elif action == "run_to":
        window.run_to(rng.randint(1, 400))
    elif action == "reset":
        window.reset()
    elif action == "new_weights":
        window.new_weights()
    elif action == "backend":
        window.switch_backend(rng.choice(["numpy", "torch"]))
    elif action == "model":
        window.model_panel.spec_changed.emit(random_model(rng))
    elif action == "data":
        window.data_panel.spec_changed.emit(random_data(rng))
    elif action == "learning_rate":
        rate = rng.choice([1e-6, 1e-3, 0.01, 0.1, 1.0, 10.0, 1000.0])
        optimizer = rng.choice(["adam", "adam", "gd", "momentum"])
        training.spec_changed.emit(replace(training.spec(), learning_rate=rate, optimizer=optimizer))
    else:
        raise AssertionError(action)


ACTIONS = {  # action: weight
    "play_pause": 15, "pause": 8, "step": 15, "step10": 10, "run_to": 5, "reset": 6, "new_weights": 5,
    "backend": 4, "model": 8, "data": 8, "learning_rate": 10,
}  # fmt: skip


@pytest.mark.parametrize(
    "actions, seed",
    [pytest.param(300, 1, id="300"), pytest.param(10_000, 2, id="10000", marks=pytest.mark.slow)],
)
def test_random_actions_never_crash_and_the_window_shows_the_cores_numbers(qtbot, make_window, dialogs, actions, seed):
    rng = random.Random(seed)
    window = make_window(preset("sine"))
    names, weights = list(ACTIONS), list(ACTIONS.values())
    with qtbot.capture_exceptions() as exceptions:
        for count in range(1, actions + 1):
            act(window, rng, rng.choices(names, weights)[0])
            pace = rng.random()
            if pace < 0.6:
                QApplication.processEvents()  # the next action comes at once: jobs pile up
            elif pace < 0.9:  # until a change under way is done (a run may go on: Play past the target never ends)
                qtbot.waitUntil(lambda: window.session.status != BUSY, timeout=IDLE_TIMEOUT_MS)
            if pace >= 0.9 or count % 50 == 0:
                come_to_rest(qtbot, window)
                assert_window_shows_the_core(window)
        come_to_rest(qtbot, window)
    assert not exceptions, exceptions
    unexpected = [text for text in dialogs if "Unexpected" in text or "Traceback" in text]
    assert not unexpected, unexpected
    assert_window_shows_the_core(window)
    window.step(10)  # and it still trains
    come_to_rest(qtbot, window)
    assert_window_shows_the_core(window)


# --- extreme settings in the window ---------------------------------------------------------------


def test_absurd_sizes_are_refused_with_a_message_and_the_work_is_kept(qtbot, make_window, dialogs):
    window = make_window(preset("sine"))
    window.run_to(20)
    wait_idle(qtbot, window)
    trainer = trainer_of(window)
    window.data_panel.spec_changed.emit(replace(window.experiment.data, n_points=10_000_000))
    wait_idle(qtbot, window)
    window.model_panel.spec_changed.emit(ModelSpec(hidden=tuple(LayerSpec(4096) for _ in range(16))))
    wait_idle(qtbot, window)
    assert len(dialogs) == 2 and all("memory" in text for text in dialogs), dialogs
    assert trainer_of(window) is trainer and trainer.epoch == 20  # nothing was lost
    assert window.data_panel.spec().n_points == 100 and len(window.model_panel.spec().hidden) == 1


def test_the_panels_keep_learning_rate_and_width_within_what_can_train(make_window):
    window = make_window(preset("sine"))
    panel = window.training_panel
    for typed, kept in ((0.0, 1e-6), (-5.0, 1e-6), (1e9, 1000.0)):
        panel.learning_rate.setValue(typed)
        assert panel.learning_rate.value() == pytest.approx(kept)
    widths = [box.value() for box in _width_boxes(window)]
    for box in _width_boxes(window):
        box.setValue(0)
        assert box.value() == 1
        box.setValue(100_000)
        assert box.value() == 4096
    assert widths  # the sine model has its one hidden layer


def _width_boxes(window):
    from PySide6.QtWidgets import QSpinBox

    table = window.model_panel.table
    return [
        table.cellWidget(row, column)
        for row in range(table.rowCount())
        for column in range(table.columnCount())
        if isinstance(table.cellWidget(row, column), QSpinBox)
    ]


def test_ten_million_epochs_and_a_batch_larger_than_the_data(qtbot, make_window, dialogs):
    window = make_window(preset("sine"))
    window.training_panel.spec_changed.emit(replace(window.experiment.training, epochs=10_000_000, batch_size=10**6))
    wait_idle(qtbot, window)
    assert trainer_of(window).training.epochs == 10_000_000 and trainer_of(window).batches_per_epoch() == 1
    window.play_pause()
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.epoch > 30, timeout=20_000)
    come_to_rest(qtbot, window)
    assert trainer_of(window).step_count == trainer_of(window).epoch  # one full batch per epoch
    assert 30 < trainer_of(window).epoch < 10_000_000 and not dialogs
    assert_window_shows_the_core(window)


@pytest.mark.parametrize("examples", [pytest.param(15, id="15"), pytest.param(300, id="300", marks=pytest.mark.slow)])
def test_importing_hostile_csv_files_in_the_window(qtbot, make_window, dialogs, tmp_path, monkeypatch, examples):
    from hypothesis import example, given

    from tests.hostile import fingerprint, hostile_settings
    from tests.test_hostile_inputs import csv_bytes

    window = make_window(preset("sine"))
    path = tmp_path / "points.csv"
    monkeypatch.setattr(window.data_import, "_ask_csv_path", lambda: str(path))
    monkeypatch.setattr(window.data_import, "_warn", lambda title, message: dialogs.append(message))
    previews = []

    def press_import(dialog):  # the user presses Import (Enter) once the file is read
        qtbot.waitUntil(lambda: not dialog.is_reading, timeout=20_000)
        previews.append(dialog)
        return True

    monkeypatch.setattr(window.data_import, "_run_import_dialog", press_import)
    outcomes = []

    @hostile_settings(examples, 1)
    @given(csv_bytes())
    @example(b"x,y\n1,2\n2,3.5\n3,5\n4,4\n")  # always one good file...
    @example("größe;wert\n1;2\n".encode("latin-1"))  # ...and one bad one
    def check(raw):
        path.write_bytes(raw)
        before, warned, trainer = fingerprint(tmp_path), len(dialogs), trainer_of(window)
        window.data_import.import_csv()
        come_to_rest(qtbot, window)
        problem = previews[-1].problem()
        if problem:  # refused in the preview, with one line: the work in the window is kept
            assert problem.startswith("Cannot import: ") and "\n" not in problem and "Unexpected" not in problem
            assert trainer_of(window) is trainer and len(dialogs) == warned
            outcomes.append("refused")
        elif len(dialogs) > warned:  # read, but the data could not be used: said so, the work is kept
            assert all("Unexpected" not in text for text in dialogs[warned:]), dialogs[warned:]
            outcomes.append("refused")
        else:  # read: the window trains on it now
            assert trainer_of(window) is not trainer and trainer_of(window).experiment.data.csv_path == str(path)
            outcomes.append("imported")
        assert_window_shows_the_core(window)
        assert fingerprint(tmp_path) == before

    check()
    assert {"refused", "imported"} <= set(outcomes)


# --- closing the window at random moments ---------------------------------------------------------

CLOSE_SCRIPT = """
import random, sys
from PySide6.QtCore import QTimer
from nnstudio.core.engine.presets import preset
from nnstudio.gui.app import create_application
from nnstudio.gui.main_window import MainWindow

seed = int(sys.argv[1])
rng = random.Random(seed)
app = create_application(offscreen=True)
window = MainWindow(preset(rng.choice(["sine", "sine-tanh-deep", "cubic-overfit"])))
window.show()
start = rng.uniform(0, 400)
if seed % 3 == 0:  # closed in the very turn of the event loop that starts training
    QTimer.singleShot(int(start), lambda: (window.run_to(10_000_000), window.close()))
else:
    QTimer.singleShot(int(start), lambda: window.run_to(10_000_000))
    if rng.random() < 0.5:  # sometimes a change is under way too
        QTimer.singleShot(int(start + rng.uniform(0, 300)), lambda: window.switch_backend("torch"))
    QTimer.singleShot(int(start + rng.uniform(0, 700)), window.close)
sys.exit(app.exec())
"""


@pytest.mark.parametrize("runs", [pytest.param(3, id="3"), pytest.param(24, id="24", marks=pytest.mark.slow)])
def test_closing_the_window_at_random_moments_always_exits_cleanly(runs):
    for batch in range(0, runs, 3):  # three at a time: two cores, and the start-up is mostly waiting
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", CLOSE_SCRIPT, str(seed)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for seed in range(batch, min(batch + 3, runs))
        ]
        for seed, process in enumerate(processes, start=batch):
            try:
                _, err = process.communicate(timeout=120)
            finally:
                process.kill()
            assert process.returncode == 0, (seed, err[-2000:])
            assert "QThread" not in err and "Traceback" not in err, (seed, err[-2000:])
