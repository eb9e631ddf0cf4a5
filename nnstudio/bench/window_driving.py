"""Driving the real main window offscreen for the benchmarks: open, train, wait, count paints, probe lateness.

The event loop runs for real (`QEventLoop.exec`), so the worker thread, the redraw timer and the
painting run as they do for a user. Qt is imported inside the functions, so importing this module
does not load it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.trainer import TRAINING

WINDOW_SIZE = (1280, 800)
PROBE_INTERVAL_MS = 10


def application():
    from PySide6.QtCore import qInstallMessageHandler

    from nnstudio.gui.app import create_application

    app = create_application(offscreen=True)
    qInstallMessageHandler(_quiet_offscreen_messages)
    return app


def _quiet_offscreen_messages(kind, context, message: str) -> None:
    """Qt's offscreen platform says it cannot propagate size hints every time a window is shown:
    true and harmless here. Anything else Qt says still goes to stderr."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# --- driving the window --------------------------------------------------------------------------


def open_window(experiment: Experiment, timeout: float = 120.0, pace: str | float | None = None):
    """The real main window, shown offscreen, once its first trainer is ready; training at `pace`
    (epochs a second; None: full speed; "auto": the default for the target)."""
    from nnstudio.gui.app import freeze_built_objects, leave_a_core_for_the_window
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(experiment)
    window.controls.pace.choose(pace)
    window.resize(*WINDOW_SIZE)
    window.show()
    spin_until(lambda: window.state is not None and not window.session.is_running, timeout)
    if window.state is None:
        raise RuntimeError("the window did not load its experiment in time")
    freeze_built_objects()  # as the app does once its window is up
    leave_a_core_for_the_window()
    return window


def close_window(window) -> None:
    window.close()
    window.deleteLater()
    spin_for(0.05)


def shown_plot(plot, width: int, height: int):
    """A plot widget shown offscreen at a fixed size and painted once; its viewport, to repaint and time."""
    plot.resize(width, height)
    plot.show()
    spin_for(0.05)
    return plot.plot_widget.viewport()


def spin_until(condition: Callable[[], bool], timeout: float, poll_ms: int = 5) -> bool:
    """Run the Qt event loop (really: exec) until `condition()` holds or `timeout` seconds pass."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if condition() else None)
    poll.start(poll_ms)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    loop.exec()
    poll.stop()
    return condition()


def spin_for(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def run_window_until_paused(window, target_epoch: int, timeout: float) -> float:
    """Train to `target_epoch` as Run-to-epoch does; seconds until the session says it stopped.

    The loop waits on the session's own state signal (no polling), so the event loop does
    only what it does for a user: deliver snapshots, redraw at 30 Hz, paint.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()

    def on_state(state) -> None:
        if state.status != TRAINING:
            loop.quit()

    window.session.state_changed.connect(on_state)
    started = time.perf_counter()
    window.run_to(target_epoch)
    if window.session.is_running:
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
    elapsed = time.perf_counter() - started
    window.session.state_changed.disconnect(on_state)
    return elapsed


class PaintCounter:
    """Counts paint events of a widget (proof that the offscreen window really draws)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        widget.installEventFilter(self._filter)


class LatenessProbe:
    """A 10 ms single-shot timer, re-armed on every shot: how late does the event loop serve it?"""

    def __init__(self, interval_ms: int = PROBE_INTERVAL_MS) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_ms = interval_ms
        self.lateness: list[float] = []  # seconds past the deadline
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_shot)
        self._armed_at = 0.0

    def start(self) -> None:
        self._armed_at = time.perf_counter()
        self._timer.start(self.interval_ms)

    def stop(self) -> None:
        self._timer.stop()

    def _on_shot(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._armed_at - self.interval_ms / 1000))
        self._armed_at = time.perf_counter()
        self._timer.start(self.interval_ms)

    def summary(self) -> dict:
        ms = [1000 * value for value in self.lateness]
        return {
            "p50_ms": percentile(ms, 50),
            "p99_ms": percentile(ms, 99),
            "max_ms": max(ms) if ms else float("nan"),
            "samples": len(ms),
        }
