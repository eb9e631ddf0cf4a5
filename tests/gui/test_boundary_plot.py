"""The decision-boundary view: the map, the points, live updates, accuracy beside the loss, and the panels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS
from nnstudio.core.datasets.data import GENERATORS, GRID_SIDE, prepare
from nnstudio.core.engine.experiment import DataSpec, TrainingSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus, Trainer
from nnstudio.gui import style
from nnstudio.gui.panels.generator_items import CLASSIFICATION_HEADER
from nnstudio.gui.panels.training_panel import TrainingPanel
from nnstudio.gui.plots.boundary_plot import (
    SHADES_PER_CLASS,
    DecisionBoundaryPlot,
    boundary_image,
    class_lookup_table,
)
from tests.gui.driving import emitted, trainer_of, wait_idle
from tests.gui.image_checks import pixels_near, rendered_pixels

PAUSED = RunStatus.PAUSED


def train(qtbot, window, epochs):
    window.run_to(epochs)
    qtbot.waitUntil(lambda: window.session.status == PAUSED and window.state.epoch == epochs, timeout=30000)
    window.redraw()


# --- the window on circle --------------------------------------------------------------------------------


def test_the_window_shows_the_map_with_the_grids_shape_and_explicit_levels(qtbot, make_window):
    window = make_window(preset("circle"))
    wait_idle(qtbot, window)
    plot = window.boundary_plot
    assert window.prediction_plot is plot and window.prediction_plots.currentWidget() is plot
    image = plot.image()
    assert image.shape == (GRID_SIDE, GRID_SIDE) == trainer_of(window).dataset.grid_shape
    assert image.dtype == np.float32 and image.flags.c_contiguous
    assert plot.levels() == (0.0, 2.0)
    assert plot.map.axisOrder == "row-major"
    np.testing.assert_array_equal(
        image, boundary_image(trainer_of(window).prediction_on_grid(), (GRID_SIDE, GRID_SIDE))
    )
    # the map covers the grid: its corners are half a cell beyond the first and last grid points
    x1, x2 = trainer_of(window).dataset.grid_axes
    rect = plot.map.mapRectToParent(plot.map.boundingRect())
    assert rect.left() == pytest.approx(x1[0] - (x1[1] - x1[0]) / 2)
    assert rect.right() == pytest.approx(x1[-1] + (x1[1] - x1[0]) / 2)
    assert rect.top() == pytest.approx(x2[0] - (x2[1] - x2[0]) / 2)


def test_every_point_is_drawn_in_its_class_and_role(qtbot, make_window):
    window = make_window(preset("circle"))
    data = trainer_of(window).dataset
    plot = window.boundary_plot
    for role, x, y in (("train", data.x_train_raw, data.y_train_raw), ("test", data.x_test_raw, data.y_test_raw)):
        for k in range(2):
            drawn_x1, drawn_x2 = plot.points(role, k)
            mine = y[:, 0] == k
            np.testing.assert_array_equal(drawn_x1, x[mine, 0])
            np.testing.assert_array_equal(drawn_x2, x[mine, 1])
    assert plot.train_points[0].opts["symbol"] == "o" and plot.test_points[0].opts["symbol"] == "t1"
    assert plot.legend_names() == ["class 0", "class 1", "test points"]
    pixels = rendered_pixels(plot)
    for k in range(2):  # the points' colours are on screen
        assert pixels_near(pixels, style.class_colour(k), tolerance=8) > 100


def test_training_changes_the_map_live_and_the_accuracy_shown_is_the_cores(qtbot, make_window):
    window = make_window(preset("circle"))
    wait_idle(qtbot, window)
    before = window.boundary_plot.image().copy()
    frames = []
    draw = window.boundary_plot.set_prediction

    def record(prediction):
        draw(prediction)
        frames.append(window.boundary_plot.image().copy())

    window.boundary_plot.set_prediction = record
    train(qtbot, window, 120)
    after = window.boundary_plot.image()
    assert np.max(np.abs(after - before)) > 0.5
    assert frames and np.array_equal(frames[-1], after)  # drawn through set_prediction, frame by frame
    np.testing.assert_array_equal(
        after, boundary_image(trainer_of(window).prediction_on_grid(), (GRID_SIDE, GRID_SIDE))
    )

    reference = Trainer(preset("circle"))
    for _ in reference.run(until_epoch=120, snapshot_interval=1e9):
        pass
    train_metrics, test_metrics = reference.metrics()
    assert window.loss_plot.metric_text("Accuracy", "train") == f"{100 * train_metrics.accuracy:.1f} %"
    assert window.loss_plot.metric_text("Accuracy", "test") == f"{100 * test_metrics.accuracy:.1f} %"
    assert window.loss_plot.metric_text("Wrong", "test") == str(test_metrics.errors)
    np.testing.assert_array_equal(window.loss_plot.confusion_counts(), test_metrics.confusion)
    assert "Confusion matrix" in window.loss_plot.metrics_table.item(0, 1).toolTip()
    np.testing.assert_allclose(window.loss_plot.train_values(), reference.loss_history.train, rtol=1e-12)
    assert window.log_panel.lines()[-1] == f"Epoch: 120 Loss: {reference.loss_history.train[-1]:.7g}"


def test_new_data_swaps_the_plot_and_the_loss_both_ways(qtbot, make_window):
    window = make_window(preset("sine"))
    assert window.prediction_plot is window.fit_plot
    assert window.loss_plot.metric_text("MSE", "train") != ""
    circle = preset("circle").data
    window.data_panel.set_spec(circle)
    window.data_panel.spec_changed.emit(circle)
    qtbot.waitUntil(lambda: window.state.dataset.is_classification, timeout=20000)
    wait_idle(qtbot, window)
    assert window.prediction_plot is window.boundary_plot
    assert (trainer_of(window).training.loss, trainer_of(window).experiment.model.output_activation) == (
        "bce",
        "sigmoid",
    )
    assert window.training_panel.loss.currentText() == "bce"
    assert window.model_panel.output_activation.currentText() == "sigmoid"
    assert "bce" in window.log_panel.lines()[-1]
    assert window.loss_plot.confusion_counts() is not None
    sine = preset("sine").data
    window.data_panel.set_spec(sine)
    window.data_panel.spec_changed.emit(sine)
    qtbot.waitUntil(lambda: not window.state.dataset.is_classification, timeout=20000)
    wait_idle(qtbot, window)
    assert window.prediction_plot is window.fit_plot
    assert (trainer_of(window).training.loss, trainer_of(window).experiment.model.output_activation) == (
        "mse",
        "identity",
    )
    assert window.loss_plot.confusion_counts() is None
    assert window.loss_plot.metric_text("MSE", "train") not in ("", "–")


def test_spiral_has_three_classes_on_the_map_and_in_the_confusion_table(qtbot, make_window):
    window = make_window(preset("spiral"))
    train(qtbot, window, 40)
    assert window.boundary_plot.levels() == (0.0, 3.0)
    assert set(np.floor(window.boundary_plot.image()).astype(int).ravel()) <= {0, 1, 2}
    assert window.loss_plot.confusion_counts().shape == (3, 3)
    assert window.boundary_plot.legend_names() == ["class 0", "class 1", "class 2", "test points"]


def test_an_unfitting_loss_chosen_in_the_window_is_refused_with_its_reason(qtbot, make_window, monkeypatch):
    window = make_window(preset("circle"))
    messages = []
    monkeypatch.setattr(
        "nnstudio.gui.main_window.QMessageBox.warning", lambda parent, title, text: messages.append(text)
    )
    spec = replace(trainer_of(window).training, loss="mse")
    window.training_panel.spec_changed.emit(spec)
    qtbot.waitUntil(lambda: bool(messages), timeout=10000)
    wait_idle(qtbot, window)
    assert "mse loss does not fit 2 classes" in messages[0]
    assert trainer_of(window).training.loss == "bce"
    assert window.training_panel.loss.currentText() == "bce"


def test_the_instruments_survive_two_input_data(qtbot, make_window):
    window = make_window(preset("xor"))
    assert window.context.instrument_docks
    for dock in window.context.instrument_docks:  # an exception in any of their slots fails the test (pytest-qt)
        dock.show()
        dock.raise_()
        window.step(3)
        wait_idle(qtbot, window)
        dock.grab()  # paint it now: an exception while drawing the new data fails the test
        assert dock.isVisible()
    assert trainer_of(window).step_count >= 3
    assert window.prediction_plot is window.boundary_plot


# --- the plot on its own ------------------------------------------------------------------------------------


def test_the_map_is_class_plus_confidence_and_white_where_unsure():
    probabilities = np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75], [np.nan, np.nan]])
    values = boundary_image(probabilities, (2, 2))
    assert values.dtype == np.float32 and values.shape == (2, 2)
    assert values[0, 0] == 0.0  # a tie: no confidence, the first class, drawn white
    assert values[0, 1] == pytest.approx((SHADES_PER_CLASS - 1) / SHADES_PER_CLASS)  # certain: the darkest shade
    assert values[1, 0] == pytest.approx(1.5)  # class 1, halfway from unsure to sure
    assert values[1, 1] == 0.0  # diverged: white
    three = boundary_image(np.array([[0.2, 0.2, 0.6]]), (1, 1))
    assert three[0, 0] == pytest.approx(2 + (0.6 - 1 / 3) / (2 / 3))
    table = class_lookup_table(3)
    assert table.shape == (3 * SHADES_PER_CLASS, 3) and table.dtype == np.uint8
    assert tuple(table[0]) == tuple(table[SHADES_PER_CLASS]) == (255, 255, 255)  # each ramp starts white


def test_a_prediction_of_the_wrong_shape_is_refused(qtbot):
    plot = DecisionBoundaryPlot()
    qtbot.addWidget(plot)
    with pytest.raises(ValueError, match="set_dataset"):
        plot.set_prediction(np.zeros((4, 2)))
    plot.set_dataset(prepare(preset("two-gaussians").data))
    with pytest.raises(ValueError, match="64×64 grid of 2 classes"):
        plot.set_prediction(np.zeros((GRID_SIDE**2, 1)))
    with pytest.raises(ValueError, match="two-input classification"):
        plot.set_dataset(prepare(preset("sine").data))


def test_a_confident_map_is_painted_in_the_class_colours(qtbot):
    plot = DecisionBoundaryPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 500)
    plot.show()
    data = prepare(preset("two-gaussians").data)
    plot.set_dataset(data)
    x1 = data.x_grid_raw[:, 0]
    p = (x1 > 0).astype(float)  # certain: class 1 on the right, class 0 on the left
    plot.set_prediction(np.column_stack([1 - p, p]))
    pixels = rendered_pixels(plot)  # grab() paints the scene as it is now
    for k in range(2):
        shade = class_lookup_table(2)[(k + 1) * SHADES_PER_CLASS - 1]
        assert pixels_near(pixels, "#" + "".join(f"{channel:02x}" for channel in shade), tolerance=3) > 5000


# --- the panels ---------------------------------------------------------------------------------------------


def test_the_data_panel_lists_the_class_generators_after_the_regression_ones(data_panel):
    combo = data_panel.generator
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names[: len(GENERATORS)] == list(GENERATORS)
    header = combo.findText(CLASSIFICATION_HEADER)
    assert header > len(GENERATORS)
    assert not combo.model().item(header).isEnabled()
    assert names[header + 1 :] == list(CLASSIFICATION_GENERATORS)
    for name, generator in CLASSIFICATION_GENERATORS.items():
        assert generator.description in combo.itemData(combo.findData(name), Qt.ItemDataRole.ToolTipRole)


def test_choosing_a_class_generator_emits_its_spec_and_the_class_count_where_it_applies(qtbot, data_panel):
    combo = data_panel.generator
    spec = emitted(qtbot, data_panel.spec_changed, lambda: combo.setCurrentIndex(combo.findData("spiral")))
    assert spec.generator == "spiral" and spec.task == "classification" and spec.classes == 2
    assert data_panel.classes.isEnabled() and not data_panel.x_min.isEnabled()
    assert emitted(qtbot, data_panel.spec_changed, lambda: data_panel.classes.setValue(4)).classes == 4
    spec = emitted(qtbot, data_panel.spec_changed, lambda: combo.setCurrentIndex(combo.findData("circle")))
    assert spec.generator == "circle" and spec.classes is None
    assert not data_panel.classes.isEnabled() and data_panel.classes.value() == 2
    spec = emitted(qtbot, data_panel.spec_changed, lambda: combo.setCurrentIndex(combo.findData("sine")))
    assert spec.classes is None and data_panel.x_min.isEnabled()
    data_panel.set_dataset(prepare(preset("spiral").data))
    assert "3</b> classes" in data_panel.summary.text() and "x₂ from" in data_panel.summary.text()


def test_a_labelled_csv_imports_as_classes_and_its_errors_name_line_and_column(
    qtbot, data_panel, tmp_path, monkeypatch
):
    good = tmp_path / "moons.csv"
    good.write_text("x1,x2,label\n" + "".join(f"{i},{-i},{i % 3}\n" for i in range(12)), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,0\n3,4,one\n", encoding="utf-8")
    warnings = []
    monkeypatch.setattr(data_panel, "_warn", warnings.append)
    monkeypatch.setattr(data_panel, "_ask_csv_path", lambda: str(bad))
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.import_labelled_csv()  # read in a worker thread
        qtbot.waitUntil(lambda: not data_panel.is_reading, timeout=10000)
    assert len(warnings) == 1 and "bad.csv, line 3, column 3: 'one' is not a class label" in warnings[0]
    monkeypatch.setattr(data_panel, "_ask_csv_path", lambda: str(good))
    spec = emitted(qtbot, data_panel.spec_changed, data_panel.import_labelled_csv)
    assert spec == DataSpec(generator="csv", csv_path=str(good), csv_label_column=2)
    assert "(classes)" in data_panel.generator.currentText()
    data = prepare(spec)
    assert data.n_classes == 3 and data.n_train == 12
    assert data_panel.standardize.text() == "Standardise x₁ and x₂"


def test_the_training_panel_offers_only_the_losses_that_fit_the_data(qtbot):
    panel = TrainingPanel(TrainingSpec())
    qtbot.addWidget(panel)
    model = panel.loss.model()

    def offered():
        return {panel.loss.itemText(i) for i in range(panel.loss.count()) if model.item(i).isEnabled()}

    panel.set_dataset(prepare(preset("circle").data))
    assert offered() == {"bce"}
    assert "Not for this data: use bce" in panel.loss.itemData(panel.loss.findText("mse"), Qt.ItemDataRole.ToolTipRole)
    panel.set_dataset(prepare(preset("spiral").data))
    assert offered() == {"cross_entropy"}
    panel.set_dataset(prepare(preset("sine").data))
    assert offered() == {"sse", "mse"}
