"""Lesson 1 page 4 in the window, as a class does it: Set up, lr 0.03, Reset, Play → a red stop at epoch 8."""

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import DIVERGED
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons
from tests.gui.driving import registered, wait_idle


def test_too_large_a_step_stops_by_itself_in_red_at_epoch_8(qtbot, make_window):
    window = make_window(preset("sine"))
    lessons = registered(window, "lessons")
    lessons.panel.set_lesson(load_lesson(shipped_lessons()[0]))
    lessons.show()
    lessons.panel.show_page(3)
    assert "set the learning rate to 0.03" in lessons.panel.page.text
    lessons.panel.setup_button.click()
    qtbot.waitUntil(lambda: window.state.experiment == lessons.panel.page.setup.experiment(), timeout=30000)
    wait_idle(qtbot, window)
    window.training_panel.learning_rate.setValue(0.03)  # "set the learning rate to 0.03 in the Training tab"
    qtbot.waitUntil(lambda: window.state.experiment.training.learning_rate == 0.03, timeout=10000)
    wait_idle(qtbot, window)
    window.reset()  # "press Reset (R)"
    wait_idle(qtbot, window)
    window.play_pause()  # "and Play"
    qtbot.waitUntil(lambda: window.session.status == DIVERGED, timeout=30000)
    wait_idle(qtbot, window)
    alert = window.status.alert_label.full_text()
    assert alert.startswith("Diverged at epoch 8: the loss became ") and "more than 10,000 × the first" in alert
    assert "c0392b" in window.status.state_label.styleSheet()  # the red state
    assert len(window.loss_plot.train_values()) == 8 and window.state.epoch == 8
