"""--label-column, --target-column and --input-columns: which columns of the --data CSV file to train on.

A column is given by its number (1 = the first) or by its name in the file's header line; the
file's header is read only when a name needs it. Names found in the header travel into the
experiment (its plots' axes say them). Every refusal is one sentence (the CLI exits with 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nnstudio.core.errors import NNStudioError

# DataSpec takes columns 0 … 10 000; the command line counts them from 1.
MAX_COLUMN_NUMBER = 10_001
NO_COLUMNS = {
    "classes": None,
    "csv_label_column": None,
    "csv_input_columns": None,
    "csv_input_names": None,
}


def csv_columns(options: argparse.Namespace) -> dict:
    """DataSpec's column settings for --data (columns count from 1 here, from 0 in the spec)."""
    label, target, inputs = options.label_column, options.target_column, options.input_columns
    if label is not None and target is not None:
        raise NNStudioError(
            "--label-column (class labels) and --target-column (numbers to fit) exclude each other: give one"
        )
    if label is None and target is None:
        if inputs is not None:
            raise NNStudioError(
                "--input-columns needs --target-column (the numbers to predict) or --label-column (class labels)"
            )
        return dict(NO_COLUMNS)
    columns = _Columns(options.data)
    if label is not None:
        label_column = columns.one(label, "--label-column")
        chosen = columns.many(inputs, "--input-columns", least=2) if inputs is not None else None
        if label_column in (chosen or (0, 1)):
            raise NNStudioError(f"--label-column {label} is also an input column: choose another")
        return {
            **NO_COLUMNS,
            "csv_label_column": label_column,
            "csv_input_columns": chosen,
            "csv_input_names": columns.names(chosen),
            "csv_y_name": columns.name(label_column),
        }
    target_column = columns.one(target, "--target-column")
    if inputs is not None:
        chosen = columns.many(inputs, "--input-columns", least=1)
        if target_column in chosen:
            raise NNStudioError(f"--target-column {target} is also an input column: choose another")
    else:  # every other column of numbers
        chosen = tuple(column for column in columns.numeric() if column != target_column)
        if not chosen:
            raise NNStudioError(
                f"{columns.file_name} has no column of numbers besides the target: nothing to learn from"
            )
    return {
        **NO_COLUMNS,
        "csv_input_columns": chosen,
        "csv_y_column": target_column,
        "csv_input_names": columns.names(chosen),
        "csv_y_name": columns.name(target_column),
    }


class _Columns:
    """The --data file's columns, by number or name; the file is read once, when first needed."""

    def __init__(self, path: str) -> None:
        self.path, self.file_name = path, Path(path).name
        self._table = None

    @property
    def table(self):
        if self._table is None:
            from nnstudio.core.datasets.data import read_csv_file

            self._table = read_csv_file(self.path)
        return self._table

    def one(self, text: str, flag: str) -> int:
        """The column (from 0) `text` names: a number counting from 1, or a header name."""
        text = text.strip()
        if text.lstrip("+-").isdigit():
            number = int(text)
            if number < 1:
                raise NNStudioError(f"{flag} counts from 1 (the first column), got {text}")
            if number > MAX_COLUMN_NUMBER:  # checked here: DataSpec would name the column counted from 0
                raise NNStudioError(f"{flag} must be at most {MAX_COLUMN_NUMBER}, got {text}")
            return number - 1
        from nnstudio.core.datasets.csv_preview import column_names, find_column

        table = self.table
        column = find_column(table, table.header_detected, text) if text else None
        if column is None:
            if not table.header_detected:
                raise NNStudioError(f"{flag} {text!r}: {self.file_name} has no header line; give the column's number")
            names = ", ".join(name.split(": ", 1)[-1] for name in column_names(table, True))
            raise NNStudioError(f"{flag} {text!r}: {self.file_name} has no such column (its columns: {names})")
        return column

    def many(self, text: str, flag: str, least: int) -> tuple[int, ...]:
        parts = [part for part in text.split(",")]
        if len(parts) < least or not all(part.strip() for part in parts):
            kind = "two or more" if least == 2 else "one or more"
            raise NNStudioError(f"{flag} must be {kind} columns, numbers from 1 or names, like 1,2, got {text!r}")
        columns = tuple(self.one(part, flag) for part in parts)
        if len(set(columns)) != len(columns):
            raise NNStudioError(f"{flag} names a column twice: {text!r}")
        return columns

    def numeric(self) -> list[int]:
        from nnstudio.core.datasets.csv_preview import numeric_columns

        return numeric_columns(self.table, self.table.header_detected)

    def name(self, column: int) -> str | None:
        """The header's name of `column`, if the file has a header line (read only if it is)."""
        from nnstudio.core.datasets.csv_preview import header_name

        try:
            table = self.table
        except NNStudioError:
            return None  # the file's problem is reported, with its line, when the data is read
        return header_name(table, table.header_detected, column) if column < table.width else None

    def names(self, columns: tuple[int, ...] | None) -> tuple[str, ...] | None:
        if columns is None:
            return None
        names = tuple(self.name(column) for column in columns)
        return None if any(name is None for name in names) else names
