"""The timeline: scrubbing shows exactly the recorded model, Back undoes exactly, resuming branches."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QSlider

from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus, Trainer
from nnstudio.gui.instruments.timeline import LIVE, PAST
from tests.gui.driving import registered, trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels

PAUSED = RunStatus.PAUSED


def core_trainer(name, epochs):
    trainer = Trainer(preset(name))
    for _ in trainer.run(until_epoch=epochs):
        pass
    return trainer


def prediction_of(trainer, parameters):
    """The fit curve for `parameters`, computed here independently of the timeline's code."""
    outputs = forward(trainer.layers, parameters, trainer.dataset.x_grid)[-1].outputs
    return trainer.dataset.scaler.y_from_model(outputs)[:, 0]


def test_scrubbing_shows_exactly_the_recorded_model(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(30)
    wait_idle(qtbot, window)
    timeline, trainer = registered(window, "timeline"), trainer_of(window)
    live = window.fit_plot.prediction()[1].copy()
    assert timeline.is_live and timeline.slider.maximum() == 30 and timeline.slider.value() == 30
    for epoch in (0, 7, 29):
        with qtbot.waitSignal(timeline.moment_selected, timeout=5000) as blocker:
            timeline.show_epoch(epoch)
        recorded_epoch, state = trainer.state_history.at_or_before(epoch)
        shown_epoch, parameters = blocker.args
        assert shown_epoch == recorded_epoch == epoch and timeline.mode == PAST
        # the weights are the ones the core had at that epoch, bit for bit
        core = core_trainer("sine", epoch)
        for name, value in core.backend.parameters().items():
            np.testing.assert_array_equal(parameters[name], value)
            np.testing.assert_array_equal(state.parameters[name], value)
        np.testing.assert_array_equal(window.fit_plot.prediction()[1], prediction_of(trainer, state.parameters))
        np.testing.assert_allclose(window.fit_plot.prediction()[1], core.prediction_on_grid()[:, 0], rtol=1e-12)
        assert timeline.loss_marker.isVisible() and timeline.loss_marker.value() == epoch
        np.testing.assert_array_equal(timeline.now_curve.getData()[1], live)  # "now" stays in view, grey
    assert "epoch 29 of 30" in timeline.looking_back_label.text()
    assert timeline.resume_button.isEnabled()
    with qtbot.waitSignal(timeline.returned_to_now, timeout=5000):
        timeline.slider.setValue(30)  # the right end is now
    assert timeline.mode == LIVE and not timeline.now_curve.isVisible() and not timeline.loss_marker.isVisible()
    np.testing.assert_array_equal(window.fit_plot.prediction()[1], live)
    assert trainer_of(window).epoch == 30  # looking changed nothing


def test_the_scrubbed_fit_is_drawn_in_the_plot(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(60)
    wait_idle(qtbot, window)
    grey_now = pixels_near(rendered_pixels(window.fit_plot), "#8A8A8A", tolerance=20)
    registered(window, "timeline").show_epoch(3)
    qtbot.waitUntil(lambda: registered(window, "timeline").mode == PAST)
    grey_then = pixels_near(rendered_pixels(window.fit_plot), "#8A8A8A", tolerance=20)
    assert grey_then > grey_now + 300  # the dashed grey curve of "now" appeared beside the old fit


def test_scrubbing_while_training_pauses_first(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10_000_000)
    qtbot.waitUntil(
        lambda: registered(window, "timeline").now_epoch > 40, timeout=10000
    )  # the slider knows epochs from frames
    registered(window, "timeline").show_epoch(20)
    qtbot.waitUntil(lambda: registered(window, "timeline").mode == PAST, timeout=10000)
    assert window.session.status == PAUSED and registered(window, "timeline").selected_epoch == 20
    _, state = trainer_of(window).state_history.at_or_before(20)
    np.testing.assert_array_equal(window.fit_plot.prediction()[1], prediction_of(trainer_of(window), state.parameters))
    # a later frame of the same moment (drawn after the pause) must not cover the past
    window.redraw()
    QApplication.processEvents()  # anything the worker sent before the pause arrives now
    np.testing.assert_array_equal(window.fit_plot.prediction()[1], prediction_of(trainer_of(window), state.parameters))
    registered(window, "timeline").go_live()
    np.testing.assert_allclose(window.fit_plot.prediction()[1], trainer_of(window).prediction_on_grid()[:, 0], rtol=0)


def test_a_new_step_returns_the_timeline_to_now(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10)
    wait_idle(qtbot, window)
    registered(window, "timeline").show_epoch(4)
    assert registered(window, "timeline").mode == PAST
    with qtbot.waitSignal(registered(window, "timeline").returned_to_now, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_N)
    wait_idle(qtbot, window)
    assert (
        registered(window, "timeline").is_live
        and registered(window, "timeline").slider.value() == registered(window, "timeline").slider.maximum() == 11
    )
    np.testing.assert_array_equal(window.fit_plot.prediction()[1], trainer_of(window).prediction_on_grid()[:, 0])


def test_back_restores_exactly_the_previous_weights_and_loss_curve(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10)
    wait_idle(qtbot, window)
    before = trainer_of(window).backend.parameters()
    loss_before = window.loss_plot.train_values()
    assert len(loss_before) == 10
    qtbot.keyClick(window, Qt.Key.Key_N)  # Step (the window keeps a checkpoint first)
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 11 and len(window.loss_plot.train_values()) == 11
    qtbot.keyClick(window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: window.state.epoch == 10, timeout=10000)
    wait_idle(qtbot, window)
    for name, value in trainer_of(window).backend.parameters().items():
        np.testing.assert_array_equal(value, before[name])
    np.testing.assert_array_equal(window.loss_plot.train_values(), loss_before)
    assert registered(window, "timeline").slider.maximum() == 10


def test_back_without_a_checkpoint_goes_to_the_previous_recorded_epoch(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10)  # a run, not a Step: nothing to undo
    wait_idle(qtbot, window)
    assert not trainer_of(window).can_undo
    registered(window, "timeline").back_action.trigger()
    qtbot.waitUntil(lambda: window.state.epoch == 9, timeout=10000)
    wait_idle(qtbot, window)
    core = core_trainer("sine", 9)
    for name, value in core.backend.parameters().items():
        np.testing.assert_array_equal(trainer_of(window).backend.parameters()[name], value)
    np.testing.assert_array_equal(window.loss_plot.train_values(), core.loss_history.train)
    assert "recorded epoch 9" in window.status.currentMessage()


def test_resume_from_here_branches_and_trains_on(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(30)
    wait_idle(qtbot, window)
    changes = []
    window.session.run_replaced.connect(
        lambda state: changes.append((state.epoch, len(trainer_of(window).loss_history), len(state.recorded_epochs)))
    )
    registered(window, "timeline").show_epoch(12)
    registered(window, "timeline").resume_button.click()
    qtbot.waitUntil(lambda: bool(changes), timeout=10000)
    assert changes[0] == (12, 12, 13)  # rewound: the history after epoch 12 is gone (states 0..12 kept)
    qtbot.waitUntil(lambda: window.session.status == PAUSED and window.state.epoch == 100, timeout=30000)
    window.redraw()
    assert registered(window, "timeline").is_live and registered(window, "timeline").slider.maximum() == 100
    # redrawn from the branch's full history, not appended to the old one (30 + 88 points)
    np.testing.assert_array_equal(window.loss_plot.epochs(), np.arange(1, 101))
    # the rewound state is exact (weights and Adam's memory), so the branch retraces the original run
    np.testing.assert_allclose(window.loss_plot.train_values(), core_trainer("sine", 100).loss_history.train, rtol=0)


def test_every_timeline_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    timeline = registered(window, "timeline")
    controls = timeline.findChildren(QAbstractButton) + timeline.findChildren(QSlider)
    assert len(controls) >= 3 and all(control.toolTip() for control in controls)
    back = timeline.back_action
    assert back.shortcut().toString() == "B" and "Undo the last step" in back.toolTip()
    train_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Train")
    assert back in train_menu.actions()


def test_the_metrics_and_the_instruments_follow_the_timeline_and_say_past(qtbot, make_window):
    window = make_window(preset("linear"))  # standardised: loss in standardised units, metrics in original ones
    window.run_to(30)
    wait_idle(qtbot, window)
    timeline, loss_plot = registered(window, "timeline"), window.loss_plot
    hidden_units = registered(window, "hidden_units").dock
    live_mse = loss_plot.metric_text("MSE", "train")
    assert loss_plot.metrics_caption() == "epoch 30 (now) · original units"
    timeline.show_epoch(20)
    qtbot.waitUntil(lambda: loss_plot.metric_text("MSE", "train") not in (live_mse, "…"), timeout=10000)
    assert loss_plot.metrics_caption() == "epoch 20 (past) · original units"
    train_then, _ = core_trainer("linear", 20).metrics()  # the core's own measure of the weights at epoch 20
    assert loss_plot.metric_text("MSE", "train") == f"{train_then.mse:.4g}"
    assert loss_plot.metric_text("R²", "train") == f"{train_then.r2:.4g}"
    assert hidden_units.windowTitle() == "Hidden units — epoch 20 (past)"
    assert hidden_units.toggleViewAction().text() == "Hidden units"  # the menu keeps the instrument's name
    window.redraw()  # a frame drawn while looking back keeps the past on the table
    assert loss_plot.metrics_caption() == "epoch 20 (past) · original units"
    timeline.go_live()
    assert loss_plot.metrics_caption() == "epoch 30 (now) · original units"
    assert loss_plot.metric_text("MSE", "train") == live_mse
    assert hidden_units.windowTitle() == "Hidden units"


def test_the_loss_marker_says_the_fit_is_after_the_epoch_and_the_loss_point_before(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(10)
    wait_idle(qtbot, window)
    timeline = registered(window, "timeline")
    timeline.show_epoch(4)
    qtbot.waitUntil(lambda: timeline.mode == PAST)
    assert timeline.loss_marker.label.toPlainText() == "epoch 4 (fit: the weights after it)"
    tooltip = timeline.loss_marker.toolTip()
    assert "after this epoch's update" in tooltip and "measured\nbefore them" in tooltip
    assert "before their updates" in window.loss_plot.plot_widget.toolTip()
    # what the marker says, in numbers: the loss of the weights shown is the next epoch's point (full batches)
    core = core_trainer("sine", 4)
    next_point = window.loss_plot.train_values()[4]  # epoch 5's loss, measured before epoch 5's update
    assert core.backend.loss(core.dataset.x_train, core.dataset.y_train) == pytest.approx(next_point, rel=1e-12)
