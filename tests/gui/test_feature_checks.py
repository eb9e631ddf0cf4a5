"""The data panel's feature checkboxes: the current data's features, tooltips with the formula, edits as specs;
and the window trains the circle on X₁² and X₂² alone."""

from nnstudio.core.engine.experiment import DataSpec
from nnstudio.core.engine.presets import preset
from nnstudio.gui.instruments.diagram_texts import column_title
from nnstudio.gui.panels.data_panel import DataPanel
from tests.gui.driving import emitted, registered, trained


def panel_on(qtbot, spec):
    panel = DataPanel(spec)
    qtbot.addWidget(panel)
    return panel


def labels(panel):
    return [check.text() for check in panel.features.checks.values() if check.isVisibleTo(panel)]


def test_two_input_data_shows_playground_s_seven_features_with_the_raw_ones_ticked(qtbot):
    panel = panel_on(qtbot, DataSpec(generator="circle"))
    assert labels(panel) == ["X₁", "X₂", "X₁²", "X₂²", "X₁X₂", "sin X₁", "sin X₂"]
    assert [name for name, check in panel.features.checks.items() if check.isChecked()] == ["x1", "x2"]
    assert "first input squared" in panel.features.checks["x1^2"].toolTip()
    assert "--features x1*x2" in panel.features.checks["x1*x2"].toolTip()


def test_ticking_the_squares_and_unticking_the_raw_inputs_emits_the_features(qtbot):
    panel = panel_on(qtbot, DataSpec(generator="circle"))
    checks = panel.features.checks
    emitted(qtbot, panel.spec_changed, lambda: checks["x1^2"].setChecked(True))
    emitted(qtbot, panel.spec_changed, lambda: checks["x2^2"].setChecked(True))
    emitted(qtbot, panel.spec_changed, lambda: checks["x1"].setChecked(False))
    spec = emitted(qtbot, panel.spec_changed, lambda: checks["x2"].setChecked(False))
    assert spec.features == ("x1^2", "x2^2")
    checks["x1^2"].setChecked(False)
    checks["x2^2"].setChecked(False)  # nothing ticked: refused in red, nothing emitted
    assert "at least one feature" in panel.error_label.text() and panel.spec().features == ("x2^2",)


def test_one_input_data_shows_its_five_features_and_switching_data_goes_back_to_the_raw_inputs(qtbot):
    panel = panel_on(qtbot, DataSpec(generator="circle", features=("x1*x2",)))
    spec = emitted(qtbot, panel.spec_changed, lambda: panel.generator.setCurrentIndex(panel.generator.findData("sine")))
    assert spec.features is None
    assert labels(panel) == ["x", "x²", "x³", "sin x", "cos x"]
    spec = emitted(qtbot, panel.spec_changed, lambda: panel.features.checks["sin(x)"].setChecked(True))
    assert spec.features == ("x", "sin(x)")


def test_the_window_separates_the_circle_with_x1_squared_and_x2_squared_and_no_hidden_layer(qtbot, make_window):
    experiment = preset("circle").with_data(features=("x1^2", "x2^2"), standardize=True).with_model(hidden=())
    window = make_window(experiment)
    assert [n for n, c in window.data_panel.features.checks.items() if c.isChecked()] == ["x1^2", "x2^2"]
    trained(qtbot, window, 300)
    assert window.frame.epoch == 300
    assert window.frame.test_metrics.accuracy >= 0.95 and window.frame.train_metrics.accuracy >= 0.95
    assert window.model_panel.input_label.text().startswith("Input: <b>2</b>")
    assert "standardised X₁², X₂²: means" in window.data_panel.summary.text()
    instrument = registered(window, "network_diagram")
    instrument.dock.show()
    diagram = instrument.diagram
    qtbot.waitUntil(lambda: diagram.parameters is not None, timeout=10000)
    readout = diagram._readout()
    assert "<b>input X₁²</b>" in readout.node(0, 0) and "<b>input X₂²</b>" in readout.node(0, 1)
    assert "from input X₂²" in readout.edge(0, 1, 0)
    assert column_title(diagram.layers, 0, diagram.input_names) == "inputs X₁², X₂²"
