"""A first look at CSV text before importing it: its columns, a header line or not, the first rows.

The import dialog shows this, then reads the chosen columns with `data.parse_csv`, whose
errors name the line and column; nothing changes until the points read cleanly.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from nnstudio.core.data import _csv_rows, _is_number  # the very splitting parse_csv uses
from nnstudio.core.errors import NNStudioError

PREVIEW_ROWS = 12


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of a table, with what a header line would call its columns."""

    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells), the first non-empty rows
    header_detected: bool  # the first row is not all numbers
    width: int  # cells in the first row
    row_count: int  # non-empty rows, the header included
    delimiter: str = ","  # what separates the cells: "," ";" or a tab

    def column_names(self, header: bool) -> list[str]:
        """A name per column: the header's cell ("speed") or "column 1", "column 2", ..."""
        names = []
        first = self.rows[0][1] if self.rows and header else ()
        for index in range(self.width):
            cell = first[index].strip() if index < len(first) else ""
            names.append(f"{index + 1}: {cell}" if cell else f"column {index + 1}")
        return names


def preview_csv(text: str, max_rows: int = PREVIEW_ROWS) -> CsvPreview:
    """Split CSV text as `parse_csv` does; keep the first `max_rows` rows (one more for a header)."""
    if "\x00" in text:
        raise NNStudioError("line 1: this is a binary file, not CSV text")
    rows, count = [], 0
    for number, cells in _csv_rows(text):
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if len(rows) <= max_rows:
            rows.append((number, tuple(cells)))
    if not rows:
        raise NNStudioError("line 1: there is nothing to import (the text is empty)")
    header = not all(_is_number(cell) for cell in rows[0][1])
    try:  # as data._csv_rows guesses it
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return CsvPreview(tuple(rows), header, len(rows[0][1]), count, delimiter)


def pasted_table(text: str) -> str:
    """Clipboard text as CSV: columns separated by spaces (as many programs copy them) become tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if any(separator in text for separator in ",;\t"):
        return text + "\n"
    return "\n".join(re.sub(r"\s+", "\t", line.strip()) for line in text.split("\n")) + "\n"


def row_at(text: str, line: int) -> tuple[str, ...] | None:
    """The cells of the row on `line` (as errors number them), to show the row a problem is in."""
    for number, cells in _csv_rows(text):
        if number == line:
            return tuple(cells)
        if number > line:
            break
    return None


def problem_line(message: str) -> int | None:
    """The line number an error message names ("line 15, column 2: …"), if any."""
    found = re.search(r"\bline (\d+)", message)
    return int(found.group(1)) if found else None
