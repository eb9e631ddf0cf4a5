"""A CSV file of numbers once parsed (by csv_table.py): its cells as numbers, the line each row came from,
and the columns read from it, with every problem named by its line and column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core.datasets.class_generators import MAX_CLASSES
from nnstudio.core.datasets.csv_format import NOT_FINITE, NUMBER, CsvFormat, cell_problem
from nnstudio.core.errors import NNStudioError


@dataclass(frozen=True, eq=False)
class CsvTable:
    """Every non-empty row of a file, parsed once: numbers as float64, NaN where a cell is not one."""

    format: CsvFormat
    values: np.ndarray  # (rows, width), width = the wider of the first two rows
    lines: np.ndarray  # (rows,) the line each row is on, counting from 1
    preview: tuple[tuple[int, tuple[str, ...]], ...]  # (line, cells as written) of the first rows
    widths: tuple[int, int]  # cells in the first and in the second row (0: no such row)
    first_ragged: tuple[int, int] | None  # (row, cells) of the first row after the second not as wide as it
    bad_cells: dict[int, tuple[tuple[int, str], ...]]  # column → its first two (row, text) that are no number
    last_line: int  # the line of the last row

    @property
    def row_count(self) -> int:
        return len(self.lines)

    @property
    def width(self) -> int:
        return self.values.shape[1]

    @property
    def header_detected(self) -> bool:
        """The first row is a header when one of its cells is not a number."""
        return bool(self.preview) and not all(self._is_number(cell) for cell in self.preview[0][1])

    def _is_number(self, cell: str) -> bool:
        return NUMBER[self._mark].fullmatch(cell) is not None or NOT_FINITE.fullmatch(cell) is not None

    @property
    def _mark(self) -> str:
        return "," if self.format.decimal_comma else "."

    def column_values(
        self, columns: tuple[int, ...], header: bool | None = None, label_column: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The line numbers and the values of `columns` of each data row; `label_column` must hold classes."""
        if self.row_count == 0:
            raise NNStudioError("line 1: the file is empty")
        header = self.header_detected if header is None else header
        start = 1 if header else 0
        if self.row_count - start < 2:  # the line after the last one read is where another row was needed
            raise NNStudioError(f"line {self.last_line + 1}: at least 2 rows of numbers are needed")
        width = self.widths[start]
        needed = max(columns) + 1
        if width < needed:
            line = self.lines[start]
            raise NNStudioError(f"line {line}: column {needed} was asked for but the row has only {width} column(s)")
        problems = []  # (row, order, message): the first one in reading order is reported
        ragged = (1, self.widths[1]) if not header and self.widths[1] != self.widths[0] else self.first_ragged
        if ragged is not None:
            row, cells = ragged
            problems.append((row, -1, f"line {self.lines[row]}: {cells} columns, but the first row has {width}"))
        for order, column in enumerate(columns):
            problems.extend(self._column_problems(column, order, start, column == label_column))
        if problems:
            raise NNStudioError(min(problems)[2])
        return self.lines[start:], self.values[start:][:, list(columns)]

    def _column_problems(self, column: int, order: int, start: int, is_label: bool):
        where = "line {}, column " + str(column + 1)
        for row, text in self.bad_cells.get(column, ()):
            if row >= start:
                if is_label:
                    message = f"{text!r} is not a class label (a whole number 0, 1, 2, …)"
                else:
                    message = cell_problem(text, self.format.decimal_comma)
                yield row, order, f"{where.format(self.lines[row])}: {message}"
                break
        if is_label:
            labels = self.values[start:, column]
            with np.errstate(invalid="ignore"):
                wrong = np.isfinite(labels) & ((labels != np.round(labels)) | (labels < 0) | (labels >= MAX_CLASSES))
            found = np.flatnonzero(wrong)
            if len(found):
                row = start + int(found[0])
                value = _shown(float(self.values[row, column]))
                if float(self.values[row, column]) >= MAX_CLASSES and value.isdigit():
                    message = f"class {value} is too large: labels go from 0 to at most {MAX_CLASSES - 1}"
                else:
                    message = f"{value!r} is not a class label (a whole number 0, 1, 2, …)"
                yield row, order, f"{where.format(self.lines[row])}: {message}"

    def row_cells(self, line: int) -> tuple[str, ...] | None:
        """The cells of the row on `line` (as errors number them): as written if among the first rows."""
        for number, cells in self.preview:
            if number == line:
                return cells
        row = int(np.searchsorted(self.lines, line))
        if row >= self.row_count or self.lines[row] != line:
            return None
        written = {column: text for column, cells in self.bad_cells.items() for r, text in cells if r == row}
        shown = []
        for column, value in enumerate(self.values[row]):
            if column in written:
                shown.append(written[column])
            else:
                text = "" if math.isnan(value) else f"{value:.15g}"
                shown.append(text.replace(".", ",") if self.format.decimal_comma else text)
        return tuple(shown)


def _shown(value: float) -> str:
    """A number as a student would have written it: 3 rather than 3.0."""
    return str(int(value)) if value == round(value) and abs(value) < 1e15 else repr(value)
