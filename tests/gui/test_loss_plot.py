"""The loss plot stays cheap and readable: what it draws of a long run, where its view is, its axis labels."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF

from nnstudio.core.engine.presets import preset
from nnstudio.gui import style
from nnstudio.gui.file_actions import DISCARD
from nnstudio.gui.plots.loss_axis import (
    followed_range,
    log_tick_strings,
    log_ticks,
    plain_number,
    plain_numbers,
)
from nnstudio.gui.plots.loss_history import RAW_POINTS_MAX, Envelope, bucket_extremes, visible_indices
from nnstudio.gui.plots.loss_plot import LossPlot
from tests.gui.driving import trained, trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels


@pytest.fixture
def loss_plot(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 400)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def no_test(count):
    return np.full(count, np.nan)


def view_range(plot):
    return plot.plot_item.getViewBox().viewRange()


def plot_area_pixels(plot, colour):
    """Pixels of `colour` inside the view box (the legend and the axes left out)."""
    pixels = rendered_pixels(plot.plot_widget)
    rect = plot.plot_item.getViewBox().sceneBoundingRect().toRect()
    inside = pixels[rect.top() + 2 : rect.bottom() - 1, rect.left() + 2 : rect.right() - 1]
    return pixels_near(inside, colour, tolerance=40)


def labelled_ticks(axis):
    """(values, strings) of the axis's labelled tick level as it is drawn now."""
    low, high = axis.range
    pixels = axis.linkedView().sceneBoundingRect().height()
    levels = axis.tickValues(low, high, pixels)
    spacing, values = levels[0]
    return values, axis.tickStrings(values, 1.0, spacing), pixels / (high - low)


# --- the envelope --------------------------------------------------------------------------------


def test_the_envelope_grown_point_by_point_is_each_bucket_s_lowest_and_highest():
    rng = np.random.default_rng(3)
    values = np.cumsum(rng.normal(size=60_000))
    values[12_345] = 1e6  # one epoch's spike
    values[40_000:40_010] = np.nan  # a gap
    envelope = Envelope(raw_points_max=500, buckets_max=256)
    size = 0
    while size < len(values):
        size = min(len(values), size + int(rng.integers(1, 900)))
        shown = envelope.indices(values[:size])
        assert np.all(np.diff(shown) >= 0) and shown[-1] == size - 1  # in order, up to the newest point
        assert len(shown) <= 2 * 256 + envelope.bucket
    loose = len(values) % envelope.bucket  # the newest points, fewer than a bucket, drawn as they are
    np.testing.assert_array_equal(shown[: len(shown) - loose], bucket_extremes(values, envelope.bucket))
    assert 12_345 in shown and np.nanmin(values) == np.nanmin(values[shown])
    assert envelope.bucket == 256  # the least power of two that gives at most 256 buckets


def test_a_short_curve_is_drawn_point_by_point_and_a_zoom_shows_the_exact_points():
    values = np.arange(100.0)
    assert np.array_equal(Envelope().indices(values), np.arange(100))
    epochs = np.arange(1.0, 1_000_001.0)
    shown = visible_indices(epochs, epochs, 500_000, 500_900, buckets_max=2048)
    assert epochs[shown[0]] < 500_000 and epochs[shown[-1]] > 500_900 and len(shown) == 903  # one beyond each edge
    assert len(visible_indices(epochs, epochs, 0, 2_000_000, buckets_max=2048)) <= 2 * 2048 + 489


def test_a_million_epochs_keep_a_one_epoch_spike_and_draw_a_few_thousand_points(qtbot, loss_plot):
    epochs = np.arange(1.0, 1_000_001.0)
    train = 114 * np.exp(-epochs / 50_000) + 0.5
    train[777_776] = 400.0
    for chunk in np.array_split(np.arange(len(epochs)), 300):  # as frames deliver them
        loss_plot.append(epochs[chunk], train[chunk], no_test(len(chunk)))
    x, y = loss_plot.drawn_points()
    assert len(x) < 2 * 2048 + 1024 and y.max() == 400.0 and 777_777.0 in x
    (left, right), (bottom, top) = view_range(loss_plot)
    assert left <= 1 and 1_000_000 <= right <= 1_300_000 and bottom <= 0.5 and 400 <= top <= 500
    assert plot_area_pixels(loss_plot, style.TRAIN_COLOUR) > 200


def test_zoomed_in_the_curve_is_redrawn_from_the_exact_points_in_view(qtbot, loss_plot):
    epochs = np.arange(1.0, 200_001.0)
    train = 1.0 + np.sin(epochs / 7.0)
    loss_plot.append(epochs, train, no_test(len(epochs)))
    view_box = loss_plot.plot_item.getViewBox()
    view_box.setRange(xRange=(100_000, 100_500), padding=0)
    view_box.sigRangeChangedManually.emit([True, False])  # what pyqtgraph says after a wheel turn or a drag on x
    assert loss_plot.is_following() == (False, True)
    view_box.setRange(xRange=(100_000, 100_600), padding=0)  # and the wheel turns on
    x, y = loss_plot.drawn_points()
    np.testing.assert_array_equal(x, epochs[99_998:100_601])
    np.testing.assert_array_equal(y, train[99_998:100_601])


# --- the view ------------------------------------------------------------------------------------


def test_clear_forgets_a_long_run_s_range_and_three_epochs_fill_the_view(qtbot, loss_plot):
    epochs = np.arange(1.0, 100_001.0)
    loss_plot.append(epochs, 10 / epochs, no_test(len(epochs)))
    assert view_range(loss_plot)[0][1] >= 100_000
    loss_plot.clear()
    loss_plot.append(np.array([1.0, 2.0, 3.0]), np.array([9.0, 21.0, 9.5]), no_test(3))
    (left, right), (bottom, top) = view_range(loss_plot)
    assert right - left <= 10 and left <= 1 and right >= 3 and bottom <= 9 and top >= 21
    assert len(loss_plot.drawn_points()[0]) == 3
    assert plot_area_pixels(loss_plot, style.TRAIN_COLOUR) > 100


def test_after_a_nan_or_an_overflow_the_view_shows_the_finite_losses(qtbot, loss_plot):
    losses = np.array([114.0, 80.0, 60.0, 5e3, np.inf, np.nan])
    loss_plot.append(np.arange(1.0, 7.0), losses, no_test(6))
    _, (bottom, top) = view_range(loss_plot)
    assert math.isfinite(bottom) and math.isfinite(top) and 5e3 <= top <= 1e4 and bottom <= 60
    loss_plot.set_log_scale(True)
    _, (bottom, top) = view_range(loss_plot)
    assert 1.0 < bottom <= math.log10(60) and math.log10(5e3) <= top <= 4.1


def test_losses_near_the_largest_float_are_left_out_of_the_view(qtbot, loss_plot):
    losses = np.array([3.0, 2e154, 1.5e308, 1.7e308, np.inf])  # an explosion a step before the overflow
    loss_plot.append(np.arange(1.0, 6.0), losses, no_test(5))
    loss_plot.auto_range()
    _, (bottom, top) = view_range(loss_plot)
    assert math.isfinite(bottom) and math.isfinite(top) and 2e154 <= top < 1e300
    loss_plot.set_log_scale(True)
    _, (bottom, top) = view_range(loss_plot)
    assert -20 < bottom <= math.log10(3.0) and 308 <= top <= 320  # every finite loss, on a log axis


def test_fit_to_data_comes_back_after_the_user_moved_the_view(qtbot, loss_plot):
    epochs = np.arange(1.0, 501.0)
    loss_plot.append(epochs, 5 / epochs, no_test(500))
    view_box = loss_plot.plot_item.getViewBox()
    view_box.setRange(xRange=(10_000, 20_000), yRange=(-50, -40))
    view_box.sigRangeChangedManually.emit([True, True])
    loss_plot.append(np.array([501.0]), np.array([0.01]), no_test(1))
    assert view_range(loss_plot)[0][0] >= 9_000  # the user's view stays where it was put
    loss_plot.auto_range()
    (left, right), (bottom, top) = view_range(loss_plot)
    assert left <= 1 and 501 <= right <= 700 and bottom <= 0.01 and 5 <= top <= 7
    assert loss_plot.is_following() == (True, True)


def test_the_view_moves_in_round_steps_not_with_every_epoch():
    assert followed_range((1, 3), (9, 21), log_y=False) == ((1, 3), (5, 25))
    assert followed_range((1, 1001), (0.5, 114), log_y=False) == ((1, 1001), (0, 150))
    assert followed_range((1, 1002), (0.5, 114), log_y=False)[0] == (1, 1201)
    assert followed_range((1, 1200), (0.5, 114), log_y=False)[0] == (1, 1201)  # the same view 200 epochs on
    assert followed_range((1, 200), (math.log10(0.5), math.log10(114)), log_y=True)[1] == (-0.5, 2.5)
    assert followed_range((5, 5), (2.0, 2.0), log_y=False) == ((5, 6), (1.0, 3.0))


# --- the axes ------------------------------------------------------------------------------------


def test_a_log_axis_for_a_114_to_half_run_shows_decades_apart_and_no_scale_factor(qtbot, loss_plot):
    epochs = np.arange(1.0, 201.0)
    loss_plot.append(epochs, 113.5 * np.exp(-epochs / 20) + 0.5, no_test(200))
    loss_plot.set_log_scale(True)
    axis = loss_plot.plot_item.getAxis("left")
    values, strings, pixels_per_decade = labelled_ticks(axis)
    assert strings == ["1", "10", "100"] and values == [0.0, 1.0, 2.0]
    assert pixels_per_decade >= QFontMetricsF(axis.style["tickFont"]).height() * 1.5  # labels never touch
    assert "x1e" not in axis.labelString() and "x0." not in axis.labelString()
    minor_spacing, minor = axis.tickValues(*axis.range, 300)[1]
    assert minor_spacing is None and axis.tickStrings(minor, 1.0, None) == [""] * len(minor)


def test_a_linear_axis_shows_the_loss_itself(qtbot, loss_plot):
    epochs = np.arange(1.0, 101.0)
    loss_plot.append(epochs, 0.75 - 0.15 * epochs / 100, no_test(100))
    axis = loss_plot.plot_item.getAxis("left")
    values, strings, _ = labelled_ticks(axis)
    assert all(0.5 <= float(text) <= 0.8 for text in strings) and len(strings) >= 2
    assert "x0.001" not in axis.labelString() and axis.autoSIPrefixScale == 1.0
    x_axis = loss_plot.plot_item.getAxis("bottom")
    assert x_axis.tickStrings([200_000.0, 1_000_000.0], 1.0, 200_000.0) == ["200,000", "1,000,000"]


@pytest.mark.parametrize(
    "low, high, pixels",
    [(-27.0, 223.0, 250), (-8.0, 2.0, 120), (-0.3, 2.06, 300), (-0.22, -0.12, 300), (-0.3, 0.7, 300), (0.0, 3.0, 40)],
)
def test_log_tick_labels_never_overlap_and_read_as_numbers(low, high, pixels):
    gap = 24.0
    levels = log_ticks(low, high, pixels, gap)
    spacing, values = levels[0]
    positions = sorted((v - low) / (high - low) * pixels for v in values)
    assert all(b - a >= gap for a, b in zip(positions, positions[1:], strict=False))
    assert all(low - 1e-6 <= v <= high + 1e-6 for v in values) and len(values) >= 1
    strings = log_tick_strings(values, spacing)
    assert len(set(strings)) == len(strings) and all(strings) and not any("e+" in s or "e-" in s for s in strings)


def test_tick_strings_are_plain_numbers_or_powers_of_ten():
    assert log_tick_strings([-2.0, -1.0, 0.0, 1.0, 2.0], 1.0) == ["0.01", "0.1", "1", "10", "100"]
    assert log_tick_strings([-8.0, -4.0, 0.0], 4.0) == ["10⁻⁸", "10⁻⁴", "10⁰"]
    assert log_tick_strings([math.log10(0.65), math.log10(0.7)], -0.05) == ["0.65", "0.70"]
    assert plain_number(0.00002, 0.00001) == "2·10⁻⁵" and plain_number(1500.0, 500.0) == "1,500"
    # one power of ten for a whole axis, not "5,000,000" beside "1.0·10⁷"
    assert plain_numbers([0.0, 5e6, 1e7, 1.5e7], 5e6) == ["0", "0.5·10⁷", "1.0·10⁷", "1.5·10⁷"]
    assert plain_numbers([0.5, 0.65], 0.05) == ["0.50", "0.65"]


# --- the window ----------------------------------------------------------------------------------


def long_run_then(qtbot, window, monkeypatch, action):
    monkeypatch.setattr(window.file_actions, "_ask_unsaved", lambda: DISCARD)
    trained(qtbot, window, RAW_POINTS_MAX + 1000)
    assert view_range(window.loss_plot)[0][1] >= RAW_POINTS_MAX + 1000
    action()
    wait_idle(qtbot, window)
    for _ in range(3):
        window.step()
        wait_idle(qtbot, window)


@pytest.mark.parametrize("what", ["reset", "new", "lesson set up"])
def test_after_a_long_run_reset_new_and_set_up_start_the_loss_plot_afresh(qtbot, make_window, monkeypatch, what):
    window = make_window(preset("sine"))
    actions = {
        "reset": window.reset,
        "new": window.file_actions.new,
        "lesson set up": lambda: window.file_actions.open_experiment(preset("linear"), "Lesson: a line"),
    }
    long_run_then(qtbot, window, monkeypatch, actions[what])
    plot = window.loss_plot
    assert len(plot.epochs()) == 3 and len(plot.drawn_points()[0]) == 3
    (left, right), _ = view_range(plot)
    assert right - left <= 10
    assert plot_area_pixels(plot, style.TRAIN_COLOUR) > 50


def test_ctrl_0_fits_the_loss_plot_to_its_data(qtbot, make_window):
    window = make_window(preset("sine"))
    trained(qtbot, window, 50)
    view_box = window.loss_plot.plot_item.getViewBox()
    view_box.setRange(xRange=(-20_000, 20_000), yRange=(100, 200))
    view_box.sigRangeChangedManually.emit([True, True])
    window.loss_plot.plot_widget.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    (left, right), (bottom, top) = view_range(window.loss_plot)
    losses = window.loss_plot.train_values()
    assert left <= 1 and 50 <= right <= 70 and bottom <= losses.min() and losses.max() <= top < 2 * losses.max()


@pytest.mark.parametrize("width", [320, 500, 900])
def test_epoch_labels_along_x_never_run_together(qtbot, loss_plot, width):
    loss_plot.resize(width, 300)
    epochs = np.arange(1.0, 1_000_001.0)
    loss_plot.append(epochs, 1 / epochs, no_test(len(epochs)))
    qtbot.waitUntil(lambda: loss_plot.plot_widget.width() < width)
    axis = loss_plot.plot_item.getAxis("bottom")
    low, high = axis.range
    pixels = axis.linkedView().sceneBoundingRect().width()
    (major, values), _ = axis.tickValues(low, high, pixels)
    strings = axis.tickStrings(values, 1.0, major)
    metrics = QFontMetricsF(axis.style["tickFont"])
    widest = max(metrics.horizontalAdvance(text) for text in strings)
    assert major / (high - low) * pixels >= widest + metrics.horizontalAdvance("0")  # a gap between labels
    assert len([v for v in values if low <= v <= high]) >= 1


# --- the regularisation penalty ------------------------------------------------------------------


def test_a_regularised_run_s_penalty_is_a_dashed_curve_beside_the_loss_and_reset_clears_it(loss_plot):
    epochs = np.arange(1.0, 11.0)
    loss_plot.append(epochs[:6], np.linspace(1, 0.5, 6), no_test(6), np.linspace(0.2, 0.3, 6))
    loss_plot.append(epochs[6:], np.linspace(0.4, 0.3, 4), no_test(4), np.linspace(0.31, 0.34, 4))
    assert loss_plot.has_penalty_curve() and loss_plot.penalty_curve.isVisible()
    x, y = loss_plot.drawn_points("penalty")
    np.testing.assert_array_equal(x, epochs)
    np.testing.assert_allclose(y, np.concatenate([np.linspace(0.2, 0.3, 6), np.linspace(0.31, 0.34, 4)]))
    assert loss_plot.penalty_curve.opts["pen"].style() != Qt.PenStyle.SolidLine
    assert "penalty" in [label.text for _, label in loss_plot.legend.items]
    loss_plot._show_values_near(3.0)
    assert "penalty 0.24" in loss_plot.hover_text()
    loss_plot.clear()
    assert not loss_plot.has_penalty_curve() and not loss_plot.penalty_curve.isVisible()
    assert len(loss_plot.drawn_points("penalty")[0]) == 0 and len(loss_plot.penalty_values()) == 0
    assert "penalty" not in [label.text for _, label in loss_plot.legend.items]


def test_an_unregularised_run_draws_no_penalty(loss_plot):
    loss_plot.append(np.arange(1.0, 6.0), np.linspace(1, 0.5, 5), no_test(5))
    loss_plot.append(np.arange(6.0, 9.0), np.linspace(0.4, 0.3, 3), no_test(3), no_test(3))
    assert not loss_plot.has_penalty_curve() and not loss_plot.penalty_curve.isVisible()
    assert len(loss_plot.drawn_points("penalty")[0]) == 0
    assert np.isnan(loss_plot.penalty_values()).all() and len(loss_plot.penalty_values()) == 8


def test_the_window_draws_the_trainer_s_penalty_of_each_epoch(qtbot, make_window):
    window = make_window(preset("sine").with_training(regularization="l2", regularization_rate=0.01))
    trained(qtbot, window, 20)
    epochs, penalty = window.loss_plot.drawn_points("penalty")
    history = trainer_of(window).loss_history
    np.testing.assert_array_equal(epochs, history.epochs)
    np.testing.assert_allclose(penalty, history.penalty)
    assert len(epochs) == 20 and (penalty > 0).all()
    window.reset()
    wait_idle(qtbot, window)
    assert not window.loss_plot.has_penalty_curve()


def test_at_full_speed_the_view_moves_to_the_data_at_most_four_times_a_second(loss_plot, monkeypatch):
    """A run's first second at full speed grows the epochs a thousandfold: a new range at every frame, each
    frame ~2-5 ms dearer. The newest epochs may wait off the edge a quarter of a second; the last frame shows them."""
    from nnstudio.gui.plots import loss_plot as module

    clock = [100.0]
    monkeypatch.setattr(module.time, "perf_counter", lambda: clock[0])
    view_box = loss_plot.plot_item.getViewBox()
    moves = []
    view_box.sigRangeChanged.connect(lambda *_: moves.append(clock[0]))
    epoch = 1
    for frame in range(30):  # a second at 30 frames a second, 20 % more epochs a frame
        clock[0] = 100.0 + frame / 30
        new = np.arange(epoch, int(epoch * 1.2) + 2, dtype=np.float64)
        epoch = int(new[-1]) + 1
        loss_plot.append(new, 100 / new, no_test(len(new)), at_full_speed=True)
    assert 2 <= len(set(moves)) <= 5  # at the first frame, then at most every quarter second
    (_, right), _ = view_range(loss_plot)
    assert right < epoch - 1  # the newest epochs are still off the edge...
    loss_plot.catch_up()  # ...until the run's last frame (Pause, the target reached)
    (_, right), _ = view_range(loss_plot)
    assert right >= epoch - 1
    loss_plot.append(np.array([epoch + 0.0]), np.array([0.5]), no_test(1))  # paced: the view follows every frame
    (_, right), _ = view_range(loss_plot)
    assert right >= epoch
