"""The step inspector in the window: every number it shows and holds is the core's number."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QTabBar

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import DIVERGED, Trainer
from nnstudio.core.teaching.diagnostics import summarise
from nnstudio.core.teaching.inspector import inspect_state, inspect_step
from nnstudio.gui.instruments.gradient_check_text import AUTOGRAD, BY_HAND, FINITE_DIFFERENCE, format_relative
from nnstudio.gui.instruments.tensor_text import format_number
from tests.gui.driving import registered, trainer_of, wait_idle


def inspect_in_window(qtbot, window, how="step"):
    inspector = registered(window, "step_inspector")
    with qtbot.waitSignal(inspector.shown, timeout=30000) as blocker:
        (inspector.inspect_step if how == "step" else inspector.inspect_now)()
    wait_idle(qtbot, window)
    return blocker.args[0]


def trained_core(name, epochs):
    trainer = Trainer(preset(name))
    if epochs:
        for _ in trainer.run(until_epoch=epochs):
            pass
    return trainer


def test_linear_step_shows_the_tutorials_comparison_on_live_numbers(qtbot, make_window):
    window = make_window(preset("linear"))
    shown = inspect_in_window(qtbot, window)
    core = inspect_step(trained_core("linear", 0))
    panel = registered(window, "step_inspector").panel
    assert panel.inspection is shown and shown.stepped and trainer_of(window).step_count == 1

    layer, expected = shown.layer(1), core.layer(1)
    for check, core_check in (
        (layer.weight_gradients, expected.weight_gradients),
        (layer.bias_gradients, expected.bias_gradients),
    ):
        np.testing.assert_array_equal(check.manual, core_check.manual)
        np.testing.assert_array_equal(check.autograd, core_check.autograd)
        np.testing.assert_array_equal(check.finite_difference, core_check.finite_difference)

    # two parameters: one table, w and b side by side, every digit shown
    gradients = panel.tensor_table("gradient.W")
    assert not gradients.is_summary and gradients.transposed
    entries = {(0,): expected.weight_gradients, (1,): expected.bias_gradients}
    for index, check in entries.items():
        assert gradients.value_text(BY_HAND, index) == format_number(check.manual.ravel()[0], 12)
        assert gradients.value_text(AUTOGRAD, index) == format_number(check.autograd.ravel()[0], 12)
        assert gradients.value_text(FINITE_DIFFERENCE, index) == format_number(check.finite_difference.ravel()[0], 12)
    assert format_relative(core.max_rel_diff_manual_vs_autograd) in panel.check_label.text()
    assert format_relative(core.max_rel_diff_manual_vs_finite_diff) in panel.check_label.text()

    # the update: Δ = −lr·g, applied; the window's trainer holds the weights after it
    update = panel.tensor_table("update.W")
    lr = preset("linear").training.learning_rate
    for index, (before, applied, after) in enumerate(
        (
            (expected.weights, expected.weight_update.applied, expected.weights_after),
            (expected.biases, expected.bias_update.applied, expected.biases_after),
        )
    ):
        assert update.value_text("w before", (index,)) == format_number(before.ravel()[0], 10)
        assert update.value_text("Δ applied", (index,)) == format_number(applied.ravel()[0], 10)
        assert update.value_text("w after", (index,)) == format_number(after.ravel()[0], 10)
    np.testing.assert_allclose(update.arrays["Δ = −lr·g"], -lr * gradients.arrays[BY_HAND], rtol=1e-15)
    parameters = trainer_of(window).backend.parameters()
    np.testing.assert_array_equal(parameters["W1"], expected.weights_after)
    np.testing.assert_array_equal(parameters["b1"], expected.biases_after)
    assert window.loss_plot.train_values().tolist() == [core.loss]  # the plots saw the step too


def test_adam_step_on_a_hidden_layer_network_matches_the_core_layer_by_layer(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(5)
    wait_idle(qtbot, window)
    shown = inspect_in_window(qtbot, window)
    core = inspect_step(trained_core("sine", 5))
    panel = registered(window, "step_inspector").panel
    assert panel.layer_combo.count() == 2
    for index in (1, 2):
        panel.set_layer(index)
        layer, expected = panel.current_layer, core.layer(index)
        assert layer is shown.layer(index)
        gradients = panel.tensor_table("gradient.W")
        np.testing.assert_array_equal(gradients.arrays[BY_HAND], expected.weight_gradients.manual)
        np.testing.assert_array_equal(gradients.arrays[AUTOGRAD], expected.weight_gradients.autograd)
        np.testing.assert_array_equal(gradients.arrays[FINITE_DIFFERENCE], expected.weight_gradients.finite_difference)
        # 64 entries: a summary row per array, norm first
        assert gradients.is_summary
        assert gradients.cell_text(0, 0) == format_number(summarise(expected.weight_gradients.manual).norm, 4)
        assert not gradients.heat_maps[0].isHidden()
        np.testing.assert_array_equal(
            gradients.heat_maps[0].image.image, summarise(expected.weight_gradients.manual).heat_map.astype(np.float32)
        )
        # the colour key spans the true extremes (not the block means'), and says them
        manual = expected.weight_gradients.manual
        low, high = float(manual.min()), float(manual.max())
        largest = max(-low, high)
        heat_map = gradients.heat_maps[0]
        assert heat_map.levels == (-largest, largest) and heat_map.true_range == (low, high)
        assert heat_map.key_text() == (
            f"{format_number(-largest, 3)} 0 +{format_number(largest, 3)} · "
            f"min {format_number(low, 3)} · max {format_number(high, 3)}"
        )
        assert heat_map.key.marks == (low, high)
        assert heat_map.axes_label.text() == ("↓ 1 input · → 64 units" if index == 1 else "↓ 64 inputs · → 1 unit")

        update = panel.tensor_table("update.W")
        parts = expected.weight_update.parts
        for label, key in (("m", "m"), ("v", "v"), ("m̂", "m_hat"), ("v̂", "v_hat")):
            np.testing.assert_array_equal(update.arrays[label], parts[key])
        np.testing.assert_array_equal(update.arrays["Δ applied"], expected.weight_update.applied)
        np.testing.assert_array_equal(update.arrays[f"W{index} after"], expected.weights_after)

        forward = panel.tensor_table("forward")
        np.testing.assert_array_equal(next(iter(forward.arrays.values())), expected.forward.pre_activation)
        backward = panel.tensor_table("backward")
        np.testing.assert_array_equal(backward.arrays[f"dL/dz{index}"], expected.backward.pre_activation_gradient)
    norm = core.layer(2).diagnostics.weight_gradient_norm
    assert panel.chip_text("gradient") == f"‖dL/dW2‖ = {format_number(norm, 4)}"


def test_the_phases_can_be_walked_with_the_arrows(qtbot, make_window):
    window = make_window(preset("linear"))
    inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    assert panel.phase == "forward" and not panel.previous_button.isEnabled()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.phase == "backward"
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.phase == "update" and not panel.next_button.isEnabled()
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert panel.phase == "backward"
    assert "dL/dW1 = xᵀ · dL/dz1 = −2 xᵀ(y − ŷ)" in panel.pages["backward"].formulas.text()
    assert "w ← w − lr·g" in panel.pages["update"].formulas.text()


def test_inspect_now_shows_the_next_step_without_making_it(qtbot, make_window):
    window = make_window(preset("sine"))
    shown = inspect_in_window(qtbot, window, how="now")
    core = inspect_state(trained_core("sine", 0))
    assert not shown.stepped and trainer_of(window).step_count == 0
    np.testing.assert_array_equal(shown.layer(1).weight_gradients.manual, core.layer(1).weight_gradients.manual)
    page = registered(window, "step_inspector").panel.pages["update"]
    assert not page.message.isHidden() and "No step was made" in page.message.text()
    assert all(section.isHidden() for section in page.sections.values())
    assert registered(window, "step_inspector").panel.chip_text("ratio") == "‖ΔW1‖/‖W1‖ = –"


def test_the_shortcut_steps_and_back_undoes_the_inspected_step(qtbot, make_window):
    window = make_window(preset("sine"))
    before = trainer_of(window).backend.parameters()
    with qtbot.waitSignal(registered(window, "step_inspector").shown, timeout=30000):
        qtbot.keyClick(window, Qt.Key.Key_I)
    wait_idle(qtbot, window)
    assert trainer_of(window).step_count == 1 and registered(window, "step_inspector").dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: window.state.step == 0, timeout=20000)
    wait_idle(qtbot, window)
    for name, value in trainer_of(window).backend.parameters().items():
        np.testing.assert_array_equal(value, before[name])


def test_dead_relu_units_are_counted_and_flagged(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(40)
    wait_idle(qtbot, window)
    shown = inspect_in_window(qtbot, window, how="now")
    dead = inspect_state(trained_core("sine", 40)).layer(1).diagnostics.dead_units
    assert len(dead) > 0  # this run kills some units: a class can see it
    np.testing.assert_array_equal(shown.layer(1).diagnostics.dead_units, dead)
    panel = registered(window, "step_inspector").panel
    panel.set_layer(1)
    assert panel.chip_text("dead") == f"dead units: {len(dead)} of 64" and panel.is_chip_flagged("dead")
    assert not panel.flags_label.isHidden() and f"{len(dead)} of 64 ReLU units are dead" in panel.flags_label.text()
    panel.set_layer(2)
    assert "dead" not in panel._chips  # an identity layer has no dead units to count


def test_a_diverged_run_is_shown_without_stepping_or_an_error(qtbot, make_window):
    window = make_window(preset("sine").with_training(optimizer="gd", learning_rate=500.0))
    window.run_to(50)
    qtbot.waitUntil(lambda: window.session.status == DIVERGED, timeout=20000)
    steps = trainer_of(window).step_count
    shown = inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    trainer = trainer_of(window)
    assert not shown.stepped and trainer.step_count == steps
    # stopped by the divergence rule at epoch 2 (loss past 10⁴ × the first): huge, finite weights
    assert "Training has diverged" in panel.headline.text() and trainer.diverged_message in panel.headline.text()
    assert "Diverged at epoch 2: the loss became" in panel.headline.text()
    assert window.session.status == DIVERGED


def test_show_all_values_holds_every_entry(qtbot, make_window):
    window = make_window(preset("sine"))
    shown = inspect_in_window(qtbot, window)
    table = registered(window, "step_inspector").panel.tensor_table("gradient.W")
    table.show_all_values()
    dialog = table.dialog
    qtbot.waitUntil(dialog.isVisible)
    manual = shown.layer(1).weight_gradients.manual
    side_by_side = dialog.models["side by side"]
    assert side_by_side.rowCount() == manual.size and side_by_side.columnCount() == 3
    np.testing.assert_array_equal(side_by_side.values[:, 0], manual.ravel())
    assert side_by_side.data(side_by_side.index(5, 0)) == format_number(manual.ravel()[5], 10)
    assert side_by_side.headerData(5, Qt.Orientation.Vertical) == "W1[1,6]"
    dialog.close()


def test_a_moment_on_the_timeline_is_inspected_as_it_was(qtbot, make_window):
    window = make_window(preset("sine"))
    window.run_to(20)
    wait_idle(qtbot, window)
    inspect_in_window(qtbot, window, how="now")  # opens the panel, following
    with qtbot.waitSignal(registered(window, "step_inspector").shown, timeout=30000) as blocker:
        registered(window, "timeline").show_epoch(7)
    shown = blocker.args[0]
    expected = inspect_state(trained_core("sine", 7))
    assert shown.epoch == 7 and not shown.stepped
    np.testing.assert_array_equal(shown.layer(1).weights, expected.layer(1).weights)
    np.testing.assert_allclose(
        shown.layer(2).weight_gradients.manual, expected.layer(2).weight_gradients.manual, rtol=1e-12
    )
    assert "Epoch 7, picked on the timeline" in registered(window, "step_inspector").panel.headline.text()


def test_every_new_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("linear"))
    inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    controls = [
        control
        for control in panel.findChildren(QAbstractButton) + panel.findChildren(QComboBox)
        if not control.objectName().startswith("qt_") and not isinstance(control.parent(), QTabBar)  # Qt's own
    ]
    untipped = [c.text() if isinstance(c, QAbstractButton) else c for c in controls if not c.toolTip()]
    assert len(controls) >= 8 and untipped == []
    inspector = registered(window, "step_inspector")
    for action in (inspector.inspect_step_action, inspector.inspect_now_action, inspector.dock.toggleViewAction()):
        assert action.toolTip() and action.toolTip() != action.text().replace("&", "")
    assert inspector.dock.toggleViewAction().shortcut().toString() == "Ctrl+1"


def test_backpropagation_is_named_and_walked_from_the_output_layer_back(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))  # three layers, mini-batches of 32 points
    shown = inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    assert panel.phase_tabs.tabText(1) == "② Backpropagation"
    page = panel.pages["backward"]
    gradients = [shown.layer(k).backward.pre_activation_gradient for k in (3, 2, 1)]
    norms = [format_number(float(np.linalg.norm(dz)), 3) for dz in gradients]
    assert page.order_texts() == [
        f"1. layer 3 (output): its dL/da3 comes from the loss (= dL/dŷ);  ‖dL/dz3‖ = {norms[0]}",
        f"2. layer 2: its dL/da2 comes from layer 3, the layer after (= dL/dz3 · W3ᵀ);  ‖dL/dz2‖ = {norms[1]}",
        f"3. layer 1: its dL/da1 comes from layer 2, the layer after (= dL/dz2 · W2ᵀ);  ‖dL/dz1‖ = {norms[2]}",
    ]
    page.order.linkActivated.emit("2")  # a click on the second row
    assert panel.current_layer is shown.layer(2)
    assert "(from layer 3, the layer after)" in page.sections["backward"].heading.text()
    # the heat map of dL/dz2: points × units, and a colour key with the true extremes
    heat_map = page.sections["backward"].table.heat_maps[0]
    dz = shown.layer(2).backward.pre_activation_gradient
    assert heat_map.title.text() == "dL/dz2" and heat_map.axes_label.text() == "↓ 32 points · → 32 units"
    assert heat_map.true_range == (float(dz.min()), float(dz.max()))
    assert heat_map.range_label.text() == f"min {format_number(dz.min(), 3)} · max {format_number(dz.max(), 3)}"


def test_the_inspectors_loss_before_and_after_agrees_with_the_status_bar(qtbot, make_window):
    window = make_window(preset("linear"))  # full batches: a step is an epoch
    shown = inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    loss = f"{shown.loss:.6g}"
    assert window.status.loss_label.text() == f"loss {loss} (standardised units)"
    headline = panel.headline.text()
    assert "Loss on all the training points (sse, standardised units)" in headline
    assert f"before the step <b>{loss}</b> → after it <b>{format_number(shown.loss_after, 6)}</b>" in headline
    # the loss "after" this step is the loss the next step starts from: what Inspect now says, and labels
    now = inspect_in_window(qtbot, window, how="now")
    assert now.loss == pytest.approx(shown.loss_after, rel=1e-12)
    headline = panel.headline.text()
    assert f"at these weights (sse, standardised units): <b>{format_number(now.loss, 6)}</b>" in headline
    assert f"(step 1 measured {loss}, before its update)" in headline


def test_only_a_step_that_overshoots_asks_whether_the_learning_rate_is_too_large(qtbot, make_window):
    window = make_window(preset("sine"))  # the lessons' Adam lr 0.1: its first step doubles the loss
    shown = inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    assert shown.loss_after > shown.loss and "too large" not in panel.flags_label.text()
    window = make_window(preset("linear").with_training(learning_rate=0.03))
    inspect_in_window(qtbot, window)
    panel = registered(window, "step_inspector").panel
    assert not panel.flags_label.isHidden() and "The step overshot" in panel.flags_label.text()
    assert "is the learning rate too large?" in panel.flags_label.text()
