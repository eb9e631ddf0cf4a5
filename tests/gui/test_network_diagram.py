"""The network diagram: its lines are the weights (count, sign colour, width), its hover text exact."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.gui.instruments.instrument_support import HIGHLIGHT_COLOUR, NEGATIVE_COLOUR, POSITIVE_COLOUR
from nnstudio.gui.instruments.network_diagram import MAX_EDGES_PER_LAYER
from nnstudio.gui.instruments.network_diagram_view import NetworkDiagram as NetworkDiagramView
from tests.gui.driving import registered, trained, trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels


def open_diagram(qtbot, window):
    instrument = registered(window, "network_diagram")
    instrument.dock.show()
    qtbot.waitUntil(lambda: instrument.diagram.parameters is not None, timeout=10000)
    return instrument.diagram


def showing_weights_of(diagram, parameters):
    return all(np.array_equal(diagram.parameters[name], value) for name, value in parameters.items())


def test_every_weight_is_a_line_coloured_by_sign_and_as_wide_as_it_is_large(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    trained(qtbot, window, 20)
    parameters = trainer_of(window).backend.parameters()
    qtbot.waitUntil(lambda: showing_weights_of(diagram, parameters), timeout=5000)
    edges = [edge for edge in diagram.edges() if edge.line.isVisible()]
    assert len(edges) == 64 + 64  # W1 (1×64) and W2 (64×1): every weight, none capped
    for edge in edges:
        weight = parameters[f"W{edge.layer}"][edge.row, edge.column]
        assert edge.value == weight
        assert edge.colour == (POSITIVE_COLOUR if weight >= 0 else NEGATIVE_COLOUR)
        line = edge.line.line()
        start, end = diagram.node_centre(edge.layer - 1, edge.row), diagram.node_centre(edge.layer, edge.column)
        assert (line.p1(), line.p2()) == (start, end)
    magnitudes = np.array([abs(edge.value) for edge in edges])
    widths = np.array([edge.width for edge in edges])
    assert widths[np.argmax(magnitudes)] == widths.max()
    assert abs(diagram.scale - magnitudes.max()) == 0
    order = np.argsort(magnitudes)
    assert np.all(np.diff(widths[order]) >= 0)  # a larger |w| never gets a thinner line
    assert widths.min() < widths.max()
    assert {edge.colour for edge in edges} == {POSITIVE_COLOUR, NEGATIVE_COLOUR}
    pixels = rendered_pixels(diagram.view)
    assert pixels_near(pixels, POSITIVE_COLOUR) > 500 and pixels_near(pixels, NEGATIVE_COLOUR) > 500


def test_big_layers_draw_their_strongest_weights_and_say_so(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))
    diagram = open_diagram(qtbot, window)
    parameters = trainer_of(window).backend.parameters()
    qtbot.waitUntil(lambda: showing_weights_of(diagram, parameters), timeout=5000)
    edges = diagram.edges()
    per_layer = {layer: [edge for edge in edges if edge.layer == layer] for layer in (1, 2, 3)}
    assert [len(per_layer[layer]) for layer in (1, 2, 3)] == [32, MAX_EDGES_PER_LAYER, 32]
    drawn = {(edge.row, edge.column) for edge in per_layer[2]}
    w2 = np.abs(parameters["W2"])
    left_out = [w2[i, j] for i in range(32) for j in range(32) if (i, j) not in drawn]
    assert min(abs(edge.value) for edge in per_layer[2]) >= max(left_out)
    assert f"W2: the {MAX_EDGES_PER_LAYER} strongest of 1024 weights" in diagram.caption.text()


def test_the_lines_follow_training_live(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    frames = []
    window.frame_ready.connect(lambda snapshot: frames.append(snapshot) if snapshot.parameters else None)
    window.controls.pace.choose(100)  # several frames (the run would take 2 s; it is paused before)
    window.run_to(200)
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=20000)
    latest = frames[-1].parameters
    assert showing_weights_of(diagram, latest)
    assert all(edge.value == latest[f"W{edge.layer}"][edge.row, edge.column] for edge in diagram.edges())
    window.session.pause()
    wait_idle(qtbot, window)


def test_hover_shows_the_exact_weight_and_its_last_gradient(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N)  # one step, so there is a gradient
    wait_idle(qtbot, window)
    trainer = trainer_of(window)
    gradients = trainer.backend.last_gradients()
    parameters = trainer.backend.parameters()
    qtbot.waitUntil(lambda: diagram.gradients and showing_weights_of(diagram, parameters), timeout=5000)
    edge = max((edge for edge in diagram.edges() if edge.layer == 1), key=lambda edge: abs(edge.value))
    near_unit = edge.line.line().pointAt(0.85)  # near its hidden node, where W1's fan is spread out
    qtbot.mouseMove(diagram.view.viewport(), diagram.view.mapFromScene(near_unit))
    name = f"W1[1,{edge.column + 1}]"  # counted from 1, as the lessons and the inspector count
    qtbot.waitUntil(lambda: f"{name} = " in diagram.hover_text, timeout=3000)
    text = diagram.hover_text
    assert f"<b>{name} = {float(parameters['W1'][0, edge.column])!r}</b>" in text
    assert f"from input x to unit {edge.column + 1} of hidden layer 1" in text
    assert f"dL/d{name} = {float(gradients['W1'][0, edge.column])!r}" in text
    assert "step 1" in text and diagram.readout.text() == text
    assert diagram.hover_line.isVisible() and diagram.hover_line.pen().color().name().upper() == HIGHLIGHT_COLOUR
    node = diagram.node_centre(1, 3)
    assert f"unit 4 of hidden layer 1</b> (relu): bias b1[4] = {float(parameters['b1'][3])!r}" in diagram.text_at(node)


def test_hover_during_training_asks_to_pause_for_the_gradient(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    window.controls.pace.choose(100)
    window.run_to(100)
    qtbot.waitUntil(lambda: window.session.is_training and diagram.gradient_withheld != "", timeout=10000)
    edge = diagram.edges()[-1]
    assert "pause training" in diagram.text_at(edge.line.line().pointAt(0.85))
    window.session.pause()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: diagram.gradient_withheld == "" and "step" in diagram.gradient_note, timeout=5000)


def test_clicking_a_hidden_node_highlights_its_unit_in_the_hidden_unit_view(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    hidden = registered(window, "hidden_units")
    assert not hidden.dock.isVisible()
    position = diagram.view.mapFromScene(diagram.node_centre(1, 9))
    with qtbot.waitSignal(diagram.unit_clicked, timeout=2000) as blocker:
        qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert blocker.args == [1, 9]
    assert (
        hidden.dock.isVisible() and registered(window, "network_diagram").dock.isVisible()
    )  # side by side, not tabbed over
    assert hidden.view.highlighted == (1, 9)
    assert diagram.highlighted == (1, 9)
    assert diagram._columns[1][9].brush().color().name().upper() == HIGHLIGHT_COLOUR
    qtbot.waitUntil(lambda: hidden.view.shown is not None, timeout=5000)
    np.testing.assert_array_equal(hidden.view.highlight_curve.getData()[1], hidden.view.curve_data(9))
    hidden.highlight_unit(1, 4)  # and the other way round
    assert diagram.highlighted == (1, 4)


def test_the_diagram_follows_a_new_model(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    window.load_preset("sine-tanh-deep")
    qtbot.waitUntil(lambda: len(diagram.layers) == 3 and diagram.parameters is not None, timeout=10000)
    qtbot.waitUntil(lambda: "W3" in diagram.parameters, timeout=5000)
    assert [len(column) for column in diagram._columns] == [1, 32, 32, 1]
    assert "hidden 2" in diagram._titles[2].text()


def test_every_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    diagram = open_diagram(qtbot, window)
    controls = diagram.findChildren(QComboBox) + diagram.findChildren(QAbstractButton)
    assert all(control.toolTip() for control in controls)
    assert diagram.caption.toolTip() and diagram.readout.toolTip()
    action = registered(window, "network_diagram").dock.toggleViewAction()
    assert action.toolTip() and action.shortcut().toString() == "Ctrl+3"


def test_column_titles_never_run_together_in_large_type_or_a_narrow_dock(qtbot):
    diagram = NetworkDiagramView()
    qtbot.addWidget(diagram)
    font = diagram.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)  # as presentation mode makes it
    diagram.setFont(font)
    diagram.resize(360, 300)
    diagram.show()
    diagram.set_model(list(Trainer(preset("sine-tanh-deep")).layers))  # input, two hidden layers, output
    qtbot.waitUntil(lambda: len(diagram._titles) == 4 and diagram._titles[-1].pos().x() > 0)
    boxes = [title.sceneBoundingRect() for title in diagram._titles]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.right() <= right.left(), (left, right)  # side by side, not on top of each other
    scene = diagram.scene.sceneRect()
    assert all(scene.left() <= box.left() and box.right() <= scene.right() for box in boxes)
