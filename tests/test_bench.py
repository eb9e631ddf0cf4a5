"""`nnstudio bench --quick --json` runs end to end and reports every section; speeds are not judged here.

A timed assertion would fail on a busy machine, so this smoke test checks only the report's shape
and its sanity: rates are positive, the contenders did the same work, the window really drew,
every target has a verdict. The figures themselves are for `nnstudio bench` and the README.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nnstudio.bench import format_report
from nnstudio.bench.loops import CONTENDERS
from nnstudio.gui.plots.fit_plot import MAX_DRAWN_POINTS


@pytest.fixture(scope="module")
def report() -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "nnstudio", "bench", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "--json prints one JSON object and nothing else"
    return json.loads(lines[0])


def test_the_report_names_the_machine(report):
    machine = report["machine"]
    assert report["type"] == "bench"  # every JSON line the command line prints says what it is
    assert report["quick"] is True and report["seconds"] > 0
    assert machine["cores"] >= 1 and machine["cpu"] and machine["python"] and machine["numpy"]


def test_training_speed_of_the_four_contenders_on_both_nets(report):
    for net in ("sine", "big"):
        rates = report["throughput"][net]
        assert all(rates[name] > 0 for name in CONTENDERS)
        assert all(len(rates["samples"][name]) == rates["rounds"] >= 1 for name in CONTENDERS)
        assert rates["same_losses"] is True  # all four trained the same net on the same data from the same weights
        assert all(ratio > 0 for ratio in rates["ratios"].values()) and len(rates["ratios"]) == 3


def test_the_window_against_headless_and_the_event_loop(report):
    for backend in ("numpy", "torch"):
        window = report["window"][backend]
        assert window["backend"] == backend
        assert window["headless"] > 0 and window["window"] > 0 and window["ratio"] > 0
        # it really drew (a --quick turn can be shorter than one frame: count the warm-up's frames too)
        assert window["frames_drawn"] > 0 and window["fit_plot_paints"] > 0 and window["frames_per_second"] >= 0
        assert window["loss_plot_paints"] > 0 and window["loss_plot_paints_per_second"] >= 0
    frames = report["frames"]
    assert frames["default_sine"]["pace"] == 20 and frames["full_spiral"]["pace"] is None
    for row in frames.values():  # each drew what it was sent (how many a second is the full run's business)
        assert row["frames_per_second"] > 0 and row["news_per_second"] > 0 and 0 < row["news_drawn"] <= 1
        assert row["epochs"] > 0 and 0 < row["epochs_with_a_frame"] <= 1
    lateness = report["lateness"]
    assert lateness["samples"] > 0 and 0 <= lateness["p50_ms"] <= lateness["p99_ms"] <= lateness["max_ms"]
    assert lateness["steps_meanwhile"] > 0


def test_startup_and_torch_stays_unimported(report):
    startup = report["startup"]
    assert 0 < startup["window_shown_seconds"] <= startup["trainer_ready_seconds"]
    assert startup["exit_codes"] == [0] * len(startup["runs"])
    assert isinstance(startup["torch_imported"], bool)


def test_scaling_and_memory(report):
    rows = report["scaling"]
    assert [row["points"] for row in rows] == [1_000, 10_000]  # the quick run stops at 10⁴
    for row in rows:
        assert row["epoch_ms"] > 0 and row["redraw_ms"] > 0 and row["show_data_ms"] > 0
        assert row["points_drawn"] == min(row["points"], MAX_DRAWN_POINTS)
    assert report["large_data"] is None
    loss_rows = report["loss_plot"]
    assert [row["epochs"] for row in loss_rows] == [1_000, 100_000]  # 10⁶ only in the full run
    for row in loss_rows:
        assert row["append_ms"] > 0 and row["redraw_ms"] > 0 and row["frame_ms"] > 0
        assert 0 < row["points_drawn"] <= 10_000  # a long run is drawn as its envelope, a screenful of points
    memory = report["memory"]
    assert memory["steps"] == memory["loss_history_epochs"] == 10_000
    assert memory["peak_rss_mb"] is None or memory["peak_rss_mb"] > 0
    # the weights are kept at every stride-th epoch, 0 included, and the stride doubles as the budget fills
    stride, states = memory["state_history_stride"], memory["state_history_states"]
    assert stride > 0 and stride & (stride - 1) == 0
    assert states == 10_000 // stride + 1 and states <= 512


def test_every_target_has_a_verdict_and_the_table_shows_them(report):
    targets = report["targets"]
    assert len(targets) >= 10
    assert all(target["passed"] in (True, False, None) and target["name"] for target in targets)
    assert isinstance(report["passed"], bool)
    names = [target["name"] for target in targets]
    for backend in ("numpy", "torch"):
        assert f"frames drawn at full speed (sine): {backend} backend" in names
    assert "10⁶ epochs: loss plot append + redraw" in names
    assert "frames drawn at full speed (spiral, 6×8 tanh)" in names
    assert "default speed (sine): every epoch in a frame of its own" in names
    table = format_report(report)
    assert "Training speed" in table and "Targets" in table
    verdicts = [line.split()[-1] for line in table.splitlines()[table.splitlines().index("Targets") + 1 :]]
    assert len(verdicts) == len(targets) and set(verdicts) <= {"PASS", "FAIL", "—"}


def test_a_film_is_timed_in_a_fresh_process(report):
    film = report["film"]
    assert film["quick"] is True and film["frames"] == 10  # 2 s at 5 frames a second
    assert film["seconds_taken"] > 0 and film["file_mb"] > 0
    target = next(target for target in report["targets"] if target["name"].startswith("nnstudio record"))
    assert target["passed"] is None  # the 10 s film at 960×600 is timed by the full bench only
    assert "A film: nnstudio record" in format_report(report)
