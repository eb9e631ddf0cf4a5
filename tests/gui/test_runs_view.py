"""Compare runs: keeping, renaming, hiding and deleting runs changes the table and the overlaid curves."""

import time

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.runs import default_run_name
from nnstudio.gui.instruments.runs_view import COLUMN_FIELDS, NAME, SHOW
from tests.gui.driving import registered, trained, trainer_of, wait_idle


def keep(qtbot, window):
    runs = registered(window, "compare_runs").view
    count = len(runs.runs)
    qtbot.keyClick(window, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: len(runs.runs) == count + 1, timeout=10000)
    return runs.runs.names[-1]


def cell(view, row, field):
    return view.table.item(row, COLUMN_FIELDS.index(field)).text()


def test_keep_rename_hide_and_delete_runs(qtbot, make_window):
    window = make_window(preset("sine"))
    view = registered(window, "compare_runs").view
    registered(window, "compare_runs").dock.show()
    trained(qtbot, window, 30)
    trainer = trainer_of(window)
    first = keep(qtbot, window)
    assert first == default_run_name(trainer.experiment, "numpy") == "adam lr 0.1 · numpy · 1-64-1 relu"
    history = trainer.loss_history
    x, y = view.curves[first].getData()
    np.testing.assert_array_equal(x, history.epochs)
    np.testing.assert_array_equal(y, history.train)
    assert view.table.rowCount() == 1
    assert cell(view, 0, "name") == first and cell(view, 0, "epochs") == "30"
    assert cell(view, 0, "final_train_loss") == f"{history.train[-1]:.4g}" and cell(view, 0, "final_test_loss") == "–"

    window.session.change(lambda t: t.update_training(optimizer="gd", learning_rate=0.01), "GD")
    window.reset()
    wait_idle(qtbot, window)
    trained(qtbot, window, 30)
    second = keep(qtbot, window)
    assert second == "gd lr 0.01 · numpy · 1-64-1 relu"
    assert view.table.rowCount() == 2 and view.legend_names() == [first, second]
    colours = {name: view.curves[name].opts["pen"].color().name() for name in (first, second)}
    assert colours[first] != colours[second]
    np.testing.assert_array_equal(view.curves[second].getData()[1], trainer_of(window).loss_history.train)

    # rename in place (the table edits the name; the legend and the curve follow)
    view.table.item(1, NAME).setText("plain gradient descent")
    assert view.runs.names == [first, "plain gradient descent"]
    assert view.legend_names() == [first, "plain gradient descent"]
    assert view.curves["plain gradient descent"].opts["pen"].color().name() == colours[second]

    # hide: the curve and its legend entry go, the row stays
    view.table.item(0, SHOW).setCheckState(Qt.CheckState.Unchecked)
    assert not view.curves[first].isVisible() and view.curves["plain gradient descent"].isVisible()
    assert view.legend_names() == ["plain gradient descent"] and view.table.rowCount() == 2
    view.table.item(0, SHOW).setCheckState(Qt.CheckState.Checked)
    assert view.curves[first].isVisible() and view.legend_names() == [first, "plain gradient descent"]

    # delete with the Delete key: the row, the curve and the legend entry go
    curve = view.curves[first]
    view.table.setFocus()
    view.table.selectRow(0)
    assert view.delete_button.isEnabled()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert view.runs.names == ["plain gradient descent"] and view.table.rowCount() == 1
    assert curve not in view.plot_item.items and view.legend_names() == ["plain gradient descent"]
    view.table.selectRow(0)
    view.delete_button.click()
    assert len(view.runs) == 0 and view.table.rowCount() == 0 and view.legend_names() == []


def test_a_kept_run_keeps_its_colour_when_others_go(qtbot, make_window):
    window = make_window(preset("sine"))
    view = registered(window, "compare_runs").view
    trained(qtbot, window, 5)
    names = [keep(qtbot, window) for _ in range(3)]  # the same run three times: unique names
    assert names == [names[0], f"{names[0]} (2)", f"{names[0]} (3)"]
    third = view.curves[names[2]].opts["pen"].color().name()
    view.remove_run(names[1])
    assert view.curves[names[2]].opts["pen"].color().name() == third
    fourth = keep(qtbot, window)
    used = [view.curves[name].opts["pen"].color().name() for name in view.runs.names]
    assert len(set(used)) == 3 and fourth in view.runs.names


def test_the_time_column_is_the_time_spent_training(qtbot, make_window):
    window = make_window(preset("sine"))
    window.controls.pace.choose(100)  # 50 epochs at 100 epochs/s: about half a second
    started = time.perf_counter()
    trained(qtbot, window, 50)
    elapsed = time.perf_counter() - started
    keep(qtbot, window)
    run = next(iter(registered(window, "compare_runs").view.runs))
    assert 0.3 < run.training_seconds <= elapsed
    assert cell(registered(window, "compare_runs").view, 0, "training_seconds") == f"{run.training_seconds:.2f}"
    window.reset()
    wait_idle(qtbot, window)
    assert registered(window, "compare_runs").clock.seconds() == 0.0  # a new run starts its own clock


def test_nothing_is_kept_before_the_first_epoch(qtbot, make_window):
    window = make_window(preset("sine"))
    qtbot.keyClick(window, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: "Nothing to keep yet" in window.status.currentMessage(), timeout=5000)
    assert len(registered(window, "compare_runs").view.runs) == 0


def test_log_scale_and_test_loss_toggles(qtbot, make_window):
    window = make_window(preset("sine-tanh-deep"))  # has a test set
    view = registered(window, "compare_runs").view
    registered(window, "compare_runs").dock.show()
    trained(qtbot, window, 3)
    name = keep(qtbot, window)
    assert not view.test_curves[name].isVisible()
    view.test_check.setChecked(True)
    assert view.test_curves[name].isVisible()
    np.testing.assert_array_equal(view.test_curves[name].getData()[1], trainer_of(window).loss_history.test)
    assert cell(view, 0, "final_test_loss") == f"{trainer_of(window).loss_history.test[-1]:.4g}"
    view.log_check.setChecked(True)
    assert view.plot_item.getAxis("left").logMode
    low, high = view.plot_item.getViewBox().viewRange()[1]
    losses = trainer_of(window).loss_history
    assert low <= np.log10(min(losses.train.min(), losses.test.min())) and high >= np.log10(losses.train[0])
    view.log_check.setChecked(False)
    assert not view.plot_item.getAxis("left").logMode


def test_every_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    view = registered(window, "compare_runs").view
    controls = view.findChildren(QAbstractButton)
    assert len(controls) >= 4 and all(control.toolTip() for control in controls)
    assert all(view.table.horizontalHeaderItem(column).toolTip() for column in range(view.table.columnCount()))
    assert registered(window, "compare_runs").keep_action.shortcut().toString() == "K"
    action = registered(window, "compare_runs").dock.toggleViewAction()
    assert action.toolTip() and action.shortcut().toString() == "Ctrl+5"


def test_each_run_says_which_loss_it_is_and_in_whose_units(qtbot, make_window):
    window = make_window(preset("sine"))
    view = registered(window, "compare_runs").view
    trained(qtbot, window, 3)
    first = keep(qtbot, window)
    assert cell(view, 0, "loss") == "mse, original units"
    assert view.loss_axis_title() == "training loss (mse, original units)"
    window.file_actions.open_preset("linear")  # sse on standardised data: not comparable with the first
    wait_idle(qtbot, window)
    trained(qtbot, window, 3)
    keep(qtbot, window)
    assert cell(view, 1, "loss") == "sse, standardised units"
    assert view.loss_axis_title() == "training loss (several: see Loss)"
    view.set_visible(first, False)
    assert view.loss_axis_title() == "training loss (sse, standardised units)"
    view.log_check.setChecked(True)
    assert view.loss_axis_title() == "training loss (sse, standardised units), log scale"
    header = view.table.horizontalHeaderItem(COLUMN_FIELDS.index("loss"))
    assert header.text() == "Loss" and "standardised units" in header.toolTip()
