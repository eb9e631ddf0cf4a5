"""A preset, an example or a lesson's set-up is a template: replacing it unchanged never asks
"Save the changes?", nor does replacing it after training it as it came (Play gives the same run again);
changing a setting, importing data or setting a weight by hand does."""

from dataclasses import replace

import numpy as np
import pytest

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons
from nnstudio.gui.data_import import PASTED
from nnstudio.gui.file_actions import DISCARD
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.settings import Settings
from nnstudio.gui.style import configure_pyqtgraph
from tests.gui.driving import wait_idle


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The window as the app builds it (with settings: it asks before discarding work); `asked` counts questions."""
    configure_pyqtgraph()
    window = MainWindow(preset("linear"), None, Settings.at(tmp_path / "nnstudio.ini"))
    qtbot.addWidget(window)
    window.asked = []
    monkeypatch.setattr(window.file_actions, "_ask_unsaved", lambda: window.asked.append(True) or DISCARD)
    window.resize(1200, 760)
    window.show()
    wait_idle(qtbot, window)
    yield window
    window.file_actions.ask_before_discarding = False
    window.session.shutdown()


def loaded(qtbot, window, name):
    qtbot.waitUntil(lambda: window.state.experiment.name == name, timeout=20000)
    wait_idle(qtbot, window)


def set_up(qtbot, window, lesson, index):
    window.lessons.panel.set_lesson(lesson)
    window.lessons.panel.show_page(index)
    window.lessons.panel.setup_button.click()
    expected = window.lessons.panel.page.setup.experiment()
    qtbot.waitUntil(lambda: window.state.experiment == expected, timeout=20000)
    wait_idle(qtbot, window)


def test_changing_presets_never_asks(qtbot, window):
    for name in ("sine", "linear", "sine-linear"):
        window.model_panel.preset_chosen.emit(name)
        loaded(qtbot, window, name)
        assert not window.file_actions.dirty and not window.isWindowModified()
    assert window.asked == []
    assert window.close()  # nothing of the user's: it closes without asking
    assert window.asked == []


def test_every_lesson_page_set_up_twice_never_asks(qtbot, window):
    """Pages open instruments that read the run as soon as they show (the inspector, the landscape):
    their reads must not make the set-up look changed."""
    for path in shipped_lessons():
        lesson = load_lesson(path)
        for index, page in enumerate(lesson.pages):
            if page.setup is None:
                continue
            set_up(qtbot, window, lesson, index)
            set_up(qtbot, window, lesson, index)
            assert not window.file_actions.dirty, f"{path.name} page {index + 1}"
    assert window.asked == []


def test_an_example_then_a_preset_never_asks(qtbot, window):
    example = [a for a in window.file_actions.examples_menu.actions() if a.text() == "sine-trained"][0]
    example.trigger()
    qtbot.waitUntil(lambda: window.state.epoch == 100, timeout=20000)
    wait_idle(qtbot, window)
    assert not window.file_actions.dirty
    window.model_panel.preset_chosen.emit("linear")
    loaded(qtbot, window, "linear")
    assert window.asked == []


def test_training_a_template_as_it_came_then_replacing_it_never_asks(qtbot, window):
    window.model_panel.preset_chosen.emit("sine")
    loaded(qtbot, window, "sine")
    window.step(3)
    window.run_to(20)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty  # unsaved (the title says so, Save keeps it), but Play gives it again
    window.model_panel.preset_chosen.emit("linear")
    loaded(qtbot, window, "linear")
    assert window.asked == []


def test_a_weight_set_by_hand_then_replacing_it_asks(qtbot, window):
    window.session.set_parameter("W1", (0, 0), 0.0)
    qtbot.waitUntil(lambda: float(window.state.parameters["W1"][0, 0]) == 0.0, timeout=20000)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty
    window.model_panel.preset_chosen.emit("sine")
    loaded(qtbot, window, "sine")
    assert window.asked == [True] and not window.file_actions.dirty


def test_training_a_file_opened_from_disk_then_replacing_it_asks(qtbot, window, tmp_path):
    path = tmp_path / "line.toml"
    path.write_text(preset("linear").to_toml(), encoding="utf-8")
    window.file_actions.open_path(str(path))
    qtbot.waitUntil(lambda: window.file_actions.path == str(path), timeout=20000)
    wait_idle(qtbot, window)
    window.step(1)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty  # the file on disk holds no trained run
    window.model_panel.preset_chosen.emit("sine")
    loaded(qtbot, window, "sine")
    assert window.asked == [True]


def test_changing_a_setting_of_a_lesson_set_up_then_setting_up_again_asks(qtbot, window):
    lesson = load_lesson(shipped_lessons()[0])
    set_up(qtbot, window, lesson, 3)
    window.training_panel.spec_changed.emit(replace(window.experiment.training, learning_rate=0.03))
    qtbot.waitUntil(lambda: window.state.experiment.training.learning_rate == 0.03, timeout=20000)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty
    set_up(qtbot, window, lesson, 3)
    assert window.asked == [True] and not window.file_actions.dirty


def test_imported_data_then_a_preset_asks(qtbot, window):
    x = np.linspace(-1.0, 1.0, 20)
    window.data_import.use_points((x, 3 * x), PASTED, 0, 1, None)
    qtbot.waitUntil(lambda: window.state.points is not None, timeout=20000)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty
    window.model_panel.preset_chosen.emit("sine")
    loaded(qtbot, window, "sine")
    assert window.asked == [True]
