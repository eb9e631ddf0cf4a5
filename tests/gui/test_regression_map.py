"""The regression heat map (two-input numbers) and the two-input maps' toggles: Discretize output, Show test data."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.datasets.data import GRID_SIDE, prepare
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus
from nnstudio.gui.plots.boundary_plot import SHADES_PER_CLASS, DecisionBoundaryPlot
from nnstudio.gui.plots.regression_map_plot import (
    BANDS,
    MAP_SHADE_MAX,
    RegressionMapPlot,
    regression_image,
    value_levels,
)
from nnstudio.gui.settings import Settings
from nnstudio.gui.style import BLUE, ORANGE
from tests.gui.driving import trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels


def washed(colour: str) -> str:
    """`colour` as the map's strongest shade: MAP_SHADE_MAX of it, the rest white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 * (1 - MAP_SHADE_MAX) + c * MAP_SHADE_MAX):02x}" for c in rgb)


# --- the window on plane ----------------------------------------------------------------------------------


def test_the_window_draws_the_prediction_as_a_heat_map_with_r2_beside_the_loss(qtbot, make_window):
    window = make_window(preset("plane"))
    wait_idle(qtbot, window)
    plot = window.prediction_plots.regression_map
    assert window.prediction_plot is plot and window.prediction_plots.currentWidget() is plot
    window.run_to(100)
    qtbot.waitUntil(lambda: window.session.status == RunStatus.PAUSED and window.state.epoch == 100, timeout=30000)
    window.redraw()
    trainer = trainer_of(window)
    prediction = trainer.prediction_on_grid()
    image = plot.image()
    assert image.shape == (GRID_SIDE, GRID_SIDE) and image.dtype == np.float32 and image.flags.c_contiguous
    np.testing.assert_allclose(image, prediction.reshape(GRID_SIDE, GRID_SIDE), rtol=1e-6)
    # the plane tilts up towards +x₁ and +x₂: the top-right cell is high, the bottom-left low
    assert image[-1, -1] > 0.8 and image[0, 0] < -0.8
    low, high = plot.value_levels()
    assert plot.levels() == pytest.approx((low, high)) and low == -high  # white is 0
    assert plot.colour_bar.levels() == pytest.approx((low, high))
    train, test = trainer.metrics()
    assert test.r2 >= 0.9
    assert window.loss_plot.metric_text("R²", "test") == f"{test.r2:.4g}"
    assert window.loss_plot.metric_text("RMSE", "train") == f"{train.rmse:.4g}"


def test_the_points_are_filled_with_their_own_targets_colour(qtbot):
    plot = RegressionMapPlot()
    qtbot.addWidget(plot)
    data = prepare(preset("plane").data)
    plot.set_dataset(data)
    x1, x2 = plot.points("train")
    np.testing.assert_array_equal(x1, data.x_train_raw[:, 0])
    np.testing.assert_array_equal(x2, data.x_train_raw[:, 1])
    brushes = plot.train_points.opts["symbolBrush"]
    highest, lowest = np.argmax(data.y_train_raw[:, 0]), np.argmin(data.y_train_raw[:, 0])
    assert brushes[highest].color().blue() > brushes[highest].color().red()  # high: blue
    assert brushes[lowest].color().red() > brushes[lowest].color().blue()  # low: orange


def test_a_confident_heat_map_is_painted_orange_below_and_blue_above(qtbot):
    plot = RegressionMapPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 500)
    plot.show()
    data = prepare(preset("plane").data)
    plot.set_dataset(data)
    low, high = plot.value_levels()
    plot.set_prediction(np.where(data.x_grid_raw[:, 0] > 0, high, low))
    pixels = rendered_pixels(plot)
    assert pixels_near(pixels, washed(BLUE), tolerance=4) > 5000
    assert pixels_near(pixels, washed(ORANGE), tolerance=4) > 5000


def test_the_heat_map_refuses_what_it_cannot_draw(qtbot):
    plot = RegressionMapPlot()
    qtbot.addWidget(plot)
    with pytest.raises(ValueError, match="set_dataset"):
        plot.set_prediction(np.zeros(4))
    with pytest.raises(ValueError, match="two-input regression"):
        plot.set_dataset(prepare(preset("circle").data))
    plot.set_dataset(prepare(preset("multi-gaussian").data))
    with pytest.raises(ValueError, match="64×64 grid of one output"):
        plot.set_prediction(np.zeros((GRID_SIDE**2, 2)))


def test_levels_are_symmetric_about_zero_when_the_targets_straddle_it():
    assert value_levels(np.array([-0.5, 1.2])) == (-1.2, 1.2)
    assert value_levels(np.array([2.0, 5.0])) == (2.0, 5.0)
    assert value_levels(np.array([3.0, 3.0])) == (2.5, 3.5)


# --- Discretize output ---------------------------------------------------------------------------------------


def test_discretize_draws_the_heat_map_in_bands_at_their_centres():
    prediction = np.linspace(-1.0, 1.0, 400)
    smooth = regression_image(prediction, (20, 20), (-1.0, 1.0))
    banded = regression_image(prediction, (20, 20), (-1.0, 1.0), discrete=True)
    assert len(np.unique(smooth)) == 400
    assert np.unique(banded) == pytest.approx([-0.8, -0.4, 0.0, 0.4, 0.8])  # BANDS = 5 band centres
    assert len(np.unique(banded)) == BANDS
    diverged = regression_image(np.array([np.nan, np.inf]), (1, 2), (-1.0, 1.0))
    assert diverged.tolist() == [[0.0, 0.0]]  # drawn white


def test_the_toggles_change_what_both_maps_draw_and_are_remembered(qtbot, make_window):
    window = make_window(preset("plane"))
    wait_idle(qtbot, window)
    plot, options = window.prediction_plots.regression_map, window.map_options
    assert not options.discretize.isChecked() and options.show_test_data.isChecked()
    assert len(np.unique(plot.image())) > BANDS
    assert plot.test_points.isVisible() and "test points" in plot.legend_names()

    options.discretize.trigger()
    assert len(np.unique(plot.image())) <= BANDS
    options.show_test_data.trigger()
    assert not plot.test_points.isVisible() and "test points" not in plot.legend_names()
    assert plot.train_points.isVisible()
    assert window.settings.map_option("discretize_output") is True
    assert window.settings.map_option("show_test_data") is False
    window.step(1)  # a new frame keeps the bands
    qtbot.waitUntil(lambda: window.state.step == 1, timeout=20000)
    window.redraw()
    assert len(np.unique(plot.image())) <= BANDS

    boundary = window.boundary_plot  # the decision boundary follows the same toggles
    assert boundary.discrete and not any(item.isVisible() for item in boundary.test_points)
    options.discretize.trigger()
    options.show_test_data.trigger()
    assert not plot.discrete and plot.test_points.isVisible()
    assert all(item.isVisible() for item in boundary.test_points)


def test_discretize_paints_the_decision_map_in_hard_class_colours(qtbot):
    plot = DecisionBoundaryPlot()
    qtbot.addWidget(plot)
    data = prepare(preset("two-gaussians").data)
    plot.set_dataset(data)
    p = 1 / (1 + np.exp(-data.x_grid_raw[:, 0]))  # a soft boundary along x₁ = 0
    plot.set_prediction(np.column_stack([1 - p, p]))
    soft = plot.image().copy()
    plot.set_discrete(True)
    hard = plot.image()
    full = (SHADES_PER_CLASS - 1) / SHADES_PER_CLASS
    assert len(np.unique(soft)) > 10  # shades along x₁
    assert np.unique(hard) == pytest.approx([full, 1 + full])  # two colours, each the full shade
    assert np.array_equal(np.floor(hard), np.floor(soft))  # the same winning class in every cell
    plot.set_test_shown(False)
    assert "test points" not in plot.legend_names()


def test_the_map_options_are_kept_in_the_settings_file(tmp_path):
    settings = Settings.at(tmp_path / "settings.ini")
    assert settings.map_option("discretize_output") is False and settings.map_option("show_test_data") is True
    settings.set_map_option("discretize_output", True)
    settings.set_map_option("show_test_data", False)
    settings.sync()
    again = Settings.at(tmp_path / "settings.ini")
    assert again.map_option("discretize_output") is True and again.map_option("show_test_data") is False
    (tmp_path / "bad.ini").write_text("[view]\ndiscretize_output=maybe\n", encoding="utf-8")
    bad = Settings.at(tmp_path / "bad.ini")
    assert bad.map_option("discretize_output") is False
    assert "discretize output" in bad.take_problems()[0]
