"""Data with more inputs than a plot has axes: the import dialog picks the columns by name, the window shows
predicted against actual (numbers) or a slice of the decision map (classes), and the points are where they belong."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import RunStatus
from nnstudio.core.storage.examples import EXAMPLES_FOLDER, example_path
from nnstudio.gui.csv_import_dialog import CsvImportDialog
from nnstudio.gui.plots.many_inputs_plots import ClassSlicePlot, PredictedActualPlot
from tests.gui.driving import trainer_of, wait_idle

MTCARS, IRIS = EXAMPLES_FOLDER / "mtcars.csv", EXAMPLES_FOLDER / "iris.csv"


def opened_dialog(qtbot, path) -> CsvImportDialog:
    dialog = CsvImportDialog(path.name)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.read_done, timeout=30_000):
        dialog.read_path(path)
    return dialog


def test_the_dialog_picks_inputs_and_target_by_name(qtbot):
    dialog = opened_dialog(qtbot, MTCARS)
    dialog.choose_columns(("wt", "hp", "disp", "qsec"), "mpg")
    assert dialog.input_columns == (3, 4, 6, 7) and dialog.y_column == 1 and not dialog.classes
    assert dialog.input_names == ("disp", "hp", "wt", "qsec")
    x, y = dialog.points
    assert x.shape == (32, 4) and y[0] == 21.0 and x[0].tolist() == [160, 110, 2.62, 16.46]
    assert dialog.import_button.isEnabled() and "4 inputs" in dialog.result_label.text()


@pytest.mark.parametrize(
    ("inputs", "target", "classes", "message"),
    [
        (("wt", "mpg"), "mpg", False, "The target cannot also be an input"),
        (("model", "wt"), "mpg", False, "line 2, column 1: 'Mazda RX4' is not a number"),
        (("wt",), "cyl", True, "A classifier needs two or more input columns"),
        (("wt", "hp"), "mpg", True, "line 2, column 2: class 21 is too large"),
    ],
)
def test_the_dialog_refuses_impossible_columns_with_one_message(qtbot, inputs, target, classes, message):
    dialog = opened_dialog(qtbot, MTCARS)
    dialog.choose_columns(inputs, target, classes)
    assert dialog.points is None and not dialog.import_button.isEnabled()
    assert dialog.problem().startswith("Cannot import: ") and message in dialog.problem()


def test_iris_through_the_dialog_imports_as_three_classes_from_four_inputs(qtbot, make_window, monkeypatch):
    window = make_window(preset("sine"))
    importer = window.data_import

    def run_dialog(dialog):
        with qtbot.waitSignal(dialog.read_done, timeout=30_000):
            pass
        dialog.choose_columns(("sepal_length", "sepal_width", "petal_length", "petal_width"), "class", classes=True)
        return True

    monkeypatch.setattr(importer, "_run_import_dialog", run_dialog)
    importer.import_csv_file(str(IRIS))
    qtbot.waitUntil(lambda: window.state.dataset.n_inputs == 4, timeout=20000)
    wait_idle(qtbot, window)
    data = window.state.dataset
    assert data.n_classes == 3 and data.input_names[2] == "petal_length"
    assert window.state.experiment.training.loss == "cross_entropy"
    assert isinstance(window.prediction_plots.current, ClassSlicePlot)


def test_the_mtcars_example_shows_predicted_against_actual_with_r2(qtbot, make_window):
    window = make_window(preset("linear"))
    window.file_actions.open_path(str(example_path("mtcars")), remember=False)
    qtbot.waitUntil(lambda: window.state.experiment.name == "mtcars", timeout=20000)
    wait_idle(qtbot, window)
    plot = window.prediction_plots.current
    assert isinstance(plot, PredictedActualPlot)
    window.run_to(300)
    qtbot.waitUntil(lambda: window.session.status == RunStatus.PAUSED and window.state.epoch == 300, timeout=30000)
    window.redraw()
    trainer = trainer_of(window)
    actual, predicted = plot.points("train")
    expected = trainer.dataset.scaler.y_from_model(trainer.backend.predict(trainer.dataset.x_train))[:, 0]
    np.testing.assert_allclose(actual, trainer.dataset.y_train_raw[:, 0])
    np.testing.assert_allclose(predicted, expected, rtol=1e-9)
    diagonal_x, diagonal_y = plot.diagonal.getData()
    np.testing.assert_array_equal(diagonal_x, diagonal_y)  # the line y = x
    assert diagonal_x.min() < actual.min() and diagonal_x.max() > actual.max()
    assert "training points: R² 0.835" in plot.score.text()


def test_the_slice_map_follows_the_chosen_inputs_and_predicts_them_from_the_weights(qtbot, make_window):
    window = make_window(preset("linear"))
    window.file_actions.open_path(str(example_path("iris")), remember=False)
    qtbot.waitUntil(lambda: window.state.experiment.name == "iris", timeout=20000)
    wait_idle(qtbot, window)
    window.run_to(50)
    qtbot.waitUntil(lambda: window.session.status == RunStatus.PAUSED and window.state.epoch == 50, timeout=30000)
    window.redraw()
    plot = window.prediction_plots.current
    assert isinstance(plot, ClassSlicePlot) and plot.columns == (0, 1)
    first = plot.map.image().copy()
    plot.choose(2, 3)  # petal length across, petal width up
    assert plot.columns == (2, 3)
    data = window.state.dataset
    x, y = plot.map.points("train", 0)
    setosa = data.x_train_raw[data.y_train_raw[:, 0] == 0]
    np.testing.assert_array_equal(x, setosa[:, 2])
    np.testing.assert_array_equal(y, setosa[:, 3])
    petal = plot.map.image()
    assert petal.shape == first.shape and not np.array_equal(petal, first)
    # the petal map separates the species: setosa's corner (short, narrow petals) is class 0, the far one class 2
    assert int(petal[0, 0]) == 0 and int(petal[-1, -1]) == 2
    assert "sepal_length = 5.8" in plot.held_label.text()
