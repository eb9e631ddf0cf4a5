"""The loss plot's axes: plain numbers on a linear scale, decades on a log scale, never a "×1e27".

pyqtgraph's own axes scale the numbers by an SI prefix ("loss (x0.001)" with ticks 600–750 for a
loss of 0.6–0.75), and on a log scale label every minor tick ("9·10¹ 8·10¹ …" on top of each
other). Here the tick labels are the numbers themselves, and on a log scale the labelled ticks
are chosen from the axis's length in pixels so that no two labels are closer than a line of
text and a half: whole decades when two or more are in view (every 2nd, 5th … when they are
many), else 1-2-5 steps, else evenly spaced plain numbers.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QFont, QFontMetricsF

from nnstudio.gui.style import GridAxis

DECADE_STEPS = (1, 2, 3, 5, 10, 20, 25, 50, 100)
LABEL_GAP_LINES = 1.5  # labels at least this many lines of text apart
PLAIN_EXPONENTS = range(-4, 7)  # 0.0001 … 1,000,000 read better as plain numbers than as powers of ten
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
EPSILON = 1e-9  # in decades: a tick a rounding error outside the range is still in it


def power_of_ten(exponent: int) -> str:
    """10^exponent as a student reads it: "0.01", "1000", or "10⁻⁸"."""
    if exponent in PLAIN_EXPONENTS:
        return f"{10.0**exponent:,.{max(0, -exponent)}f}"
    return "10" + str(exponent).translate(SUPERSCRIPTS)


def plain_number(value: float, step: float) -> str:
    """A tick's value with the decimals its spacing needs, "2·10⁻⁸" when plain would be too long."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)) + EPSILON)
    if exponent not in PLAIN_EXPONENTS:
        mantissa = value / 10.0**exponent
        digits = max(0, math.ceil(-math.log10(step / 10.0**exponent) - EPSILON)) if step > 0 else 0
        return f"{mantissa:.{min(digits, 6)}f}·{power_of_ten(exponent)}"
    decimals = max(0, math.ceil(-math.log10(step) - EPSILON)) if step > 0 else 0
    return f"{value:,.{min(decimals, 12)}f}"


def plain_numbers(values: list[float], step: float) -> list[str]:
    """One axis's labels: plain numbers, or all with the same power of ten ("0.5·10⁷", "1.0·10⁷")."""
    biggest = max((abs(v) for v in values), default=0.0)
    exponent = math.floor(math.log10(biggest) + EPSILON) if biggest > 0 else 0
    if exponent in PLAIN_EXPONENTS:
        return [plain_number(v, step) for v in values]
    unit = 10.0**exponent
    digits = max(0, math.ceil(-math.log10(step / unit) - EPSILON)) if step > 0 else 0
    return ["0" if v == 0 else f"{v / unit:.{min(digits, 6)}f}·{power_of_ten(exponent)}" for v in values]


def _spaced(positions: list[float], min_gap: float) -> bool:
    return all(b - a >= min_gap for a, b in zip(positions, positions[1:], strict=False))


def _decades(low: float, high: float, per_decade: float, gap: float) -> tuple[int, list[float]] | None:
    first, last = math.ceil(low - EPSILON), math.floor(high + EPSILON)
    if last - first < 1:
        return None  # fewer than two decades in view
    for step in DECADE_STEPS:
        if step * per_decade >= gap:
            first_shown = math.ceil(first / step) * step
            ticks = [float(e) for e in range(first_shown, last + 1, step)]
            if len(ticks) >= 2:
                return step, ticks
    return None


def _one_two_five(low: float, high: float, per_decade: float, gap: float) -> list[float] | None:
    ticks = [d + math.log10(m) for d in range(math.floor(low) - 1, math.ceil(high) + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if low - EPSILON <= t <= high + EPSILON]
    if len(ticks) >= 2 and _spaced([t * per_decade for t in ticks], gap):
        return ticks
    return None


def _evenly_spaced(low: float, high: float, per_decade: float, gap: float) -> tuple[float, list[float]]:
    """Plain values v = k·step between 10^low and 10^high, the finest step whose labels do not touch."""
    bottom, top = 10.0**low, 10.0**high
    exponent = math.floor(math.log10(top - bottom)) if top > bottom else math.floor(math.log10(top))
    for power in range(exponent - 2, exponent + 2):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**power
            values = np.arange(math.ceil(bottom / step - EPSILON), math.floor(top / step + EPSILON) + 1) * step
            values = values[values > 0]
            ticks = np.log10(values)
            if len(ticks) >= 2 and _spaced(list(ticks * per_decade), gap):
                return step, ticks.tolist()
    middle = 10.0 ** ((low + high) / 2)
    step = 10.0 ** math.floor(math.log10(middle))
    return step, [math.log10(round(middle / step) * step)]


def log_ticks(low: float, high: float, pixels: float, gap: float) -> list[tuple[float | None, list[float]]]:
    """pyqtgraph's tick levels for a log axis showing 10^low … 10^high over `pixels` pixels.

    The first level is labelled; its spacing is the step in decades (or, for plain values, minus
    the step between them, so `tickStrings` knows which it is). The second level, unlabelled, is
    grid lines only: the 2…9 multiples between labelled decades when there is room for them.
    """
    low, high = sorted((low, high))
    if not (math.isfinite(low) and math.isfinite(high)) or high - low <= 0 or pixels <= 0:
        return []
    per_decade = pixels / (high - low)
    decades = _decades(low, high, per_decade, gap)
    if decades is not None:
        step, ticks = decades
        minor: list[float] = []
        if step == 1 and per_decade >= 4 * gap:
            minor = [
                d + math.log10(m)
                for d in range(math.floor(low), math.ceil(high))
                for m in range(2, 10)
                if low <= d + math.log10(m) <= high
            ]
        elif step > 1:
            minor = [float(e) for e in range(math.ceil(low), math.floor(high) + 1) if e % step]
        return [(float(step), ticks), (None, minor)]
    one_two_five = _one_two_five(low, high, per_decade, gap)
    if one_two_five is not None:
        return [(0.0, one_two_five), (None, [])]
    step, ticks = _evenly_spaced(low, high, per_decade, gap)
    return [(-step, ticks), (None, [])]


def log_tick_strings(values: list[float], spacing: float | None) -> list[str]:
    """The labels of `log_ticks`' levels: decades, 1-2-5 values or plain values; none for grid lines."""
    if spacing is None:
        return [""] * len(values)
    if spacing > 0:
        exponents = [round(v) for v in values]
        if all(e in PLAIN_EXPONENTS for e in exponents):
            return [power_of_ten(e) for e in exponents]
        return ["10" + str(e).translate(SUPERSCRIPTS) for e in exponents]
    step = -spacing if spacing < 0 else None
    labels = []
    for v in values:
        value = 10.0**v
        if step is None:  # 1-2-5: one significant digit
            exponent = math.floor(v + EPSILON)
            mantissa = round(value / 10.0**exponent)
            labels.append(plain_number(mantissa * 10.0**exponent, 10.0**exponent))
        else:
            labels.append(plain_number(round(value / step) * step, step))
    return labels


class LossAxis(GridAxis):
    """A grid axis (see `GridAxis`) with readable tick labels: no SI prefix, decades on a log scale."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.style.get("tickFont") or QFont())

    def label_gap(self) -> float:
        """The least distance, in pixels, between two labelled ticks."""
        metrics = self._metrics()
        size = metrics.height() if self.orientation in ("left", "right") else metrics.horizontalAdvance("0.0001")
        return LABEL_GAP_LINES * size

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        """Along x, as many ticks as their labels' width allows ("200,000" is wide): none run together."""
        span = abs(maxVal - minVal)
        if self.logMode or self.orientation not in ("bottom", "top") or not span or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        widest = max(abs(minVal), abs(maxVal))
        label = self._metrics().horizontalAdvance(plain_number(widest, nice_step(span / 10)) + "00")
        major = nice_step(span / max(1.0, size / label))
        mantissa = round(major / 10.0 ** math.floor(math.log10(major)))
        return [(major, 0.0), (major / (4 if mantissa == 2 else 5), 0.0)]

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's names)
        return log_ticks(minVal, maxVal, size, self.label_gap())

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return log_tick_strings(values, spacing)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        if self.logMode:
            return log_tick_strings(values, spacing)
        return plain_numbers([v * scale for v in values], spacing * scale)


# --- the range a growing curve is shown in --------------------------------------------------------
NICE_LIMITS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The least of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k at or above a positive `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(limit * power for limit in NICE_LIMITS if limit * power >= value * (1 - 1e-12))


def nice_step(span: float) -> float:
    """1, 2 or 5 × 10^k: the least at or above `span`."""
    power = 10.0 ** math.floor(math.log10(span))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= span * (1 - 1e-12))


def followed_range(
    x: tuple[float, float], y: tuple[float, float], log_y: bool
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The view for data spanning epochs `x` and losses `y` (log10 on a log axis), with round edges.

    The edges move in steps (the next "nice" epoch; the next multiple of a fifth of the loss
    range, at most a decade on a log axis), not with every new epoch: the view stays put for
    many frames, and pyqtgraph redraws an axis only when its range changed.
    """
    first, last = x
    right = max(first + 1.0, first + nice_ceiling(last - first)) if last > first else first + 1.0
    low, high = y
    if high - low <= 1e-9 * max(abs(low), abs(high), 1e-300):  # one value: half a decade, or half itself
        half = 0.5 if log_y else 0.5 * abs(high) or 1.0
        low, high = low - half, high + half
    step = nice_step((high - low) / 5)
    if log_y:
        step = min(step, 1.0)
    bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
    return (first, right), (bottom, top)
