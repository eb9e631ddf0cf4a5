"""How fast a run trains (its pace) and how often the window redraws, never at training's expense.

The GUI thread holds Python's GIL while it draws and paints, and the training thread needs
the GIL for every step, so every millisecond spent drawing is a millisecond not spent training.
`RedrawPacer` measures the GUI thread's own CPU time between frames (drawing, painting, layout,
events: everything the thread did) and, while training runs at full speed, spaces the frames so
that this stays under `share` of the time, and ~32 a second at most; the trainer sends its news
as often as that (and keeps making it to ~1/8 of its own time). A frame costs ~4 ms here: 32
frames a second, and training keeps ~87 % of its speed; a slow machine, a big screen or a dear
picture (the spiral's map) gets fewer frames, and training keeps its speed. A run paced for a
class to watch leaves the CPU free, and the window draws every frame that brings news (up to 60
a second).

The pace: epochs a second on a 1-2-3-5 log scale up to full speed (`PACES`), by default the one
at which a run to its target takes 5–10 seconds (`default_pace`); the worker paces the run, by
waiting on the job's cancel token, so Pause is instant at any pace.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque

FRAME_SECONDS = 1 / 60  # a display frame: a paced run sends news at most this often, and each is drawn
# At full speed a few more than 30 frames a second look as smooth, and each costs training (and so does
# the news for it: the trainer sends no more than the window draws). News is drawn as it comes, up to a
# quarter early (frame_drawer.EARLY_NEWS): ~33 frames a second at most.
FULL_SPEED_FRAME_SECONDS = 1 / 32


class RedrawPacer:
    """The time to the next frame, from what the last frames really cost.

    The cost of a frame is the GUI thread's CPU time from one frame to the next (drawing, painting,
    the snapshots' delivery: everything). The mean over the last frames counts, each clipped to
    three times their median: the frames after a run starts also pay for the start (the panels,
    the first paint of every item), and a long run's occasional dear frame (a log flush, a new
    axis range) is counted, but one of them must not halve the frame rate for a second.
    """

    RECENT_FRAMES = 15

    # fastest: a paced run sends news at most 60 times a second, each drawn as it comes (so more than 60 here).
    # share: a frame costs ~4 ms of GUI time at full speed (the spiral's ~5): ~33 frames a second (the cap
    # binds first), and training keeps ~87 % of its speed; the spiral's frames are spaced by the share.
    def __init__(self, fastest_hz: float = 120.0, slowest_hz: float = 4.0, share: float = 0.18) -> None:
        self.shortest = 1.0 / fastest_hz
        self.shortest_at_full_speed = FULL_SPEED_FRAME_SECONDS
        self.longest = 1.0 / slowest_hz
        self.share = share
        self._costs: deque[float] = deque(maxlen=self.RECENT_FRAMES)  # GUI-thread CPU seconds of recent frames
        self._last: float | None = None  # the thread's CPU clock at the previous frame

    @property
    def frame_cost(self) -> float:
        """Seconds of GUI-thread CPU per frame (0 until three frames have been measured)."""
        if len(self._costs) < 3:
            return 0.0
        ceiling = 3 * statistics.median(self._costs)
        return statistics.fmean(min(cost, ceiling) for cost in self._costs)

    def next_interval_ms(self, training: bool) -> int:
        """Call once per frame, after drawing; `training`: does a run use all the CPU it can (else: full rate)."""
        now = time.thread_time()
        if not training:
            self._last = None  # idle time (a dialog, typing) is not the cost of a frame
            return round(1000 * self.shortest)
        if self._last is not None:
            self._costs.append(now - self._last)
        self._last = now
        interval = min(self.longest, max(self.shortest_at_full_speed, self.frame_cost / self.share))
        return round(1000 * interval)


# At full speed the plots move at up to ~30 frames a second, but numbers changing that often cannot be
# read, and each change repaints its widget: the status bar, metrics and timeline change 10 times a
# second; the log (thousands of lines a second) twice.
NUMBERS_SECONDS_AT_FULL_SPEED = 0.1
LOG_SECONDS_AT_FULL_SPEED = 0.5


class ReadableRate:
    """Numbers and text that change too fast to be read at full speed are shown at most every `seconds`
    (each change repaints its widget, and the GUI thread's time is training's time); otherwise at once.

    One is shared by everything that shows the run's numbers (`AppContext.readable_numbers`): asked
    about the same frame, it answers the same, so the status bar and the timeline show the same epoch."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._shown_at = -math.inf
        self._frame: object | None = None  # the frame last asked about, and the answer
        self._answer = True

    def due(self, full_speed: bool, frame: object | None = None) -> bool:
        """Show `frame` now? (If so, the next one at full speed waits `seconds` from now.)"""
        if frame is not None and frame is self._frame:
            return self._answer
        now = time.perf_counter()
        answer = not (full_speed and now - self._shown_at < self.seconds)
        if answer:
            self._shown_at = now
        self._frame, self._answer = frame, answer
        return answer


# --- the pace: how many epochs a second a run trains, so that a class can watch it -----------------

FULL_SPEED = None  # the pace that does not wait: as fast as the machine trains
# A log scale in 1-2-3-5 steps: no step is more than twice the one before, so some step always
# makes a run take between 5 and 10 seconds (`default_pace`).
PACES: tuple[float | None, ...] = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000)
PACES += (FULL_SPEED,)
DEFAULT_RUN_SECONDS = 5.0  # the default pace: the fastest step at which a run to its target lasts this long or more
AUTO, FULL = "auto", "full"  # what the preferences store (or a number of epochs per second)


def default_pace(target_epochs: int) -> float | None:
    """The pace at which a run to `target_epochs` takes 5–10 s: the fastest step not above target / 5 s.

    e.g. sine (100 epochs): 20 epochs/s, 5 s; linear (200): 30/s, 6.7 s; cubic-overfit (1500): 300/s, 5 s.
    A run longer than 10 s at the fastest step (over 100,000 epochs) cannot be watched epoch by epoch:
    full speed."""
    steps = [pace for pace in PACES if pace is not None]
    wanted = target_epochs / DEFAULT_RUN_SECONDS
    if target_epochs > 2 * DEFAULT_RUN_SECONDS * steps[-1]:
        return FULL_SPEED
    return max((pace for pace in steps if pace <= wanted), default=steps[0])


def pace_text(pace: float | None) -> str:
    if pace is None:
        return "full speed"
    return f"{pace / 1000:g}k epochs/s" if pace >= 10_000 else f"{pace:g} epochs/s"


def nearest_step(pace: float | None) -> int:
    """The index in PACES of `pace`, or of the step nearest to it on the log scale."""
    if pace is None:
        return len(PACES) - 1
    steps = PACES[:-1]
    return min(range(len(steps)), key=lambda index: abs(math.log(steps[index] / pace)))


class PaceChoice:
    """The pace the user chose: the default for the run's target (AUTO), full speed (FULL) or a step.

    Qt-free, so that what the keys and the slider do can be said in a few lines and tested alone.
    """

    def __init__(self, choice: str | float = AUTO, target_epochs: int = 100) -> None:
        self.choice: str | float = choice
        self.target_epochs = target_epochs
        self._before_full: str | float = AUTO  # what full speed toggles back to

    @property
    def pace(self) -> float | None:
        """Epochs per second, or FULL_SPEED."""
        if self.choice == AUTO:
            return default_pace(self.target_epochs)
        return FULL_SPEED if self.choice == FULL else float(self.choice)

    @property
    def step(self) -> int:
        return nearest_step(self.pace)

    def choose_step(self, index: int) -> None:
        index = max(0, min(len(PACES) - 1, index))
        self.choose(FULL if PACES[index] is None else PACES[index])

    def slower(self) -> None:
        self.choose_step(self.step - 1)

    def faster(self) -> None:
        self.choose_step(self.step + 1)

    def toggle_full_speed(self) -> None:
        """Full speed; again: back to the pace before."""
        self.choose(self._before_full if self.choice == FULL else FULL)

    def choose(self, choice: str | float) -> None:
        """AUTO, FULL or epochs per second (one of PACES)."""
        if choice == FULL and self.choice != FULL:
            self._before_full = self.choice
        self.choice = choice


def pace_from_text(text: str) -> str | float:
    """A stored choice ("auto", "full" or a number of epochs per second); ValueError if it is none of them."""
    if text in (AUTO, FULL):
        return text
    pace = float(text)
    if not math.isfinite(pace) or pace not in PACES:
        raise ValueError(f"{text!r} is not one of the paces")
    return pace
