"""Points from CSV files: the columns a spec names, read by csv_table (the one reader of the command line
and the window); every problem names its line and column, and the file when there is one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.datasets.csv_table import CsvTable, finish, read_csv_file_steps, read_csv_text
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import DataSpec


def load_csv(
    path: str | os.PathLike, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read two numeric columns from a CSV file; every problem names its line and column."""
    return csv_points(read_csv_file(path), x_column, y_column, header, Path(path).name)


def load_labelled_csv(
    path: str | os.PathLike, input_columns: tuple[int, int] = (0, 1), label_column: int = 2, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read two input columns and a class-label column; every problem names its line and column."""
    return csv_labelled_points(read_csv_file(path), input_columns, label_column, header, Path(path).name)


def load_spec_csv(spec: DataSpec, folder: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The points of the CSV file a spec names, from the columns it names (a relative path from `folder`)."""
    path = Path(folder or ".") / spec.csv_path
    return spec_points(read_csv_file(path), spec, path.name)


def spec_points(table: CsvTable, spec: DataSpec, source: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The inputs and the target (or class labels) of a parsed table, from the columns `spec` names."""
    if spec.task == "classification":
        return csv_labelled_points(table, spec.input_columns, spec.csv_label_column, spec.csv_header, source)
    if spec.csv_input_columns is not None:
        return csv_input_points(table, spec.csv_input_columns, spec.csv_y_column, spec.csv_header, source)
    return csv_points(table, spec.csv_x_column, spec.csv_y_column, spec.csv_header, source)


def read_csv_file(path: str | os.PathLike) -> CsvTable:
    """A regular file of at most MAX_CSV_BYTES, parsed; problems name the file."""
    return finish(read_csv_file_steps(path))


def parse_csv(
    text: str, x_column: int = 0, y_column: int = 1, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV text (comma, semicolon, tab or space separated) into x and y arrays."""
    return csv_points(read_csv_text(text), x_column, y_column, header)


def parse_labelled_csv(
    text: str, input_columns: tuple[int, int] = (0, 1), label_column: int = 2, header: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV text into inputs x (n, 2) and class labels (n,) that are whole numbers 0 … K−1."""
    return csv_labelled_points(read_csv_text(text), input_columns, label_column, header)


def csv_points(
    table: CsvTable, x_column: int = 0, y_column: int = 1, header: bool | None = None, source: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """x and y from two columns of a parsed table; `source` (a file name) starts any message."""
    try:
        _, values = table.column_values((x_column, y_column), header)
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, 0].copy(), values[:, 1].copy()


def csv_input_points(
    table: CsvTable, input_columns: tuple[int, ...], target_column: int, header: bool | None = None, source: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (n, k) from k columns and the target y (n,) from another, of a parsed table."""
    if target_column in input_columns:
        raise NNStudioError(f"column {target_column + 1} is the target: it cannot be an input too")
    try:
        _, values = table.column_values((*input_columns, target_column), header)
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, :-1].copy(), values[:, -1].copy()


def csv_labelled_points(
    table: CsvTable,
    input_columns: tuple[int, ...] = (0, 1),
    label_column: int = 2,
    header: bool | None = None,
    source: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (n, k) and class labels (n,), each used, from a parsed table."""
    try:
        lines, values = table.column_values((*input_columns, label_column), header, label_column=label_column)
        labels = values[:, -1]
        column = label_column + 1
        present = sorted({int(label) for label in np.unique(labels)})
        if len(present) < 2:
            raise NNStudioError(
                f"lines {lines[0]}–{lines[-1]}, column {column}: every label is {present[0]}: "
                "a classifier needs at least 2 classes"
            )
        missing = sorted(set(range(present[-1] + 1)) - set(present))
        if missing:
            raise NNStudioError(
                f"column {column}: no point has class {missing[0]}: "
                f"the labels must be 0 to {present[-1]}, each used at least once"
            )
    except NNStudioError as error:
        raise NNStudioError(f"{source}, {error}" if source else str(error)) from None
    return values[:, :-1].copy(), labels.copy()
