"""F2 and Ctrl+1…5 open their dock and bring it to the front; pressed again, they hide it."""

from PySide6.QtCore import Qt

from nnstudio.core.engine.presets import preset
from nnstudio.gui.dock_keys import on_screen


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window, key, modifier)


def test_a_docks_key_brings_it_in_front_of_another_tab_and_a_second_press_hides_it(qtbot, make_window):
    window = make_window(preset("sine"))
    inspector, runs = window.context.get("dock.inspector"), window.context.get("dock.runs")
    ctrl = Qt.KeyboardModifier.ControlModifier
    press(qtbot, window, Qt.Key.Key_1, ctrl)
    qtbot.waitUntil(lambda: on_screen(inspector))
    press(qtbot, window, Qt.Key.Key_5, ctrl)  # Compare runs opens in the same tab group, in front
    qtbot.waitUntil(lambda: on_screen(runs) and not on_screen(inspector))
    assert not inspector.isHidden()  # open, behind Compare runs' tab

    press(qtbot, window, Qt.Key.Key_1, ctrl)  # Qt's own toggle would close it here
    qtbot.waitUntil(lambda: on_screen(inspector))
    assert inspector.toggleViewAction().isChecked() and not runs.isHidden()

    press(qtbot, window, Qt.Key.Key_1, ctrl)
    qtbot.waitUntil(inspector.isHidden)
    assert not inspector.toggleViewAction().isChecked()
    qtbot.waitUntil(lambda: on_screen(runs))


def test_f2_brings_the_lessons_in_front_of_the_training_tab_and_hides_them_again(qtbot, make_window):
    window = make_window(preset("sine"))
    lessons = window.lessons.dock
    press(qtbot, window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: on_screen(lessons))
    window.training_dock.raise_()  # the class looks at the settings: the lessons' tab is behind
    qtbot.waitUntil(lambda: not on_screen(lessons))
    press(qtbot, window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: on_screen(lessons))
    press(qtbot, window, Qt.Key.Key_F2)
    qtbot.waitUntil(lessons.isHidden)
