"""A dock's key (F2, Ctrl+1 … Ctrl+5, or its View menu entry) brings it to the front; the same key again hides it.

Qt's own toggle only knows shown and hidden: a dock that is open but lies behind another tab counts
as shown, so its key would hide it — the teacher presses Ctrl+1 to see the step inspector and it
goes away. Here the key first brings the dock to the front, and hides it only when it is in front.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget


def on_screen(dock: QDockWidget) -> bool:
    """Whether the dock can be seen: shown, and not behind another dock's tab."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def open_or_hide(dock: QDockWidget) -> None:
    """Hide the dock if it is in front; otherwise show it and bring it to the front."""
    if on_screen(dock):
        dock.close()
    else:
        dock.show()
        dock.raise_()
    dock.toggleViewAction().setChecked(not dock.isHidden())  # a tab brought forward sends no Show event


def raise_with_its_key(dock: QDockWidget) -> None:
    """Make the dock's toggle action (its menu entry and shortcut) bring it to the front before hiding it."""
    action = dock.toggleViewAction()
    action.triggered.disconnect()  # Qt's own slot: show or hide, tabs not considered
    action.triggered.connect(lambda _checked=False: open_or_hide(dock))
