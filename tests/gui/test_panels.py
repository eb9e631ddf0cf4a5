"""The side panels: each shows a spec, emits a new validated one on an edit, and stays quiet on set_spec."""

from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt, QThreadPool
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox, QPushButton, QSlider

from nnstudio.core.datasets.data import GENERATORS, prepare
from nnstudio.core.engine.experiment import MAX_LAYERS, OPTIMIZERS, DataSpec, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import ACTIVATIONS, INITIALISATIONS
from nnstudio.core.engine.presets import PRESETS
from nnstudio.gui.panels import training_panel as training_panel_module
from nnstudio.gui.panels.data_panel import DataPanel
from nnstudio.gui.panels.log_panel import LogPanel
from nnstudio.gui.panels.model_panel import ModelPanel
from nnstudio.gui.panels.training_panel import TrainingPanel
from tests.gui.driving import emitted
from tests.gui.image_checks import distinct_colours, rendered_pixels

SINE_64 = ModelSpec(hidden=(LayerSpec(64, "relu"),))


@pytest.fixture
def model_panel(qtbot):
    panel = ModelPanel(SINE_64)
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def training_panel(qtbot):
    panel = TrainingPanel(TrainingSpec())
    qtbot.addWidget(panel)
    return panel


def controls_without_tooltip(panel):
    controls = [w for kind in (QAbstractSpinBox, QComboBox, QAbstractButton, QSlider) for w in panel.findChildren(kind)]
    return [type(w).__name__ for w in controls if w.isVisibleTo(panel) and not w.toolTip().strip()]


# --- data panel ------------------------------------------------------------------------------------


def test_data_panel_shows_the_spec_it_was_given(qtbot):
    spec = DataSpec(generator="cubic", n_points=40, x_min=-3.0, x_max=2.5, noise_sd=0.5, seed=7, test_fraction=0.25)
    panel = DataPanel(spec)
    qtbot.addWidget(panel)
    assert panel.generator.currentData() == "cubic"
    assert (panel.n_points.value(), panel.x_min.value(), panel.x_max.value()) == (40, -3.0, 2.5)
    assert (panel.noise_sd.value(), panel.seed.value(), panel.test_fraction.value()) == (0.5, 7, 0.25)
    assert not panel.subsample_check.isChecked() and not panel.subsample.isEnabled()


def test_editing_the_number_of_points_emits_a_new_spec(qtbot, data_panel):
    spec = emitted(qtbot, data_panel.spec_changed, lambda: data_panel.n_points.setValue(250))
    assert spec == DataSpec(n_points=250)
    assert data_panel.spec() == spec


def test_each_data_control_emits_its_field(qtbot, data_panel):
    edits = [
        (lambda: data_panel.generator.setCurrentIndex(data_panel.generator.findData("step")), "generator", "step"),
        (lambda: data_panel.noise_sd.setValue(0.25), "noise_sd", 0.25),
        (lambda: data_panel.x_max.setValue(8.0), "x_max", 8.0),
        (lambda: data_panel.seed.setValue(3_000_000_000), "seed", 3_000_000_000),  # beyond QSpinBox's int32
        (lambda: data_panel.standardize.setChecked(True), "standardize", True),
        (lambda: data_panel.test_fraction.setValue(0.3), "test_fraction", 0.3),
    ]
    for action, field, value in edits:
        assert getattr(emitted(qtbot, data_panel.spec_changed, action), field) == value


def test_generator_items_carry_their_formula(data_panel):
    for index, (name, generator) in enumerate(GENERATORS.items()):
        assert data_panel.generator.itemData(index) == name
        assert generator.formula in data_panel.generator.itemData(index, Qt.ItemDataRole.ToolTipRole)


def test_subsample_checkbox_emits_the_count_and_unchecking_clears_it(qtbot, data_panel):
    data_panel.subsample.setValue(40)  # disabled while unchecked: changes nothing
    assert data_panel.spec().subsample is None
    assert emitted(qtbot, data_panel.spec_changed, lambda: data_panel.subsample_check.setChecked(True)).subsample == 40
    assert data_panel.subsample.isEnabled()
    spec = emitted(qtbot, data_panel.spec_changed, lambda: data_panel.subsample_check.setChecked(False))
    assert spec.subsample is None


def test_set_spec_updates_the_widgets_without_emitting(qtbot, data_panel):
    other = DataSpec(generator="bump", n_points=30, subsample=10, standardize=True)
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.set_spec(other)
    assert data_panel.generator.currentData() == "bump"
    assert data_panel.subsample_check.isChecked() and data_panel.subsample.value() == 10
    assert data_panel.spec() == other


def test_x_min_above_x_max_is_shown_in_red_and_not_emitted(qtbot, data_panel):
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.x_min.setValue(6.0)
    assert data_panel.error_label.isVisibleTo(data_panel)
    assert "x_min" in data_panel.error_label.text()
    assert data_panel.spec() == DataSpec()
    # Fixing the other end makes the pair valid again: it is emitted and the error goes.
    spec = emitted(qtbot, data_panel.spec_changed, lambda: data_panel.x_max.setValue(9.0))
    assert (spec.x_min, spec.x_max) == (6.0, 9.0)
    assert not data_panel.error_label.isVisibleTo(data_panel)


def test_a_subsample_larger_than_the_data_is_not_emitted(qtbot, data_panel):
    data_panel.subsample.setValue(500)
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.subsample_check.setChecked(True)
    assert "500" in data_panel.error_label.text() and data_panel.error_label.isVisibleTo(data_panel)


def test_a_test_fraction_leaving_one_training_point_is_not_emitted(qtbot):
    panel = DataPanel(DataSpec(n_points=5))
    qtbot.addWidget(panel)
    with qtbot.assertNotEmitted(panel.spec_changed):
        panel.test_fraction.setValue(0.8)
    assert "training point" in panel.error_label.text()


def test_an_edit_keeps_the_exact_floats_the_spin_boxes_round(qtbot):
    spec = DataSpec(noise_sd=0.123456, x_min=-4.56789)
    panel = DataPanel(spec)
    qtbot.addWidget(panel)
    assert emitted(qtbot, panel.spec_changed, lambda: panel.seed.setValue(9)) == replace(spec, seed=9)


def test_the_import_button_asks_the_window_for_the_csv_preview(qtbot, data_panel):
    with qtbot.waitSignal(data_panel.import_requested, timeout=1000), qtbot.assertNotEmitted(data_panel.spec_changed):
        qtbot.mouseClick(data_panel.import_button, Qt.MouseButton.LeftButton)


def test_imported_points_are_listed_and_bound_the_subsample(qtbot, data_panel):
    spec = DataSpec(generator="csv", csv_path="/data/heights.csv")
    data_panel.set_spec(spec)
    data_panel.set_imported_rows(20)
    assert data_panel.generator.currentData() == "csv" and "heights.csv" in data_panel.generator.currentText()
    assert not data_panel.n_points.isEnabled()  # the file decides how many points there are
    # The file has 20 rows: a subsample of 30 cannot be drawn from it.
    data_panel.subsample.setValue(30)
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.subsample_check.setChecked(True)
    assert "20" in data_panel.error_label.text()
    assert emitted(qtbot, data_panel.spec_changed, lambda: data_panel.subsample.setValue(12)).subsample == 12


def test_a_labelled_csv_is_read_off_the_gui_thread_and_cancel_changes_nothing(qtbot, data_panel, tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(300_000)))
    with qtbot.assertNotEmitted(data_panel.spec_changed):
        data_panel.read_labelled_csv(str(path))
        assert data_panel.is_reading  # the call returned at once: the GUI thread is free
        data_panel._progress.findChild(QPushButton).click()  # the progress dialog's Cancel
        assert not data_panel.is_reading
        qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=10_000)
    assert data_panel.spec() == DataSpec()
    with qtbot.waitSignal(data_panel.spec_changed, timeout=30_000) as blocker:
        data_panel.read_labelled_csv(str(path))
    spec = blocker.args[0]
    assert spec.csv_label_column == 2 and data_panel.generator.currentData() == "csv"


def test_the_summary_counts_and_ranges_the_points(data_panel):
    dataset = prepare(DataSpec(test_fraction=0.2))
    data_panel.set_dataset(dataset)
    text = data_panel.summary.text()
    assert "<b>80</b> training points" in text and "<b>20</b> test points" in text
    assert "x from -5 to 5" in text
    assert f"y from {min(dataset.y_train_raw.min(), dataset.y_test_raw.min()):.4g}" in text


# --- model panel -----------------------------------------------------------------------------------


def test_the_tutorial_network_has_193_parameters(model_panel):
    assert model_panel.parameter_total() == 193
    assert "<b>193</b>" in model_panel.parameter_label.text()
    assert "1-64-1" in model_panel.parameter_label.text()
    assert "W1: 1×64 + b1: 64" in model_parameter_tooltip(model_panel)


def model_parameter_tooltip(panel):
    return panel.parameter_label.toolTip()


def test_set_io_fixes_the_input_and_output_widths(qtbot, model_panel):
    with qtbot.assertNotEmitted(model_panel.spec_changed):
        model_panel.set_io(2, 3)
    assert model_panel.parameter_total() == 2 * 64 + 64 + 64 * 3 + 3
    assert "<b>2</b> units" in model_panel.input_label.text()
    assert "<b>3</b> units" in model_panel.output_label.text()


def test_adding_a_layer_copies_the_selected_one_below_it(qtbot, model_panel):
    model_panel.table.selectRow(0)
    spec = emitted(qtbot, model_panel.spec_changed, lambda: qtbot.mouseClick(model_panel.add_button, Qt.LeftButton))
    assert spec.hidden == (LayerSpec(64, "relu"), LayerSpec(64, "relu"))
    assert model_panel.parameter_total() == 193 + 64 * 64 + 64
    assert model_panel.table.rowCount() == 2 and model_panel.table.verticalHeaderItem(1).text() == "Hidden 2"


def test_layers_are_edited_moved_and_removed(qtbot, model_panel):
    table = model_panel.table
    model_panel.set_spec(ModelSpec(hidden=(LayerSpec(8, "tanh"), LayerSpec(4, "relu", bias=False))))
    spec = emitted(qtbot, model_panel.spec_changed, lambda: table.cellWidget(0, 0).setValue(16))
    assert spec.hidden[0] == LayerSpec(16, "tanh")
    spec = emitted(qtbot, model_panel.spec_changed, lambda: table.cellWidget(1, 1).setCurrentText("sigmoid"))
    assert spec.hidden[1] == LayerSpec(4, "sigmoid", bias=False)

    table.selectRow(1)
    assert not model_panel.down_button.isEnabled() and model_panel.up_button.isEnabled()
    spec = emitted(qtbot, model_panel.spec_changed, lambda: qtbot.mouseClick(model_panel.up_button, Qt.LeftButton))
    assert spec.hidden == (LayerSpec(4, "sigmoid", bias=False), LayerSpec(16, "tanh"))
    assert model_panel._selected_row() == 0  # the moved layer stays selected
    spec = emitted(qtbot, model_panel.spec_changed, lambda: qtbot.mouseClick(model_panel.down_button, Qt.LeftButton))
    assert spec.hidden == (LayerSpec(16, "tanh"), LayerSpec(4, "sigmoid", bias=False))

    bias = table.cellWidget(1, 2).findChild(QAbstractButton)
    spec = emitted(qtbot, model_panel.spec_changed, lambda: bias.setChecked(True))
    assert spec.hidden[1].bias is True
    table.selectRow(0)
    spec = emitted(qtbot, model_panel.spec_changed, lambda: qtbot.mouseClick(model_panel.remove_button, Qt.LeftButton))
    assert spec.hidden == (LayerSpec(4, "sigmoid"),)


def test_removing_every_layer_leaves_a_linear_model(qtbot, model_panel):
    model_panel.table.selectRow(0)
    spec = emitted(qtbot, model_panel.spec_changed, lambda: qtbot.mouseClick(model_panel.remove_button, Qt.LeftButton))
    assert spec.hidden == ()
    assert model_panel.parameter_total() == 2  # y = w·x + b
    assert not model_panel.remove_button.isEnabled()


def test_no_more_than_the_maximum_number_of_layers(qtbot):
    panel = ModelPanel(ModelSpec(hidden=(LayerSpec(2),) * MAX_LAYERS))
    qtbot.addWidget(panel)
    assert not panel.add_button.isEnabled()


def test_output_and_initialisation_controls(qtbot, model_panel):
    assert not model_panel.init_constant.isEnabled()
    spec = emitted(qtbot, model_panel.spec_changed, lambda: model_panel.init.setCurrentText("constant"))
    assert spec.init == "constant" and model_panel.init_constant.isEnabled()
    spec = emitted(qtbot, model_panel.spec_changed, lambda: model_panel.init_constant.setValue(0.5))
    assert spec.init_constant == 0.5
    spec = emitted(qtbot, model_panel.spec_changed, lambda: model_panel.output_activation.setCurrentText("tanh"))
    assert spec.output_activation == "tanh"
    spec = emitted(qtbot, model_panel.spec_changed, lambda: model_panel.output_bias.setChecked(False))
    assert spec.output_bias is False
    assert INITIALISATIONS["constant"] in model_panel.init.toolTip()
    assert ACTIVATIONS["tanh"] in model_panel.output_activation.toolTip()


def test_model_set_spec_is_silent(qtbot, model_panel):
    other = ModelSpec(hidden=(LayerSpec(3, "tanh"), LayerSpec(5, "sigmoid")), init="xavier_uniform")
    with qtbot.assertNotEmitted(model_panel.spec_changed):
        model_panel.set_spec(other)
    assert model_panel.hidden_layers() == other.hidden and model_panel.init.currentText() == "xavier_uniform"
    assert model_panel.spec() == other and model_panel.parameter_total() == (1 * 3 + 3) + (3 * 5 + 5) + (5 * 1 + 1)


def test_presets_are_offered_in_order_with_their_descriptions(qtbot, model_panel):
    names = [model_panel.preset.itemText(i) for i in range(1, model_panel.preset.count())]
    assert names == list(PRESETS) and names[0] == "linear"
    assert model_panel.preset.itemData(1, Qt.ItemDataRole.ToolTipRole) == PRESETS["linear"].description
    index = names.index("sine-tanh-deep") + 1
    # `activated` is what Qt emits when the user picks an item (not on programmatic changes).
    with qtbot.assertNotEmitted(model_panel.spec_changed):
        name = emitted(qtbot, model_panel.preset_chosen, lambda: model_panel.preset.activated.emit(index))
    assert name == "sine-tanh-deep"
    assert model_panel.preset.currentIndex() == 0  # ready to offer the list again


# --- training panel --------------------------------------------------------------------------------


def test_learning_rate_box_and_log_slider_stay_in_step(qtbot, training_panel):
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.learning_rate.setValue(1e-3))
    assert spec.learning_rate == 1e-3
    assert training_panel.learning_rate_slider.value() == -300
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.learning_rate_slider.setValue(-500))
    assert spec.learning_rate == 1e-5
    assert training_panel.learning_rate.text() == "1e-05"


def test_dragging_the_slider_reports_once_on_release(qtbot, training_panel):
    slider = training_panel.learning_rate_slider
    with qtbot.assertNotEmitted(training_panel.spec_changed):
        slider.setSliderDown(True)
        for position in (-150, -170, -190):
            slider.setValue(position)
    assert training_panel.learning_rate.value() == pytest.approx(10**-1.9, rel=1e-2)
    spec = emitted(qtbot, training_panel.spec_changed, lambda: slider.setSliderDown(False))
    assert spec.learning_rate == float(f"{10**-1.9:.3g}")


def test_learning_rate_arrows_step_one_two_five(qtbot, training_panel):
    box = training_panel.learning_rate
    box.setValue(1e-4)
    box.stepBy(1)
    assert box.value() == 2e-4
    box.stepBy(2)
    assert box.value() == 1e-3
    box.stepBy(-3)  # 5e-4, 2e-4, 1e-4
    assert box.value() == 1e-4
    box.setValue(1e-6)
    box.stepBy(-1)
    assert box.value() == 1e-6 and box.minimum() == 1e-6 and box.maximum() == 1000.0


def test_a_learning_rate_beyond_the_box_is_kept_until_edited(qtbot):
    panel = TrainingPanel(TrainingSpec(learning_rate=50.0))
    qtbot.addWidget(panel)
    assert emitted(qtbot, panel.spec_changed, lambda: panel.epochs.setValue(7)).learning_rate == 50.0


def test_momentum_only_for_the_momentum_optimiser(qtbot, training_panel):
    assert not training_panel.momentum.isEnabled()
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.optimizer.setCurrentText("momentum"))
    assert spec.optimizer == "momentum" and training_panel.momentum.isEnabled()
    assert emitted(qtbot, training_panel.spec_changed, lambda: training_panel.momentum.setValue(0.5)).momentum == 0.5
    assert OPTIMIZERS["momentum"] in training_panel.optimizer.toolTip()


def test_full_batch_means_no_batch_size(qtbot, training_panel):
    assert training_panel.full_batch.isChecked() and not training_panel.batch_size.isEnabled()
    training_panel.batch_size.setValue(16)
    full_batch = training_panel.full_batch
    assert emitted(qtbot, training_panel.spec_changed, lambda: full_batch.setChecked(False)).batch_size == 16
    assert emitted(qtbot, training_panel.spec_changed, lambda: full_batch.setChecked(True)).batch_size is None


def test_other_training_fields(qtbot, training_panel):
    edits = [
        (lambda: training_panel.loss.setCurrentText("sse"), "loss", "sse"),
        (lambda: training_panel.epochs.setValue(2500), "epochs", 2500),
        (lambda: training_panel.seed.setValue(4_000_000_000), "seed", 4_000_000_000),
        (lambda: training_panel.backend.setCurrentText("torch"), "backend", "torch"),
    ]
    for action, field, value in edits:
        assert getattr(emitted(qtbot, training_panel.spec_changed, action), field) == value
    assert LOSSES["sse"].formula in training_panel.loss.toolTip()


def test_training_set_spec_is_silent(qtbot, training_panel):
    other = TrainingSpec(optimizer="gd", learning_rate=1e-4, batch_size=8, epochs=20, seed=5, loss="sse")
    with qtbot.assertNotEmitted(training_panel.spec_changed):
        training_panel.set_spec(other)
    assert training_panel.learning_rate_slider.value() == -400 and training_panel.batch_size.value() == 8
    assert training_panel.spec() == other


def test_torch_is_greyed_out_with_the_reason_when_missing(qtbot, monkeypatch):
    monkeypatch.setattr(training_panel_module, "torch_available", lambda: (False, "PyTorch is not installed"))
    panel = TrainingPanel(TrainingSpec())
    qtbot.addWidget(panel)
    index = panel.backend.findText("torch")
    assert not panel.backend.model().item(index).isEnabled()
    assert "PyTorch is not installed" in panel.backend.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert "PyTorch is not installed" in panel.backend.toolTip()
    assert panel.backend.model().item(panel.backend.findText("numpy")).isEnabled()


def test_stop_below_is_a_run_option(qtbot, training_panel):
    panel = training_panel
    with qtbot.assertNotEmitted(panel.spec_changed):
        assert emitted(qtbot, panel.stop_below_changed, lambda: panel.stop_below_check.setChecked(True)) == 0.01
        assert emitted(qtbot, panel.stop_below_changed, lambda: panel.stop_below_value.setValue(1e-4)) == 1e-4
        assert emitted(qtbot, panel.stop_below_changed, lambda: panel.stop_below_check.setChecked(False)) is None
    assert training_panel.stop_below() is None
    assert not [box for box in panel.findChildren(QCheckBox) if "slow" in box.text().lower()]  # the toolbar's speed


# --- log panel -------------------------------------------------------------------------------------


def test_log_appends_clears_and_copies(qtbot):
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.append_lines(["Epoch: 10 Loss: 96.09053", "Epoch: 20 Loss: 79.02"])
    panel.append_lines([])
    panel.append_lines(["— New data"])
    assert panel.lines() == ["Epoch: 10 Loss: 96.09053", "Epoch: 20 Loss: 79.02", "— New data"]
    assert panel.text.isReadOnly()
    # The system's own fixed font: a family name like "monospace" may map to a proportional font
    # where fontconfig is set up differently, so what Qt resolves it to is not the app's to test.
    assert panel.text.font() == QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    panel.copy_all()
    assert QGuiApplication.clipboard().text().splitlines() == panel.lines()
    panel.clear()
    assert panel.lines() == []


def test_log_keeps_only_the_last_lines(qtbot):
    panel = LogPanel(max_lines=100)
    qtbot.addWidget(panel)
    for start in range(0, 250, 50):
        panel.append_lines([f"line {i}" for i in range(start, start + 50)])
    assert panel.lines() == [f"line {i}" for i in range(150, 250)]


# --- all panels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: DataPanel(DataSpec()), lambda: ModelPanel(SINE_64), lambda: TrainingPanel(TrainingSpec())],
    ids=["data", "model", "training"],
)
def test_every_control_has_a_tooltip_and_the_panel_renders(qtbot, make):
    panel = make()
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.show()
    qtbot.waitExposed(panel)
    assert controls_without_tooltip(panel) == []
    assert distinct_colours(rendered_pixels(panel)) > 50


def test_the_regularisation_combo_and_rate_emit_the_penalty_and_show_its_formulas(qtbot, training_panel):
    assert not training_panel.regularization_rate.isEnabled()  # none: no rate to set
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.regularization.setCurrentText("l2"))
    assert (spec.regularization, spec.regularization_rate) == ("l2", training_panel_module.DEFAULT_REGULARIZATION_RATE)
    assert training_panel.regularization_rate.isEnabled()
    assert "rate·½·Σw²" in training_panel.regularization.toolTip()
    assert "rate·sign(w)" in training_panel.regularization_rate.toolTip()
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.regularization_rate.setValue(0.05))
    assert (spec.regularization, spec.regularization_rate) == ("l2", 0.05)
    spec = emitted(qtbot, training_panel.spec_changed, lambda: training_panel.regularization.setCurrentText("none"))
    assert spec.regularization == "none"
    with qtbot.assertNotEmitted(training_panel.spec_changed):
        training_panel.set_spec(TrainingSpec(regularization="l1", regularization_rate=0.2))
    assert training_panel.regularization.currentText() == "l1"
    assert training_panel.regularization_rate.value() == 0.2


def test_log_cuts_its_oldest_lines_in_one_edit_and_keeps_no_undo_history(qtbot):
    panel = LogPanel(max_lines=100)
    qtbot.addWidget(panel)
    panel.append_lines([f"line {i}" for i in range(30)])
    panel.append_lines([f"line {i}" for i in range(30, 130)])  # 130 lines: the first 30 go, at once
    assert panel.lines() == [f"line {i}" for i in range(30, 130)]
    panel.append_lines([f"line {i}" for i in range(130, 1130)])  # a burst longer than the log: its end
    assert panel.lines() == [f"line {i}" for i in range(1030, 1130)]
    assert not panel.text.document().isUndoAvailable()  # a long run's log holds no record of its edits


def test_log_at_its_end_follows_new_lines_while_old_ones_are_cut(qtbot):
    panel = LogPanel(max_lines=200)
    qtbot.addWidget(panel)
    panel.resize(300, 200)
    panel.show()
    qtbot.waitExposed(panel)
    for start in range(0, 2000, 150):  # as at full speed: a batch twice a second, the oldest cut each time
        panel.append_lines([f"Epoch: {epoch} Loss: 0.79547" for epoch in range(start, start + 150)])
        qtbot.wait(1)
    viewport = panel.text.viewport()
    last_shown = panel.text.cursorForPosition(QPoint(5, viewport.height() - 5)).block().text()
    assert last_shown == "Epoch: 2099 Loss: 0.79547"  # the newest line is in view, not the oldest kept
    assert panel.lines()[0] == "Epoch: 1900 Loss: 0.79547" and len(panel.lines()) == 200
