"""Which glossary word a control is about: `explains(widget, term)` tags it, `term_at(widget)` finds it.

Help (F1, gui/help_window.py) reads the tags: a tagged control's tooltip ends with "F1: “term” in
the glossary", and F1 pressed on it opens the glossary at that entry.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from nnstudio.core.teaching.glossary import term_key

GLOSSARY_TERM = "glossary_term"  # the widget property holding the entry's key


def explains(widget: QWidget, term: str) -> QWidget:
    """Tag `widget` as using the glossary's `term` (as its heading says it: "learning rate")."""
    widget.setProperty(GLOSSARY_TERM, term_key(term))
    return widget


def term_at(widget: QWidget | None) -> str | None:
    """The glossary key of `widget`, or of the nearest tagged widget around it within its window."""
    while widget is not None:
        key = widget.property(GLOSSARY_TERM)
        if key:
            return str(key)
        if widget.isWindow():
            return None
        widget = widget.parentWidget()
    return None
