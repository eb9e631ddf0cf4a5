"""One notation everywhere: the lessons, the network diagram, the step inspector and the landscape name
a weight the same way, counting from 1 (W1[1,1] is the line's slope, b1[1] its bias)."""

import re

import numpy as np
import pytest

from nnstudio.core.engine.model import entry_name
from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons
from nnstudio.gui.instruments.landscape_controls import WeightIndexBox
from nnstudio.gui.instruments.network_diagram import READOUT_PROMPT
from tests.gui.driving import registered, trainer_of, wait_idle


def test_an_entry_is_named_by_its_parameter_and_counted_from_1():
    assert entry_name("W1", (0, 0)) == "W1[1,1]" and entry_name("W2", (63, 0)) == "W2[64,1]"
    assert entry_name("b1", (3,)) == "b1[4]" == entry_name("b1", 3) == entry_name("b1", np.int64(3))


@pytest.mark.parametrize("path", shipped_lessons(), ids=lambda path: path.stem)
def test_lessons_name_weights_only_as_the_app_does(path):
    for page in load_lesson(path).pages:
        words = f"{page.text} {page.formula}"
        assert "∂" not in words  # the app writes dL/dW1[1,1]: so do the lessons
        assert not re.search(r"\b[wb][₀-₉]|[wb][₀-₉]?ⱼ|\[0[,\]]", words), page.title  # no w₁, b₁ⱼ, W1[0,0]
        for name in re.findall(r"\b[Wb]\d+\[[^\]]*\]", words):
            assert re.fullmatch(r"[Wb]\d+\[([1-9]\d*|j)(,([1-9]\d*|j))?\]", name), (page.title, name)


def test_the_line_s_slope_and_bias_have_the_same_names_in_every_view(qtbot, make_window):
    window = make_window(preset("linear"))
    page = load_lesson(shipped_lessons()[0]).pages[1]
    assert "W1[1,1]" in page.text and "b1[1]" in page.text  # what the lesson calls them

    diagram = registered(window, "network_diagram").diagram
    registered(window, "network_diagram").dock.show()
    qtbot.waitUntil(lambda: diagram.parameters is not None, timeout=10000)
    edge = diagram.edges()[0]
    assert diagram.text_at(edge.line.line().pointAt(0.5)).startswith("<b>W1[1,1] = ")
    assert "bias b1[1] = " in diagram.text_at(diagram.node_centre(1, 0))

    inspector = registered(window, "step_inspector")
    shown = []
    inspector.shown.connect(shown.append)
    inspector.inspect_now()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    wait_idle(qtbot, window)
    table = inspector.panel.tensor_table("gradient.W").table  # the entries across, the three ways down
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers == ["W1[1,1]", "b1[1]"], headers

    landscape = registered(window, "loss_landscape")
    landscape.dock.show()
    qtbot.waitUntil(lambda: landscape.view.map is not None, timeout=20000)
    assert landscape.view.map.x_label.startswith("W1[1,1] (slope)")
    assert landscape.view.map.y_label.startswith("b1[1] (bias)")
    window.session.shutdown()


def test_the_landscape_s_weight_box_reads_and_writes_indices_from_1(qtbot):
    box = WeightIndexBox()
    qtbot.addWidget(box)
    box.set_shape((1, 64))
    box.setValue(3)
    assert box.text() == "[1,4]"
    assert box.valueFromText("[1, 10]") == 9 and box.valueFromText("[1,64]") == 63
    assert box.valueFromText("[0,1]") == 3 and box.valueFromText("[1,65]") == 3  # not an entry: unchanged


def test_the_diagram_s_footer_forgets_the_previous_experiment(qtbot, make_window):
    window = make_window(preset("sine"))
    instrument = registered(window, "network_diagram")
    instrument.dock.show()
    diagram = instrument.diagram
    qtbot.waitUntil(lambda: diagram.parameters is not None, timeout=10000)
    edge = max(diagram.edges(), key=lambda edge: abs(edge.value))
    qtbot.mouseMove(diagram.view.viewport(), diagram.view.mapFromScene(edge.line.line().pointAt(0.85)))
    qtbot.waitUntil(lambda: "W" in diagram.readout.text() and " = " in diagram.readout.text(), timeout=3000)
    old_scale = diagram.scale

    for name in ("sine-linear", "linear"):  # a new shape, then the same shape with other weights
        window.load_preset(name)
        qtbot.waitUntil(lambda n=name: window.state.experiment.name == n, timeout=20000)
        wait_idle(qtbot, window)
        assert diagram.readout.text() == READOUT_PROMPT and diagram.hover_text == ""
        assert not diagram.hover_line.isVisible()
        weights = trainer_of(window).backend.parameters()["W1"]
        qtbot.waitUntil(lambda w=weights: diagram.scale == float(np.abs(w).max()), timeout=5000)
        assert f"|w| = {diagram.scale:.3g}" in diagram.caption.text()
    assert diagram.scale != old_scale
