"""Whatever state the window reaches, Save writes a file that opens as that very state.

Hypothesis drives random sequences of what a student does, through the window's own actions
and session (play, step, Back, resume from the past, switch optimiser / backend / batch size /
loss, diverge with a huge learning rate, stop below a loss, import points), and after each one
saves with the window's Save, reads the file back and compares everything a file keeps; now
and then the file is opened in the window (Open) and the work carries on from it.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import TRAINING, Trainer
from nnstudio.core.storage import archive
from nnstudio.core.storage.archive import ExperimentFile, capture, read_experiment_file, save_trainer
from nnstudio.gui import main_window as main_window_module
from nnstudio.gui.main_window import MainWindow
from tests.archive_crafting import npz_bomb, with_members
from tests.gui.driving import registered, trainer_of, wait_idle
from tests.hostile import hostile_settings, scaled

IMPORTED = (np.linspace(-2, 2, 30), np.cos(np.linspace(-2, 2, 30)) + 0.05 * (np.arange(30) % 3))


# --- comparing what a file keeps -------------------------------------------------------------------


def assert_same_arrays(got, expected, what):
    assert got.keys() == expected.keys(), what
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=f"{what}: {name}")


def assert_same_state(got, expected, what):
    assert_same_arrays(got.parameters, expected.parameters, f"{what} weights")
    assert got.optimizer_steps == expected.optimizer_steps, what
    assert got.optimizer_buffers.keys() == expected.optimizer_buffers.keys(), what
    for kind in expected.optimizer_buffers:
        assert_same_arrays(got.optimizer_buffers[kind], expected.optimizer_buffers[kind], f"{what} {kind}")


def assert_same_content(got: ExperimentFile, expected: ExperimentFile):
    """Everything a file keeps: settings, points, weights, optimiser memory, counters, both histories."""
    assert got.experiment == expected.experiment
    assert (got.points is None) == (expected.points is None)
    if expected.points is not None:
        for mine, theirs in zip(got.points, expected.points, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    run, saved = got.run, expected.run
    assert_same_state(run.state, saved.state, "now")
    for field, value in vars(saved.progress).items():
        mine = getattr(run.progress, field)
        assert mine == value or (mine != mine and value != value), (field, mine, value)  # NaN matches NaN
    assert_same_arrays(run.loss_history.to_arrays(), saved.loss_history.to_arrays(), "loss history")
    assert [e for e, _ in run.recorded_states] == [e for e, _ in saved.recorded_states]
    for (epoch, mine), (_, theirs) in zip(run.recorded_states, saved.recorded_states, strict=True):
        assert_same_state(mine, theirs, f"epoch {epoch}")
    assert run.state_history_stride == saved.state_history_stride


# --- what a student does ---------------------------------------------------------------------------


def change_training(window, **changes):
    window.training_panel.spec_changed.emit(replace(window.experiment.training, **changes))


def resume_from_the_past(qtbot, window, fraction):
    timeline = registered(window, "timeline")
    if trainer_of(window).epoch < 1:
        return
    timeline.show_epoch(int(fraction * trainer_of(window).epoch))
    timeline.resume_from_here()  # rewinds, then plays on: pause it as a student would
    qtbot.waitUntil(lambda: window.session.status == TRAINING or not window.session.is_running, timeout=20000)
    window.session.pause()


def stop_below(window, fraction):
    losses = trainer_of(window).loss_history.train
    target = float(losses[-1]) * fraction if len(losses) and np.isfinite(losses[-1]) else 1.0
    window.training_panel.stop_below_changed.emit(target)
    window.run_to(trainer_of(window).epoch + 40)


ACTIONS = st.one_of(
    st.tuples(st.just("play"), st.integers(1, 12)),
    st.tuples(st.just("step"), st.integers(1, 7)),
    st.tuples(st.just("back"), st.none()),
    st.tuples(st.just("resume"), st.floats(0, 1)),
    st.tuples(st.just("optimizer"), st.sampled_from(["gd", "momentum", "adam"])),
    st.tuples(st.just("backend"), st.sampled_from(["numpy", "torch"])),
    st.tuples(st.just("batch_size"), st.sampled_from([None, 4, 7, 16, 1000])),
    st.tuples(st.just("loss"), st.sampled_from(["mse", "sse"])),
    st.tuples(st.just("diverge"), st.integers(1, 5)),
    st.tuples(st.just("stop_below"), st.floats(0.5, 0.99)),
    st.tuples(st.just("import"), st.none()),
    st.tuples(st.just("open"), st.none()),
)


def act(qtbot, window, action, value, path):
    if action == "play":
        window.run_to(trainer_of(window).epoch + value)
    elif action == "step":
        window.step(value)
    elif action == "back":
        registered(window, "timeline").back()
    elif action == "resume":
        resume_from_the_past(qtbot, window, value)
    elif action in ("optimizer", "batch_size", "loss"):
        change_training(window, **{action: value})
    elif action == "backend":
        window.switch_backend(value)
    elif action == "diverge":
        change_training(window, learning_rate=1e6)
        wait_idle(qtbot, window)
        window.run_to(trainer_of(window).epoch + value)
        wait_idle(qtbot, window)
        change_training(window, learning_rate=0.01)  # the student takes a smaller one (still diverged)
    elif action == "stop_below":
        stop_below(window, value)
        wait_idle(qtbot, window)
        window.training_panel.stop_below_changed.emit(None)
    elif action == "import":
        window.data_import.use_points(IMPORTED, str(path.with_name("points.csv")), 0, 1, None)
    elif action == "open" and path.exists():
        window.file_actions.open_path(str(path))
    wait_idle(qtbot, window)


def save_and_compare(qtbot, window, path, failures):
    expected = capture(trainer_of(window))  # the window is idle: nothing else uses the trainer now
    window.file_actions.save_to(str(path))
    wait_idle(qtbot, window)
    assert failures == [], failures
    assert not window.file_actions.dirty and window.file_actions.path == str(path)
    assert_same_content(read_experiment_file(path), expected)
    return expected


@pytest.fixture
def round_trip_window(make_window, monkeypatch):
    failures = []
    monkeypatch.setattr(main_window_module.QMessageBox, "warning", lambda parent, title, text: failures.append(text))
    window = make_window(preset("sine"))
    monkeypatch.setattr(window.file_actions, "_warn", lambda title, message: failures.append(message))
    return window, failures


@scaled
def test_every_state_the_window_reaches_saves_and_reopens_as_the_same_state(scale, qtbot, round_trip_window, tmp_path):
    window, failures = round_trip_window
    path = tmp_path / "work.nnstudio"

    @hostile_settings(20, scale)  # ~0.15 s an action and its round trip: 20-30 s in CI
    @given(
        st.sampled_from(["sine", "linear", "bump-momentum"]),
        st.sampled_from([None, 6]),  # full batch, or a few mini-batches an epoch
        st.lists(ACTIONS, min_size=1, max_size=7),
    )
    def check(start, batch_size, actions):
        path.unlink(missing_ok=True)
        window.file_actions.open_experiment(preset(start).with_training(batch_size=batch_size), f"Opened {start}.")
        window.training_panel.stop_below_changed.emit(None)
        wait_idle(qtbot, window)
        for action, value in actions:
            act(qtbot, window, action, value, path)
            assert failures == [], (action, failures)
            saved = save_and_compare(qtbot, window, path, failures)
            if action == "open":  # the window now works on what the file held: exactly what was saved
                assert_same_content(capture(trainer_of(window)), saved)

    check()


def test_a_run_switched_from_adam_to_gd_saves_and_opens_in_the_window(qtbot, round_trip_window, tmp_path):
    window, failures = round_trip_window
    path = tmp_path / "sine.nnstudio"
    window.run_to(5)
    wait_idle(qtbot, window)
    change_training(window, optimizer="gd")
    wait_idle(qtbot, window)
    saved = save_and_compare(qtbot, window, path, failures)
    window.file_actions.open_path(str(path))
    wait_idle(qtbot, window)
    assert failures == []
    assert_same_content(capture(trainer_of(window)), saved)


def test_a_diverged_lesson_step_saves_and_opens_in_the_window(qtbot, round_trip_window, tmp_path):
    window, failures = round_trip_window
    path = tmp_path / "linear.nnstudio"
    window.file_actions.open_preset("linear")
    wait_idle(qtbot, window)
    change_training(window, learning_rate=0.1)
    wait_idle(qtbot, window)
    window.run_to(200)
    wait_idle(qtbot, window)
    assert trainer_of(window).diverged_message
    saved = save_and_compare(qtbot, window, path, failures)
    window.file_actions.open_path(str(path))
    wait_idle(qtbot, window)
    assert failures == [] and trainer_of(window).diverged_message
    assert_same_content(capture(trainer_of(window)), saved)


def test_a_save_that_would_not_open_again_is_not_saved(qtbot, round_trip_window, tmp_path, monkeypatch):
    window, failures = round_trip_window
    path = tmp_path / "sine.nnstudio"
    save_and_compare(qtbot, window, path, failures)
    before = path.read_bytes()
    window.run_to(3)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty
    real = archive.archive_bytes
    monkeypatch.setattr(archive, "archive_bytes", lambda content: real(content)[:-40])  # a damaged write
    window.file_actions.save_to(str(path))
    wait_idle(qtbot, window)
    assert len(failures) == 1 and "was not saved: the written file would not open again" in failures[0]
    assert window.file_actions.dirty and window.isWindowModified()  # closing will still ask
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["sine.nnstudio"]


def test_a_crafted_last_experiment_cannot_stop_the_window_opening(qtbot, tmp_path, monkeypatch):
    failures = []
    monkeypatch.setattr(main_window_module.QMessageBox, "warning", lambda parent, title, text: failures.append(text))
    saved = tmp_path / "sine.nnstudio"
    save_trainer(Trainer(preset("sine")), saved)
    crafted = tmp_path / "last.nnstudio"
    crafted.write_bytes(with_members(saved.read_bytes(), arrays_npz=npz_bomb("loss_history/train", 64 * 2**20)))
    window = MainWindow(preset("linear"), str(crafted))
    qtbot.addWidget(window)
    wait_idle(qtbot, window)
    assert len(failures) == 1 and failures[0].startswith("last.nnstudio: arrays.npz: loss_history/train claims")
    assert trainer_of(window).experiment == preset("linear") and window.file_actions.path is None
    window.session.shutdown()
