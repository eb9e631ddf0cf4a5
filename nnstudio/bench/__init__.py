"""`nnstudio bench`: how fast nnstudio trains, draws and starts, measured in one run.

    run(quick=False) -> dict      every measurement and every target, JSON-ready
    format_report(result) -> str  the same as a table a person reads

The sections live beside this file: `loops` (training speed, bare loops against the trainer),
`window` (the real window offscreen: its cost, frames drawn at full speed and at the default speed,
event-loop lateness, large data sets, the loss plot's cost per frame at up to a million epochs),
`processes` (start-up time and memory, each in a fresh process), `film` (`nnstudio record` writing a GIF,
in a fresh process) and `report` (targets, table).
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable

from nnstudio.bench.report import evaluate_targets, format_report

__all__ = ["run", "format_report", "machine"]

SCALING_SIZES = (1_000, 10_000, 100_000, 1_000_000)
LARGE_DATA_POINTS = 1_000_000
LOSS_PLOT_EPOCHS = (1_000, 100_000, 1_000_000)
FAST_DEFAULT_PACE = 300  # epochs a second: the default speed of `cubic-overfit` (1,500 epochs), 5 epochs a frame


def machine() -> dict:
    """What the figures were taken on."""
    import os

    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as stream:
            cpu = next(line.split(":", 1)[1].strip() for line in stream if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version(), "numpy": numpy.__version__}
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:
        versions["torch"] = None
    try:
        import PySide6

        versions["pyside6"] = PySide6.__version__
    except ImportError:
        versions["pyside6"] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system(), **versions}


def run(quick: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    """Every measurement; `quick` is a short version (a smoke test), with smaller counts throughout."""
    from nnstudio.bench import film, loops, processes, window

    say = progress or (lambda _: None)
    started = time.perf_counter()
    result: dict = {"quick": quick, "machine": machine()}

    say("start-up time (fresh processes)")
    result["startup"] = processes.startup(repeats=1 if quick else 3)

    say("training speed: bare loops and the trainer, interleaved")
    result["throughput"] = loops.measure_all(
        rounds=2 if quick else 9, seconds_per_turn=0.03 if quick else 0.25, pause=0.01 if quick else 0.15
    )

    say("the window against headless training")
    result["window"] = {
        backend: window.window_vs_headless(
            loops.sine_net().with_training(backend=backend),
            rounds=1 if quick else 5,
            seconds_per_turn=0.1 if quick else 0.6,
        )
        for backend in ("numpy", "torch")
    }

    seconds = 1.0 if quick else 3.0
    say("frames at the default speed and at full speed")
    result["frames"] = {
        "default_sine": window.frames_at_pace(loops.sine_net(), "auto", seconds),  # 20 epochs a second
        "fast_default_sine": window.frames_at_pace(loops.sine_net(), FAST_DEFAULT_PACE, seconds),
        "full_spiral": window.frames_at_pace(loops.spiral_net(), None, seconds),
    }

    say("event-loop lateness while training")
    result["lateness"] = window.lateness_while_training(loops.sine_net(), seconds=0.4 if quick else 4.0)

    say("scaling with the number of points")
    sizes = SCALING_SIZES[:2] if quick else SCALING_SIZES
    result["scaling"] = window.fit_plot_scaling(loops.sine_net(), sizes)

    say("the loss plot: one frame's append and redraw, short to long runs")
    result["loss_plot"] = window.loss_plot_scaling(LOSS_PLOT_EPOCHS[:2] if quick else LOSS_PLOT_EPOCHS)

    if quick:
        result["large_data"] = None
    else:
        say(f"the window on {LARGE_DATA_POINTS:,} points")
        result["large_data"] = window.large_data_in_window(loops.sine_net(), LARGE_DATA_POINTS, seconds=4.0)

    steps = 10_000 if quick else 1_000_000
    say(f"memory over {steps:,} steps (fresh process)")
    result["memory"] = processes.memory(steps)

    say("a film: nnstudio record writes a GIF of the sine run (fresh process)")
    result["film"] = film.record_gif(quick)

    result["seconds"] = time.perf_counter() - started
    result["targets"] = evaluate_targets(result)
    checked = [target["passed"] for target in result["targets"] if target["passed"] is not None]
    result["passed"] = all(checked)
    return result


def progress_to_stderr(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {message}", file=sys.stderr, flush=True)
