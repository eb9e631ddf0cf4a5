"""How long a film takes: `nnstudio record` timed in a fresh process, as a teacher runs it before a class.

The figure is the whole command: start-up, training the run, painting every frame offscreen and writing the
GIF. Its target: a 10-second, 30 frames-a-second GIF at 960×600 of the `sine` run within ~20 s on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILM = {"seconds": 10, "fps": 30, "size": "960x600"}
QUICK_FILM = {"seconds": 2, "fps": 5, "size": "320x200"}


def record_gif(quick: bool = False, timeout: float = 300.0) -> dict:
    """Seconds for `nnstudio record --preset sine` to write its GIF, and what it wrote."""
    film = QUICK_FILM if quick else FILM
    with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as folder:
        path = Path(folder) / "run.gif"
        command = [sys.executable, "-m", "nnstudio", "record", "--preset", "sine", "-o", str(path), "--json"]
        for option, value in film.items():
            command += [f"--{option}", str(value)]
        started = time.perf_counter()
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"nnstudio record failed: {result.stderr.strip()[-400:]}")
        written = json.loads(result.stdout.strip().splitlines()[-1])
        size_mb = path.stat().st_size / 1e6
    return {**film, "seconds_taken": seconds, "frames": written["frames"], "file_mb": size_mb, "quick": quick}
