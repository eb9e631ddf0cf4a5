"""Presentation mode: bigger fonts, thicker lines, fewer panels, and back exactly as it was."""

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QToolBar

from nnstudio.core.engine.presets import preset
from nnstudio.gui import style
from nnstudio.gui.instruments.presentation import LINE_SCALE, SCALE
from nnstudio.gui.steady_label import SteadyLabel
from tests.gui.driving import registered
from tests.gui.image_checks import pixels_near, rendered_pixels


@pytest.fixture
def make_presenting_window(make_window):
    """A window on a screen of `screen` size (the offscreen platform's is 800×800, smaller than the window)."""

    def make(experiment=None, screen=(1280, 800)):
        window = make_window(experiment or preset("sine"))
        window.resize(min(window.width(), screen[0]), min(window.height(), screen[1]))
        registered(window, "presentation").screen_room = lambda: QSize(*screen)
        return window

    return make


def looks(window):
    """What presentation mode changes, as plain values."""
    fit, loss = window.fit_plot.plot_item, window.loss_plot.plot_item
    return {
        "app font": QApplication.font().pointSizeF(),
        "log font": window.log_panel.text.font().pointSizeF(),
        "tick font": fit.getAxis("bottom").style["tickFont"].pointSizeF(),
        "axis label": fit.getAxis("left").labelStyle["font-size"],
        "legend": window.fit_plot.legend.labelTextSize(),
        "legend width": round(window.fit_plot.legend.boundingRect().width(), 3),
        "prediction pen": window.fit_plot.prediction_curve.opts["pen"].widthF(),
        "loss pen": window.loss_plot.train_curve.opts["pen"].widthF(),
        "point size": window.fit_plot.train_points.opts["symbolSize"],
        "metrics width": window.loss_plot.metrics_table.width(),
        "title row": loss.titleLabel.maximumHeight(),
        "docks": {
            d.windowTitle(): d.isVisible()
            for d in (window.data_dock, window.model_dock, window.training_dock, window.log_dock, window.lessons.dock)
        },
        "toolbar icons": window.findChild(QToolBar, "training_toolbar").iconSize().width(),
    }


def test_presentation_mode_enlarges_everything_and_restores_it_exactly(qtbot, make_presenting_window, app_font):
    window = make_presenting_window()
    window.run_to(40)
    qtbot.waitUntil(lambda: not window.session.is_running, timeout=20000)
    window.redraw()
    window.data_dock.raise_()
    qtbot.waitUntil(window.data_dock.isVisible)
    before = looks(window)
    green_before = pixels_near(rendered_pixels(window.fit_plot), style.PREDICTION_COLOUR)

    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert registered(window, "presentation").active and registered(window, "presentation").action.isChecked()
    during = looks(window)
    assert during["app font"] == pytest.approx(before["app font"] * SCALE)
    assert during["log font"] == pytest.approx(before["log font"] * SCALE)
    assert during["tick font"] == pytest.approx(style.AXIS_FONT_POINTS * SCALE)
    assert during["axis label"] == f"{(style.AXIS_FONT_POINTS + 1) * SCALE:g}pt"
    assert during["legend"] == f"{style.AXIS_FONT_POINTS * SCALE:g}pt"
    assert during["legend width"] > 1.2 * before["legend width"]
    assert during["prediction pen"] == pytest.approx(before["prediction pen"] * LINE_SCALE)
    assert during["loss pen"] == pytest.approx(before["loss pen"] * LINE_SCALE)
    assert during["point size"] == pytest.approx(before["point size"] * SCALE)
    assert during["title row"] == pytest.approx(before["title row"] * SCALE)
    qtbot.waitUntil(lambda: window.loss_plot.metrics_table.width() == round(before["metrics width"] * SCALE))
    assert during["docks"] == dict.fromkeys(("Data", "Model", "Training", "Log", "Lessons"), False)
    assert during["toolbar icons"] > before["toolbar icons"]
    # the thicker prediction line covers more pixels of its colour
    assert pixels_near(rendered_pixels(window.fit_plot), style.PREDICTION_COLOUR) > 1.3 * green_before

    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not registered(window, "presentation").active and not registered(window, "presentation").action.isChecked()
    qtbot.waitUntil(lambda: window.loss_plot.metrics_table.width() == before["metrics width"])
    assert looks(window) == before
    assert QApplication.font() == app_font


def test_panels_opened_during_the_presentation_are_put_back_too(qtbot, make_presenting_window, app_font):
    window = make_presenting_window()
    QApplication.processEvents()  # let the first layout settle (no waiting: only what is queued)
    state = window.saveState()
    registered(window, "presentation").set_active(True)
    window.log_dock.show()  # the teacher shows the log for a moment
    registered(window, "presentation").set_active(False)
    qtbot.waitUntil(lambda: window.saveState() == state)  # docks, their sizes and the toolbar
    assert not window.log_dock.isHidden()
    assert QApplication.font() == app_font


def test_f11_toggles_full_screen_and_leaving_presentation_leaves_it(qtbot, make_presenting_window, app_font):
    window = make_presenting_window()
    assert not window.isFullScreen()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    assert registered(window, "presentation").full_screen_action.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    registered(window, "presentation").set_active(True)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    registered(window, "presentation").set_active(False)  # back exactly as before the presentation: not full screen
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not registered(window, "presentation").full_screen_action.isChecked()


def test_the_view_menu_actions_have_tooltips_and_free_shortcuts(qtbot, make_presenting_window, app_font):
    window = make_presenting_window()
    presentation = registered(window, "presentation")
    for action, key in ((presentation.action, "F5"), (presentation.full_screen_action, "F11")):
        assert action in window.context.menu("menu.view").actions()
        assert action.shortcut().toString() == key and len(action.toolTip()) > 20
    shortcuts = [a.shortcut().toString() for a in window.findChildren(type(presentation.action)) if a.shortcut()]
    taken = [key for key in shortcuts if key]
    assert len(taken) == len(set(taken)), f"two actions share a shortcut: {sorted(taken)}"


def test_the_step_inspector_fits_beside_the_plots_in_presentation_mode(qtbot, make_presenting_window, app_font):
    window = make_presenting_window()
    width = window.width()
    registered(window, "presentation").set_active(True)
    with qtbot.waitSignal(registered(window, "step_inspector").shown, timeout=30000):
        registered(window, "step_inspector").inspect_step()
    qtbot.waitUntil(lambda: not window.session.is_running, timeout=20000)
    panel = registered(window, "step_inspector").panel
    assert panel.font().pointSizeF() == pytest.approx(app_font.pointSizeF() * SCALE)
    # long lines wrap (the diagnostics break between items), so the panel never widens the window
    assert panel.diagnostics_label.minimumSizeHint().width() < 0.3 * width
    assert window.width() == width
    assert window.centralWidget().width() >= window.centralWidget().minimumSizeHint().width()
    registered(window, "presentation").set_active(False)


def test_numbers_that_hold_their_room_are_measured_afresh_in_presentation_mode(qtbot, make_presenting_window, app_font):
    """The status bar's fields and the metrics caption keep a fixed size while training (gui/steady_label.py):
    in larger type they must be measured again, or "original units" and "numpy" are cut off."""
    window = make_presenting_window(preset("linear"), screen=(1024, 768))
    caption, status = window.loss_plot.metrics.caption, window.status
    window.run_to(200)  # "epoch 200  (step 200)", "loss 3.04190 (standardised units)": the longest texts
    qtbot.waitUntil(lambda: not window.session.is_running, timeout=20000)
    window.redraw()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    for label in (caption, status.epoch_label, status.loss_label, status.speed_label, status.backend_label):
        qtbot.waitUntil(lambda label=label: label.height() >= label.heightForWidth(label.width()))
        qtbot.waitUntil(lambda label=label: label.width() >= label.sizeHint().width() or label.wordWrap())
    assert caption.height() > 1.5 * caption.fontMetrics().height()  # "epoch 200 (now) · original units": two lines
    # The large type leaves no room for every field and a message ("Reached epoch 200." was "Rea"): the speed
    # gives way, and the fields shown leave room for 24 characters of message.
    window.resize(1024, 740)
    qtbot.waitUntil(lambda: not status.speed_label.isVisible())
    shown = [label for label in status.findChildren(SteadyLabel) if label.isVisible()]
    room = status.width() - sum(label.width() for label in shown)
    assert room >= status.fontMetrics().horizontalAdvance("Reached epoch 200.")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: caption.height() < 1.5 * caption.fontMetrics().height())  # one line again
    qtbot.waitUntil(status.speed_label.isVisible)  # back in ordinary type: every field
