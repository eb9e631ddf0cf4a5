"""Presentation mode on a projector: the side panels go, the window stays on the screen, nothing is cut,
and what opens or is drawn later is enlarged too."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSize, QThreadPool
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QDockWidget, QLabel

from nnstudio.core.engine.presets import preset
from nnstudio.gui import style
from nnstudio.gui.dock_keys import on_screen
from nnstudio.gui.instruments.instrument_support import CAPTION_POINTS
from nnstudio.gui.instruments.presentation import LINE_SCALE, SCALE
from tests.gui.driving import registered

PROJECTOR = QSize(1008, 728)  # 1024×768, less the window's frame
LAPTOP = QSize(1350, 728)  # 1366×768


@pytest.fixture
def on_screen_of(make_window, app_font):
    """A window as it opens on a screen of the given room (the offscreen platform's own is 800×800)."""

    def make(room: QSize):
        window = make_window(preset("sine"))
        window.resize(room)
        registered(window, "presentation").screen_room = lambda: room
        return window

    yield make
    QThreadPool.globalInstance().waitForDone(60000)  # the instruments' first pictures


def settled(qtbot, window):
    """Until the presentation has fitted the window to what is on screen now."""
    presentation = registered(window, "presentation")
    QApplication.processEvents()
    presentation.sweep()
    qtbot.waitUntil(lambda: window.width() <= presentation.screen_room().width())


def press(qtbot, window, key: str):
    combination = QKeySequence(key)[0]
    qtbot.keyClick(window, combination.key(), combination.keyboardModifiers())


def cut_texts(part):
    """Buttons and one-line labels on screen narrower than their text."""
    return [
        widget.text()
        for widget in part.findChildren(QAbstractButton) + part.findChildren(QLabel)
        if widget.isVisible()
        and not widget.visibleRegion().isEmpty()
        and not (isinstance(widget, QLabel) and widget.wordWrap())
        and widget.text()
        and widget.width() < widget.sizeHint().width()
    ]


def cut_legends(window):
    """Legends on screen wider than their plot."""
    cut = []
    for view in window.findChildren(pg.GraphicsView):
        if view.isVisible():
            for item in view.scene().items():
                if isinstance(item, pg.LegendItem) and isinstance(item.parentItem(), pg.PlotItem):
                    if item.width() > item.parentItem().width() + 1:
                        cut.append([label.text for _, label in item.items])
    return cut


@pytest.mark.parametrize("room", [PROJECTOR, LAPTOP], ids=["1024x768", "1366x768"])
def test_f5_hides_the_side_panels_and_every_instrument_fits_the_screen_uncut(qtbot, on_screen_of, app_font, room):
    window = on_screen_of(room)
    window.lessons.dock.show()
    press(qtbot, window, "F5")
    settled(qtbot, window)
    instruments = window.context.instrument_docks
    scales = {}
    assert [d.windowTitle() for d in window.findChildren(QDockWidget) if d.isVisible()] == []
    assert window.centralWidget().width() == window.width()  # the plots have the screen
    for number, dock in enumerate(instruments, start=1):
        press(qtbot, window, f"Ctrl+{number}")
        qtbot.waitUntil(lambda d=dock: on_screen(d))
        settled(qtbot, window)
        name = dock.windowTitle()
        scales[name] = dock.widget().font().pointSizeF() / app_font.pointSizeF()
        assert window.width() <= room.width() and window.height() <= room.height(), name
        assert window.minimumSizeHint().width() <= room.width(), name  # nothing pushes it wider
        assert [d for d in instruments if on_screen(d)] == [dock]
        plots = window.centralWidget()
        if plots.isVisible():  # beside the plots, both get at least what they need
            assert plots.width() >= plots.minimumSizeHint().width(), name
            assert dock.width() >= dock.minimumSizeHint().width(), name
            assert not cut_texts(plots), (name, cut_texts(plots))
        else:  # too wide to be readable beside them: it has the window, until its key brings them back
            assert room == PROJECTOR and dock.width() >= 0.95 * window.width(), name
        assert not cut_texts(dock), (name, cut_texts(dock))
        assert not cut_legends(window), (name, cut_legends(window))
        press(qtbot, window, f"Ctrl+{number}")  # pressed again: the instrument goes, the plots come back
        qtbot.waitUntil(dock.isHidden)
        settled(qtbot, window)
        assert window.centralWidget().isVisible()
    if room == LAPTOP:  # 1366 pixels hold each instrument beside the plots at the full presentation size
        assert scales == pytest.approx(dict.fromkeys(scales, SCALE))


def test_on_a_projector_the_plots_are_readable_the_toolbar_whole_and_legends_wrap(qtbot, on_screen_of):
    window = on_screen_of(PROJECTOR)
    press(qtbot, window, "F5")
    press(qtbot, window, "Ctrl+1")  # the step inspector fits beside the plots
    settled(qtbot, window)
    assert window.centralWidget().isVisible()
    fit_legend = window.fit_plot.legend
    assert fit_legend.columnCount < 4 and fit_legend.width() <= window.fit_plot.plot_item.width()
    toolbar = window.context.get("toolbar.training")
    assert toolbar.sizeHint().width() <= toolbar.width()  # every button on it, none behind »
    loss = window.loss_plot.plot_widget
    assert loss.width() >= window.loss_plot.legend.width() + loss.getPlotItem().getAxis("left").width()
    press(qtbot, window, "F5")
    qtbot.waitUntil(lambda: window.fit_plot.legend.columnCount == 4)


def test_an_instrument_opened_during_the_presentation_is_enlarged_too(qtbot, on_screen_of):
    window = on_screen_of(LAPTOP)
    press(qtbot, window, "F5")
    press(qtbot, window, "Ctrl+2")  # the hidden-unit view is built now, after the switch
    hidden_units = registered(window, "hidden_units")
    qtbot.waitUntil(lambda: on_screen(hidden_units.dock))
    settled(qtbot, window)
    view = hidden_units.dock.widget()
    plot = view.findChild(pg.PlotWidget).getPlotItem()
    assert plot.getAxis("bottom").style["tickFont"].pointSizeF() == pytest.approx(style.AXIS_FONT_POINTS * SCALE)
    captions = [label for label in view.findChildren(QLabel) if label.wordWrap() and label.isVisible()]
    assert captions and all(c.font().pointSizeF() >= CAPTION_POINTS * SCALE - 0.01 for c in captions)
    press(qtbot, window, "F5")
    assert plot.getAxis("bottom").style["tickFont"].pointSizeF() == pytest.approx(style.AXIS_FONT_POINTS)
    assert all(c.font().pointSizeF() <= CAPTION_POINTS + 1 for c in captions)


def test_the_loss_plots_thin_pen_after_a_long_run_is_enlarged_too_and_put_back(qtbot, on_screen_of):
    window = on_screen_of(LAPTOP)
    press(qtbot, window, "F5")
    thick = window.loss_plot.train_curve.opts["pen"].widthF()
    epochs = np.arange(1, style.THICK_LOSS_PEN_MAX_POINTS + 100)
    window.loss_plot.append(epochs, 1 / epochs, np.full(len(epochs), np.nan))  # a long run: the plot thins its pen
    thin = style.train_loss_pen(True).widthF()
    assert thin < thick / LINE_SCALE
    curve = window.loss_plot.train_curve
    qtbot.waitUntil(lambda: curve.opts["pen"].widthF() == pytest.approx(max(thin, 1) * LINE_SCALE))
    press(qtbot, window, "F5")
    assert window.loss_plot.train_curve.opts["pen"].widthF() == pytest.approx(thin)


def test_leaving_the_presentation_puts_the_window_back_within_the_screen(qtbot, on_screen_of):
    window = on_screen_of(PROJECTOR)
    window.lessons.dock.show()
    window.lessons.dock.raise_()
    QApplication.processEvents()
    size = window.size()
    press(qtbot, window, "F5")
    press(qtbot, window, "Ctrl+1")
    settled(qtbot, window)
    press(qtbot, window, "F5")
    qtbot.waitUntil(lambda: window.lessons.dock.isVisible())  # the window as it was, lessons and log
    assert window.log_dock.isVisible() and registered(window, "step_inspector").dock.isHidden()
    QApplication.processEvents()
    assert window.size() == size  # the panels hidden while the fonts changed came back at their normal sizes


def test_closing_during_the_presentation_remembers_the_normal_layout(qtbot, on_screen_of, app_font, monkeypatch):
    window = on_screen_of(PROJECTOR)
    QApplication.processEvents()

    def panels():
        return {dock.windowTitle() for dock in window.findChildren(QDockWidget) if not dock.isHidden()}

    normal = panels()
    saved = []
    monkeypatch.setattr(window.settings, "save_window", lambda *_: saved.append((panels(), QApplication.font())))
    press(qtbot, window, "F5")
    settled(qtbot, window)
    assert panels() == set()
    window.close()
    assert saved == [(normal, app_font)] and {"Training", "Log"} <= normal
