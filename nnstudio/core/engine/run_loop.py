"""A run of the trainer: step until a goal is met, yielding frozen snapshots for the window to draw.

Full speed, snapshots go out at most every `snapshot_interval` seconds (less often when making
them costs more); the window passes a function that says how often it draws, so that it gets no
news it would not draw. Paced for a class to watch, the steps are spread evenly and what is new goes out
before each wait. `Trainer.run()` is this function; it is kept apart from the trainer's one step
because its only subject is time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import TYPE_CHECKING

from nnstudio.core.engine.live_changes import LiveChanges, SettingsChange
from nnstudio.core.engine.run_state import (
    DIVERGED,
    FINISHED,
    STOPPED,
    TARGET_REACHED,
    TRAINING,
    CancelToken,
    NewsReceipt,
    Snapshot,
)

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer

PACE_CHECK_SECONDS = 0.1  # a paced run waiting for its next step looks at its pace this often


def run(
    trainer: Trainer,
    until_epoch: int | None = None,
    max_steps: int | None = None,
    stop_below: float | None = None,
    epochs_per_second: float | Callable[[], float | None] | None = None,
    snapshot_interval: float | Callable[[], float] = 1 / 30,
    paced_interval: float = 1 / 60,
    with_parameters: bool = False,
    cancel: CancelToken | None = None,
    live: LiveChanges | None = None,
    news_receipt: NewsReceipt | None = None,
) -> Generator[Snapshot, None, Snapshot]:
    """Train until a goal is met, yielding a snapshot at most every `snapshot_interval` s (a number,
    or a function asked after each snapshot: the window's time between frames).

    Goals: reach `until_epoch`, make `max_steps` steps, or bring the epoch loss below
    `stop_below`; cancelling `cancel` ends it early. `epochs_per_second` (a number, or a function
    asked before every step, so that the window's speed control acts at once; None: full speed)
    paces it for a class to watch: its steps are spread evenly, and before each wait the run
    yields what is new (at most every `paced_interval` s: a display frame), so every epoch
    reaches the window. Waiting wakes at once on `cancel`.
    Settings posted to `live` take effect before the next step; the next snapshot lists them.
    With a `news_receipt`, a run that does not wait sends no news until the last one has been taken.
    The last snapshot yielded says why it ended, and is also the return value.
    """
    cancel = cancel or CancelToken()
    pace = epochs_per_second if callable(epochs_per_second) else lambda: epochs_per_second
    news_interval = snapshot_interval if callable(snapshot_interval) else lambda: snapshot_interval
    start_steps, started = trainer.step_count, time.perf_counter()
    last_yield, last_steps = started, trainer.step_count
    next_step_at = next_news_at = started  # paced: the next step, and the next frame of news (on a grid)
    # Full speed: the news is due on a grid of intervals, so that one sent late (the window held the GIL
    # when it was due) does not put the next one off too: as many news a second as the window draws.
    news_due = started
    last_step_at: float | None = None  # when the last paced step was due
    interval = news_interval()
    status, message = TRAINING, ""
    changed: list[SettingsChange] = []  # since the last snapshot
    while True:
        if live is not None and live.pending:
            change = trainer.change_settings(**live.take())
            if change is not None:
                changed.append(change)
        if trainer.diverged_message:
            status, message = DIVERGED, trainer.diverged_message
        elif cancel.cancelled:
            status, message = STOPPED, f"Paused at epoch {trainer.epoch}."
        elif until_epoch is not None and trainer.epoch >= until_epoch:
            status, message = FINISHED, f"Reached epoch {trainer.epoch}."
        elif max_steps is not None and trainer.step_count - start_steps >= max_steps:
            status, message = FINISHED, f"Made {trainer.step_count - start_steps} step(s)."
        elif stop_below is not None and len(trainer.loss_history) and trainer.loss_history.train[-1] < stop_below:
            status = TARGET_REACHED
            message = f"The loss fell below {stop_below:g} at epoch {trainer.epoch}."
        if status != TRAINING:
            break
        paced = pace()
        if paced:
            now = time.perf_counter()
            step_interval = 1.0 / (paced * trainer.batches_per_epoch())
            if last_step_at is not None:  # one step after the last (at the pace of now: it may have changed)
                next_step_at = last_step_at + step_interval
            if now < next_step_at:  # ahead of the pace: show what is new, then wait for the next step
                if trainer.step_count != last_steps:
                    rate = _rate(trainer.step_count - last_steps, now - last_yield)
                    last_yield, last_steps, news_due = now, trainer.step_count, now
                    next_news_at = max(next_news_at + paced_interval, now)
                    news = trainer.report(
                        TRAINING, steps_per_second=rate, with_parameters=with_parameters, waiting=True
                    )
                    if changed:
                        news, changed = replace(news, settings_changes=tuple(changed)), []
                    yield news
                # Not before the next frame (a fast pace makes several steps a frame); in short
                # slices, so that a new pace applies at once too.
                cancel.wait(min(max(next_step_at, next_news_at) - time.perf_counter(), PACE_CHECK_SECONDS))
                continue
            # A late step (a slow one, a busy machine) may catch up by a frame's worth of steps, no more.
            last_step_at = max(next_step_at, now - paced_interval)
        trainer.step()
        now = time.perf_counter()
        # Paced, the news goes out before each wait (a frame's worth of steps); this is for a pace
        # the machine cannot keep, where the run never waits, and for full speed.
        overdue = max(interval, 2 * paced_interval) if paced else interval
        taken = news_receipt is None or news_receipt.taken
        if taken and now - news_due >= overdue and not (paced and now < last_step_at + step_interval):
            rate = _rate(trainer.step_count - last_steps, now - last_yield)
            snapshot = trainer.report(TRAINING, steps_per_second=rate, with_parameters=with_parameters)
            if changed:
                snapshot, changed = replace(snapshot, settings_changes=tuple(changed)), []
            # Keep drawing-side work to ~1/8 of the time, however big the data is (the interval runs
            # from one snapshot's start to the next, so that the news comes as often as it may).
            interval = max(news_interval(), 8 * (time.perf_counter() - now))
            news_due = max(news_due + overdue, now - interval / 2)  # more than half an interval late: a new grid
            last_yield, last_steps = now, trainer.step_count
            if news_receipt is not None:
                news_receipt.sent()
            yield snapshot
    rate = _rate(trainer.step_count - start_steps, time.perf_counter() - started)
    final = trainer.report(status, message, steps_per_second=rate, with_parameters=with_parameters)
    if changed:
        final = replace(final, settings_changes=tuple(changed))
    yield final
    return final


def _rate(steps: int, seconds: float) -> float:
    """Steps per second (0 when no time has passed on the clock: a coarse one, or a test's)."""
    return steps / seconds if seconds > 0 else 0.0
