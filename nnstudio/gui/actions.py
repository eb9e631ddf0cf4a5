"""The one way the app makes a QAction: text, slot, shortcut, tooltip, and where its shortcut works."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget


def make_action(
    parent: QObject,
    text: str,
    slot: Callable[[], object] | None = None,
    shortcut: str | None = None,
    tooltip: str = "",
    *,
    icon: QIcon | None = None,
    checkable: bool = False,
    window_shortcut: bool = False,
) -> QAction:
    """An action whose tooltip and status tip say what it does.

    `slot` is called without arguments (not with `checked`: e.g. save(then=False) would be wrong);
    a checkable action's slot gets `toggled(on)` connected by the caller instead. With
    `window_shortcut`, the shortcut works anywhere in `parent`'s window, menus closed or not
    (the action is added to `parent`, which must then be a widget).
    """
    action = QAction(text, parent) if icon is None else QAction(icon, text, parent)
    action.setCheckable(checkable)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    tip = tooltip or text.replace("&", "")
    action.setToolTip(tip)
    action.setStatusTip(tooltip)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    if window_shortcut and isinstance(parent, QWidget):
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        parent.addAction(action)
    return action
