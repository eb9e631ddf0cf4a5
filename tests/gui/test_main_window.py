"""The whole window, driven as a user would: its numbers must be the core's numbers."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.core.engine.experiment import LayerSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import DIVERGED, RunStatus, Trainer, format_log_line
from tests.gui.driving import trainer_of, wait_idle
from tests.gui.image_checks import distinct_colours, rendered_pixels

IDLE, PAUSED = RunStatus.IDLE, RunStatus.PAUSED


def core_losses(experiment, epochs):
    trainer = Trainer(experiment)
    for _ in trainer.run(until_epoch=epochs):
        pass
    return trainer.loss_history.train.copy()


def test_play_trains_to_the_target_and_the_plots_change(qtbot, make_window):
    window = make_window(preset("sine"))
    before = window.fit_plot.prediction()[1].copy()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.status == PAUSED, timeout=20000)
    window.redraw()
    assert trainer_of(window).epoch == 100
    after = window.fit_plot.prediction()[1]
    assert np.max(np.abs(after - before)) > 0.5
    losses = core_losses(preset("sine"), 100)
    np.testing.assert_allclose(window.loss_plot.train_values(), losses, rtol=1e-12)
    assert window.log_panel.lines()[-1] == format_log_line(100, losses[99])
    assert "paused" in window.status.state_label.text()


def test_step_makes_exactly_one_optimiser_step_and_shows_the_cores_loss(qtbot, make_window):
    experiment = preset("sine-tanh-deep")  # mini-batches: one step is one batch, not one epoch
    window = make_window(experiment)
    qtbot.keyClick(window, Qt.Key.Key_N)
    wait_idle(qtbot, window)
    core = Trainer(experiment)
    expected = core.step()
    assert trainer_of(window).step_count == 1 and trainer_of(window).epoch == 0
    # No epoch is complete: no epoch loss yet; the one batch's loss is shown, and says it is a batch's.
    assert window.status.loss_label.text() == "loss –"
    assert window.status.batch_loss_label.text() == f"last batch {expected:.6g}"
    assert window.status.batch_loss_label.isVisibleTo(window.status)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    assert trainer_of(window).step_count == 11
    for _ in range(10):
        expected = core.step()
    assert trainer_of(window).last_step_loss == pytest.approx(expected, rel=1e-12)
    assert len(window.loss_plot.train_values()) == core.epoch == 2  # 160 points in batches of 32: 5 per epoch


def test_the_status_bar_shows_the_epoch_loss_the_log_and_the_plot_show(qtbot, make_window):
    experiment = preset("sine-tanh-deep")  # mini-batches: 5 steps per epoch
    window = make_window(experiment)
    window.run_to(10)  # the log prints every 10th epoch
    wait_idle(qtbot, window)
    window.redraw()
    core = Trainer(experiment)
    for _ in range(50):
        last_batch = core.step()
    epoch_loss = core.loss_history.train[-1]
    assert last_batch != pytest.approx(epoch_loss, rel=1e-3)  # two numbers: which one is which must be said
    status = window.status
    assert status.loss_label.text() == f"loss {epoch_loss:.6g}"
    assert window.loss_plot.train_values()[-1] == pytest.approx(epoch_loss, rel=1e-12)
    assert window.log_panel.lines()[-1] == format_log_line(10, epoch_loss)
    assert status.batch_loss_label.text() == f"last batch {last_batch:.6g}"
    assert "last completed epoch" in status.loss_label.toolTip()
    assert "mini-batch alone" in status.batch_loss_label.toolTip()


def test_full_batches_show_no_batch_loss_and_standardised_losses_say_so(qtbot, make_window):
    window = make_window(preset("linear"))  # full batches, x and y standardised: the loss is in standardised units
    qtbot.keyClick(window, Qt.Key.Key_N)
    wait_idle(qtbot, window)
    window.redraw()
    loss = trainer_of(window).loss_history.train[-1]
    status = window.status
    assert status.loss_label.text() == f"loss {loss:.6g} (standardised units)"
    assert not status.batch_loss_label.isVisibleTo(status)
    assert "standardised units" in status.loss_label.toolTip() and "original units" in status.loss_label.toolTip()
    assert window.loss_plot.loss_axis_title() == "sse (std. units)"
    assert window.loss_plot.metrics_caption() == "epoch 1 (now) · original units"
    train_metrics, _ = trainer_of(window).metrics()
    assert window.loss_plot.metric_text("MSE", "train") == f"{train_metrics.mse:.4g}"
    assert train_metrics.mse > 4 * loss / 50  # in original units: not the standardised loss per point


def test_pause_stops_a_long_run(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10_000_000)
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.epoch > 50, timeout=10000)
    with qtbot.waitSignal(window.session.state_changed, timeout=10000) as paused:
        window.play_pause()
    assert paused.args[0].status == PAUSED and window.session.status == PAUSED and not window.session.is_running
    assert 50 < trainer_of(window).epoch < 10_000_000


def test_reset_restores_the_initial_weights(qtbot, make_window):
    window = make_window(preset("sine"))
    initial = Trainer(preset("sine")).backend.parameters()
    window.run_to(30)
    wait_idle(qtbot, window)
    assert not np.allclose(trainer_of(window).backend.parameters()["W1"], initial["W1"])
    qtbot.keyClick(window, Qt.Key.Key_R)
    wait_idle(qtbot, window)
    for name, value in trainer_of(window).backend.parameters().items():
        np.testing.assert_array_equal(value, initial[name])
    assert trainer_of(window).epoch == 0 and len(window.loss_plot.train_values()) == 0
    assert window.session.status == IDLE


def test_switching_backend_mid_run_continues_the_same_loss_sequence(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(40)
    wait_idle(qtbot, window)
    window.switch_backend("torch")
    wait_idle(qtbot, window, timeout=60000)
    assert trainer_of(window).backend.name == "torch"
    assert window.status.backend_label.text() == "torch"
    window.run_to(80)
    wait_idle(qtbot, window)
    np.testing.assert_allclose(window.loss_plot.train_values(), core_losses(preset("sine"), 80), rtol=1e-9)


def test_divergence_stops_training_says_so_in_red_and_reset_recovers(qtbot, make_window):
    window = make_window(preset("sine").with_training(optimizer="gd", learning_rate=1000.0))
    window.play_pause()
    qtbot.waitUntil(lambda: window.session.status == DIVERGED, timeout=10000)
    window.redraw()
    assert "DIVERGED" in window.status.state_label.text()
    alert = window.status.alert_label
    assert "smaller" in alert.full_text() and "learning rate" in alert.full_text()
    # the long message is cut with "…" (whole in its tooltip), never widening the window past a projector's
    assert window.minimumSizeHint().width() <= 1008 and alert.full_text() in alert.toolTip()
    assert "c0392b" in window.status.state_label.styleSheet()
    assert not window.controls.step.isEnabled()
    window.reset()
    wait_idle(qtbot, window)
    assert window.session.status == IDLE and window.status.alert_label.full_text() == ""
    assert window.controls.step.isEnabled()


def test_changing_the_model_while_training_pauses_then_reinitialises(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10_000_000)
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.epoch > 20, timeout=10000)
    new_model = replace(window.experiment.model, hidden=(LayerSpec(8, "tanh"),))
    window.model_panel.spec_changed.emit(new_model)
    qtbot.waitUntil(lambda: window.state.parameter_count == 8 * 3 + 1, timeout=10000)
    wait_idle(qtbot, window)
    assert window.session.status == IDLE and trainer_of(window).epoch == 0
    assert "re-initialised" in window.log_panel.lines()[-1]
    assert len(window.loss_plot.train_values()) == 0


def test_a_bad_csv_leaves_the_current_data_untouched(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(preset("sine"))
    dataset, spec = trainer_of(window).dataset, window.experiment.data
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    shown = []

    def press_import(dialog):  # Enter on the dialog once the file is read: Import is off, nothing happens
        qtbot.waitUntil(lambda: not dialog.is_reading, timeout=10000)
        shown.append(dialog.problem())
        return True

    monkeypatch.setattr(window.data_import, "_ask_csv_path", lambda: str(bad))
    monkeypatch.setattr(window.data_import, "_run_import_dialog", press_import)
    window.data_import.import_csv()
    wait_idle(qtbot, window)
    assert shown == ["Cannot import: line 3, column 2: 'oops' is not a number"]
    assert trainer_of(window).dataset is dataset and window.experiment.data == spec


def test_the_window_is_drawn_with_real_content(qtbot, make_window):
    window = make_window(preset("linear"))
    window.run_to(200)
    wait_idle(qtbot, window)
    pixels = rendered_pixels(window)
    assert pixels.shape[:2] == (800, 1280)
    assert distinct_colours(pixels) > 200


def test_closing_the_window_during_training_exits_cleanly():
    script = """
import sys
from PySide6.QtCore import QTimer
from nnstudio.core.engine.presets import preset
from nnstudio.gui.app import create_application
from nnstudio.gui.main_window import MainWindow

app = create_application(offscreen=True)
window = MainWindow(preset("sine-tanh-deep"))
window.show()
QTimer.singleShot(400, lambda: window.run_to(10_000_000))
QTimer.singleShot(1200, lambda: print("training" if window.session.is_training else "idle", flush=True))
QTimer.singleShot(1300, window.close)
sys.exit(app.exec())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "training"
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr


def test_snapshot_command_writes_a_png_of_the_trained_window(tmp_path):
    output = tmp_path / "window.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnstudio",
            "snapshot",
            "--preset",
            "linear",
            "--epochs",
            "50",
            "--size",
            "1024x700",
            "-o",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(output))
    assert (image.width(), image.height()) == (1024, 700)
    colours = {image.pixel(x, y) for x in range(0, 1024, 7) for y in range(0, 700, 7)}
    assert len(colours) > 50


def test_a_classification_loss_has_no_units_and_its_metrics_name_the_moment(qtbot, make_window):
    window = make_window(preset("circle"))
    qtbot.keyClick(window, Qt.Key.Key_N)
    wait_idle(qtbot, window)
    loss = trainer_of(window).loss_history.train[-1]
    assert window.status.loss_label.text() == f"loss {loss:.6g}"
    assert window.loss_plot.loss_axis_title() == "bce loss"
    assert window.loss_plot.metrics_caption() == "epoch 1 (now)"  # accuracy has no units


def test_a_change_that_resends_the_history_does_not_print_the_log_again(qtbot, make_window, tmp_path):
    window = make_window(preset("sine"))
    window.run_to(40)
    wait_idle(qtbot, window)
    window.switch_backend("torch")  # the session re-sends the whole history with the new state
    wait_idle(qtbot, window, timeout=60000)
    window.session.back()
    wait_idle(qtbot, window)
    window.redraw()
    epoch_lines = [line for line in window.log_panel.lines() if line.startswith("Epoch: ")]
    assert [line.split()[1] for line in epoch_lines] == ["10", "20", "30", "40"]  # each once, in order
    assert window.log_panel.lines()[-1].startswith("— Back")  # the change's message is the last line
    window.run_to(50)
    wait_idle(qtbot, window)
    window.redraw()
    assert window.log_panel.lines()[-1] == format_log_line(50, trainer_of(window).loss_history.train[-1])


def test_a_message_about_a_step_is_gone_once_a_run_trains(qtbot, make_window):
    window = make_window(preset("linear"))
    window.step(1)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.status.currentMessage() == "Made 1 step(s).")
    window.run_to(10_000_000)  # a run that goes on until paused
    qtbot.waitUntil(lambda: window.session.is_training, timeout=10000)
    assert window.status.currentMessage() != "Made 1 step(s)."
    window.session.pause()
    wait_idle(qtbot, window)
