"""nnstudio as a desktop application: is there a screen Qt can use, the icon, and a first window that fits.

`display_problem()` runs before the QApplication exists: without a display, or without the X libraries Qt's
xcb plugin needs, Qt would abort the process (exit 134) with a page of text; the command line reports the
problem as one line naming the fix instead.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from nnstudio.core.storage.resources import resource_path

DESKTOP_FILE_NAME = "nnstudio"  # resources/nnstudio.desktop, installed as nnstudio.desktop
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

# The libraries Qt's xcb platform plugin loads that desktop-less Linux installs (WSL, containers, minimal
# servers) often lack, with the Debian/Ubuntu and Fedora packages that hold them.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
}
NO_DISPLAY = (
    "there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): start nnstudio "
    "from a desktop session, or under a virtual one (xvfb-run nnstudio); `nnstudio snapshot -o fit.png` "
    "draws the window into a PNG without a display"
)


def display_problem(
    environ: Mapping[str, str] = os.environ,
    system: str = sys.platform,
    can_load: Callable[[str], bool] | None = None,
    can_connect: Callable[[str], bool] | None = None,
    plugin_names: Callable[[], set[str]] | None = None,
) -> str | None:
    """Why Qt could not show a window here, in one sentence with the fix; None when it can.

    The callables stand in for the system in tests: loading a shared library, connecting to an X display,
    and the names of the Qt platform plugins installed.
    """
    if system == "win32" or system == "darwin":
        return None  # Qt's wheels carry the windows and cocoa plugins and everything they need
    can_load = can_load or _can_load
    can_connect = can_connect or _can_connect_to_x
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        names = [choice.split(":")[0].strip() for choice in requested.split(";") if choice.strip()]
        installed = (plugin_names or _installed_platform_plugins)()
        if not any(name in installed for name in names):
            return (
                f"Qt has no platform plugin {requested!r} (QT_QPA_PLATFORM): unset it, or choose one of "
                f"{', '.join(sorted(installed))}"
            )
        if names[0] != "xcb":
            return None  # wayland, offscreen, vnc, eglfs…: chosen on purpose
    elif environ.get("WAYLAND_DISPLAY"):
        return None  # a Wayland session: Qt uses its wayland plugin
    display = environ.get("DISPLAY", "")
    if not display:
        return NO_DISPLAY
    missing = [library for library in XCB_LIBRARIES if not can_load(library)]
    if missing:
        return f"Qt cannot open a window: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing; " + (
            _install_hint(missing, _distribution_family())
        )
    if not can_connect(display):
        return f"cannot connect to the display {display!r} (DISPLAY): is its X server running, and may you use it?"
    return None


def _install_hint(missing: list[str], family: str) -> str:
    debian = sorted({XCB_LIBRARIES[library][0] for library in missing})
    fedora = sorted({XCB_LIBRARIES[library][1] for library in missing})
    apt, dnf = f"sudo apt install {' '.join(debian)}", f"sudo dnf install {' '.join(fedora)}"
    if family == "debian":
        return f"install them with: {apt}"
    if family == "fedora":
        return f"install them with: {dnf}"
    return f"install them (Debian/Ubuntu: {apt}; Fedora: {dnf})"


def _distribution_family() -> str:
    """'debian', 'fedora' or '' from /etc/os-release (ID and ID_LIKE)."""
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")[:10_000]
    except OSError:
        return ""
    words = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            words.update(value.strip("\"' ").split())
    if words & {"debian", "ubuntu"}:
        return "debian"
    if words & {"fedora", "rhel", "centos"}:
        return "fedora"
    return ""


def _can_load(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def _can_connect_to_x(display: str) -> bool:
    """Open and close a connection to the X server, as Qt's xcb plugin would (libxcb, if it loads)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)  # frees even a connection that failed


def _installed_platform_plugins() -> set[str]:
    """The names of Qt's platform plugins (xcb, wayland, offscreen, …) found where Qt looks for them."""
    from PySide6.QtCore import QLibraryInfo

    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"]
    folders += [Path(part) for part in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if part]
    names = set()
    for folder in folders:
        for plugin in folder.glob("*q*"):
            stem = plugin.name.split(".")[0]
            names.add(stem.removeprefix("lib").removeprefix("q"))
    return names


# --- the icon and the first window ------------------------------------------------------------------


def application_icon():
    """nnstudio's icon at every size it ships (resources/icons, drawn from nnstudio.svg)."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path("icons", f"nnstudio-{size}.png")), QSize(size, size))
    return icon


def fit_to_screen(window, available) -> None:
    """Shrink and centre `window` so that, with its frame, it lies within `available` (a QRect: the screen's
    available geometry), unless it already does. A 1366×768 laptop, a 1024×768 projector or a 1920×1080
    screen at 150 % (1280×720) has less room than the window's preferred size.

    Before the window is shown its frame is not known: room for a title bar and borders is kept; call it again
    once the window is shown to correct with the real frame."""
    extra_width, extra_height = frame_extra(window)
    room = available.height() - extra_height
    if window.minimumSizeHint().height() > room and not window.tabifiedDockWidgets(window.log_dock):
        # A short screen: the log becomes a tab beside the settings instead of a strip beneath them.
        window.tabifyDockWidget(window.training_dock, window.log_dock)
        window.training_dock.raise_()
        window.layout().activate()  # the minimum size follows now, not at the next event loop turn
    width = min(window.width(), available.width() - extra_width)
    height = min(window.height(), room)
    if (width, height) == (window.width(), window.height()) and available.contains(window.frameGeometry()):
        return
    window.resize(max(width, 1), max(height, 1))
    left = available.left() + max(0, (available.width() - window.width() - extra_width) // 2)
    top = available.top() + max(0, (available.height() - window.height() - extra_height) // 2)
    window.move(left, top)


def frame_extra(window) -> tuple[int, int]:
    """How much wider and taller the window is with its frame (title bar, borders): measured once the
    window manager has framed it, else room for a title bar and borders."""
    from PySide6.QtWidgets import QStyle

    frame = window.frameGeometry()
    extra_width, extra_height = frame.width() - window.width(), frame.height() - window.height()
    if not window.isVisible() or extra_height <= 0:
        title_bar = window.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
        extra_width, extra_height = 16, title_bar + 16
    return extra_width, extra_height


def room_on_screen(window):
    """The largest size (a QSize) `window` may have, frame included, on the screen it is on: the available
    geometry (without task bars) in a normal window, the whole screen in full screen."""
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication

    screen = window.screen() or QApplication.primaryScreen()
    if window.isFullScreen():
        return screen.geometry().size()
    available = screen.availableGeometry()
    if window.isMaximized():
        return window.size()  # the window manager has sized it to the available room
    extra_width, extra_height = frame_extra(window)
    return QSize(available.width() - extra_width, available.height() - extra_height)
