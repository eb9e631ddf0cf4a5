"""The loss landscape: the minimum is least squares, the road is the recorded weights, maps come off-thread."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.landscape import least_squares_line, line_losses, line_path, recorded_states
from nnstudio.gui.instruments.landscape_maps import LINE, SLICE, squared
from tests.gui.driving import registered, trained, trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels


def open_landscape(qtbot, window):
    instrument = registered(window, "loss_landscape")
    instrument.dock.show()
    qtbot.waitUntil(lambda: instrument.view.map is not None and not window.session.is_running, timeout=15000)
    return instrument


def recorded_road(trainer):
    return line_path(trainer.state_history)


def test_the_two_parameter_minimum_is_the_least_squares_line(qtbot, make_window):
    window = make_window(preset("linear"))
    landscape = open_landscape(qtbot, window)
    picture = landscape.view.map
    data = trainer_of(window).dataset
    w, b = least_squares_line(data.x_train, data.y_train)
    assert picture.kind == LINE and picture.minimum == (w, b)
    assert landscape.view.minimum_marker.data["x"][0] == w and landscape.view.minimum_marker.data["y"][0] == b
    # the least-squares line solves the normal equations, and no grid point is lower
    x, y = data.x_train[:, 0], data.y_train[:, 0]
    np.testing.assert_allclose(np.polyfit(x, y, 1), [w, b], rtol=1e-9, atol=1e-12)
    at_minimum = line_losses(
        trainer_of(window).layers[0], "sse", data.x_train, data.y_train, np.array([w]), np.array([b])
    )
    assert at_minimum[0] <= picture.losses.min()
    i, j = np.unravel_index(np.argmin(picture.losses), picture.losses.shape)
    step_w, step_b = np.diff(picture.x_values[:2])[0], np.diff(picture.y_values[:2])[0]
    assert abs(picture.x_values[j] - w) <= step_w and abs(picture.y_values[i] - b) <= step_b
    # the heat map is the log of the losses, with explicit levels
    np.testing.assert_allclose(landscape.view.image.image, np.log10(picture.losses), rtol=1e-6)
    assert landscape.view.image.getLevels() is not None and tuple(landscape.view.image.getLevels()) == picture.levels
    assert picture.computed_in_thread != threading.main_thread().ident
    assert "least-squares minimum" in landscape.view.legend_text()


def test_the_road_is_the_recorded_weights(qtbot, make_window):
    window = make_window(preset("linear"))
    landscape = open_landscape(qtbot, window)
    trained(qtbot, window, 60)
    trainer = trainer_of(window)
    road = recorded_road(trainer)
    assert len(road) == 61  # epoch 0 (the initial weights) to 60, every one recorded
    qtbot.waitUntil(lambda: np.array_equal(landscape.view.road_points(), road), timeout=5000)
    parameters = trainer.backend.parameters()
    assert tuple(road[-1]) == (parameters["W1"][0, 0], parameters["b1"][0])
    marker = landscape.view.current_marker.data
    assert (marker["x"][0], marker["y"][0]) == tuple(road[-1])
    epochs, states = recorded_states(trainer.state_history)
    assert epochs == list(range(61))
    np.testing.assert_array_equal(road, [(s.parameters["W1"][0, 0], s.parameters["b1"][0]) for s in states])
    pixels = rendered_pixels(landscape.view.plot_widget)
    assert pixels_near(pixels, "#D55E00", tolerance=20) > 100  # the red road is drawn


def test_the_road_grows_live_from_the_snapshots(qtbot, make_window):
    window = make_window(preset("linear"))
    landscape = open_landscape(qtbot, window)
    frames = []
    window.frame_ready.connect(lambda snapshot: frames.append(snapshot) if snapshot.parameters else None)
    window.controls.pace.choose(50)  # paced: several frames, one epoch apart
    window.run_to(200)
    qtbot.waitUntil(lambda: len(frames) >= 4, timeout=20000)
    road = landscape.view.road_points()
    for snapshot in frames:
        point = (snapshot.parameters["W1"][0, 0], snapshot.parameters["b1"][0])
        assert np.any(np.all(road == point, axis=1)), "every frame's weights are on the road"
    window.session.pause()
    wait_idle(qtbot, window)
    qtbot.waitUntil(
        lambda: np.array_equal(landscape.view.road_points(), recorded_road(trainer_of(window))), timeout=5000
    )


def test_gradient_descent_and_adam_take_different_roads(qtbot, make_window):
    window = make_window(preset("linear"))
    landscape = open_landscape(qtbot, window)
    trained(qtbot, window, 40)
    gd_road = recorded_road(trainer_of(window))
    window.session.change(lambda t: t.update_training(optimizer="adam", learning_rate=0.1), "Adam")
    window.reset()
    wait_idle(qtbot, window)
    trained(qtbot, window, 40)
    adam_road = recorded_road(trainer_of(window))
    qtbot.waitUntil(lambda: np.array_equal(landscape.view.road_points(), adam_road), timeout=5000)
    earlier, label = landscape.view.earlier_roads[0]
    np.testing.assert_array_equal(earlier, gd_road)
    assert label == "gd lr 1e-4" and landscape.view.road_label == "adam lr 0.1"
    np.testing.assert_array_equal(adam_road[0], gd_road[0])  # the same start (Reset)...
    assert np.max(np.abs(adam_road[1:] - gd_road[1:])) > 0.1  # ...and different roads
    x, y = landscape.view.earlier[0].getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), gd_road)
    text = landscape.view.legend_text()
    assert "now: adam lr 0.1" in text and "earlier: gd lr 1e-4" in text
    landscape.view.controls.clear_roads_button.click()
    assert landscape.view.earlier_roads == [] and landscape.view.earlier[0].getData()[0] is None


def test_a_diverging_road_is_reported(qtbot, make_window):
    window = make_window(preset("linear"))
    landscape = open_landscape(qtbot, window)
    window.session.change(lambda t: t.update_training(learning_rate=0.05), "too large")
    wait_idle(qtbot, window)
    trained(qtbot, window, 60)
    assert "diverged" in landscape.view.status.text()


def test_a_slice_is_recomputed_off_the_gui_thread(qtbot, make_window):
    window = make_window(preset("sine"))
    landscape = open_landscape(qtbot, window)
    assert landscape.view.map.kind == SLICE
    trained(qtbot, window, 30)
    computations = []
    compute = window.session.compute

    def spy(work, deliver):
        computations.append(work)
        compute(work, deliver)

    window.session.compute = spy
    ticks = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(landscape.view.map))
    timer.start()
    before = landscape.view.map
    landscape.view.controls.recompute_button.click()
    qtbot.waitUntil(lambda: landscape.view.map is not before, timeout=15000)
    timer.stop()
    assert len(computations) == 1
    assert landscape.view.map.computed_in_thread != threading.main_thread().ident
    assert sum(1 for seen in ticks if seen is before) >= 2  # the GUI kept ticking while the map was computed
    # centred on the weights of now: the centre's loss is the trainer's training loss
    trainer = trainer_of(window)
    picture = landscape.view.map
    for name, value in trainer.backend.parameters().items():
        np.testing.assert_array_equal(picture.centre[name], value)
    centre_loss = picture.losses[len(picture.y_values) // 2, len(picture.x_values) // 2]
    data = trainer.dataset
    assert abs(centre_loss - trainer.backend.loss(data.x_train, data.y_train)) < 1e-12


def test_a_slice_along_two_chosen_weights_places_the_road_at_their_values(qtbot, make_window):
    window = make_window(preset("sine"))
    landscape = open_landscape(qtbot, window)
    trained(qtbot, window, 25)
    controls = landscape.view.controls
    controls.first.set_choice("W1", 3)
    controls.second.set_choice("b2", 0)
    assert controls.first.index.text() == "[1,4]" and controls.second.index.text() == "[1]"  # counted from 1
    before = landscape.view.map
    controls.recompute_button.click()
    qtbot.waitUntil(lambda: landscape.view.map is not before and not window.session.is_running, timeout=15000)
    picture = landscape.view.map
    assert (picture.x_label, picture.y_label) == ("W1[1,4]", "b2[1]")
    _, states = recorded_states(trainer_of(window).state_history)
    expected = np.array([(s.parameters["W1"][0, 3], s.parameters["b2"][0]) for s in states])
    np.testing.assert_allclose(landscape.view.road_points(), expected, rtol=1e-12, atol=1e-14)
    parameters = trainer_of(window).backend.parameters()
    assert picture.offset == (parameters["W1"][0, 3], parameters["b2"][0])
    assert landscape.view.centre_marker.data["x"][0] == parameters["W1"][0, 3]


def test_a_random_slice_follows_its_seed(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))
    landscape = open_landscape(qtbot, window)
    controls = landscape.view.controls
    controls.mode.setCurrentIndex(1)
    assert controls.seed_box.isVisibleTo(controls) and not controls.first.isVisibleTo(controls)
    maps = []
    for seed in (0, 1):
        before = landscape.view.map
        controls.seed_box.setValue(seed)
        controls.recompute_button.click()
        qtbot.waitUntil(lambda before=before: landscape.view.map is not before, timeout=15000)
        maps.append(landscape.view.map)
    assert maps[0].x_label == "α · direction 1"
    assert not np.array_equal(maps[0].losses, maps[1].losses)
    assert maps[0].losses[20, 20] == maps[1].losses[20, 20]  # both pass through the same weights


def test_every_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    landscape = open_landscape(qtbot, window)
    view = landscape.view
    controls = view.findChildren(QComboBox) + view.findChildren(QAbstractButton) + view.findChildren(QAbstractSpinBox)
    assert len(controls) >= 8
    assert all(control.toolTip() for control in controls)
    action = landscape.dock.toggleViewAction()
    assert action.toolTip() and action.shortcut().toString() == "Ctrl+4"


def test_a_closed_landscape_computes_nothing(qtbot, make_window):
    window = make_window(preset("sine"))
    computations = []
    compute = window.session.compute
    window.session.compute = lambda work, deliver: (computations.append(work), compute(work, deliver))
    trained(qtbot, window, 20)
    window.load_preset("sine-tanh-deep")
    wait_idle(qtbot, window)
    assert computations == [] and registered(window, "loss_landscape")._view is None  # not even built
    registered(window, "loss_landscape").dock.show()
    qtbot.waitUntil(
        lambda: (
            registered(window, "loss_landscape")._view is not None
            and registered(window, "loss_landscape").view.map is not None
        )
    )
    assert len(computations) == 1 and registered(window, "loss_landscape").view.map.kind == SLICE


@pytest.fixture
def one_thread_pool():
    """Qt's thread pool as Qt sizes it on a one-core machine."""
    pool = QThreadPool.globalInstance()
    before = pool.maxThreadCount()
    pool.setMaxThreadCount(1)
    yield
    pool.setMaxThreadCount(before)


@pytest.mark.parametrize("cores", [None, 1])
def test_the_plane_is_drawn_while_training_runs(qtbot, make_window, request, cores):
    if cores == 1:
        request.getfixturevalue("one_thread_pool")  # the run held the only thread: no map until it ended
    window = make_window(preset("linear"))
    window.controls.pace.choose(50)  # a 4-second run: the map must not wait for its end
    window.run_to(200)
    qtbot.waitUntil(lambda: window.session.is_training and window.frame and window.frame.epoch > 0, timeout=5000)
    registered(window, "loss_landscape").dock.show()
    qtbot.waitUntil(lambda: registered(window, "loss_landscape").view.map is not None, timeout=3000)
    assert window.session.is_training and registered(window, "loss_landscape").view.map.kind == LINE
    window.session.pause()
    wait_idle(qtbot, window)
    road = recorded_road(trainer_of(window))
    qtbot.waitUntil(lambda: np.array_equal(registered(window, "loss_landscape").view.road_points(), road), timeout=5000)


def test_the_line_map_has_equal_scales_and_its_caption_names_its_colours(qtbot, make_window):
    window = make_window(preset("linear"))
    trained(qtbot, window, 20)
    view = open_landscape(qtbot, window).view
    picture = view.map
    w_span, b_span = np.ptp(picture.x_values), np.ptp(picture.y_values)
    assert w_span == pytest.approx(b_span, rel=1e-12)  # a square of (w, b): a round bowl looks round
    assert view.plot_item.getViewBox().state["aspectLocked"] == 1.0
    pixel_w, pixel_b = view.plot_item.getViewBox().viewPixelSize()
    assert pixel_w == pytest.approx(pixel_b, rel=1e-6)
    caption = view.caption.text()
    for colour in ("white", "dark blue", "dark grey", "red-orange", "white square", "yellow star"):
        assert colour in caption
    assert pixels_near(rendered_pixels(view), "#D55E00", tolerance=30) > 50  # the red-orange road is there


def test_squared_ranges_keep_their_centres_and_take_the_larger_span():
    assert squared((0.0, 1.0), (10.0, 14.0)) == ((-1.5, 2.5), (10.0, 14.0))
    assert squared((-3.0, 3.0), (0.0, 2.0)) == ((-3.0, 3.0), (-2.0, 4.0))
