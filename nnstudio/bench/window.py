"""The window under load: its cost to training, the event loop's lateness, and large data sets.

Everything here runs the real `MainWindow` offscreen in this process, driven through its own
controls (`run_to`, `play_pause`) and a real `QEventLoop` (bench/window_driving.py), so the worker
thread, the 30 Hz redraw timer and the painting all run as they do for a user.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from nnstudio.bench.window_driving import (
    LatenessProbe,
    PaintCounter,
    application,
    close_window,
    open_window,
    run_window_until_paused,
    shown_plot,
    spin_for,
    spin_until,
)
from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.trainer import TRAINING, Trainer

# --- the measurements ----------------------------------------------------------------------------


def window_vs_headless(experiment: Experiment, rounds: int, seconds_per_turn: float) -> dict:
    """Steps/s training in the window (live plots, 30 Hz redraw) and headless, taking turns."""
    application()
    window = open_window(experiment)
    frames, all_frames = [], []  # frames drawn in the measured turns; in every turn, the warm-up included
    window.frame_ready.connect(lambda _: (frames.append(1), all_frames.append(1)))
    paints = PaintCounter(window.fit_plot.plot_widget.viewport())
    loss_paints = PaintCounter(window.loss_plot.plot_widget.viewport())
    headless = Trainer(experiment)
    goals = {"with_parameters": True}  # what the window asks for (AppContext.goals)

    def headless_turn(steps: int) -> float:
        started = time.perf_counter()
        for _ in headless.run(until_epoch=headless.epoch + steps, **goals):
            pass
        return steps / (time.perf_counter() - started)

    def window_turn(steps: int) -> float:
        before = window.state.step
        elapsed = run_window_until_paused(window, window.state.epoch + steps, timeout=60 * seconds_per_turn + 30)
        return (window.state.step - before) / elapsed

    # Full batch: one step is one epoch. Calibrate the turn length on the headless trainer.
    rate = headless_turn(50)
    rate = headless_turn(max(50, int(rate * seconds_per_turn / 4)))
    steps = max(20, int(rate * seconds_per_turn))
    # Warm-up, half a second of training: the first paint of every item, the worker pool's thread, and
    # a run's first moments, in which the epochs grow a hundredfold and the loss plot rescales its view
    # 4 times a second (frames are dearer then: ~30 a second instead of ~34).
    window_turn(max(20, steps * 5 // 6))
    frames.clear()  # frames are counted during the window's measured turns only
    loss_paints_in_warm_up, loss_paints.count = loss_paints.count, 0
    samples = {"headless": [], "window": []}
    for round_ in range(rounds):
        turns = (("headless", headless_turn), ("window", window_turn))
        for name, turn in turns if round_ % 2 == 0 else reversed(turns):
            samples[name].append(turn(steps))
    seconds = sum(steps / rate for rate in samples["window"])
    result = {
        "backend": experiment.training.backend,
        "headless": statistics.median(samples["headless"]),
        "window": statistics.median(samples["window"]),
        "ratios": [w / h for w, h in zip(samples["window"], samples["headless"], strict=True)],
        "steps_per_turn": steps,
        "samples": samples,
        "frames_per_second": len(frames) / seconds if seconds else 0.0,
        "frames_drawn": len(all_frames),
        "loss_plot_paints_per_second": loss_paints.count / seconds if seconds else 0.0,
        "loss_plot_paints": loss_paints_in_warm_up + loss_paints.count,
        "fit_plot_paints": paints.count,
    }
    result["ratio"] = statistics.median(result["ratios"])
    close_window(window)
    return result


def frames_at_pace(experiment: Experiment, pace: str | float | None, seconds: float) -> dict:
    """The window training at `pace` (epochs a second, "auto" or None: full speed): frames drawn a
    second, the news the session delivered, and how many of the epochs got a frame of their own."""
    application()
    window = open_window(experiment, pace=pace)
    frames, news = [], []  # the epoch each frame shows; the snapshots that brought new epochs
    window.frame_ready.connect(lambda snapshot: frames.append(snapshot.epoch))
    window.session.snapshot_ready.connect(lambda s: news.append(1) if s.status == TRAINING and len(s.new_epochs) else 0)
    window.run_to(10_000_000)
    spin_for(0.5)  # the first frames: every item's first paint, the worker's first steps, a run's first moments
    frames.clear()
    news.clear()
    started = time.perf_counter()
    spin_for(seconds)
    elapsed = time.perf_counter() - started
    drawn, delivered = list(frames), len(news)
    window.play_pause()
    spin_until(lambda: not window.session.is_running, 30)
    close_window(window)
    epochs = range(drawn[0] + 1, drawn[-1] + 1) if len(drawn) > 1 else range(0)
    own_frame = len(set(drawn) & set(epochs))
    return {
        "pace": window.controls.pace.pace,
        "frames_per_second": len(drawn) / elapsed,
        "news_per_second": delivered / elapsed,
        "news_drawn": len(drawn) / delivered if delivered else 0.0,  # frames drawn ÷ news delivered
        "epochs": len(epochs),
        "epochs_with_a_frame": own_frame / len(epochs) if len(epochs) else 0.0,  # each epoch seen on its own
    }


def lateness_while_training(experiment: Experiment, seconds: float) -> dict:
    """A 10 ms timer's lateness while the window trains at full speed; and with the window idle."""
    application()
    window = open_window(experiment)
    idle = LatenessProbe()
    idle.start()
    spin_for(min(0.5, seconds / 4))
    idle.stop()
    busy = LatenessProbe()
    window.run_to(10_000_000)
    busy.start()
    spin_for(seconds)
    busy.stop()
    window.play_pause()  # pause
    spin_until(lambda: not window.session.is_running, 30)
    steps = window.state.step
    result = {**busy.summary(), "idle": idle.summary(), "steps_meanwhile": steps}
    close_window(window)
    return result


def fit_plot_scaling(experiment: Experiment, sizes: tuple[int, ...], frames: int = 5) -> list[dict]:
    """Per data size: time per epoch (numpy backend), and the fit plot's cost to show the data and redraw."""
    application()
    from nnstudio.gui.plots.fit_plot import FitPlot

    plot = FitPlot()
    viewport = shown_plot(plot, 900, 560)
    rows = []
    for points in sizes:
        trainer = Trainer(experiment.with_data(n_points=points))
        trainer.step()  # the first step also allocates the optimiser's memory
        epochs = [_timed(trainer.step) for _ in range(2 if points >= 1_000_000 else 3)]
        started = time.perf_counter()
        plot.set_dataset(trainer.dataset)
        viewport.repaint()
        show_data = time.perf_counter() - started
        prediction = trainer.prediction_on_grid()
        redraws = []
        for frame in range(frames):
            started = time.perf_counter()
            plot.set_prediction(prediction * (1 + 0.01 * frame))
            viewport.repaint()
            redraws.append(time.perf_counter() - started)
        drawn, _ = plot.train_points.getData()
        rows.append(
            {
                "points": points,
                "epoch_ms": 1000 * statistics.median(epochs),
                "show_data_ms": 1000 * show_data,
                "redraw_ms": 1000 * statistics.median(redraws),
                "points_drawn": 0 if drawn is None else len(drawn),
            }
        )
        del trainer
    close_window(plot)
    return rows


def loss_plot_scaling(sizes: tuple[int, ...], frames: int = 15, new_epochs: int = 10) -> list[dict]:
    """Per history length: the GUI thread's CPU time to append one frame's epochs to the loss plot
    and to repaint it (CPU time, not wall time: other processes on the machine do not count)."""
    application()
    from nnstudio.gui.plots.loss_plot import LossPlot

    plot = LossPlot()
    viewport = shown_plot(plot, 900, 320)
    noise = np.random.default_rng(0)
    rows = []
    for epochs in sizes:
        plot.clear()
        x = np.arange(1.0, epochs + 1.0)
        plot.append(x, 100 * np.exp(-x / (epochs / 5)) + 0.5 + 0.1 * noise.random(epochs), np.full(epochs, np.nan))
        viewport.repaint()
        appends, paints = [], []
        for frame in range(frames):
            first = epochs + 1 + frame * new_epochs
            new = np.arange(first, first + new_epochs, dtype=np.float64)
            started = time.thread_time()
            plot.append(new, 0.5 + 0.1 * noise.random(new_epochs), np.full(new_epochs, np.nan))
            appended = time.thread_time()
            viewport.repaint()
            appends.append(appended - started)
            paints.append(time.thread_time() - appended)
        drawn, _ = plot.drawn_points()
        append_ms, redraw_ms = 1000 * statistics.median(appends), 1000 * statistics.median(paints)
        rows.append(
            {
                "epochs": epochs,
                "append_ms": append_ms,
                "redraw_ms": redraw_ms,
                "frame_ms": append_ms + redraw_ms,
                "points_drawn": len(drawn),
            }
        )
    close_window(plot)
    return rows


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def large_data_in_window(experiment: Experiment, points: int, seconds: float) -> dict:
    """The window on `experiment`, then its data set to `points` points as a user would: the 10 ms
    timer's lateness while the new data loads and while it trains, and how long Pause takes."""
    application()
    window = open_window(experiment)
    probe = LatenessProbe()
    probe.start()
    spin_for(0.2)
    probe.lateness.clear()
    started = time.perf_counter()
    window.data_panel.spec_changed.emit(replace(window.experiment.data, n_points=points))
    loaded = spin_until(lambda: window.state.dataset.n_train == points and not window.session.is_running, 120)
    load_seconds = time.perf_counter() - started
    loading = probe.summary()
    probe.lateness.clear()
    window.run_to(10_000_000)
    spin_for(seconds)
    training = probe.summary()
    epochs = window.frame.epoch if window.frame is not None else 0  # the run goes on: its last frame
    pause_asked = time.perf_counter()
    window.play_pause()
    spin_until(lambda: not window.session.is_running, 120)
    pause_delay = time.perf_counter() - pause_asked
    probe.stop()
    drawn, _ = window.fit_plot.train_points.getData()
    close_window(window)
    return {
        "points": points,
        "loaded": loaded,
        "load_seconds": load_seconds,
        "loading": loading,
        "training": training,
        "epochs_meanwhile": epochs,
        "pause_seconds": pause_delay,
        "points_drawn": 0 if drawn is None else len(drawn),
        "p99_ms": max(loading["p99_ms"], training["p99_ms"]),
    }
