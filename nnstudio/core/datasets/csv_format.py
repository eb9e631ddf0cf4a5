"""How a CSV file writes its table: encoding, line endings, separator, decimal mark, and what a number is.

The format is detected from the first lines by fixed rules (`detect_format`) and said in words
(`CsvFormat.describe`). A number is what `NUMBER` says (ASCII digits, one decimal mark, an
exponent) and lies within ±MAX_ABS_VALUE: Python's float() would also take "1_000", full-width
digits and non-breaking spaces, which no spreadsheet means. `csv_table` reads a file with these rules.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from dataclasses import dataclass

from nnstudio.core.errors import NNStudioError

MAX_ABS_VALUE = 1e150  # a value's square, the spread of millions of them, must stay a finite float
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", " ": "spaces"}
_DIGITS = r"(?:[0-9]+(?:{mark}[0-9]*)?|{mark}[0-9]+)(?:[eE][+-]?[0-9]+)?"
NUMBER = {
    ".": re.compile(r"[+-]?" + _DIGITS.format(mark=r"\.")),
    ",": re.compile(r"[+-]?" + _DIGITS.format(mark=",")),
}
NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_COMMA_DECIMAL = re.compile(r"[+-]?[0-9]*,[0-9]+(?:[eE][+-]?[0-9]+)?")
_POINT_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_BOMS = (  # UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


@dataclass(frozen=True)
class CsvFormat:
    """How a file writes its table, as detected; `describe()` says it in the preview."""

    separator: str = ","  # ",", ";", "\t" or " " (one or more spaces)
    decimal_comma: bool = False
    encoding: str = "UTF-8"
    line_ending: str = "LF"  # "LF", "CRLF" or "CR"

    def describe(self) -> str:
        parts = [
            f"separator {SEPARATOR_NAMES[self.separator]} {self.separator!r}",
            "decimal comma" if self.decimal_comma else "decimal point",
            self.encoding,
        ]
        if self.line_ending == "CR":
            parts.append("CR-only line endings (old Mac Excel)")
        return ", ".join(parts)


def cell_problem(text: str, decimal_comma: bool) -> str:
    """Why a cell is not a usable number, in a few words."""
    if NUMBER["," if decimal_comma else "."].fullmatch(text) or NOT_FINITE.fullmatch(text):
        value = float(text.replace(",", ".")) if not NOT_FINITE.fullmatch(text) else math.nan
        if not math.isfinite(value):
            return f"{text!r} is not a finite number"
        return f"{text!r} is too large: values must lie within ±{MAX_ABS_VALUE:g} (their squares must stay finite)"
    if decimal_comma and _POINT_DECIMAL.fullmatch(text):
        return f"{text!r} is not a number (this file writes decimals with a comma, as in 1,5)"
    if not decimal_comma and _COMMA_DECIMAL.fullmatch(text):  # a quoted "1,5" in a comma-separated file
        return f"{text!r} is not a number (with decimal commas, separate the columns with ';' or tabs)"
    return f"{text!r} is not a number"


# --- detection ------------------------------------------------------------------------------------


def detect_format(lines: list[str], encoding: str = "UTF-8", line_ending: str = "LF") -> CsvFormat:
    """The separator and decimal mark of the first non-empty `lines`, by fixed rules.

    The separator is the first of tab, ';' and ',' that every line has the same number of (at least
    one); else runs of spaces if every line splits into the same number (at least two) of cells; else
    the first of them the first line has; else ',' (one column). The decimal mark is a comma when the
    separator is not one and the cells hold numbers like 1,5 and none like 1.5.
    """
    separator = ","
    for candidate in ("\t", ";", ","):
        counts = {line.count(candidate) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            separator = candidate
            break
    else:
        counts = {len(line.split()) for line in lines}
        if lines and len(counts) == 1 and counts.pop() > 1:
            separator = " "
        elif lines:
            separator = next((c for c in ("\t", ";", ",") if c in lines[0]), " " if len(lines[0].split()) > 1 else ",")
    decimal_comma = False
    if separator != ",":
        cells = [cell for line in lines for cell in cell_splitter(separator)(line)]
        decimal_comma = any(map(_COMMA_DECIMAL.fullmatch, cells)) and not any(map(_POINT_DECIMAL.fullmatch, cells))
    return CsvFormat(separator, decimal_comma, encoding, line_ending)


def cell_splitter(separator: str):
    """A function from a line to its cells, stripped of spaces and tabs (never of other white space).

    A line with a quote goes through the csv module ("1,5" quoted may hold the separator); one line
    at a time, so a quote left open ends with its line instead of swallowing the rest of the file.
    """
    spaces = separator == " "

    def split(line: str) -> list[str]:
        if '"' not in line:
            return line.split() if spaces else [cell.strip(" \t") for cell in line.split(separator)]
        try:
            cells = next(
                csv.reader([line.strip(" \t") if spaces else line], delimiter=separator, skipinitialspace=spaces)
            )
        except (csv.Error, StopIteration):
            return [line]
        return [cell.strip(" \t") for cell in cells]

    return split


def file_encoding(raw: bytes) -> tuple[str, str]:
    """The codec and the name of a file's encoding: a byte-order mark decides, else it must be UTF-8."""
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            return codec, label
    if b"\x00" in raw:
        sample = raw[:4096]
        if sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4:
            raise NNStudioError(
                "line 1: this looks like UTF-16 text without a byte-order mark: save the file as UTF-8 CSV"
            )
        raise NNStudioError("line 1: this is a binary file, not CSV text")
    return "utf-8", "UTF-8"


def line_ending_of(lines_text: str) -> str:
    if "\r\n" in lines_text:
        return "CRLF"
    return "CR" if "\r" in lines_text and "\n" not in lines_text else "LF"
