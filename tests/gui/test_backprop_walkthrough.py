"""The backprop walkthrough in the window: pick a point, step through every stop with the keys, read the
numbers off the diagram and the panel, and the update stop makes the one step it predicted."""

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QAbstractButton

from nnstudio.core.engine.experiment import LayerSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.walkthrough_text import number
from tests.gui.driving import registered, trainer_of, wait_idle


def start(qtbot, window):
    walkthrough = registered(window, "backprop_walkthrough")
    with qtbot.waitSignal(walkthrough.walk_shown, timeout=20000):
        qtbot.keyClick(window, Qt.Key.Key_W)
    wait_idle(qtbot, window)
    return walkthrough


def click_point(qtbot, window, walkthrough, row):
    """Click training point `row` where the fit plot draws it."""
    plot = window.prediction_plots.fit_plot
    data = window.state.dataset
    box = plot.plot_item.vb
    scene = box.mapViewToScene(QPointF(float(data.x_train_raw[row, 0]), float(data.y_train_raw[row, 0])))
    view = plot.plot_widget
    with qtbot.waitSignal(walkthrough.walk_shown, timeout=20000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))
    wait_idle(qtbot, window)
    return blocker.args[0]


def test_a_point_picked_on_the_fit_plot_walks_through_every_stop_with_the_keys(qtbot, make_window):
    window = make_window(preset("linear"))
    walkthrough = start(qtbot, window)
    diagram = registered(window, "network_diagram")
    assert diagram.dock.isVisible() and walkthrough.panel.next_button.isVisible()
    assert walkthrough.walk.row == walkthrough.row  # the worst point to begin with
    data = window.state.dataset
    row = int(np.argmin(data.x_train_raw[:, 0]))  # the leftmost point: nothing else drawn near it
    walk = click_point(qtbot, window, walkthrough, row)
    assert walk.row == row and walkthrough.stop_index == 0
    trainer = trainer_of(window)
    before = trainer.backend.parameters()
    panel, overlay = walkthrough.panel, walkthrough.overlay
    z = walk.layers[0].pre_activation[0]
    assert f"= {number(z)}" in panel.text.toPlainText()
    assert overlay.node_texts[(0, 0)] == f"x = {number(walk.x[0])}"
    assert overlay.node_texts[(1, 0)].startswith(f"z = {number(z)}")

    qtbot.keyClick(window, Qt.Key.Key_Period)  # loss
    assert walkthrough.stop.stage == "loss"
    assert overlay.node_texts[(1, 0)] == f"ŷ = {number(walk.prediction[0])}\ny = {number(walk.y[0])}"
    assert number(walk.loss_term) in panel.text.toPlainText()
    qtbot.keyClick(window, Qt.Key.Key_Period)  # backward
    product = number(walk.layers[0].weight_gradient[0, 0])
    assert overlay.edge_texts[(0, 0, 0)].endswith(f"= {product}")
    assert "dL/dW1[1,1] = x · dL/dz1[1] = " in panel.text.toPlainText()
    assert "torch autograd" in panel.text.toPlainText()
    qtbot.keyClick(window, Qt.Key.Key_Comma)  # back to the loss, and on again
    assert walkthrough.stop.stage == "loss"
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.keyClick(window, Qt.Key.Key_Period)  # accumulate
    text = panel.text.toPlainText()
    assert walkthrough.stop.stage == "accumulate" and f"sum of {walk.points_so_far} so far" in text
    assert number(walk.batch_gradients()["W1"][0, 0]) in text
    generation = window.session.generation
    qtbot.keyClick(window, Qt.Key.Key_Period)  # update: one training step, through the session
    assert walkthrough.stop.stage == "update"
    wait_idle(qtbot, window)
    assert window.state.step == 1 and window.session.generation == generation + 1
    after = trainer_of(window).backend.parameters()
    for name, value in walk.parameters_after().items():
        np.testing.assert_allclose(after[name], value, rtol=1e-12, atol=0)
        assert not np.array_equal(after[name], before[name])
    assert f"{number(before['W1'][0, 0])} → {number(after['W1'][0, 0])}" == overlay.edge_texts[(0, 0, 0)]
    assert "Step made" in panel.text.toPlainText()
    assert window.windowTitle().startswith("*") or "*" in window.windowTitle()  # unsaved: it was a real step

    with qtbot.waitSignal(walkthrough.walk_shown, timeout=20000) as blocker:  # Next: the same point, new weights
        qtbot.keyClick(window, Qt.Key.Key_Period)
    assert blocker.args[0].row == row and blocker.args[0].step == 1 and walkthrough.stop_index == 0
    wait_idle(qtbot, window)
    assert window.state.step == 1  # and no second step

    qtbot.keyClick(window, Qt.Key.Key_W)  # leave: the diagram as it was
    assert not walkthrough.active and not overlay.items
    assert all(line.opacity() == 1.0 for line in diagram.diagram._lines[0])


def test_a_2_hidden_layer_net_shows_every_unit_and_a_big_one_the_unit_in_focus(qtbot, make_window):
    window = make_window(preset("sine").with_model(hidden=(LayerSpec(3, "tanh"), LayerSpec(4, "tanh"))))
    walkthrough = start(qtbot, window)
    walk = walkthrough.walk
    widths = [layer.layer.n_out for layer in walk.layers[:-1]]
    assert len(widths) == 2 and max(widths) <= 8
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.keyClick(window, Qt.Key.Key_Period)  # forward, layer 3: the units of layers 2 and 3 labelled
    overlay = walkthrough.overlay
    every = overlay.text.node_labels
    assert set(every) == {(2, unit) for unit in range(widths[1])} | {(3, 0)}
    assert every[(2, 1)].startswith(f"z = {number(walk.layers[1].pre_activation[1])}")
    assert len(overlay.text.lit) == 1 + sum(widths) + 1  # and every unit the input reached, lit
    focus = {column: walk.focus_unit(column) for column in (2, 3)}
    assert {(2, focus[2]), (3, 0)} <= set(overlay.node_texts) <= set(every)  # all of them when there is room
    assert all(overlay.node_texts[key] == every[key] for key in overlay.node_texts)
    diagram = registered(window, "network_diagram").diagram
    node = diagram.node_centre(2, 1)  # a click on a node puts it in focus
    qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=diagram.view.mapFromScene(node))
    qtbot.keyClick(window, Qt.Key.Key_Comma)  # forward, layer 2: unit 2 in focus
    assert "\nz2[2] = a1[1]·W2[1,2]" in walkthrough.panel.text.toPlainText()

    window.load_preset("sine")  # 64 hidden units: the unit in focus and its neighbours only
    with qtbot.waitSignal(walkthrough.walk_shown, timeout=20000):
        wait_idle(qtbot, window)
    wait_idle(qtbot, window)
    walk = walkthrough.walk
    focus = int(np.argmax(np.abs(walk.layers[0].pre_activation_gradient)))
    assert set(walkthrough.overlay.node_texts) == {(0, 0), (1, focus)}
    assert walkthrough.overlay.edge_texts.keys() == {(0, 0, focus)}
    assert all(line.opacity() < 1.0 for line in diagram._lines[0])  # the rest faded


def test_the_walkthrough_is_in_the_train_menu_and_on_the_diagram_with_tooltips(qtbot, make_window):
    window = make_window(preset("linear"))
    walkthrough = registered(window, "backprop_walkthrough")
    texts = [action.text() for action in window.context.menu("menu.train").actions()]
    assert "&Walk Through Backprop" in texts
    assert walkthrough.toggle_action.toolTip() and walkthrough.toggle_action.shortcut().toString() == "W"
    panel = walkthrough.panel
    assert panel.toggle_button.isVisibleTo(registered(window, "network_diagram").diagram)
    controls = panel.findChildren(QAbstractButton)
    assert controls and all(control.toolTip() for control in controls) and panel.pace.toolTip()
    panel.toggle_button.click()
    qtbot.waitUntil(lambda: walkthrough.walk is not None, timeout=20000)
    wait_idle(qtbot, window)
    assert not walkthrough.back_action.isEnabled() and walkthrough.next_action.isEnabled()


def test_without_torch_the_panel_says_so(qtbot, make_window, monkeypatch):
    from nnstudio.core.teaching import walkthrough as core

    monkeypatch.setattr(core, "torch_available", lambda: (False, "PyTorch is not installed: pip install torch"))
    window = make_window(preset("linear"))
    walkthrough = start(qtbot, window)
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Period)
    assert "torch autograd: not available (PyTorch is not installed" in walkthrough.panel.text.toPlainText()


def test_no_label_covers_another_at_any_stop_in_large_type(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))
    walkthrough = start(qtbot, window)
    diagram = registered(window, "network_diagram").diagram
    font = diagram.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)  # presentation mode's type in a narrow dock
    diagram.setFont(font)
    overlay = walkthrough.overlay
    stops = 0
    for _ in range(9):  # forward through the layers, the loss, backpropagation, accumulate
        qtbot.keyClick(window, Qt.Key.Key_Period)
        wait_idle(qtbot, window)
        boxes = overlay.label_boxes
        stops += bool(boxes)
        for i, box in enumerate(boxes):
            assert not any(box.intersects(other) for other in boxes[i + 1 :]), overlay.text
    assert stops >= 5
