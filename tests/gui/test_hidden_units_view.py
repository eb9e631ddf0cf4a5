"""The hidden-unit view: the unit curves are the core's numbers and add up to the prediction shown."""

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox

from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.hidden_units import layer_outputs
from nnstudio.gui.instruments.hidden_units_view import CONTRIBUTIONS, MAPS, OUTPUTS
from nnstudio.gui.instruments.instrument_support import HIGHLIGHT_COLOUR, NEGATIVE_LIGHT, POSITIVE_LIGHT
from tests.gui.driving import registered, trainer_of, wait_idle
from tests.gui.driving import trained as train_to
from tests.gui.image_checks import pixels_near, rendered_pixels


def open_view(qtbot, window):
    instrument = registered(window, "hidden_units")
    instrument.dock.show()
    qtbot.waitUntil(lambda: instrument.view.shown is not None, timeout=10000)
    return instrument.view


def trained(qtbot, window, epochs):
    train_to(qtbot, window, epochs)
    qtbot.waitUntil(lambda: window.state.epoch == epochs, timeout=5000)


def trained_and_shown(qtbot, window, view, epochs):
    """Train to `epochs` and wait until the view draws the weights trained; those weights."""
    trained(qtbot, window, epochs)
    parameters = trainer_of(window).backend.parameters()

    def shown():
        return view.parameters is not None and all(
            np.array_equal(view.parameters[name], value) for name, value in parameters.items()
        )

    qtbot.waitUntil(shown, timeout=5000)
    return parameters


def standardised_sine():
    experiment = preset("sine")
    return replace(experiment, data=replace(experiment.data, standardize=True))


def test_the_unit_curves_sum_to_the_prediction_shown(qtbot, make_window):
    window = make_window(standardised_sine())  # y_sd ≠ 1, y_mean ≠ 0: the curves are un-standardised
    view = open_view(qtbot, window)
    parameters = trained_and_shown(qtbot, window, view, 40)
    trainer = trainer_of(window)
    scaler = trainer.dataset.scaler
    assert scaler.y_sd != 1.0 and scaler.y_mean != 0.0
    shown = view.shown
    assert shown.mode == CONTRIBUTIONS and shown.values.shape == (256, 64)
    curves = np.column_stack([view.curve_data(unit) for unit in range(64)])  # every unit has its own curve
    offset = scaler.y_sd * parameters["b2"][0] + scaler.y_mean
    assert shown.offset == offset and view.offset_line.value() == offset
    fit_x, fit_y = window.fit_plot.prediction()
    np.testing.assert_array_equal(view.sum_curve.getData()[0], fit_x)
    in_model_units = (curves.sum(axis=1) + offset - scaler.y_mean) / scaler.y_sd
    assert np.max(np.abs(in_model_units - (fit_y - scaler.y_mean) / scaler.y_sd)) < 1e-9
    assert np.max(np.abs(view.sum_curve.getData()[1] - fit_y)) < 1e-9 * scaler.y_sd
    # each curve is w2_j · relu(w1_j · x + b1_j), in y's units
    x = trainer.dataset.x_grid[:, 0]
    for unit in (0, 17, 63):
        expected = parameters["W2"][unit, 0] * np.maximum(parameters["W1"][0, unit] * x + parameters["b1"][unit], 0)
        np.testing.assert_allclose(curves[:, unit], scaler.y_sd * expected, rtol=1e-12, atol=1e-15)


def test_unit_curves_are_coloured_by_the_sign_of_their_output_weight(qtbot, make_window):
    window = make_window(preset("sine"))
    view = open_view(qtbot, window)
    w2 = trained_and_shown(qtbot, window, view, 10)["W2"][:, 0]
    for curve in view._curves:
        unit = curve.property("unit")
        expected = POSITIVE_LIGHT if w2[unit] >= 0 else NEGATIVE_LIGHT
        assert curve.opts["pen"].color().name().upper() == expected
    pixels = rendered_pixels(view.plot_widget)
    assert pixels_near(pixels, POSITIVE_LIGHT) > 200 and pixels_near(pixels, NEGATIVE_LIGHT) > 200


def test_the_overlay_draws_the_same_curves_on_the_fit_plot(qtbot, make_window):
    window = make_window(preset("sine"))
    view = open_view(qtbot, window)
    trained(qtbot, window, 5)
    assert view.overlay_curve_count() == 0
    view.overlay_check.setChecked(True)
    assert view.overlay_curve_count() == 64
    on_fit_plot = [item for item in window.fit_plot.plot_item.items if item in view._overlay and item.isVisible()]
    assert len(on_fit_plot) == 64
    for curve in on_fit_plot:
        np.testing.assert_array_equal(curve.getData()[1], view.curve_data(curve.property("unit")))
    registered(window, "hidden_units").dock.hide()  # the overlay stays live without the dock
    trained_and_shown(qtbot, window, view, 8)
    assert view.overlay_curve_count() == 64
    view.overlay_check.setChecked(False)
    assert view.overlay_curve_count() == 0


def test_a_deeper_network_shows_each_units_output_for_the_chosen_layer(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))
    view = open_view(qtbot, window)
    parameters = trained_and_shown(qtbot, window, view, 3)
    trainer = trainer_of(window)
    choices = [view.layer_combo.itemData(i) for i in range(view.layer_combo.count())]
    assert choices == [(OUTPUTS, 1), (OUTPUTS, 2)]
    for layer in (1, 2):
        view.layer_combo.setCurrentIndex(layer - 1)
        expected = layer_outputs(trainer.layers, parameters, trainer.dataset.x_grid, layer)
        assert view.shown.layer == layer and view.shown.values.shape == (256, 32)
        for unit in range(32):
            np.testing.assert_array_equal(view.curve_data(unit), expected[:, unit])
        assert f"hidden layer {layer}" in view.caption.text()
    # layer 2's outputs are tanh of layer 1's outputs times W2, plus b2: the core's forward pass
    a1 = np.tanh(trainer.dataset.x_grid @ parameters["W1"] + parameters["b1"])
    np.testing.assert_allclose(view.curve_data(5), np.tanh(a1 @ parameters["W2"] + parameters["b2"])[:, 5], rtol=1e-12)
    assert view.sum_curve.getData()[0] is None  # no sum for a layer's outputs


def test_highlight_unit_draws_that_unit_thick_and_switches_layer(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))
    view = open_view(qtbot, window)
    with qtbot.waitSignal(view.unit_highlighted, timeout=2000) as blocker:
        registered(window, "hidden_units").highlight_unit(2, 7)
    assert blocker.args == [2, 7]
    assert view.choice == (OUTPUTS, 2) and view.highlighted == (2, 7)
    np.testing.assert_array_equal(view.highlight_curve.getData()[1], view.curve_data(7))
    assert "Highlighted 8</b> of hidden layer 2" in view.readout.text()  # counted from 1
    registered(window, "hidden_units").highlight_unit(2, None)
    assert view.highlighted is None and len(view.highlight_curve.getData()[0]) == 0  # a curve with no points


def test_clicking_a_curve_highlights_its_unit(qtbot, make_window):
    window = make_window(preset("sine"))
    view = open_view(qtbot, window)
    trained(qtbot, window, 30)
    qtbot.waitUntil(lambda: view.parameters is not None and window.state.epoch == 30, timeout=5000)
    shown = view.shown
    unit = int(shown.drawn_units[0])  # the largest curve
    column = int(np.argmax(np.abs(shown.values[:, unit])))
    box = view.plot_item.getViewBox()
    target = QPointF(shown.x[column], shown.values[column, unit])
    qtbot.waitUntil(lambda: box.viewRect().contains(target), timeout=5000)  # the view has followed the data
    point = box.mapViewToScene(target)
    assert view.unit_near(point) == unit
    position = view.plot_widget.mapFromScene(point)
    with qtbot.waitSignal(view.unit_highlighted, timeout=2000) as blocker:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert blocker.args == [1, unit]


def test_no_hidden_layer_says_so(qtbot, make_window):
    window = make_window(preset("linear"))
    view = open_view_without_curves(qtbot, window)
    assert view.layer_combo.count() == 0 and not view.layer_combo.isEnabled()
    assert "no hidden layer" in view.caption.text()


def open_view_without_curves(qtbot, window):
    registered(window, "hidden_units").dock.show()
    qtbot.waitUntil(lambda: registered(window, "hidden_units").view.parameters is not None, timeout=10000)
    return registered(window, "hidden_units").view


def test_every_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    view = open_view(qtbot, window)
    controls = view.findChildren(QComboBox) + view.findChildren(QAbstractButton)
    assert controls
    assert all(control.toolTip() for control in controls)
    assert registered(window, "hidden_units").dock.toggleViewAction().toolTip()
    assert registered(window, "hidden_units").dock.toggleViewAction().shortcut().toString() == "Ctrl+2"


def test_the_curves_match_an_independent_forward_pass_after_each_frame(qtbot, make_window):
    window = make_window(preset("sine"))
    view = open_view(qtbot, window)
    frames = []
    window.frame_ready.connect(lambda snapshot: frames.append(snapshot) if snapshot.parameters else None)
    window.controls.pace.choose(100)  # slow enough for several frames (the run would take 2 s; it is paused before)
    window.run_to(200)
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=20000)
    snapshot = frames[-1]
    trainer = window.state  # the run's layers and data (its weights are the frame's)
    hidden = forward(list(trainer.layers[:1]), snapshot.parameters, trainer.dataset.x_grid)[0].outputs
    np.testing.assert_allclose(view.shown.values, hidden * snapshot.parameters["W2"][:, 0], rtol=1e-12, atol=1e-15)
    window.session.pause()
    wait_idle(qtbot, window)


def _expected_maps(window, parameters, layer):
    trainer = trainer_of(window)
    values = layer_outputs(trainer.layers, parameters, trainer.dataset.x_grid, layer)
    return [values[:, unit].reshape(trainer.dataset.grid_shape).astype(np.float32) for unit in range(values.shape[1])]


def test_two_inputs_show_one_heat_map_per_unit(qtbot, make_window):
    window = make_window(preset("circle"))
    view = open_view(qtbot, window)
    parameters = trained_and_shown(qtbot, window, view, 5)
    assert view.choice == (MAPS, 1) and view.maps.isVisible() and not view.plot_widget.isVisible()
    units = trainer_of(window).layers[0].n_out
    assert view.maps.count() == units == 8
    expected = _expected_maps(window, parameters, 1)
    low, high = view.maps.levels()
    assert high > 0 and low == -high  # one scale for the layer, symmetric about 0
    for unit, image in enumerate(view.maps.images()):
        assert image.dtype == np.float32 and image.flags["C_CONTIGUOUS"]
        assert image.shape == trainer_of(window).dataset.grid_shape
        np.testing.assert_allclose(image, expected[unit], atol=1e-6)
        assert tuple(view.maps._images[unit].getLevels()) == (low, high)
    assert "hidden layer 1" in view.caption.text()
    parameters = trained_and_shown(qtbot, window, view, 10)  # the maps follow the parameter feed
    np.testing.assert_allclose(view.maps.images()[3], _expected_maps(window, parameters, 1)[3], atol=1e-6)


def test_the_layer_chooser_switches_the_maps_and_a_click_highlights_a_unit(qtbot, make_window):
    window = make_window(preset("xor"))
    view = open_view(qtbot, window)
    parameters = trained_and_shown(qtbot, window, view, 3)
    choices = [view.layer_combo.itemData(i) for i in range(view.layer_combo.count())]
    assert choices == [(MAPS, 1), (MAPS, 2)]
    for layer in (2, 1):
        view.layer_combo.setCurrentIndex(layer - 1)
        assert view.shown.layer == layer and view.maps.count() == 8
        for image, expected in zip(view.maps.images(), _expected_maps(window, parameters, layer), strict=True):
            np.testing.assert_allclose(image, expected, atol=1e-6)
    assert not np.allclose(_expected_maps(window, parameters, 1)[0], _expected_maps(window, parameters, 2)[0])
    with qtbot.waitSignal(view.unit_highlighted, timeout=2000) as blocker:
        registered(window, "hidden_units").highlight_unit(2, 5)  # switches layer, frames the map
    assert blocker.args == [2, 5] and view.choice == (MAPS, 2)
    assert view.maps.box(5).border.color().name().upper() == HIGHLIGHT_COLOUR
    assert "Highlighted 6</b> of hidden layer 2" in view.readout.text()  # counted from 1
    box = view.maps.box(3)
    position = view.maps.graphics.mapFromScene(box.sceneBoundingRect().center())
    with qtbot.waitSignal(view.unit_highlighted, timeout=2000) as blocker:
        qtbot.mouseClick(view.maps.graphics.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert blocker.args == [2, 3] and view.highlighted == (2, 3)
    assert view.maps.box(3).border.color().name().upper() == HIGHLIGHT_COLOUR
    assert view.maps.box(5).border.color().name().upper() != HIGHLIGHT_COLOUR


def test_two_gaussians_without_hidden_layer_draw_no_maps(qtbot, make_window):
    window = make_window(preset("two-gaussians"))
    view = open_view_without_curves(qtbot, window)
    assert view.layer_combo.count() == 0 and view.maps.count() == 0 and not view.maps.isVisible()
