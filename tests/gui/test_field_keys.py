"""Keys always work: after typing into any field of the window, Enter or Escape gives every shortcut back."""

import re

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QWidget

from nnstudio.core.engine.presets import preset
from nnstudio.gui.actions import make_action
from nnstudio.gui.field_keys import field_of
from tests.gui.driving import trained, wait_idle
from tests.gui.test_readme_shortcuts import readme_keys

SINGLE_KEYS = "RNBLKI"  # letters that are shortcuts too: typed into a field, they must stay there
WIDGET_CONTEXTS = (Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut)


class ShortcutCounter(QObject):
    """Counts the shortcut events each action receives, and keeps them from running (no dialog, no quit)."""

    def __init__(self, actions):
        super().__init__()
        self.counts = {}
        for action in actions:
            action.installEventFilter(self)

    def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Shortcut:
            key = event.key().toString(QKeySequence.SequenceFormat.PortableText)
            self.counts[key] = self.counts.get(key, 0) + 1
            return True
        return False


def window_keys(window):
    """The README's keys whose actions work anywhere in the window, each with its action (forced on for the test)."""
    actions = {}
    for action in window.findChildren(QAction):
        for shortcut in action.shortcuts():
            actions[shortcut.toString(QKeySequence.SequenceFormat.PortableText)] = action
    keys = {key: actions[key] for key in readme_keys() if actions[key].shortcutContext() not in WIDGET_CONTEXTS}
    for action in keys.values():
        action.setEnabled(True)  # e.g. Back before any step: the key must reach it all the same
    return keys


def fields(window):
    """Every field on screen in the window (a spin box counts once, not again for its inner line edit)."""
    return [
        widget
        for widget in window.findChildren(QWidget)
        if field_of(widget) is widget
        and widget.isEnabled()
        and not widget.visibleRegion().isEmpty()  # (a dock behind another's tab counts as visible)
        and widget.window() is window
    ]


def press(qtbot, key: str) -> None:
    combination = QKeySequence(key)[0]
    target = QApplication.focusWidget()
    qtbot.keyClick(target, combination.key(), combination.keyboardModifiers())


def each_field(qtbot, window):
    """Bring each dock to the front in turn (the settings tabs, the lessons, every instrument) and yield
    the fields that came on screen: the toolbar's epoch box with the first."""
    seen = set()
    for dock in (window.data_dock, window.model_dock, window.training_dock, window.lessons.dock, *instruments(window)):
        dock.show()
        dock.raise_()
        qtbot.waitUntil(lambda d=dock: not d.visibleRegion().isEmpty())
        for field in fields(window):
            if field not in seen:
                seen.add(field)
                yield field


def instruments(window):
    return window.context.instrument_docks


@pytest.fixture
def window(qtbot, make_window):
    window = make_window(preset("sine"))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


@pytest.mark.parametrize("leave", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_after_typing_into_any_field_enter_or_escape_gives_every_shortcut_back(qtbot, window, leave):
    for dock in instruments(window):  # an instrument builds its view, its fields and its actions when first shown
        dock.show()
        dock.raise_()
    wait_idle(qtbot, window)
    keys = window_keys(window)
    assert {"Space", "N", "R", "B", "I", "L", "Ctrl+E", "Ctrl+1", "F2", "F5"} <= set(keys)
    counter = ShortcutCounter(set(keys.values()))
    command_keys = [key for key in keys if "Ctrl+" in key or re.fullmatch(r"F\d+", key)]  # F5, not the letter F
    experiment = window.experiment
    typed = []
    for field in each_field(qtbot, window):
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        if isinstance(field, QAbstractSpinBox):
            text = field.text()
            field.selectAll()
            qtbot.keyClicks(field, SINGLE_KEYS.lower() + SINGLE_KEYS)  # letters: the field's, not shortcuts
            assert counter.counts == {}, f"typing into {field.toolTip()!r} ran {counter.counts}"
            field.selectAll()
            qtbot.keyClicks(field, "7" if leave == Qt.Key.Key_Escape else text)
            typed.append(field)
            for key in command_keys:  # Ctrl+E, Ctrl+1, F5…: the window's, even while the field has the focus
                press(qtbot, key)
            missed = {key for key in command_keys if counter.counts.get(key) != 1}
            assert not missed, f"typing in {field.toolTip()!r}, these keys did nothing: {sorted(missed)}"
            assert field.hasFocus()
            counter.counts.clear()
        qtbot.keyClick(field, leave)
        assert not field.hasFocus(), f"{leave.name} left the focus in {field.toolTip()!r}"
        if isinstance(field, QAbstractSpinBox):
            assert field.text() == text  # Enter applied the same text, Escape took the 7 back
        for key in keys:
            press(qtbot, key)
        missed = {key for key in keys if counter.counts.get(key) != 1}
        assert not missed, f"after {leave.name} in {field.toolTip()!r}, these keys did nothing: {sorted(missed)}"
        counter.counts.clear()
    assert len(typed) >= 12  # the numbers of the Data, Model and Training tabs, the landscape and the toolbar
    assert {window.training_panel.learning_rate, window.controls.target_epoch} <= set(typed)
    wait_idle(qtbot, window)
    assert window.experiment == experiment  # nothing typed was a change
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=60000)


def test_type_a_learning_rate_press_enter_then_r_resets(qtbot, window):
    """The lesson plan, literally: set the learning rate, press R, then Space."""
    trained(qtbot, window, 5)
    window.training_dock.raise_()
    box = window.training_panel.learning_rate
    qtbot.waitUntil(box.isVisible)
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "0.1")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    press(qtbot, "R")
    wait_idle(qtbot, window)
    assert window.experiment.training.learning_rate == pytest.approx(0.1)
    assert window.state.epoch == 0 and window.state.experiment.training.learning_rate == pytest.approx(0.1)


def test_ctrl_e_in_the_epoch_box_runs_to_that_epoch(qtbot, window):
    box = window.controls.target_epoch
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "3")
    press(qtbot, "Ctrl+E")  # a line edit's "end of line": here the window's Run to epoch
    wait_idle(qtbot, window)
    assert window.state.epoch == 3


def test_a_window_shortcut_wins_over_a_fields_own_meaning_of_the_key(qtbot, window):
    """Ctrl+E is "end of line" to a line edit on X11; Ctrl+Z (undo) is a field's key everywhere, so it stands
    in for it here: once the window uses the key, the window gets it, and the field keeps what was typed."""
    undo_typing = make_action(window, "Test action", None, "Ctrl+Z", window_shortcut=True)
    with qtbot.waitSignal(undo_typing.triggered, timeout=2000):
        box = window.controls.target_epoch
        box.setFocus()
        box.selectAll()
        qtbot.keyClicks(box, "42")
        press(qtbot, "Ctrl+Z")
    assert box.text() == "42" and box.hasFocus()
    window.removeAction(undo_typing)
    press(qtbot, "Ctrl+Z")  # no longer the window's: the field's undo again
    assert box.text() != "42"
