"""The desktop citizen: the icon on the application and its windows, and a first window that fits the screen."""

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QImage

from nnstudio.core.engine.presets import preset
from nnstudio.core.storage.resources import resource_path
from nnstudio.gui.app import create_application
from nnstudio.gui.desktop import DESKTOP_FILE_NAME, ICON_SIZES, fit_to_screen


@pytest.fixture
def window(qtbot):
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(preset("sine"))
    qtbot.addWidget(window)
    yield window
    window.session.shutdown()


def test_the_application_has_its_icon_at_every_size_and_its_desktop_file_name(qapp):
    app = create_application()
    assert app is qapp and app.desktopFileName() == DESKTOP_FILE_NAME == "nnstudio"
    assert {QSize(n, n) for n in ICON_SIZES} <= set(app.windowIcon().availableSizes())
    for size in ICON_SIZES:
        image = QImage(str(resource_path("icons", f"nnstudio-{size}.png")))
        assert image.size() == QSize(size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not an empty square
    assert resource_path("icons", "nnstudio.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    desktop = resource_path("nnstudio.desktop").read_text(encoding="utf-8")
    assert "Exec=nnstudio-gui %f" in desktop and "Icon=nnstudio" in desktop


@pytest.mark.parametrize(
    "available",
    [
        QRect(0, 0, 1366, 728),  # a 1366×768 laptop, with its task bar
        QRect(0, 0, 1024, 740),  # a 1024×768 projector
        QRect(0, 0, 1280, 672),  # a 1920×1080 screen at 150 %: 1280×720, less a 48-pixel task bar
        QRect(1920, 30, 1280, 690),  # the same on a second screen, right of the first
    ],
)
def test_the_first_window_fits_the_available_screen(qtbot, window, available):
    assert window.size() == QSize(1400, 900)  # the preferred size is larger than every screen here
    fit_to_screen(window, available)
    assert window.width() <= available.width() - 16 and window.height() <= available.height() - 40
    window.show()
    qtbot.waitExposed(window)
    fit_to_screen(window, available)
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    assert window.width() >= 1000  # shrunk to the screen, not to a postage stamp
    short = available.height() < 700
    assert bool(window.tabifiedDockWidgets(window.log_dock)) == short  # the log joins the tabs on short screens


def test_a_window_that_fits_is_left_as_it_is(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    before = window.geometry()
    fit_to_screen(window, QRect(0, 0, 2560, 1400))
    assert window.geometry() == before and not window.tabifiedDockWidgets(window.log_dock)
