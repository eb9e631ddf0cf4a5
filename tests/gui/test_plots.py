"""The plots: items made once and updated in place, the right data in them, and a readable picture."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from nnstudio.core.datasets.data import prepare
from nnstudio.core.engine.experiment import DataSpec
from nnstudio.core.engine.trainer import Metrics
from nnstudio.gui import style
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.loss_plot import LossHistory, LossPlot
from tests.gui.image_checks import distinct_colours, pixels_near, rendered_pixels

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


@pytest.fixture
def dataset():
    return prepare(DataSpec(test_fraction=0.2))


@pytest.fixture
def fit_plot(qtbot, dataset):
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 400)
    plot.set_dataset(dataset)
    return plot


@pytest.fixture
def loss_plot(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 400)
    return plot


def show(qtbot, widget):
    widget.show()
    qtbot.waitExposed(widget)


def point_count(item):
    x, _ = item.getOriginalDataset()
    return 0 if x is None else len(x)


def click_check_box(qtbot, check_box):
    """Click the box itself (the widget may be wider than its box and label)."""
    qtbot.mouseClick(check_box, Qt.MouseButton.LeftButton, pos=QPoint(6, check_box.height() // 2))


def loss_curve(epochs):
    return 5.0 * np.exp(-epochs / 40.0) + 0.9, 5.0 * np.exp(-epochs / 40.0) + 1.1 + 0.002 * epochs


# --- style -----------------------------------------------------------------------------------------


def test_one_colour_per_role_from_the_okabe_ito_palette(qtbot):
    colours = [style.TRAIN_COLOUR, style.TEST_COLOUR, style.TRUE_FUNCTION_COLOUR, style.PREDICTION_COLOUR]
    assert set(colours) <= OKABE_ITO and len(set(colours)) == 4
    fit, loss = FitPlot(), LossPlot()
    qtbot.addWidget(fit)
    qtbot.addWidget(loss)
    train_symbol = fit.train_points.opts["symbolBrush"].color()
    test_symbol = fit.test_points.opts["symbolBrush"].color()
    assert (train_symbol.red(), train_symbol.green(), train_symbol.blue()) == QColor(style.TRAIN_COLOUR).getRgb()[:3]
    assert (test_symbol.red(), test_symbol.green(), test_symbol.blue()) == QColor(style.TEST_COLOUR).getRgb()[:3]
    assert loss.train_curve.opts["pen"].color() == QColor(style.TRAIN_COLOUR)
    assert loss.test_curve.opts["pen"].color() == QColor(style.TEST_COLOUR)
    assert fit.prediction_curve.opts["pen"].color() == QColor(style.PREDICTION_COLOUR)


# --- fit plot --------------------------------------------------------------------------------------


def test_the_fit_plot_shows_training_and_test_points_and_the_true_function(fit_plot, dataset):
    x, y = fit_plot.train_points.getData()
    np.testing.assert_array_equal(x, dataset.x_train_raw[:, 0])
    np.testing.assert_array_equal(y, dataset.y_train_raw[:, 0])
    x, y = fit_plot.test_points.getData()
    np.testing.assert_array_equal(y, dataset.y_test_raw[:, 0])
    assert len(x) == 20
    x, y = fit_plot.true_curve.getData()
    np.testing.assert_array_equal(x, dataset.x_grid_raw[:, 0])
    np.testing.assert_allclose(y, 4.0 * np.sin(dataset.x_grid_raw[:, 0]))
    assert fit_plot.legend_names() == ["training points", "test points", "true function"]
    assert fit_plot.plot_item.getAxis("bottom").labelText == "x"
    assert fit_plot.plot_item.getAxis("left").labelText == "y"


def test_the_prediction_curve_holds_what_was_set_and_is_reused(fit_plot, dataset):
    items = list(fit_plot.plot_item.items)
    grid = dataset.x_grid_raw[:, 0]
    for phase in range(5):
        prediction = (np.sin(grid) * phase).reshape(-1, 1)
        fit_plot.set_prediction(prediction)
    assert fit_plot.plot_item.items == items  # nothing added, only setData
    x, y = fit_plot.prediction()
    np.testing.assert_array_equal(x, grid)
    np.testing.assert_array_equal(y, prediction[:, 0])
    fit_plot.set_prediction(np.cos(grid))  # the 1-D form works too
    np.testing.assert_array_equal(fit_plot.prediction()[1], np.cos(grid))
    assert fit_plot.legend_names()[-1] == "prediction"
    fit_plot.clear_prediction()
    assert point_count(fit_plot.prediction_curve) == 0 and "prediction" not in fit_plot.legend_names()


def test_a_diverged_prediction_leaves_a_gap(fit_plot, dataset):
    prediction = np.sin(dataset.x_grid_raw)
    prediction[10:20] = np.inf
    prediction[30] = np.nan
    fit_plot.set_prediction(prediction)
    y = fit_plot.prediction()[1]
    assert np.isnan(y[10:20]).all() and np.isnan(y[30]) and np.isfinite(y[:10]).all()


def test_a_prediction_of_the_wrong_length_is_refused(qtbot, fit_plot):
    with pytest.raises(ValueError, match="grid of 256"):
        fit_plot.set_prediction(np.zeros(10))
    empty = FitPlot()
    qtbot.addWidget(empty)
    with pytest.raises(ValueError, match="set_dataset"):
        empty.set_prediction(np.zeros(256))


def test_a_new_dataset_drops_the_old_prediction_and_unused_legend_entries(fit_plot, tmp_path):
    fit_plot.set_prediction(np.zeros(256))
    path = tmp_path / "points.csv"
    path.write_text("".join(f"{i},{i * i}\n" for i in range(10)), encoding="utf-8")
    csv_data = prepare(DataSpec(generator="csv", csv_path=str(path)))
    fit_plot.set_dataset(csv_data)
    assert point_count(fit_plot.prediction_curve) == 0
    assert point_count(fit_plot.true_curve) == 0
    assert fit_plot.legend_names() == ["training points"]  # no test set, no known function


def test_the_fit_plot_renders_every_role_in_its_colour(qtbot, fit_plot, dataset):
    fit_plot.set_prediction(3.5 * np.sin(dataset.x_grid_raw) + 0.3)
    show(qtbot, fit_plot)
    pixels = rendered_pixels(fit_plot)
    assert distinct_colours(pixels) > 200
    for colour in (style.PREDICTION_COLOUR, style.TRAIN_COLOUR, style.TEST_COLOUR):
        assert pixels_near(pixels, colour, tolerance=30) > 100, colour


# --- loss plot -------------------------------------------------------------------------------------


def test_loss_history_grows_past_its_capacity():
    history = LossHistory(capacity=4)
    for start in range(0, 30, 3):
        epochs = np.arange(start, start + 3, dtype=float)
        history.extend(epochs, epochs * 2, epochs * 3)
    np.testing.assert_array_equal(history.epochs, np.arange(30.0))
    np.testing.assert_array_equal(history.test, np.arange(30.0) * 3)
    assert history.train.flags["C_CONTIGUOUS"]
    with pytest.raises(ValueError):
        history.extend(np.zeros(2), np.zeros(3), np.zeros(2))


def test_the_loss_plot_holds_exactly_the_appended_points(loss_plot):
    epochs = np.arange(1, 3001)
    train, test = loss_curve(epochs)
    for chunk in np.array_split(np.arange(3000), 7):
        loss_plot.append(epochs[chunk], train[chunk], test[chunk])
    np.testing.assert_array_equal(loss_plot.epochs(), epochs)
    np.testing.assert_array_equal(loss_plot.train_values(), train)
    np.testing.assert_array_equal(loss_plot.test_values(), test)
    x, y = loss_plot.train_curve.getOriginalDataset()
    np.testing.assert_array_equal(x, epochs)
    np.testing.assert_array_equal(y, train)
    np.testing.assert_array_equal(loss_plot.test_curve.getOriginalDataset()[1], test)
    assert loss_plot.test_curve.isVisible() and loss_plot.has_test_curve()
    loss_plot.clear()
    assert len(loss_plot.epochs()) == 0 and point_count(loss_plot.train_curve) == 0
    assert not loss_plot.has_test_curve()


def test_no_test_set_hides_the_test_curve(loss_plot):
    epochs = np.arange(1.0, 11.0)
    loss_plot.append(epochs, 1 / epochs, np.full(10, np.nan))
    assert not loss_plot.has_test_curve() and not loss_plot.test_curve.isVisible()
    assert [label.text for _, label in loss_plot.legend.items] == ["train loss"]
    loss_plot.append(np.array([11.0]), np.array([0.09]), np.array([0.2]))  # a test set appears
    assert loss_plot.test_curve.isVisible()
    assert [label.text for _, label in loss_plot.legend.items] == ["train loss", "test loss"]


def test_the_log_toggle_switches_the_axis_and_reports_it(qtbot, loss_plot):
    loss_plot.append(np.arange(1.0, 101.0), *loss_curve(np.arange(1.0, 101.0)))
    with qtbot.waitSignal(loss_plot.log_scale_changed, timeout=1000) as blocker:
        loss_plot.set_log_scale(True)
    assert blocker.args == [True] and loss_plot.log_scale_check.isChecked()
    assert loss_plot.train_curve.opts["logMode"] == [False, True]
    assert loss_plot.plot_item.getAxis("left").logMode
    with qtbot.assertNotEmitted(loss_plot.log_scale_changed):
        loss_plot.set_log_scale(True)  # already on: nothing to report
    show(qtbot, loss_plot)
    with qtbot.waitSignal(loss_plot.log_scale_changed, timeout=1000) as blocker:
        click_check_box(qtbot, loss_plot.log_scale_check)
    assert blocker.args == [False] and not loss_plot.is_log_scale()
    assert loss_plot.train_curve.opts["logMode"] == [False, False]


def hover(loss_plot, epoch, loss):
    view_box = loss_plot.plot_item.getViewBox()
    loss_plot.plot_item.scene().sigMouseMoved.emit(view_box.mapViewToScene(QPointF(epoch, loss)))


def test_hovering_shows_the_exact_epoch_and_losses(qtbot, loss_plot):
    epochs = np.arange(1.0, 301.0)
    train, test = loss_curve(epochs)
    loss_plot.append(epochs, train, test)
    show(qtbot, loss_plot)
    view_box = loss_plot.plot_item.getViewBox()
    qtbot.waitUntil(lambda: view_box.viewRange()[0][1] >= 300)  # pyqtgraph auto-ranges on the next paint
    hover(loss_plot, 200.3, 2.0)
    assert loss_plot.hover_text() == f"epoch 200\ntrain loss {train[199]:.6g}\ntest loss {test[199]:.6g}"
    marked_x, marked_y = loss_plot.hover_markers.getData()
    assert list(marked_x) == [200.0, 200.0] and list(marked_y) == [train[199], test[199]]
    loss_plot.set_log_scale(True)
    qtbot.waitUntil(lambda: view_box.viewRange()[1][1] < 1.0)  # the y range is now log10(loss)
    hover(loss_plot, 60, np.log10(2.0))  # in log mode the view's y is log10(loss)
    assert loss_plot.hover_text().startswith("epoch 60\n")
    assert loss_plot.hover_label.pos().y() == pytest.approx(np.log10(max(train[59], test[59])))
    outside = loss_plot.plot_item.getViewBox().sceneBoundingRect().bottomRight() + QPointF(5, 5)
    loss_plot.plot_item.scene().sigMouseMoved.emit(outside)
    assert loss_plot.hover_text() == ""
    hover(loss_plot, 100, np.log10(2.0))
    assert loss_plot.hover_text().startswith("epoch 100\n")
    QApplication.sendEvent(loss_plot, QEvent(QEvent.Type.Leave))  # the mouse leaves the whole widget
    assert loss_plot.hover_text() == ""


def test_the_metrics_table_shows_both_sets_or_a_dash(loss_plot):
    assert loss_plot.metric_text("MSE", "train") == "–"
    loss_plot.set_metrics(Metrics(mse=0.91, rmse=0.9539392, r2=0.87), None)
    assert loss_plot.metric_text("MSE", "train") == "0.91"
    assert loss_plot.metric_text("RMSE", "train") == "0.9539"
    assert loss_plot.metric_text("R²", "train") == "0.87"
    assert loss_plot.metric_text("R²", "test") == "–"
    loss_plot.set_metrics(Metrics(1.0, 1.0, 0.5), Metrics(2.0, 1.41421, float("nan")))
    assert loss_plot.metric_text("RMSE", "test") == "1.414" and loss_plot.metric_text("R²", "test") == "–"
    assert "1 − Σ(y − ŷ)²" in loss_plot.metrics_table.verticalHeaderItem(2).toolTip()


def test_a_million_epochs_are_drawn_as_their_envelope(qtbot, loss_plot):
    epochs = np.arange(1.0, 1_000_001.0)
    train, test = loss_curve(epochs / 10_000)
    for chunk in np.array_split(np.arange(len(epochs)), 20):
        loss_plot.append(epochs[chunk], train[chunk], test[chunk])
    show(qtbot, loss_plot)
    pixels = rendered_pixels(loss_plot).astype(int)
    assert np.count_nonzero(pixels[..., 2] - pixels[..., 0] > 40) > 500  # the thin blue line, antialiased
    assert len(loss_plot.epochs()) == 1_000_000  # the record keeps every epoch
    drawn_x, drawn_y = loss_plot.drawn_points("train")
    assert len(drawn_x) < 10_000  # what is drawn: a few points per pixel
    assert drawn_y.min() == train.min() and drawn_y.max() == train.max()
    assert loss_plot.train_curve.opts["pen"].widthF() == 1  # a wide antialiased line is ~10× slower to draw


def test_long_histories_switch_to_thin_pens_and_a_clear_switches_back(loss_plot):
    epochs = np.arange(1.0, 1001.0)
    loss_plot.append(epochs, *loss_curve(epochs))
    assert loss_plot.train_curve.opts["pen"].widthF() == 2 and loss_plot.test_curve.opts["pen"].widthF() == 2
    loss_plot.append(np.array([1001.0]), np.array([0.9]), np.array([1.0]))
    assert loss_plot.train_curve.opts["pen"].widthF() == 1 and loss_plot.test_curve.opts["pen"].widthF() == 1
    assert loss_plot.test_curve.opts["pen"].style() == Qt.PenStyle.DashLine  # still told apart without colour
    loss_plot.clear()
    assert loss_plot.train_curve.opts["pen"].widthF() == 2


def test_the_loss_plot_renders_both_curves(qtbot, loss_plot):
    epochs = np.arange(1.0, 301.0)
    loss_plot.append(epochs, *loss_curve(epochs))
    loss_plot.set_metrics(Metrics(0.91, 0.954, 0.87), Metrics(1.2, 1.095, 0.81))
    show(qtbot, loss_plot)
    pixels = rendered_pixels(loss_plot)
    assert distinct_colours(pixels) > 200
    assert pixels_near(pixels, style.TRAIN_COLOUR, tolerance=30) > 100
    assert pixels_near(pixels, style.TEST_COLOUR, tolerance=30) > 100
    assert loss_plot.plot_item.getAxis("bottom").labelText == "epoch"
    assert loss_plot.plot_item.getAxis("left").labelText == "loss"
