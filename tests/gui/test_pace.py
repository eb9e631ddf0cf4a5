"""The speed control and what Play does: every epoch drawn at the default speed, an instant Pause at any
speed, the keys and the remembered choice, and Play or Run to epoch saying what they do when they cannot."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from nnstudio.core.engine.presets import PRESETS, preset
from nnstudio.core.engine.trainer import TRAINING, RunStatus
from nnstudio.gui import app_context as ids
from nnstudio.gui import pacing
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.pacing import (
    AUTO,
    FULL,
    FULL_SPEED_FRAME_SECONDS,
    PACES,
    PaceChoice,
    ReadableRate,
    RedrawPacer,
    default_pace,
    pace_text,
)
from nnstudio.gui.settings import Settings
from tests.gui.driving import trainer_of, wait_idle

# --- the scale and the default ------------------------------------------------------------------------


@pytest.mark.parametrize("target", [5, 7, 49, 100, 150, 200, 240, 300, 999, 1500, 4757, 50_000, 100_000])
def test_the_default_speed_makes_a_run_to_its_target_last_5_to_10_seconds(target):
    assert 5.0 <= target / default_pace(target) <= 10.0


def test_a_run_too_long_to_watch_epoch_by_epoch_goes_at_full_speed():
    assert default_pace(100_001) is None and default_pace(10**6) is None


def test_the_presets_default_speeds_are_the_readmes():
    assert {name: default_pace(PRESETS[name].training.epochs) for name in ("sine", "linear", "cubic-overfit")} == {
        "sine": 20,
        "linear": 30,
        "cubic-overfit": 300,
    }
    assert default_pace(3) == 1  # a very short run: the slowest speed, one epoch a second


def test_slower_faster_and_full_speed_walk_the_log_scale():
    choice = PaceChoice(AUTO, target_epochs=100)
    assert choice.pace == 20 and choice.choice == AUTO
    choice.slower()
    assert choice.pace == 10 and choice.choice == 10
    for expected in (20, 30, 50, 100):
        choice.faster()
        assert choice.pace == expected
    choice.toggle_full_speed()
    assert choice.pace is None and choice.choice == FULL
    choice.toggle_full_speed()
    assert choice.pace == 100  # back to the speed before
    for _ in range(len(PACES) + 2):
        choice.faster()
    assert choice.pace is None  # the top of the scale is full speed
    choice.slower()
    assert choice.pace == 10_000
    for _ in range(len(PACES) + 2):
        choice.slower()
    assert choice.pace == 1
    shown = [pace_text(pace) for pace in (1, 20, 10_000, None)]
    assert shown == ["1 epochs/s", "20 epochs/s", "10k epochs/s", "full speed"]


# --- the window ------------------------------------------------------------------------------------------


def news_of(window) -> list:
    """Every snapshot the session delivers while training (not the run's last, which says why it ended)."""
    delivered = []
    window.session.snapshot_ready.connect(lambda s: delivered.append(s) if s.status == TRAINING else None)
    return delivered


def test_the_speed_sets_how_many_epochs_each_piece_of_news_brings(qtbot, make_window):
    window = make_window(preset("sine"))
    window.controls.pace.choose(5)  # 5 epochs a second: each epoch is news on its own, with a wait after it
    news = news_of(window)
    window.run_to(4)
    wait_idle(qtbot, window)
    assert [list(s.new_epochs) for s in news] == [[1], [2], [3]] and all(s.waiting for s in news)
    assert trainer_of(window).epoch == 4
    news.clear()
    window.controls.pace.choose(None)  # full speed: many epochs in each piece of news, no waiting
    window.run_to(20_000)
    wait_idle(qtbot, window)
    assert max(len(s.new_epochs) for s in news) > 1 and not any(s.waiting for s in news)


def test_at_the_default_speed_every_epoch_is_drawn_in_a_frame_of_its_own(qtbot, make_window):
    window = make_window(preset("sine").with_training(epochs=20))
    window.controls.pace.choose(AUTO)
    assert window.controls.pace.pace == 3  # 20 epochs at 3 a second: 6.7 s to the target
    frames = []
    window.frame_ready.connect(lambda snapshot: frames.append(snapshot.epoch))
    window.play_pause()
    qtbot.waitUntil(lambda: bool(frames) and frames[-1] >= 3, timeout=10000)
    window.play_pause()
    wait_idle(qtbot, window)
    epochs = trainer_of(window).epoch
    assert frames[: frames.index(epochs) + 1] == list(range(1, epochs + 1))  # 1, 2, 3…: none skipped, none twice


def test_pause_is_instant_however_slow_the_speed(qtbot, make_window):
    window = make_window(preset("sine"))
    window.context.pace = 1e-4  # the next epoch ten thousand seconds after the first
    window.play_pause()
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.epoch == 1, timeout=10000)
    assert window.session.is_training
    window.play_pause()
    qtbot.waitUntil(lambda: not window.session.is_running, timeout=10000)  # not after ten thousand seconds
    assert window.state.status == RunStatus.PAUSED and window.state.epoch == 1
    window.redraw()
    assert window.status.currentMessage() == "Paused at epoch 1."


def test_a_new_speed_applies_to_the_run_going_on(qtbot, make_window):
    window = make_window(preset("sine").with_training(epochs=1_000_000))  # a target far away
    window.controls.pace.choose(1)  # one epoch a second
    window.play_pause()
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.epoch >= 1, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_F)  # full speed, while it runs
    qtbot.waitUntil(lambda: window.frame.epoch >= 200, timeout=10000)  # not in 200 seconds: at once
    qtbot.keyClick(window, Qt.Key.Key_F)  # and back to one a second
    epoch = window.frame.epoch
    qtbot.waitUntil(lambda: window.frame.epoch > epoch and window.frame.waiting, timeout=10000)
    window.play_pause()
    wait_idle(qtbot, window)
    assert window.state.epoch < 1_000_000 and window.state.status == RunStatus.PAUSED


def test_the_speed_keys_and_the_menu_move_the_control(qtbot, make_window):
    window = make_window(preset("sine"))
    pace = window.controls.pace
    pace.choose(AUTO)
    assert (pace.pace, pace.slider.value(), pace.value_button.text()) == (20, PACES.index(20), "20 epochs/s")
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert (pace.pace, pace.slider.value(), pace.value_button.text()) == (10, PACES.index(10), "10 epochs/s")
    assert window.context.pace == 10  # what the next run is asked to do
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert pace.pace == 30 and window.context.pace == 30
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert pace.pace is None and window.context.pace is None and pace.full_speed.isChecked()
    assert pace.slider.value() == len(PACES) - 1 and pace.value_button.text() == "full speed"
    qtbot.mouseClick(pace.value_button, Qt.MouseButton.LeftButton)  # the number beside the slider: back
    assert pace.pace == 30 and not pace.full_speed.isChecked()
    pace.slider.setValue(PACES.index(100))  # dragged
    assert pace.pace == 100 and window.context.pace == 100
    train_menu = window.context.menu(ids.TRAIN_MENU)
    speed_menu = next(a.menu() for a in train_menu.actions() if a.menu() and "Spee" in a.text())
    names = [a.text().replace("&", "") for a in speed_menu.actions()]
    assert names == ["Slower", "Faster", "Full Speed", "Default Speed"]
    assert all(a.toolTip() for a in speed_menu.actions()) and pace.slider.toolTip() and pace.value_button.toolTip()
    pace.default_speed.trigger()
    assert pace.choice == AUTO and pace.pace == 20


def test_the_default_speed_follows_the_target_epochs(qtbot, make_window):
    window = make_window(preset("sine"))
    window.controls.pace.choose(AUTO)
    window.training_panel.epochs.setValue(1500)
    wait_idle(qtbot, window)
    assert window.controls.pace.pace == 300 and window.context.pace == 300
    window.controls.pace.choose(50)  # chosen: it stays, whatever the target
    window.training_panel.epochs.setValue(100)
    wait_idle(qtbot, window)
    assert window.controls.pace.pace == 50


def test_the_chosen_speed_is_remembered_and_never_saved_with_the_experiment(qtbot, tmp_path):
    settings = Settings.at(tmp_path / "settings.ini")
    first = MainWindow(preset("sine"), settings=settings)
    qtbot.addWidget(first)
    assert first.controls.pace.choice == FULL  # the tests' default (tests/gui/conftest.py); the app's is AUTO
    first.controls.pace.choose(50)
    first.session.shutdown()
    assert settings.pace() == 50
    second = MainWindow(preset("sine"), settings=Settings.at(tmp_path / "settings.ini"))
    qtbot.addWidget(second)
    assert second.controls.pace.pace == 50 and second.context.pace == 50
    wait_idle(qtbot, second)
    assert "50" not in repr(second.state.experiment.training) and not hasattr(second.state.experiment, "pace")
    second.session.shutdown()


def test_the_toolbar_with_the_speed_fits_a_1024_pixel_screen(qtbot, make_window):
    window = make_window(preset("sine"))
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() <= 1024)
    toolbar = window.context.get(ids.TRAINING_TOOLBAR)
    qtbot.waitUntil(lambda: toolbar.isVisible())
    extension = [b for b in toolbar.findChildren(QToolButton) if b.objectName() == "qt_toolbar_ext_button"]
    assert not any(button.isVisible() for button in extension)  # nothing hidden behind »
    for action in toolbar.actions():
        if not action.isSeparator():
            assert toolbar.widgetForAction(action).isVisible(), action.text()


# --- Play, and Run to epoch, when there is nothing to do --------------------------------------------------


def notices_of(window) -> list[str]:
    said = []
    window.session.notice.connect(said.append)
    return said


def test_play_at_the_target_trains_on_to_the_next_multiple_of_it_and_says_so(qtbot, make_window):
    window = make_window(preset("sine").with_training(epochs=5))
    said = notices_of(window)
    window.play_pause()
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 5 and said == []
    assert window.status.currentMessage() == "Reached epoch 5."
    window.play_pause()
    qtbot.waitUntil(lambda: bool(said), timeout=10000)
    assert said == ["Training past the target (5 epochs): next stop at epoch 10."]
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 10 and window.status.currentMessage() == "Reached epoch 10."
    window.run_to(13)
    wait_idle(qtbot, window)
    window.play_pause()  # from 13, past the target: the next multiple of 5
    wait_idle(qtbot, window)
    assert said[-1].endswith("next stop at epoch 15.") and trainer_of(window).epoch == 15


def test_play_after_the_early_stop_says_why_it_does_nothing(qtbot, make_window):
    window = make_window(preset("sine"))
    window.training_panel.stop_below_value.setValue(1e6)  # any loss is below: the first epoch stops it
    window.training_panel.stop_below_check.setChecked(True)
    window.play_pause()
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 1
    said = notices_of(window)
    window.play_pause()
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 1 and len(said) == 1
    assert said[0].startswith("The loss (") and "is already below the early stop (1e+06)" in said[0]
    assert 'untick "Stop when loss <" in the Training tab' in said[0]
    assert window.status.currentMessage() == said[0]


def test_play_after_divergence_says_what_to_do(qtbot, make_window):
    window = make_window(preset("linear").with_training(learning_rate=0.03))
    window.play_pause()
    wait_idle(qtbot, window)
    assert window.state.status == RunStatus.DIVERGED
    assert window.controls.play_pause.isEnabled()  # pressed, it explains
    said = notices_of(window)
    epoch = trainer_of(window).epoch
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_idle(qtbot, window)
    assert said == [window.status.currentMessage()] and "Reset (R)" in said[0] and "smaller learning rate" in said[0]
    assert trainer_of(window).epoch == epoch


def test_run_to_an_epoch_already_passed_says_so(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(20)
    wait_idle(qtbot, window)
    said = notices_of(window)
    window.run_to(10)
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 20
    assert said == ["Already at epoch 20, past epoch 10: nothing to train. Choose a later epoch to run to "
                    "(or drag the timeline to look back at an earlier one)."]  # fmt: skip
    assert window.status.currentMessage() == said[0] and "Reached" not in window.status.currentMessage()
    window.run_to(20)
    wait_idle(qtbot, window)
    assert said[-1].startswith("Already at epoch 20: nothing to train.")
    assert not math.isnan(trainer_of(window).loss_history.train[-1])


# --- how often the window draws at full speed (gui/pacing.py) ------------------------------------------


class GuiClock:
    """The GUI thread's clocks in a test: CPU time used (thread_time) and wall time (perf_counter)."""

    def __init__(self, monkeypatch) -> None:
        self.cpu = self.wall = 0.0
        monkeypatch.setattr(pacing.time, "thread_time", lambda: self.cpu)
        monkeypatch.setattr(pacing.time, "perf_counter", lambda: self.wall)


def frames(pacer: RedrawPacer, clock: GuiClock, costs_ms: list[float]) -> list[int]:
    """The interval the pacer asks for after each frame, each frame costing the GUI thread `costs_ms`."""
    intervals = []
    for cost in costs_ms:
        clock.cpu += cost / 1000
        intervals.append(pacer.next_interval_ms(training=True))
    return intervals


def test_at_full_speed_frames_are_spaced_so_that_drawing_takes_its_share_of_the_time(monkeypatch):
    clock = GuiClock(monkeypatch)
    pacer = RedrawPacer(share=0.15)
    intervals = frames(pacer, clock, [6.0] * 20)
    assert intervals[:3] == [round(1000 * FULL_SPEED_FRAME_SECONDS)] * 3  # unmeasured yet: as often as allowed
    assert intervals[-1] == 40  # 6 ms a frame is 15 % of 40 ms: 25 frames a second
    assert frames(pacer, clock, [1.0] * 20)[-1] == round(1000 * FULL_SPEED_FRAME_SECONDS)  # cheap: never above 32/s
    assert frames(pacer, clock, [100.0] * 20)[-1] == 250  # very dear: never below 4 a second


def test_one_dear_frame_does_not_halve_the_frame_rate_but_dear_frames_count(monkeypatch):
    clock = GuiClock(monkeypatch)
    pacer = RedrawPacer(share=0.15)
    steady = frames(pacer, clock, [6.0] * 15)[-1]
    after_a_dear_one = frames(pacer, clock, [60.0])[-1]  # a run's start, a new axis range: counted as 18 ms
    assert steady == 40 and after_a_dear_one == 45  # the mean of 14 × 6 and 18 ms: 6.8 ms
    assert frames(pacer, clock, [12.0] * 15)[-1] == 80  # frames that stay dear: half as many


def test_a_paced_run_draws_every_frame_and_forgets_the_time_in_between(monkeypatch):
    clock = GuiClock(monkeypatch)
    pacer = RedrawPacer(share=0.15)
    frames(pacer, clock, [6.0] * 15)
    assert pacer.next_interval_ms(training=False) == round(1000 / 120)
    clock.cpu += 5.0  # five seconds of typing in a dialog, say: not a frame's cost
    assert frames(pacer, clock, [6.0, 6.0])[-1] == 40


def test_numbers_at_full_speed_change_at_a_rate_that_can_be_read(monkeypatch):
    clock = GuiClock(monkeypatch)
    rate = ReadableRate(0.1)
    shown = []
    for frame in range(30):  # a second at 30 frames a second
        clock.wall = frame / 30
        shown.append(rate.due(full_speed=True))
    assert 9 <= sum(shown) <= 10 and shown[0]  # ten a second (a frame may fall a hair short of 0.1 s)
    assert all(rate.due(full_speed=False) for _ in range(5))  # paced, or the run's end: every time


def test_everything_asked_about_one_frame_gets_the_same_answer(monkeypatch):
    """The status bar and the timeline share one rate: both show a frame's epoch, or neither does."""
    clock = GuiClock(monkeypatch)
    rate = ReadableRate(0.1)
    for frame in range(12):
        clock.wall = frame / 30
        snapshot = object()
        first = rate.due(full_speed=True, frame=snapshot)
        assert rate.due(full_speed=True, frame=snapshot) == first  # the second asker: the same
