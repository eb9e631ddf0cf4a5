"""A first look at a parsed CSV table before importing it: its columns, its format in words, the first rows.

The import dialog shows this, then takes the chosen columns from the same parsed table
(`data.csv_points`), whose errors name the line and column; nothing changes until they read cleanly.
"""

from __future__ import annotations

import re

import numpy as np

from nnstudio.core.datasets.csv_table import CsvTable

MAX_COLUMN_NAME = 60  # characters: an axis title, not a paragraph


def header_name(table: CsvTable, header: bool, column: int) -> str | None:
    """The header's name for `column` as one printable line (shortened to MAX_COLUMN_NAME), or None."""
    first = table.preview[0][1] if table.preview and header else ()
    cell = first[column] if 0 <= column < len(first) else ""
    name = " ".join("".join(c if c.isprintable() else " " for c in cell).split())
    if len(name) > MAX_COLUMN_NAME:
        name = name[: MAX_COLUMN_NAME - 1] + "…"
    return name or None


def column_names(table: CsvTable, header: bool) -> list[str]:
    """A name per column: the header's cell ("1: speed") or "column 1", "column 2", ..."""
    first = table.preview[0][1] if table.preview and header else ()
    names = []
    for index in range(table.width):
        cell = first[index].strip() if index < len(first) else ""
        names.append(f"{index + 1}: {cell}" if cell else f"column {index + 1}")
    return names


def summary(table: CsvTable) -> str:
    """How many rows and columns, then (on a second line) how the file was read and what its first row is."""
    separators = {",": "commas", ";": "semicolons", "\t": "tabs", " ": "spaces"}
    columns = (
        "1 column" if table.width == 1 else f"{table.width} columns separated by {separators[table.format.separator]}"
    )
    first = "column names" if table.header_detected else "numbers (no header line)"
    return f"{table.row_count} rows, {columns}.\nRead as: {table.format.describe()}; the first row holds {first}."


def pasted_table(text: str) -> str:
    """Clipboard text as CSV: columns separated by spaces (as many programs copy them) become tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if any(separator in text for separator in ",;\t"):
        return text + "\n"
    return "\n".join(re.sub(r"\s+", "\t", line.strip()) for line in text.split("\n")) + "\n"


def problem_line(message: str) -> int | None:
    """The line number an error message names ("line 15, column 2: …"), if any."""
    found = re.search(r"\bline (\d+)", message)
    return int(found.group(1)) if found else None


def find_column(table: CsvTable, header: bool, name: str) -> int | None:
    """The column (from 0) whose header cell is `name` (exactly, else ignoring case), or None."""
    first = [cell.strip() for cell in table.preview[0][1]] if table.preview and header else []
    if name in first:
        return first.index(name)
    folded = [cell.casefold() for cell in first]
    return folded.index(name.casefold()) if name.casefold() in folded else None


def numeric_columns(table: CsvTable, header: bool) -> list[int]:
    """The columns (from 0) whose every data cell is a number."""
    start = 1 if header else 0
    return [
        column
        for column in range(table.width)
        if not any(row >= start for row, _ in table.bad_cells.get(column, ()))
        and not (table.row_count > start and bool(np.isnan(table.values[start:, column]).any()))
    ]
