"""Without a screen Qt can use, nnstudio says so in one line and exits 2 (Qt would abort with exit 134);
the commands that need no window never import Qt."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.gui.desktop import NO_DISPLAY, XCB_LIBRARIES, _install_hint, display_problem

PLUGINS = {"xcb", "wayland", "offscreen", "minimal"}


def problem(environ, system="linux", missing=(), connects=True):
    return display_problem(
        environ,
        system,
        can_load=lambda library: library not in missing,
        can_connect=lambda display: connects,
        plugin_names=lambda: PLUGINS,
    )


def test_no_display_is_named_with_the_ways_round_it():
    assert problem({}) == NO_DISPLAY
    assert "xvfb-run" in NO_DISPLAY and "nnstudio snapshot" in NO_DISPLAY


def test_a_usable_display_or_a_chosen_platform_is_no_problem():
    assert problem({"DISPLAY": ":0"}) is None
    assert problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert problem({"QT_QPA_PLATFORM": "wayland;xcb"}) is None
    assert problem({}, system="win32") is None and problem({}, system="darwin") is None


def test_missing_x_libraries_are_named_with_the_packages_that_hold_them():
    message = problem({"DISPLAY": ":0"}, missing=("libxcb-cursor.so.0",))
    assert message.startswith("Qt cannot open a window: libxcb-cursor.so.0 is missing; install")
    assert "libxcb-cursor0" in message or "xcb-util-cursor" in message
    two = problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, missing=("libxcb-cursor.so.0", "libGL.so.1"))
    assert "libxcb-cursor.so.0, libGL.so.1 are missing" in two and "\n" not in two


def test_the_install_hint_fits_the_distribution():
    missing = ["libxcb-cursor.so.0", "libxcb-shape.so.0"]
    assert _install_hint(missing, "debian") == "install them with: sudo apt install libxcb-cursor0 libxcb-shape0"
    assert _install_hint(missing, "fedora") == "install them with: sudo dnf install libxcb xcb-util-cursor"
    both = _install_hint(missing, "")
    assert "sudo apt install libxcb-cursor0 libxcb-shape0" in both and "sudo dnf install" in both
    assert all(len(packages) == 2 for packages in XCB_LIBRARIES.values())


def test_an_unreachable_x_server_and_an_unknown_plugin_are_named():
    assert "cannot connect to the display ':5'" in problem({"DISPLAY": ":5"}, connects=False)
    message = problem({"QT_QPA_PLATFORM": "nosuch"})
    assert message.startswith("Qt has no platform plugin 'nosuch'") and "offscreen, wayland, xcb" in message


def test_the_real_plugin_folder_and_libraries_are_read():
    """With the installed Qt: the offscreen plugin is found and an invented one is not."""
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert "no platform plugin 'nosuch'" in display_problem({"QT_QPA_PLATFORM": "nosuch"}, "linux")


# --- as a user meets it: a process with a scrubbed environment ----------------------------------------


def scrubbed(**extra):
    """This environment without any display or Qt platform (tests/conftest.py sets offscreen)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**environ, **extra}


def run(args, environ, tmp_path):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, env=environ, cwd=tmp_path
    )


# A display number no X server answers on here (a developer's Xvfb may hold one): asked for, it cannot connect.
FREE_DISPLAY = ":" + str(next(n for n in range(93, 1000) if not Path(f"/tmp/.X11-unix/X{n}").exists()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY and WAYLAND_DISPLAY are Linux's")
@pytest.mark.parametrize(
    "extra, expected",
    [
        ({}, "nnstudio: error: there is no display to open the window on"),
        ({"QT_QPA_PLATFORM": "nosuch"}, "nnstudio: error: Qt has no platform plugin 'nosuch'"),
        ({"DISPLAY": FREE_DISPLAY}, f"nnstudio: error: cannot connect to the display '{FREE_DISPLAY}'"),
    ],
)
def test_the_window_without_a_screen_is_one_line_and_exit_2(tmp_path, extra, expected):
    result = run(["-m", "nnstudio", "--preset", "linear"], scrubbed(HOME=str(tmp_path), **extra), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [["presets"], ["train", "--preset", "linear", "--epochs", "3"], ["gradcheck", "--preset", "linear"]],
)
def test_commands_without_a_window_run_without_a_display_and_never_import_qt(tmp_path, command):
    code = (
        "import sys\n"
        "from nnstudio.cli import main\n"
        f"code = main({command!r})\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'superqt'))\n"
        "assert not qt, qt\n"
        "sys.exit(code)\n"
    )
    result = run(["-c", code], scrubbed(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
