"""How often the window redraws: up to 30 frames a second, but never at training's expense.

The GUI thread holds Python's GIL while it draws and paints, and the training thread needs
the GIL for every step, so every millisecond spent drawing is a millisecond not spent training.
The trainer keeps its snapshots under ~10 % of the time at the source; `RedrawPacer` does the
same at the sink. It measures the GUI thread's own CPU time between frames (drawing, painting,
layout, events: everything the thread did) and, while training runs, spaces the frames so that
this stays under `share` of the time. A fast machine keeps 30 frames a second; a slow one, a big
screen or a very long loss curve gets fewer frames, and training keeps its speed.
"""

from __future__ import annotations

import time


class RedrawPacer:
    """The redraw timer's next interval, from what the last frames really cost."""

    def __init__(self, fastest_hz: float = 30.0, slowest_hz: float = 4.0, share: float = 0.1) -> None:
        self.shortest = 1.0 / fastest_hz
        self.longest = 1.0 / slowest_hz
        self.share = share
        self.frame_cost = 0.0  # seconds of GUI-thread CPU per frame, smoothed
        self._last: float | None = None  # the thread's CPU clock at the previous frame

    def next_interval_ms(self, training: bool) -> int:
        """Call once per frame, after drawing; `training`: is a run going on (else: full rate)."""
        now = time.thread_time()
        if not training:
            self._last = None  # idle time (a dialog, typing) is not the cost of a frame
            return round(1000 * self.shortest)
        if self._last is not None:
            busy = now - self._last
            self.frame_cost = busy if not self.frame_cost else 0.5 * self.frame_cost + 0.5 * busy
        self._last = now
        interval = min(self.longest, max(self.shortest, self.frame_cost / self.share))
        return round(1000 * interval)
