"""How the instruments write a tensor's numbers and name its entries.

`format_number` writes a value as a student reads it (significant digits, a real minus sign),
`NOT_COMPUTED` stands for an entry nobody computed, the labellers name an entry ("W1[2,3]",
"point 5, unit 3"), and `math_font` is the serif face formulas and symbols are drawn in.
Shared by the tensor table, its heat maps, the all-values dialog and the inspector's pages.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtGui import QFont

from nnstudio.core.engine.model import entry_name

NOT_COMPUTED = "—"  # finite differences sampled on big tensors leave the other entries empty (NaN)

Labeller = Callable[[tuple[int, ...]], str]

MATH_FAMILIES = ["DejaVu Serif", "Cambria Math", "STIX Two Math", "Times New Roman", "serif"]


def math_font() -> QFont:
    """A serif family for formulas and symbols (its size follows the widget's).

    Serif faces draw combining accents (m̂, v̂: U+0302) that some sans faces such as DejaVu Sans drop.
    """
    font = QFont()
    font.setFamilies(MATH_FAMILIES)
    font.setStyleHint(QFont.StyleHint.Serif)
    return font


def format_number(value: float, digits: int = 8) -> str:
    """A number as a student reads it: `digits` significant digits, a real minus sign, nan/inf spelled out."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}g}".replace("-", "−")


def index_labeller(name: str) -> Labeller:
    """Labels like W1[2,3] (1-based, as in the maths: row = input, column = unit)."""
    return lambda index: entry_name(name, index)


def batch_labeller(units: int) -> Labeller:
    """Labels for a (points × units) tensor: "point 5" for one unit, "point 5, unit 3" otherwise."""
    if units == 1:
        return lambda index: f"point {index[0] + 1}"
    return lambda index: f"point {index[0] + 1}, unit {index[1] + 1}"
