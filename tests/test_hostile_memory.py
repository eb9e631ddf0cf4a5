"""No file the app reads makes it use more than ~1 GB, or hold the caller for long, before it is refused.

Each hostile file of every kind the window opens (saved runs, experiment files, lessons) is read in a
fresh process with the reader the window calls, one after the other: the process reports how long each
read took and its peak memory. Before the caps, a 60 kB dotted key took 3.5 GB and ~30 s, a 108 kB zip
bomb 4.1 GB and 15 s. (CSV files have their own test, with the import dialog's worker:
tests/gui/test_csv_import_dialog.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.storage.archive import archive_bytes, capture
from tests.archive_crafting import npy, npz_bomb, with_arrays, with_members
from tests.portability import PEAK_MEGABYTES, posix_only

READ_EACH = PEAK_MEGABYTES + textwrap.dedent(
    """
    import resource, sys, time
    from nnstudio.core.errors import NNStudioError
    from nnstudio.core.storage.archive import read_experiment_file
    from nnstudio.core.teaching.lessons import load_lesson

    for path in sys.argv[1:]:
        read = load_lesson if path.endswith(".lesson.toml") or path == "/dev/zero" else read_experiment_file
        start = time.perf_counter()
        try:
            read(path)
            outcome = "read"
        except (NNStudioError, MemoryError) as error:
            outcome = "refused: " + str(error).splitlines()[0]
        print(f"{time.perf_counter() - start:.3f} s {path}: {outcome}", flush=True)
    print(f"peak {peak_megabytes():.0f} MB")
    """
)

DOTTED_KEY = (".".join(["a"] * 30_000) + " = 1\n").encode()  # 60 kB: tomllib's memory grows with its square
DEEP = b"a = " + b"[" * 50_000 + b"]" * 50_000


def hostile_files(folder) -> list[str]:
    trainer = Trainer(preset("sine"))
    for _ in trainer.run(until_epoch=3):
        pass
    run = archive_bytes(capture(trainer))
    crafted = {
        "bomb.nnstudio": with_members(run, arrays_npz=npz_bomb("loss_history/train", 512 * 2**20)),
        "shape.nnstudio": with_arrays(run, loss_history__train=npy(np.zeros(3), shape=(10**12,))),
        "dotted-run.nnstudio": with_members(run, run_toml=DOTTED_KEY),
        "dotted-experiment.nnstudio": with_members(run, experiment_toml=DOTTED_KEY),
        "deep-run.nnstudio": with_members(run, run_toml=DEEP),
        "dotted.toml": DOTTED_KEY,
        "huge.toml": b"# " + b"x" * (64 * 2**20),
        "dotted.lesson.toml": DOTTED_KEY,
        "deep.lesson.toml": DEEP,
        "huge.lesson.toml": b"title = '" + b"x" * (64 * 2**20) + b"'",
    }
    paths = []
    for name, data in crafted.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def read_in_a_fresh_process(paths: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", READ_EACH, *paths], capture_output=True, text=True, timeout=600, env=os.environ.copy()
    )
    print(result.stdout)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


def test_no_hostile_file_costs_a_gigabyte_or_holds_the_reader(tmp_path):
    paths = hostile_files(tmp_path)
    reports = read_in_a_fresh_process(paths)
    assert len(reports) == len(paths) + 1
    for report in reports[:-1]:
        assert ": refused: " in report, report
        # Measured 0.00–0.05 s each on a loaded 2-core machine (the uncapped readers took 15–44 s); the bound
        # is generous so that a busy machine cannot make it flake, and still far below any freeze.
        assert float(report.split(" s ")[0]) < 1.0, report
    assert float(reports[-1].split()[1]) < 1024, reports[-1]


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "fifo"])
def test_a_device_or_a_pipe_is_refused_without_reading_it(tmp_path, device):
    if device == "fifo":
        device = str(tmp_path / "lesson.fifo.lesson.toml")
        os.mkfifo(device)
    (report, peak) = read_in_a_fresh_process([device])
    assert ": refused: " in report and "regular file" in report, report
    assert float(peak.split()[1]) < 1024
