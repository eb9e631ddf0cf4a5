"""The window points out overfitting once: when the test loss turns up while the training loss falls."""

from nnstudio.core.engine.presets import preset
from tests.gui.driving import trainer_of, wait_idle

TOLD = "— Epoch 138: the test loss has risen for 84 epochs (0.78 → 1.15) while the training loss fell"


def told(window) -> list[str]:
    return [line for line in window.log_panel.lines() if line.startswith(TOLD)]


def test_the_overfitting_preset_shows_a_test_column_and_the_turn_is_pointed_out_once(qtbot, make_window):
    window = make_window(preset("sine-overfit"))
    window.run_to(120)
    wait_idle(qtbot, window)
    assert window.loss_plot.metric_text("MSE", "test") != "–"  # 20 points held out
    assert told(window) == []  # not yet: the test loss has been rising for too short a time
    window.run_to(300)
    wait_idle(qtbot, window)
    (line,) = told(window)
    lines = window.log_panel.lines()
    assert lines[lines.index(line) - 1].startswith("Epoch: 130 Loss:")  # where it happened, not at the end
    assert "the network is overfitting. It is learning the noise" in line and "lowest at epoch 54" in line
    assert window.status.currentMessage().startswith(
        "Overfitting: the test loss has risen since epoch 54 (0.78 → 1.15) while the training loss fell."
    )
    window.run_to(400)  # training on: it was said already
    wait_idle(qtbot, window)
    window.training_panel.learning_rate.setValue(0.001)  # a change redraws the whole history: still once
    wait_idle(qtbot, window)
    assert trainer_of(window).training.learning_rate == 0.001 and len(told(window)) == 1
    window.reset()  # a new run, from the same weights: news again when it happens again
    wait_idle(qtbot, window)
    window.training_panel.learning_rate.setValue(0.003)
    window.run_to(300)
    wait_idle(qtbot, window)
    assert len(told(window)) == 2
