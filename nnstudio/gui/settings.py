"""What the app remembers between sessions: window layout, recent files, the last experiment, the theme.

`Settings` wraps one `QSettings` store. The app uses `Settings.for_user()` (an INI file in the
user's configuration folder, under the organisation "nnstudio"); tests and the offscreen
snapshot pass a store on a temporary file, or `Settings()` which keeps everything in memory,
so they never touch the user's own settings.

The settings file is as hostile as any other: a user (or a crash) may leave anything in it, and
what is remembered must never stop the window from opening. So every accessor checks what it
reads (type, range, that a file is still a regular file) and falls back to the default; each
value it cannot use is forgotten and noted in `problems`, which the window reports once.
Whatever slips past the checks is caught by `restoring()`, the one guard around every restore.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from nnstudio.core.files import size_text
from nnstudio.gui.pacing import pace_from_text
from nnstudio.gui.themes import THEMES, apply_theme

ORGANISATION = APPLICATION = "nnstudio"
MAX_RECENT = 10
MAX_SETTINGS_BYTES = 1024 * 1024  # a few kB in use: a larger file is not ours
MAX_PATH_CHARS = 4096  # PATH_MAX on Linux; a longer "path" is not one
MAX_LAYOUT_BYTES = 64 * 1024  # a window's saved geometry or dock state is well under 2 kB
MAX_PAGE = 9999

_GEOMETRY, _WINDOW_STATE, _SPLITTER = "window/geometry", "window/state", "window/plots_splitter"
_RECENT, _LAST, _THEME = "files/recent", "files/last_experiment", "view/theme"
_LESSON, _PAGE, _OFFERED = "lessons/path", "lessons/page", "lessons/offered"
# View preferences of the two-input maps (not the experiment's): name → (what it is, in words; default)
MAP_OPTIONS = {"discretize_output": ("discretize output", False), "show_test_data": ("show test data", True)}
_PACE = "view/training_speed"

log = logging.getLogger(__name__)


def user_settings_path() -> Path:
    """The INI file QSettings(IniFormat, UserScope, "nnstudio", "nnstudio") uses, found without opening it.

    QSettings reads its file as it is made, and a named pipe there would block it for ever; so the
    folder is asked of a QSettings for a name nobody uses (which honours QSettings.setPath), and
    the file is checked before it is opened.
    """
    probe = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnstudio-path-probe", "probe")
    return Path(probe.fileName()).parent.parent / ORGANISATION / f"{APPLICATION}.ini"


def unusable_settings_file(path: Path) -> str | None:
    """Why `path` cannot be the settings file (a pipe would block QSettings for ever), or None."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None  # not there yet (the first start), or unreachable: QSettings copes with both
    if not stat.S_ISREG(info.st_mode):
        return f"the settings file {path} is not a regular file (a device or a pipe?)"
    if info.st_size > MAX_SETTINGS_BYTES:
        return f"the settings file {path} is {size_text(info.st_size)}, far larger than nnstudio writes"
    return None


def is_regular_file(path: str) -> bool:
    """Whether `path` names a regular file now (False for folders, pipes, devices and impossible paths)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):  # missing, too long a name, a NUL byte…
        return False


class Settings:
    """Typed access to the stored settings; `store=None` keeps them in memory only."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store
        self._memory: dict[str, object] = {}
        self.problems: list[str] = []  # what could not be restored, in words; the window reports them once

    @classmethod
    def for_user(cls) -> Settings:
        """The user's own settings (an INI file, the same format on every system)."""
        return cls.at(user_settings_path())

    @classmethod
    def at(cls, path: str | os.PathLike) -> Settings:
        """Settings kept in the INI file `path`; kept in memory only when that file is not one to read."""
        why_not = unusable_settings_file(Path(path))
        if why_not is None:
            return cls(QSettings(str(path), QSettings.Format.IniFormat))
        settings = cls()
        settings.problems.append(f"{why_not}: nothing is remembered until it is removed")
        return settings

    @property
    def file_name(self) -> str | None:
        return self._store.fileName() if self._store is not None else None

    def _get(self, key: str, default=None, kind=None):
        """The stored value, unchecked: the typed accessors below check it."""
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

    # --- checking what was read ------------------------------------------------------------------------

    def note_problem(self, what: str, why: str) -> None:
        """Remember, once, that `what` could not be restored and why (the window reports it)."""
        problem = f"{what}: {why}"
        if problem not in self.problems:
            self.problems.append(problem)

    def take_problems(self) -> list[str]:
        """The problems noted so far, each once; the list is emptied."""
        problems, self.problems = self.problems, []
        return problems

    def _forget(self, key: str, what: str, why: str) -> None:
        """A stored value that cannot be used: say so once, and forget it so that it is not said again."""
        self.note_problem(what, why)
        with contextlib.suppress(Exception):
            self._remove(key)

    def _text(self, key: str, what: str) -> str | None:
        """A stored text of at most MAX_PATH_CHARS characters, or None (nothing, or something else)."""
        value = self._get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self._forget(key, what, f"the settings file holds {_kind(value)}, not text")
            return None
        if len(value) > MAX_PATH_CHARS or "\0" in value:
            self._forget(key, what, "the settings file holds a text that is no file name")
            return None
        return value

    @contextlib.contextmanager
    def restoring(self, what: str) -> Iterator[None]:
        """The guard around restoring `what`: any error is logged and noted, and the default stays."""
        try:
            yield
        except Exception as error:  # nothing remembered may stop the window opening
            log.warning("could not restore %s", what, exc_info=True)
            self.note_problem(what, f"{type(error).__name__}: {error}"[:300])

    def restore(self, window: QMainWindow, splitter: QSplitter | None = None) -> None:
        """Everything remembered about the window (layout, docks, theme), each behind the guard; the
        recent files and the lessons' first-start flag are checked too, so their problems are told
        with the others."""
        with self.restoring("the window's layout"):
            self.restore_window(window, splitter)
        with self.restoring("the theme"):
            if self.theme() != "system":
                apply_theme(self.theme())
        with self.restoring("the recent files"):
            self.recent_files()
        with self.restoring("whether the lessons were offered"):
            self.lessons_offered()

    # --- recent files and the last experiment -------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self._get(_RECENT)
        if value is None or value == "":
            return []
        items = [value] if isinstance(value, str) else value  # QSettings reads a one-item list as text
        if not isinstance(items, list):
            self._forget(_RECENT, "the recent files", f"the settings file holds {_kind(value)}, not a list")
            return []
        recent = [item for item in items if isinstance(item, str) and item and len(item) <= MAX_PATH_CHARS]
        if len(recent) < len([item for item in items if item != ""]):
            self.note_problem("the recent files", "some entries were not file names and are left out")
        return list(dict.fromkeys(item for item in recent if "\0" not in item))[:MAX_RECENT]

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
        return self._text(_LAST, "the experiment open last time")

    def experiment_to_reopen(self) -> str | None:
        """The last experiment file, if it is still a regular file (`nnstudio` without arguments opens it)."""
        last = self.last_experiment()
        if last is None:
            return None
        if not is_regular_file(last):
            if _exists(last):  # a folder, a pipe or a device: never opened, and forgotten
                self._forget(_LAST, "the experiment open last time", _not_a_file(last))
            return None  # moved or deleted since: nothing to say, nnstudio starts afresh
        return last

    def set_last_experiment(self, path: str | os.PathLike | None) -> None:
        if path is None:
            self._remove(_LAST)
        else:
            self._set(_LAST, str(Path(path).resolve()))

    # --- lessons ----------------------------------------------------------------------------------------

    def lesson_position(self) -> tuple[str | None, int]:
        """The lesson file last read (if it is still a regular file) and its page, so the panel opens there."""
        path = self._text(_LESSON, "the lesson last read")
        if path is not None and not is_regular_file(path):
            self._forget(_LESSON, "the lesson last read", _not_a_file(path))
            path = None
        return path, self._page()

    def _page(self) -> int:
        value = self._get(_PAGE)
        if value is None:
            return 0
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value)  # an INI file keeps every number as text
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PAGE:
            self._forget(_PAGE, "the lesson page last read", f"expected a page number, found {_shown(value)}")
            return 0
        return value

    def set_lesson_position(self, path: str | os.PathLike, page: int) -> None:
        self._set(_LESSON, str(path))
        self._set(_PAGE, int(page))

    def forget_lesson_position(self) -> None:
        self._remove(_LESSON)
        self._remove(_PAGE)

    def lessons_offered(self) -> bool:
        value = self._get(_OFFERED)
        if value is None or value is True or value is False:
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self._forget(_OFFERED, "whether the lessons were offered", f"expected true or false, found {_shown(value)}")
        return False

    def set_lessons_offered(self) -> None:
        self._set(_OFFERED, "true")

    # --- the two-input maps' view options -----------------------------------------------------------

    def map_option(self, name: str) -> bool:
        """A toggle of MAP_OPTIONS as last set (its default when unset or unreadable)."""
        what, default = MAP_OPTIONS[name]
        key = f"view/{name}"
        value = self._get(key)
        if value is None:
            return default
        if value is True or value is False:
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self._forget(key, f"the map option {what!r}", f"expected true or false, found {_shown(value)}")
        return default

    def set_map_option(self, name: str, on: bool) -> None:
        if name not in MAP_OPTIONS:
            raise ValueError(f"unknown map option {name!r}")
        self._set(f"view/{name}", "true" if on else "false")

    # --- the theme ------------------------------------------------------------------------------------

    def theme(self) -> str:
        value = self._get(_THEME)
        if value is None:
            return "system"
        if not isinstance(value, str) or value not in THEMES:
            self._forget(_THEME, "the theme", f"expected one of {', '.join(THEMES)}, found {_shown(value)}")
            return "system"
        return value

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        self._set(_THEME, theme)

    # --- the training speed: a view setting, never saved with an experiment ---------------------------

    def pace(self) -> str | float | None:
        """The speed chosen last: "auto", "full" or epochs per second (gui/pacing.py); None: never chosen."""
        value = self._get(_PACE)
        if value is None:
            return None
        try:
            return pace_from_text(value if isinstance(value, str) else repr(value))
        except ValueError:
            self._forget(_PACE, "the training speed", f"expected auto, full or a speed, found {_shown(value)}")
            return None

    def set_pace(self, choice: str | float) -> None:
        self._set(_PACE, choice if isinstance(choice, str) else f"{choice:g}")

    # --- the window's layout --------------------------------------------------------------------------

    def save_window(self, window: QMainWindow, splitter: QSplitter | None = None) -> None:
        """Size and position, docks and toolbars, and the plots' splitter."""
        self._set(_GEOMETRY, window.saveGeometry())
        self._set(_WINDOW_STATE, window.saveState())
        if splitter is not None:
            self._set(_SPLITTER, splitter.saveState())

    def _layout(self, key: str, what: str) -> QByteArray | None:
        """A saved layout (Qt's own bytes), or None; what Qt cannot restore from it is noted by the caller."""
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, QByteArray) or value.isEmpty() or value.size() > MAX_LAYOUT_BYTES:
            self._forget(key, what, f"the settings file holds {_kind(value)}, not a saved layout")
            return None
        return value

    def restore_window(self, window: QMainWindow, splitter: QSplitter | None = None) -> bool:
        """Put back what `save_window` kept; False when nothing was kept (the first start) or it was unusable."""
        geometry = self._layout(_GEOMETRY, "the window's size and position")
        if geometry is None:
            return False
        if not window.restoreGeometry(geometry):
            self._forget(_GEOMETRY, "the window's size and position", "Qt could not read them")
            return False
        state = self._layout(_WINDOW_STATE, "the panels' places")
        if state is not None and not window.restoreState(state):
            self._forget(_WINDOW_STATE, "the panels' places", "Qt could not read them")
        sizes = self._layout(_SPLITTER, "the plots' sizes")
        if splitter is not None and sizes is not None and not splitter.restoreState(sizes):
            self._forget(_SPLITTER, "the plots' sizes", "Qt could not read them")
        return True


def _exists(path: str) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _not_a_file(path: str) -> str:
    if _exists(path):
        return f"{path} is not a regular file (a folder, a device or a pipe?)"
    return f"{path} is no longer there"


def _kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list (a comma in the value?)"
    if isinstance(value, QByteArray):
        return "raw bytes"
    return f"a {type(value).__name__}"


def _shown(value: object) -> str:
    """A value read from the file, short enough for a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
