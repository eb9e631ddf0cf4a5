"""The window's colours: light, dark, or the system's own (the plots stay white, for projectors).

`THEMES` names the choices View ▸ Theme offers, `apply_theme` puts one on the whole application
(remembering the system's palette the first time, to go back to it), and `dark_palette` is the
dark one. Which theme was chosen last is remembered by `Settings` (settings.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


def apply_theme(theme: str, app: QApplication | None = None) -> None:
    """Light, dark, or the system's colours for the whole window (the plots stay white, for projectors)."""
    app = app or QApplication.instance()
    if app is None:
        return
    if app.property("nnstudio_system_palette") is None:  # remember the system's own, to go back to it
        app.setProperty("nnstudio_system_palette", QPalette(app.palette()))
    hints = app.styleHints()
    if theme == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())
    elif theme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setPalette(app.style().standardPalette())
    else:
        hints.unsetColorScheme()
        app.setPalette(app.property("nnstudio_system_palette"))


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#2d2d30",
        QPalette.ColorRole.WindowText: "#f0f0f0",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#333337",
        QPalette.ColorRole.ToolTipBase: "#3c3c40",
        QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.Text: "#f0f0f0",
        QPalette.ColorRole.Button: "#3c3c40",
        QPalette.ColorRole.ButtonText: "#f0f0f0",
        QPalette.ColorRole.BrightText: "#ff6b5b",
        QPalette.ColorRole.Link: "#56b4e9",
        QPalette.ColorRole.Highlight: "#0072b2",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9a9a9a",
        QPalette.ColorRole.Light: "#505055",
        QPalette.ColorRole.Midlight: "#404045",
        QPalette.ColorRole.Mid: "#2a2a2d",
        QPalette.ColorRole.Dark: "#1a1a1c",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette
