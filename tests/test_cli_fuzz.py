"""Random command lines: every one works or ends with exit code 2 and one line on stderr, no traceback.

The arguments are drawn from nnstudio's real options, their plausible and absurd values, and plain
garbage, in any order. Opening the window, rendering a snapshot and benchmarking are replaced by
stand-ins that record their call (they have their own tests); everything before them — parsing,
validation, reading files — runs for real.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio import cli
from tests.hostile import assert_clean_ending, fingerprint, hostile_settings, run_cli, scaled

OPTIONS = [
    "--preset",
    "--experiment",
    "--data",
    "--hidden",
    "--activation",
    "--loss",
    "--optimizer",
    "--lr",
    "--epochs",
    "--batch-size",
    "--standardize",
    "--no-standardize",
    "--test-fraction",
    "--backend",
    "--seed",
    "--dtype",
    "--log-every",
    "--json",
    "--size",
    "-o",
    "--output",
    "--quick",
    "--help",
    "--version",
    "--label-column",
    "--target-column",
    "--input-columns",
]
VALUES = [
    "sine",
    "linear",
    "nope",
    "relu",
    "tanh",
    "swish",
    "mse",
    "sse",
    "bce",
    "adam",
    "gd",
    "momentum",
    "numpy",
    "torch",
    "float32",
    "float64",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "0.5",
    "1e9",
    "1e10",
    "nan",
    "inf",
    "-0",
    "1e400",
    "64,32",
    "none",
    "0,0",
    ",",
    "4096",
    "100000",
    "8,8,8",
    "640x480",
    "1x1",
    "abc",
    "",
    " ",
    "--",
    "-",
    "x.png",
    "x.jpg",
    "\n",
    "é",
    "💥",
    "9" * 50,
]
TOKENS = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), st.text(max_size=8))
COMMANDS = st.sampled_from([*cli.COMMANDS, "", "trian", "--preset", "help", "-h"])


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    """The window, the snapshot renderer and the bench record their calls instead of running."""
    import nnstudio.bench
    import nnstudio.gui.app

    calls = []
    monkeypatch.setattr(nnstudio.gui.app, "run_app", lambda *a, **k: calls.append("window") or 0)
    monkeypatch.setattr(nnstudio.gui.app, "render_snapshot", lambda *a, **k: calls.append("snapshot") or 0)
    monkeypatch.setattr(nnstudio.bench, "run", lambda *a, **k: calls.append("bench") or _tiny_bench_result())
    monkeypatch.chdir(tmp_path)  # a relative -o or --data lands here, and is checked to be untouched
    return calls


def _tiny_bench_result() -> dict:
    return {"quick": True, "stand_in": True}


@scaled
def test_random_command_lines_end_cleanly(scale, stand_ins, tmp_path, monkeypatch):
    import nnstudio.bench

    monkeypatch.setattr(nnstudio.bench, "format_report", lambda result: "bench stand-in")
    (tmp_path / "points.csv").write_text("x,y\n1,2\n2,4\n3,6\n", encoding="utf-8")
    before = fingerprint(tmp_path)

    @hostile_settings(150, scale)
    @given(COMMANDS, st.lists(TOKENS, max_size=8))
    def check(command, tokens):
        args = ([command] if command else []) + tokens
        if command in ("train", "gradcheck"):
            args += ["--epochs", "2", "--hidden", "4"]  # bounded work: argparse keeps the last value given
        code, out, err = run_cli(*args)
        assert_clean_ending(code, out, err)
        assert fingerprint(tmp_path) == before

    check()


def test_the_window_is_only_opened_for_a_valid_command_line(stand_ins):
    assert run_cli("--preset", "sine")[0] == 0 and stand_ins == ["window"]
    code, _, err = run_cli("--preset", "sine", "--bogus")
    assert code == 2 and err.count("\n") == 1 and stand_ins == ["window"]
    code, _, err = run_cli("no-such-file.toml")
    assert code == 2 and "cannot read" in err and stand_ins == ["window"]


def test_help_and_version_exit_0_with_text_on_stdout(stand_ins):
    for args in (["--help"], ["--version"], ["train", "--help"], ["bench", "--help"]):
        code, out, err = run_cli(*args)
        assert code == 0 and out.strip() and err == ""
