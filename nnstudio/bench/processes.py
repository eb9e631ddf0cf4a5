"""Measurements that need a fresh process: start-up time, and memory over a long run.

Start-up is timed from before the child process is spawned to the first paint of its main
window, through the real `nnstudio` entry point, so it includes the interpreter, every
import and building the window. Memory is the child's own resident set, sampled as it trains.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

# Runs `nnstudio --preset sine` as a user would, watching for the main window's first paint and
# for the moment its first trainer is ready; then it quits the way closing the window does.
STARTUP_CHILD = r"""
import json, sys, time
import nnstudio.gui.app as app_module

real_create_application = app_module.create_application
marks = {}
keep = []  # the event filter must outlive this function

def create_and_watch(offscreen=False):
    app = real_create_application(offscreen)
    from PySide6.QtCore import QEvent, QObject, QTimer

    def main_window():
        return next((w for w in app.topLevelWidgets() if w.inherits("QMainWindow")), None)

    def check_ready():
        window = main_window()
        if window is not None and window.session.state is not None and "ready_at" not in marks:
            marks["ready_at"] = time.time()
            marks["torch_imported_when_ready"] = "torch" in sys.modules
            print(json.dumps(marks), flush=True)
            QTimer.singleShot(0, app.quit)

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if "shown_at" not in marks and event.type() == QEvent.Type.Paint and watched.isWidgetType():
                if watched.window().inherits("QMainWindow"):
                    marks["shown_at"] = time.time()
                    marks["torch_imported"] = "torch" in sys.modules
                    poll.start(2)
            return False

    poll = QTimer(app)
    poll.timeout.connect(check_ready)
    keep.append(FirstPaint(app))
    app.installEventFilter(keep[-1])
    return app

app_module.create_application = create_and_watch
from nnstudio.cli import main
code = main(["--preset", "sine"])
sys.exit(code)
"""


def _child_env() -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}


def startup(repeats: int, timeout: float = 60.0) -> dict:
    """Seconds from spawning `nnstudio` to its window's first paint (and to its trainer ready)."""
    shown, ready, torch_seen, codes = [], [], [], []
    for _ in range(repeats):
        started = time.time()
        result = subprocess.run(
            [sys.executable, "-c", STARTUP_CHILD],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_env(),
        )
        codes.append(result.returncode)
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"the start-up child printed nothing: {result.stderr.strip()[-400:]}")
        marks = json.loads(lines[-1])
        shown.append(marks["shown_at"] - started)
        ready.append(marks["ready_at"] - started)
        torch_seen.append(bool(marks["torch_imported"]) or bool(marks["torch_imported_when_ready"]))
    return {
        "window_shown_seconds": statistics.median(shown),
        "trainer_ready_seconds": statistics.median(ready),
        "runs": shown,
        "torch_imported": any(torch_seen),
        "exit_codes": codes,
    }


# --- memory -----------------------------------------------------------------------------------------

MEMORY_CHILD = r"""
import json, sys
from nnstudio.bench.processes import memory_run
print(json.dumps(memory_run(int(sys.argv[1]))), flush=True)
"""


def resident_mb() -> float | None:
    """This process's resident set now, in MB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm") as stream:
            pages = int(stream.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_resident_mb() -> float | None:
    """This process's peak resident set in MB. Linux: VmHWM, which (unlike ru_maxrss) starts afresh
    at exec, so a child does not inherit its parent's peak."""
    try:
        with open("/proc/self/status") as stream:
            line = next(line for line in stream if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024 / 1e6
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6  # bytes on macOS, KiB on Linux


def memory_run(steps: int) -> dict:
    """Train `sine` for `steps` steps as the window does, sampling the resident set (in the child)."""
    from nnstudio.core.engine.presets import preset
    from nnstudio.core.engine.trainer import Trainer

    trainer = Trainer(preset("sine"))
    marks = sorted({max(1, int(steps * share)) for share in (0.01, 0.1, 0.25, 0.5, 0.75, 1.0)})
    samples = [(0, resident_mb())]
    for _ in trainer.run(max_steps=steps, with_parameters=True):
        while marks and trainer.step_count >= marks[0]:
            samples.append((trainer.step_count, resident_mb()))
            marks.pop(0)
    state_bytes = trainer.backend.state().nbytes()
    return {
        "steps": trainer.step_count,
        "rss_mb": samples,
        "peak_rss_mb": peak_resident_mb(),
        "loss_history_epochs": len(trainer.loss_history),
        "loss_history_mb": len(trainer.loss_history) * 3 * 8 / 1e6,  # epoch, train and test loss
        "state_history_states": len(trainer.state_history),
        "state_history_stride": trainer.state_history.stride,
        "state_history_mb": len(trainer.state_history) * state_bytes / 1e6,
    }


def memory(steps: int, timeout: float = 600.0) -> dict:
    """Peak and sampled resident memory of a fresh process training `steps` steps."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(steps)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_child_env(),
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"the memory child failed: {result.stderr.strip()[-400:]}")
    report = json.loads(lines[-1])
    samples = [(step, rss) for step, rss in report["rss_mb"] if rss is not None]
    if len(samples) >= 3:
        # From 10 % of the run to its end: how much more memory, and how much of it is the loss record.
        (early_step, early), (last_step, last) = samples[2], samples[-1]
        report["growth_mb"] = last - early
        report["loss_record_growth_mb"] = (last_step - early_step) * 3 * 8 / 1e6
    return report
