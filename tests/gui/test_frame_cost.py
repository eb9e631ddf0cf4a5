"""What a frame costs while a run trains at full speed: no layout of the window, no painting behind the
plots, no news the window would not draw, no symbols filed again when a view's range changes.

Each is GUI-thread time, and the GUI thread holds Python's GIL while it works: its time is training's.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from nnstudio.core.engine.presets import preset
from nnstudio.gui.steady_label import SteadyLabel
from tests.gui.driving import registered, wait_idle


class EventCounter(QObject):
    """Counts the events of some types that reach one object."""

    def __init__(self, watched: QObject, *types: QEvent.Type) -> None:
        super().__init__()
        self.types, self.count = types, 0
        watched.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in self.types:
            self.count += 1
        return False


def frames_while_training(qtbot, window, count: int) -> None:
    """Train at full speed until `count` more frames have been drawn, then pause."""
    drawn = []
    window.frame_ready.connect(lambda _: drawn.append(1))
    window.run_to(10_000_000)
    qtbot.waitUntil(lambda: len(drawn) >= count, timeout=30000)
    window.play_pause()
    wait_idle(qtbot, window)


def test_frames_while_training_do_not_lay_the_window_out(qtbot, make_window):
    window = make_window(preset("sine"))
    frames_while_training(qtbot, window, 5)  # the run's start: the panels, the toolbar say "training"
    layouts = EventCounter(window, QEvent.Type.LayoutRequest)
    frames_while_training(qtbot, window, 40)  # the epoch, loss, speed and metrics change in every one
    # Before: a label's new text made the main window lay out every dock and toolbar again, each frame.
    # What is left: the start and the end of the run (the panels are disabled and enabled again).
    assert layouts.count <= 4


def test_a_label_for_numbers_grows_with_its_text_and_does_not_shrink_until_its_font_changes(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    layout = QHBoxLayout(holder)
    label = SteadyLabel("epoch 10")
    layout.addWidget(label)
    layout.addWidget(QLabel("beside it"))
    holder.show()
    qtbot.waitExposed(holder)
    layouts = EventCounter(holder, QEvent.Type.LayoutRequest)
    narrow = label.width()
    for epoch in range(11, 100):
        label.setText(f"epoch {epoch}")  # the same width of text: the label repaints, nothing is laid out
        qtbot.wait(0)
    assert layouts.count <= 2 and label.width() >= narrow  # (a font whose digits differ in width: a little growth)
    label.setText("epoch 100000 (step 100000)")
    qtbot.waitUntil(lambda: label.width() > narrow)  # a longer text gets its room
    wide = label.width()
    label.setText("epoch 1")
    qtbot.wait(10)
    assert label.width() == wide and label.text() == "epoch 1"  # no jitter back and forth as numbers change
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)  # presentation mode's larger type: measured afresh
    qtbot.waitUntil(lambda: label.height() > label.fontMetrics().height() * 0.9 and label.width() < wide * 2)
    assert label.minimumSize() == label.maximumSize()
    label.setText("numpy")
    label.setContentsMargins(6, 0, 6, 0)  # margins set after the text (as the status bar does): room for both
    assert label.width() >= label.fontMetrics().horizontalAdvance("numpy") + 12


def test_the_status_bar_shows_its_fields_whole(make_window):
    window = make_window(preset("sine"))
    for label in (window.status.epoch_label, window.status.loss_label, window.status.speed_label):
        assert label.width() >= label.sizeHint().width()  # not "loss" for "loss –", "nump" for "numpy"
    assert window.status.backend_label.width() >= window.status.backend_label.sizeHint().width()


def test_the_plots_paint_every_pixel_of_their_views_themselves(make_window):
    """Opaque views: Qt need not paint the window and the splitter behind them first, at every frame."""
    window = make_window(preset("sine"))
    for plot in (window.fit_plot, window.loss_plot):
        viewport = plot.plot_widget.viewport()
        assert viewport.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        assert plot.plot_widget.backgroundBrush().isOpaque()


def test_the_trainer_sends_about_one_snapshot_per_frame_drawn(qtbot, make_window):
    window = make_window(preset("sine"))
    news = []
    window.session.snapshot_ready.connect(lambda snapshot: news.append(snapshot.epoch))
    drawn = []
    window.frame_ready.connect(lambda snapshot: drawn.append(snapshot.epoch))
    frames_while_training(qtbot, window, 30)
    # News comes as often as frames are drawn, and not before the window has taken the last: at most
    # a few more snapshots than frames, where a fixed 30 a second once sent half again as many.
    assert len(news) <= 1.25 * len(drawn) + 3


def test_a_window_busy_for_a_moment_gets_one_snapshot_after_it_not_a_queue(qtbot, make_window):
    """The trainer sends no news until the window has taken the last: a busy GUI thread (a first paint
    on a slow machine, here half a second asleep) does not find a queue of snapshots when it is free."""
    window = make_window(preset("sine"))
    events = []

    def on_frame(_) -> None:
        events.append("frame")
        if events.count("frame") == 3:
            time.sleep(0.5)
            events.append("busy")

    window.frame_ready.connect(on_frame)
    window.session.snapshot_ready.connect(lambda _: events.append("news"))
    frames_while_training(qtbot, window, 6)
    after = events[events.index("busy") + 1 :]
    # The news drawn in the busy frame, and at most a frame's worth more (a fixed grid sent ~16).
    assert after[: after.index("frame")].count("news") <= 4


def test_a_new_range_of_the_fit_plot_does_not_file_its_points_again(make_window, monkeypatch):
    window = make_window(preset("sine").with_data(n_points=5000))
    filed = []
    scatter = window.fit_plot.train_points.scatter
    real_set_data = scatter.setData
    monkeypatch.setattr(scatter, "setData", lambda *a, **k: (filed.append(1), real_set_data(*a, **k))[1])
    window.fit_plot.plot_item.setYRange(-50, 50)
    window.fit_plot.plot_item.setXRange(-20, 20)
    window.fit_plot.auto_range()
    assert filed == []  # pyqtgraph filed every symbol again at each new range: ~35 ms at 10,000 points
    x, _ = window.fit_plot.train_points.getData()
    assert len(x) == 5000  # still every point (no more than MAX_DRAWN_POINTS: none thinned out)


def test_at_full_speed_the_status_bar_and_the_timeline_show_the_same_epoch(qtbot, make_window):
    """Both change 10 times a second: on the same frames (they showed epochs 360,624 and 357,062 side by side)."""
    window = make_window(preset("sine"))
    timeline = registered(window, "timeline")
    pairs = []

    def look() -> None:
        shown_by_status = window.status.epoch_label.text().split()[1]
        shown_by_timeline = timeline.epoch_label.text().split()[1]
        pairs.append((shown_by_status, shown_by_timeline))

    window.frame_ready.connect(lambda _: QTimer.singleShot(0, look))  # once the frame is drawn
    frames_while_training(qtbot, window, 40)
    assert len(pairs) >= 40 and all(status == timeline for status, timeline in pairs)
