"""The window's keys keep working after typing into a field.

A class types a learning rate, presses Enter, then R: without this, R goes into the field (a spin
box takes every printable key while it has the focus) and nothing resets. So, in any field of the
window (spin box, line edit, combo box; dialogs have their own rules and are left alone):

- Enter applies what was typed and Escape takes it back; either way the focus returns to the plots,
  where the single-key shortcuts (Space, N, R, B, I, L, …) work again;
- the window's shortcuts with Ctrl, Alt or a function key (Ctrl+E, Ctrl+1, F5, …) win over the
  field's own meaning of the key (a line edit would take Ctrl+E as "end of line");
- letters, digits, Space, Delete and the editing keys (Ctrl+C, Ctrl+V, Ctrl+Z, …) still edit the field.

Fields get the filter when they first take the focus, so fields built later (an instrument's
controls, made when its dock first opens) are covered too.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QMainWindow,
    QWidget,
)
from shiboken6 import isValid

FIELD_TYPES = (QAbstractSpinBox, QComboBox, QLineEdit)
LEAVE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)
KEYPAD = Qt.KeyboardModifier.KeypadModifier
EXACT = QKeySequence.SequenceMatch.ExactMatch
COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)


def field_of(widget: QWidget | None) -> QWidget | None:
    """The field `widget` belongs to (a spin box's inner line edit belongs to the spin box), or None."""
    field = None
    while widget is not None and not widget.isWindow():
        if isinstance(widget, FIELD_TYPES):
            field = widget  # the outermost one: the spin box, not its line edit
        widget = widget.parentWidget()
    return field


def is_command_key(event: QKeyEvent) -> bool:
    """A key a text field has no business keeping when the window uses it: one with Ctrl, Alt or Meta, or F1…F35."""
    return bool(event.modifiers() & COMMAND_MODIFIERS) or Qt.Key.Key_F1 <= event.key() <= Qt.Key.Key_F35


class FieldKeys(QObject):
    """Enter and Escape leave a field of `window`; the window's Ctrl/Alt/F-key shortcuts win over a field."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._delivering = False  # set while the field handles an Enter we pass on to it
        self._value_on_entry: tuple[QWidget, object] | None = None  # the focused spin box's value, for Escape
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def home(self) -> QWidget:
        """Where the focus goes when it leaves a field: the plots, where every single-key shortcut works."""
        return self.window.centralWidget() or self.window

    def leave_field(self) -> None:
        self.home().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _in_window(self, widget: QWidget) -> bool:
        """In the main window, or in one of its docks floating as a window of its own; not in a dialog."""
        top = widget.window()
        if isinstance(top, QDockWidget):
            top = top.parentWidget().window() if top.parentWidget() is not None else top
        return top is self.window

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        field = field_of(new)
        if field is None or not self._in_window(field):
            self._value_on_entry = None
            return
        new.removeEventFilter(self)  # once only, however often the field takes the focus
        new.installEventFilter(self)
        if self._value_on_entry is None or self._value_on_entry[0] is not field:
            self._value_on_entry = (field, field.value()) if _has_value(field) else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            if is_command_key(event) and self._window_uses(event):
                event.ignore()  # not the field's: the shortcut fires
                return True
            return False
        if kind != QEvent.Type.KeyPress or self._delivering or event.key() not in LEAVE_KEYS:
            return False
        if event.modifiers() & ~KEYPAD:
            return False  # Shift+Enter, Ctrl+Enter…: the field's
        field = field_of(watched)
        if field is None or not self._in_window(field):
            return False
        if isinstance(field, QComboBox) and field.view().isVisible():
            return False  # the open list takes Enter (choose) and Escape (close) itself
        if event.key() == Qt.Key.Key_Escape:
            self._take_back_typing(field)
        else:
            self._deliver(watched, event)  # the field applies the value (a spin box emits its change)
        self._value_on_entry = None
        if isValid(field) and field.hasFocus():  # (applying may have rebuilt the panel, or moved the focus)
            self.leave_field()
        return True

    def _deliver(self, watched: QObject, event: QKeyEvent) -> None:
        self._delivering = True
        try:
            QCoreApplication.sendEvent(watched, event)
        finally:
            self._delivering = False

    def _take_back_typing(self, field: QWidget) -> None:
        """Escape: the spin box shows the value it had when the focus came in, not what was typed since."""
        if _has_value(field):
            entry = self._value_on_entry
            field.setValue(entry[1] if entry is not None and entry[0] is field else field.value())  # rewrites the text

    def _window_uses(self, event: QKeyEvent) -> bool:
        pressed = QKeySequence(QKeyCombination(event.modifiers() & ~KEYPAD, Qt.Key(event.key())))
        for action in self.window.findChildren(QAction):
            if action.isEnabled() and any(key.matches(pressed) == EXACT for key in action.shortcuts()):
                return True
        return False


def _has_value(field: QWidget) -> bool:
    return isinstance(field, QAbstractSpinBox) and hasattr(field, "value") and hasattr(field, "setValue")
