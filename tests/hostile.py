"""Shared helpers of the hostile-input suites: run the command line in-process, judge its ending,
fingerprint files, and scale Hypothesis's example counts between CI and `pytest --slow`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from nnstudio.cli import EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK, main

SLOW_FACTOR = 25  # `pytest --slow` runs this many times the examples of the default (CI) run

# One parameter, two runs: the CI count, and a `slow`-marked one that only `--slow` runs.
scaled = pytest.mark.parametrize(
    "scale", [pytest.param(1, id="ci"), pytest.param(SLOW_FACTOR, id="slow", marks=pytest.mark.slow)]
)


def hostile_settings(examples: int, scale: int) -> settings:
    """Settings for one suite: no deadline (a training step may take a while), no fixture warnings."""
    return settings(
        max_examples=examples * scale,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,  # tmp paths differ between runs: a replayed example would mean nothing
    )


def run_cli(*args: str) -> tuple[int, str, str]:
    """`nnstudio ARGS` in this process: (exit code, stdout, stderr).

    Any warning (numpy's overflow warnings, say) is added to stderr as Python would print it to a
    terminal: a user would see it, so it counts against the one-line rule.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse ends --help, --version and usage errors this way
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    printed = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in seen)
    return code, out.getvalue(), err.getvalue() + printed


def assert_clean_ending(code: int, out: str, err: str, allowed=(EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT)) -> None:
    """It worked (0), diverged (1, said in one line) or refused the input (2, one line on stderr)."""
    assert code in allowed, (code, out[-500:], err[-500:])
    assert "Traceback" not in err and "Traceback" not in out, err
    if code == EXIT_BAD_INPUT:
        assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
        assert re.match(r"nnstudio(?: \w+)?: error: \S", err), err
    elif code == EXIT_DIVERGED:
        assert err.count("\n") <= 1, repr(err)
    else:
        assert err == "", repr(err)


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder`: its SHA-256 and modification time (to prove nothing was changed)."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
