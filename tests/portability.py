"""What makes the suite pass on any machine: tolerances for numbers made elsewhere, skips for POSIX-only tests.

Numbers stored in a file (or in a test, or printed by another process) were computed on some CPU whose BLAS
kernels round differently from this one's by ~1e-15: they are compared to a fresh computation with a
relative tolerance. Numbers one process computes twice the same way stay exact.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

STORED = 1e-12  # relative tolerance for numbers stored in a file or computed on another CPU
PRINTED = 1e-6  # a loss printed with 7 significant digits is this close to the number it rounds

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX files, pipes, signals or permissions")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")

_LOG_LINE = re.compile(r"^Epoch: (\d+) Loss: (\S+)$")


def assert_stored_close(actual, stored, err_msg: str = "") -> None:
    """`actual` (computed here) equals `stored` (computed elsewhere) up to the other CPU's rounding."""
    np.testing.assert_allclose(actual, stored, rtol=STORED, atol=0, err_msg=err_msg)


def parse_log_line(line: str) -> tuple[int, float]:
    """(epoch, loss) of one `Epoch: 10 Loss: 96.09053` line; fails the test on any other text."""
    match = _LOG_LINE.match(line)
    assert match, f"not a log line: {line!r}"
    return int(match[1]), float(match[2])


def assert_log_lines(lines: list[str], expected: list[tuple[int, float]]) -> None:
    """The log lines show these epochs exactly and these losses to their printed 7 digits."""
    parsed = [parse_log_line(line) for line in lines]
    assert [epoch for epoch, _ in parsed] == [epoch for epoch, _ in expected]
    np.testing.assert_allclose([loss for _, loss in parsed], [loss for _, loss in expected], rtol=PRINTED, atol=0)


# Put before a script run in a child process: its own peak memory. ru_maxrss would not do on Linux, where a
# child's count starts from its parent's size at the fork (a test run can be well over a gigabyte by then).
PEAK_MEGABYTES = """\
def peak_megabytes():
    try:
        with open("/proc/self/status") as status:  # Linux: this process's own high-water mark
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024**2)
"""
