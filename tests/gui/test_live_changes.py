"""Live changes, as in TensorFlow Playground: settings change at the next step while training goes on;
data and model changes restart and say so; from the past, a change offers to branch."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus, Trainer
from nnstudio.gui.instruments.timeline import LIVE, PAST
from tests.gui.driving import registered, trainer_of, wait_idle

BACKENDS = ("numpy", "torch")
ENDLESS = 10_000_000  # a run that goes on until something stops it


def replay(experiment, changes_at: list[tuple[int, dict]], until_epoch: int) -> Trainer:
    """The same run headless: each change made after exactly that many steps, as the window says it was."""
    trainer = Trainer(experiment)
    for step, changes in changes_at:
        for _ in trainer.run(max_steps=step - trainer.step_count, snapshot_interval=np.inf):
            pass
        trainer.change_settings(**changes)
    for _ in trainer.run(until_epoch=until_epoch, snapshot_interval=np.inf):
        pass
    return trainer


def start_endless_run(qtbot, window, epochs: int = 5) -> None:
    window.run_to(ENDLESS)
    qtbot.waitUntil(lambda: window.session.is_training and (window.frame is not None and window.frame.epoch >= epochs))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_learning_rate_changed_while_training_applies_at_the_next_step_and_training_goes_on(
    qtbot, make_window, backend
):
    if backend == "torch":
        pytest.importorskip("torch")
    experiment = preset("sine").with_training(backend=backend)
    window = make_window(experiment)
    changes = []
    window.session.settings_changed.connect(changes.append)
    start_endless_run(qtbot, window, epochs=15)
    window.training_panel.learning_rate.setValue(0.01)  # typed into the Training tab
    qtbot.waitUntil(lambda: bool(changes), timeout=20000)
    assert window.session.is_training and window.session.status == RunStatus.TRAINING  # it goes on
    change = changes[0]
    assert (change.before.learning_rate, change.after.learning_rate) == (0.1, 0.01)
    assert window.state.experiment.training.learning_rate == 0.01
    qtbot.waitUntil(lambda: window.frame.epoch >= change.epoch + 5, timeout=20000)
    window.play_pause()  # pause
    wait_idle(qtbot, window)
    assert window.state.status == RunStatus.PAUSED
    trainer = trainer_of(window)
    assert trainer.training.learning_rate == 0.01 and trainer.backend.name == backend
    assert window.file_actions.dirty
    # the log says when, and the loss history is exactly a run whose rate changed at that step
    text = f"Epoch {change.epoch}: learning rate 0.1 → 0.01 (from step {change.step + 1} on)."
    assert change.text == text
    lines = window.log_panel.lines()
    at = lines.index(f"— {text}")  # among the epochs' lines, where it happened
    before = change.epoch - change.epoch % 10
    assert lines[at - 1].startswith(f"Epoch: {before} Loss:") and lines[at + 1].startswith(
        f"Epoch: {before + 10} Loss:"
    )
    same = replay(experiment, [(change.step, {"learning_rate": 0.01})], trainer.epoch)
    np.testing.assert_array_equal(trainer.loss_history.train, same.loss_history.train)
    # and it is not the run without the change
    unchanged = replay(experiment, [], trainer.epoch)
    assert not np.array_equal(trainer.loss_history.train, unchanged.loss_history.train)


def relative_difference(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.max(np.abs(first - second)) / max(np.max(np.abs(first)), np.max(np.abs(second)), 1e-12))


def test_after_live_changes_numpy_and_torch_still_give_the_same_numbers(qtbot, make_window):
    """A mid-epoch change of batch size (the epoch begins again) and of learning rate, on numpy in the
    window; torch, told the same changes at the same steps, computes the same losses."""
    pytest.importorskip("torch")
    experiment = preset("sine").with_training(batch_size=30, learning_rate=0.02)
    window = make_window(experiment)
    changes = []
    window.session.settings_changed.connect(changes.append)
    start_endless_run(qtbot, window, epochs=3)
    window.training_panel.batch_size.setValue(20)
    qtbot.waitUntil(lambda: len(changes) == 1, timeout=20000)
    window.training_panel.learning_rate.setValue(0.005)
    qtbot.waitUntil(lambda: len(changes) == 2, timeout=20000)
    qtbot.waitUntil(lambda: window.frame.epoch >= changes[-1].epoch + 3, timeout=20000)
    assert window.session.is_training
    window.play_pause()
    wait_idle(qtbot, window)
    trainer = trainer_of(window)
    made = [
        (change.step, {name: getattr(change.after, name)})
        for change, name in zip(changes, ("batch_size", "learning_rate"), strict=True)
    ]
    on_torch = replay(experiment.with_training(backend="torch"), made, trainer.epoch)
    assert relative_difference(trainer.loss_history.train, on_torch.loss_history.train) < 1e-8
    on_numpy = replay(experiment, made, trainer.epoch)
    np.testing.assert_array_equal(trainer.loss_history.train, on_numpy.loss_history.train)


def test_switching_the_backend_while_training_goes_on_with_the_same_numbers(qtbot, make_window):
    pytest.importorskip("torch")
    experiment = preset("sine")
    window = make_window(experiment)
    changes = []
    window.session.settings_changed.connect(changes.append)
    start_endless_run(qtbot, window)
    window.switch_backend("torch")  # Train ▸ Backend ▸ torch
    qtbot.waitUntil(lambda: bool(changes), timeout=60000)  # torch is imported now
    assert window.session.is_training and changes[0].after.backend == "torch"
    assert window.training_panel.backend.currentText() == "torch"  # the Training tab follows the menu
    assert [a.text() for a in window.backend_actions.actions() if a.isChecked()] == ["torch"]
    qtbot.waitUntil(lambda: window.frame.backend == "torch" and window.frame.epoch > changes[0].epoch + 3)
    window.play_pause()
    wait_idle(qtbot, window)
    trainer = trainer_of(window)
    assert trainer.backend.name == "torch" == window.state.backend
    never_switched = replay(experiment, [], trainer.epoch)
    assert relative_difference(trainer.loss_history.train, never_switched.loss_history.train) < 1e-8
    assert "same weights and optimiser state" in changes[0].text


def test_a_setting_changed_while_a_run_waits_for_its_turn_is_used_from_its_first_step(qtbot, make_window):
    """The run is queued behind another job: the change goes before it, and the run is not dropped."""
    import threading

    experiment = preset("sine")
    window = make_window(experiment)
    gate = threading.Event()
    window.session.read(lambda trainer: gate.wait(20), lambda _result: None)
    window.run_to(20)
    window.training_panel.learning_rate.setValue(0.01)
    gate.set()
    wait_idle(qtbot, window)
    trainer = trainer_of(window)
    assert trainer.epoch == 20 and trainer.training.learning_rate == 0.01
    same = replay(experiment, [(0, {"learning_rate": 0.01})], 20)
    np.testing.assert_array_equal(trainer.loss_history.train, same.loss_history.train)


RESTARTS = {  # what the class changes while training, what the run has then, and what the window says
    "model": (
        lambda window: window.model_panel.table.cellWidget(0, 0).setValue(32),  # 64 → 32 hidden units
        lambda state: state.experiment.model.hidden[0].units == 32,
        "Model changed: weights re-initialised.",
    ),
    "data": (
        lambda window: window.data_panel.noise_sd.setValue(0.5),
        lambda state: state.experiment.data.noise_sd == 0.5,
        "Data changed: the model was re-initialised.",
    ),
    "seed": (
        lambda window: window.training_panel.seed.setValue(5),
        lambda state: state.experiment.training.seed == 5,
        "New seed: new initial weights were drawn.",
    ),
}


@pytest.mark.parametrize("what", sorted(RESTARTS))
def test_a_model_data_or_seed_change_while_training_restarts_and_says_so(qtbot, make_window, what):
    change, changed, said = RESTARTS[what]
    window = make_window(preset("sine"))
    start_endless_run(qtbot, window)
    change(window)
    wait_idle(qtbot, window)
    assert window.state.step == 0 and window.state.status == RunStatus.IDLE and changed(window.state)
    message = f"{said} Training stopped: press Space to train."
    assert window.status.currentMessage() == message
    assert f"— {message}" in window.log_panel.lines()


def kept_runs(window):
    return registered(window, "compare_runs").view.runs


def test_a_change_while_looking_at_the_past_offers_to_branch_and_keeps_the_later_epochs(qtbot, make_window):
    experiment = preset("sine")
    window = make_window(experiment)
    window.run_to(30)
    wait_idle(qtbot, window)
    timeline = registered(window, "timeline")
    original = trainer_of(window).loss_history.train.copy()
    timeline.show_epoch(12)
    assert timeline.mode == PAST
    window.training_panel.learning_rate.setValue(0.01)
    box = timeline.branch_box
    assert box is not None and box.isVisible()
    assert box.text() == "Continue from epoch 12 with learning rate 0.1 → 0.01?"
    assert "13–30" in box.informativeText() and "Compare runs" in box.informativeText()
    assert timeline.mode == PAST and timeline.resume_button.isEnabled()  # nothing has happened yet
    go = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    assert go.text() == "Continue from epoch 12"
    go.click()
    # the old branch is kept, the run goes back to epoch 12, takes lr 0.01 and trains on to its target
    qtbot.waitUntil(lambda: len(kept_runs(window)) == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.state.status == RunStatus.PAUSED and window.state.epoch == 100, timeout=30000)
    kept = next(iter(kept_runs(window)))
    assert kept.name.endswith("(left at epoch 12)") and kept.experiment.training.learning_rate == 0.1
    np.testing.assert_array_equal(kept.train_loss, original)
    trainer = trainer_of(window)
    assert trainer.training.learning_rate == 0.01 and timeline.mode == LIVE
    branch = replay(experiment, [(12, {"learning_rate": 0.01})], 100)
    np.testing.assert_array_equal(trainer.loss_history.train, branch.loss_history.train)
    branched = "— Branched at epoch 12: learning rate 0.1 → 0.01; the old one is kept in Compare runs (Ctrl+5)."
    assert branched in window.log_panel.lines()


def test_cancelling_the_branch_changes_nothing(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(30)
    wait_idle(qtbot, window)
    timeline = registered(window, "timeline")
    generation = window.state.generation
    timeline.show_epoch(12)
    window.training_panel.optimizer.setCurrentText("gd")
    box = timeline.branch_box
    assert box.text() == "Continue from epoch 12 with optimiser adam → gd?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert timeline.branch_box is None
    wait_idle(qtbot, window)
    assert window.training_panel.optimizer.currentText() == "adam"  # put back: the run still has it
    assert window.state.generation == generation and window.state.epoch == 30
    assert timeline.mode == PAST and timeline.selected_epoch == 12 and timeline.resume_button.isEnabled()
    assert trainer_of(window).training.optimizer == "adam" and len(kept_runs(window)) == 0


def test_resume_from_here_keeps_the_abandoned_branch_as_a_run(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(30)
    wait_idle(qtbot, window)
    original = trainer_of(window).loss_history.train.copy()
    timeline = registered(window, "timeline")
    timeline.show_epoch(12)
    timeline.resume_button.click()
    qtbot.waitUntil(lambda: window.state.status == RunStatus.PAUSED and window.state.epoch == 100, timeout=30000)
    runs = kept_runs(window)
    assert len(runs) == 1
    kept = next(iter(runs))
    assert kept.name.endswith("(left at epoch 12)") and list(kept.epochs) == list(range(1, 31))
    np.testing.assert_array_equal(kept.train_loss, original)
    window.redraw()
    message = "— Resumed from epoch 12: a new branch; the old one is kept in Compare runs (Ctrl+5)."
    assert message in window.log_panel.lines()
