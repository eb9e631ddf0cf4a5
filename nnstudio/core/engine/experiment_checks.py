"""The checks every setting of an experiment goes through when it is built: each failure names the setting
(`section.name`), what it must be, and the value it got.
"""

from __future__ import annotations

import math
from typing import Any

from nnstudio.core.datasets.csv_preview import MAX_COLUMN_NAME
from nnstudio.core.errors import NNStudioError


def fail(section: str, name: str, requirement: str, value: Any) -> None:
    raise NNStudioError(f"{section}.{name} must be {requirement}, got {value!r}")


def check_int(section: str, name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(section, name, f"a whole number from {low} to {high}", value)


def check_float(section: str, name: str, value: Any, low: float, high: float, *, open_low=False) -> None:
    # an int is always finite (and math.isfinite would overflow on one with 400 digits)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        fail(section, name, "a finite number", value)
    too_low = value <= low if open_low else value < low
    if too_low or value > high:
        bracket = "(" if open_low else "["
        fail(section, name, f"in {bracket}{low:g}, {high:g}]", value)


def check_bool(section: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        fail(section, name, "true or false", value)


def check_choice(section: str, name: str, value: Any, choices) -> None:
    if not isinstance(value, str) or value not in choices:  # a list or table is not hashable: no `in dict`
        fail(section, name, "one of " + ", ".join(choices), value)


def check_column_name(section: str, name: str, value: Any) -> None:
    if value is None:
        return
    printable = isinstance(value, str) and value.strip() and value.isprintable()
    if not printable or len(value) > MAX_COLUMN_NAME:
        fail(section, name, f"a column name: one line of at most {MAX_COLUMN_NAME} characters", value)
