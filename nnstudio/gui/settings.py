"""What the app remembers between sessions: window layout, recent files, the last experiment, the theme.

`Settings` wraps one `QSettings` store. The app uses `Settings.for_user()` (an INI file in the
user's configuration folder, under the organisation "nnstudio"); tests and the offscreen
snapshot pass a store on a temporary file, or `Settings()` which keeps everything in memory,
so they never touch the user's own settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter

ORGANISATION = APPLICATION = "nnstudio"
MAX_RECENT = 10
THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}

_GEOMETRY, _WINDOW_STATE, _SPLITTER = "window/geometry", "window/state", "window/plots_splitter"
_RECENT, _LAST, _THEME = "files/recent", "files/last_experiment", "view/theme"


class Settings:
    """Typed access to the stored settings; `store=None` keeps them in memory only."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store
        self._memory: dict[str, object] = {}

    @classmethod
    def for_user(cls) -> Settings:
        """The user's own settings (an INI file, the same format on every system)."""
        return cls(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION))

    @classmethod
    def at(cls, path: str | os.PathLike) -> Settings:
        """Settings kept in the INI file `path` (tests)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def file_name(self) -> str | None:
        return self._store.fileName() if self._store is not None else None

    def _get(self, key: str, default=None, kind=None):
        if self._store is None:
            return self._memory.get(key, default)
        if kind is None:
            return self._store.value(key, default)
        return self._store.value(key, default, type=kind)

    def _set(self, key: str, value) -> None:
        if self._store is None:
            self._memory[key] = value
        else:
            self._store.setValue(key, value)

    def _remove(self, key: str) -> None:
        if self._store is None:
            self._memory.pop(key, None)
        else:
            self._store.remove(key)

    def sync(self) -> None:
        if self._store is not None:
            self._store.sync()

    # --- recent files and the last experiment -------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self._get(_RECENT, [], list)
        return [str(item) for item in value if item][:MAX_RECENT] if isinstance(value, list) else []

    def add_recent_file(self, path: str | os.PathLike) -> None:
        """Put `path` first in the recent files (once), keeping at most MAX_RECENT."""
        path = str(Path(path).resolve())
        recent = [path, *(item for item in self.recent_files() if item != path)][:MAX_RECENT]
        self._set(_RECENT, recent)

    def remove_recent_file(self, path: str) -> None:
        self._set(_RECENT, [item for item in self.recent_files() if item != path])

    def clear_recent_files(self) -> None:
        self._set(_RECENT, [])

    def last_experiment(self) -> str | None:
        value = self._get(_LAST)
        return str(value) if value else None

    def experiment_to_reopen(self) -> str | None:
        """The last experiment file, if it is still there (`nnstudio` without arguments opens it)."""
        last = self.last_experiment()
        return last if last and Path(last).is_file() else None

    def set_last_experiment(self, path: str | os.PathLike | None) -> None:
        if path is None:
            self._remove(_LAST)
        else:
            self._set(_LAST, str(Path(path).resolve()))

    # --- lessons ----------------------------------------------------------------------------------------

    def lesson_position(self) -> tuple[str | None, int]:
        """The lesson file last read and its page, so the panel opens where the user was."""
        path = self._get("lessons/path")
        page = self._get("lessons/page", 0, int)
        return (str(path) if path else None), (page if isinstance(page, int) and page >= 0 else 0)

    def set_lesson_position(self, path: str | os.PathLike, page: int) -> None:
        self._set("lessons/path", str(path))
        self._set("lessons/page", int(page))

    def lessons_offered(self) -> bool:
        return str(self._get("lessons/offered", "false")).lower() == "true"

    def set_lessons_offered(self) -> None:
        self._set("lessons/offered", "true")

    # --- the theme ------------------------------------------------------------------------------------

    def theme(self) -> str:
        value = self._get(_THEME, "system")
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        self._set(_THEME, theme)

    # --- the window's layout --------------------------------------------------------------------------

    def save_window(self, window: QMainWindow, splitter: QSplitter | None = None) -> None:
        """Size and position, docks and toolbars, and the plots' splitter."""
        self._set(_GEOMETRY, window.saveGeometry())
        self._set(_WINDOW_STATE, window.saveState())
        if splitter is not None:
            self._set(_SPLITTER, splitter.saveState())

    def restore_window(self, window: QMainWindow, splitter: QSplitter | None = None) -> bool:
        """Put back what `save_window` kept; False when nothing was kept (the first start)."""
        geometry, state = self._get(_GEOMETRY), self._get(_WINDOW_STATE)
        if not isinstance(geometry, QByteArray) or geometry.isEmpty():
            return False
        window.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            window.restoreState(state)
        sizes = self._get(_SPLITTER)
        if splitter is not None and isinstance(sizes, QByteArray):
            splitter.restoreState(sizes)
        return True


# --- themes ---------------------------------------------------------------------------------------


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
