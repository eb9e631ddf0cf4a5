"""Reading a CSV file of numbers: the one reader behind `nnstudio train --data` and the window's import.

What users' files really look like: commas, semicolons (every European spreadsheet export, with
decimal commas), tabs or runs of spaces between the columns; LF, CRLF or CR-only line endings
(old Mac Excel); UTF-8 with or without a byte-order mark, or UTF-16/32 with one. The format is
detected from the first lines by fixed rules (`csv_format.detect_format`) and said in words.

A file is hostile until read: the reader refuses it, with one sentence, past MAX_CSV_BYTES,
MAX_LINE_CHARS on one line, MAX_COLUMNS columns, MAX_POINTS rows or MAX_CELLS cells. It works
through the bytes a chunk (about a megabyte) at a time and yields its progress between chunks, so
the window runs it in a worker thread with a progress bar and Cancel; no single step holds the
interpreter long enough to freeze the GUI thread.

A number is what `csv_format.NUMBER` says. The table is parsed once; choosing other columns or a
header reads from the parsed table (`CsvTable`, in parsed_csv.py).
"""

from __future__ import annotations

import codecs
import math
import operator
import os
from collections.abc import Generator, Iterable
from pathlib import Path

import numpy as np

from nnstudio.core.datasets.csv_format import (
    MAX_ABS_VALUE,
    NUMBER,
    CsvFormat,
    cell_splitter,
    detect_format,
    file_encoding,
    line_ending_of,
)
from nnstudio.core.datasets.parsed_csv import CsvTable
from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import read_file

MAX_CSV_BYTES = 250_000_000  # ten million rows of two short numbers; beyond that a file is not points
MAX_LINE_CHARS = 100_000  # a row of MAX_COLUMNS numbers fits easily; a 50 MB "line" is not a row
MAX_COLUMNS = 1_000
MAX_CELLS = 20_000_000  # rows × columns kept as float64: 160 MB at most
CHUNK_BYTES = 1 << 16  # between two progress reports: a C-level loop over a chunk holds the GIL ~10 ms
SAMPLE_LINES = 20  # the non-empty lines the format is detected from
PREVIEW_ROWS = 13  # rows kept exactly as written, for the import dialog


# --- reading --------------------------------------------------------------------------------------


def read_csv_steps(raw: bytes, max_rows: int | None = None) -> Generator[float, None, CsvTable]:
    """Parse a file's bytes, yielding the share done (0…1) between chunks; returns the table."""
    if max_rows is None:
        from nnstudio.core.datasets.data import MAX_POINTS  # noqa: PLC0415 (data imports us)

        max_rows = MAX_POINTS + 1  # a header and MAX_POINTS points
    if len(raw) > MAX_CSV_BYTES:
        raise NNStudioError(f"the file is larger than {MAX_CSV_BYTES / 1e6:g} MB: too large for a CSV file of points")
    encoding, label = file_encoding(raw)
    line_ending = line_ending_of(raw[:65536].decode(encoding, errors="replace"))
    builder = _TableBuilder(label, line_ending, max_rows)
    for done, first_line, lines in _decoded_lines(raw, encoding):
        builder.add(first_line, lines)
        yield done
    return (yield from builder.table_steps())


def read_csv_file_steps(path: str | os.PathLike, named: bool = True) -> Generator[float, None, CsvTable]:
    """A regular file of at most MAX_CSV_BYTES, parsed step by step; parse problems start with its name if `named`."""
    path = Path(path)
    raw = read_file(path, MAX_CSV_BYTES, "a CSV file of points")  # its refusals name the path already
    yield 0.0
    try:
        return (yield from read_csv_steps(raw))
    except NNStudioError as error:
        raise NNStudioError(f"{path.name}, {error}" if named else str(error)) from None


def finish(steps: Generator[float, None, CsvTable]) -> CsvTable:
    """Run a reader's steps to the end, without reporting progress (the command line)."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def read_csv_bytes(raw: bytes) -> CsvTable:
    return finish(read_csv_steps(raw))


def read_csv_text(text: str) -> CsvTable:
    """Parse CSV text (typed, pasted or already decoded)."""
    return read_csv_bytes(text.encode("utf-8", "surrogatepass"))


def _decoded_lines(raw: bytes, encoding: str) -> Iterable[tuple[float, int, list[str]]]:
    """(share done, number of the first line, lines) per chunk; CRLF, CR and LF all end a line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    carry, line = "", 1
    for start in range(0, max(len(raw), 1), CHUNK_BYTES):
        end = min(start + CHUNK_BYTES, len(raw))
        final = end >= len(raw)
        buffered = len(decoder.getstate()[0])
        try:
            piece = carry + decoder.decode(raw[start:end], final)
        except UnicodeDecodeError:
            raise _not_text(raw, start - buffered, end, encoding) from None
        if "\x00" in piece:
            raise NNStudioError("line 1: this is a binary file, not CSV text")
        held = ""
        if not final and piece.endswith("\r"):  # its "\n" may start the next chunk
            piece, held = piece[:-1], "\r"
        text = piece.replace("\r\n", "\n").replace("\r", "\n")
        if final:
            lines, carry = text.split("\n"), ""
        else:
            cut = text.rfind("\n")
            lines, carry = (text[:cut].split("\n"), text[cut + 1 :] + held) if cut >= 0 else ([], text + held)
        longest = max(map(len, lines), default=0)
        if longest > MAX_LINE_CHARS or len(carry) > MAX_LINE_CHARS:
            number = line + next((i for i, text in enumerate(lines) if len(text) > MAX_LINE_CHARS), len(lines))
            raise NNStudioError(
                f"line {number} is longer than {MAX_LINE_CHARS:,} characters: "
                "a CSV file of points has short lines (is this the right file?)"
            )
        yield (end / len(raw) if raw else 1.0), line, lines
        line += len(lines)


def _not_text(raw: bytes, begin: int, end: int, encoding: str) -> NNStudioError:
    """The refusal of bytes that are not text, naming the line of the first bad byte in raw[begin:end]."""
    if not encoding.startswith("utf-8"):  # UTF-16 or UTF-32, by its byte-order mark
        return NNStudioError(f"the file is not valid {encoding.upper()} text (save the file as UTF-8 CSV)")
    try:  # `begin` starts a character; plain UTF-8 takes a BOM as a character, so positions are the file's
        raw[begin:end].decode("utf-8")
        position = end
    except UnicodeDecodeError as error:
        position = begin + error.start
    ending = b"\n" if raw.find(b"\n", 0, position) >= 0 else b"\r"
    line = raw.count(ending, 0, position) + 1
    return NNStudioError(f"line {line}: not UTF-8 text (save the file as UTF-8 CSV)")


class _TableBuilder:
    """Rows in, a CsvTable out; the format is fixed once the first SAMPLE_LINES non-empty lines are in."""

    def __init__(self, encoding: str, line_ending: str, max_rows: int) -> None:
        self.encoding, self.line_ending, self.max_rows = encoding, line_ending, max_rows
        self.width = 0
        self.format: CsvFormat | None = None
        self.waiting: list[tuple[int, list[str]]] = []  # (first line, lines) read before the format is known
        self.sample: list[str] = []  # the first non-empty lines, to detect the format from
        self.blocks: list[np.ndarray] = []
        self.line_blocks: list[np.ndarray] = []
        self.preview: list[tuple[int, tuple[str, ...]]] = []
        self.widths = [0, 0]
        self.first_ragged: int | None = None
        self.bad_cells: dict[int, list[tuple[int, str]]] = {}
        self.rows, self.last_line = 0, 0

    def add(self, first_line: int, texts: list[str]) -> None:
        if self.format is None:
            self.waiting.append((first_line, texts))
            self.sample.extend(text for text in texts[: SAMPLE_LINES * 4] if text.strip(" \t"))
            if len(self.sample) < SAMPLE_LINES:
                return
            self._fix_format()
            waiting, self.waiting = self.waiting, []
            for first, batch in waiting:
                self._add_rows(first, batch)
            return
        self._add_rows(first_line, texts)

    def _fix_format(self) -> None:
        sample = self.sample[:SAMPLE_LINES]
        self.format = detect_format(sample, self.encoding, self.line_ending)
        self.split = cell_splitter(self.format.separator)
        first_rows = [cells for cells in map(self.split, sample) if any(cells)][:2]
        self.width = min(max(map(len, first_rows), default=0), MAX_COLUMNS)  # a header may be wider or narrower

    def _add_rows(self, first_line: int, texts: list[str]) -> None:
        block = self._plain_block(texts)
        if block is not None:
            lines = np.arange(first_line, first_line + len(texts), dtype=np.int64)
            for index, text in enumerate(texts[: max(0, PREVIEW_ROWS - self.rows)]):
                self._note_row(self.rows + index, first_line + index, self.split(text))
            if self.first_ragged is None and self.width != self.widths[1] and self.rows + len(texts) > 2:
                self.first_ragged = (max(self.rows, 2), self.width)
        else:
            block, lines = self._mixed_block(first_line, texts)
        if not len(lines):
            return
        self.rows += len(lines)
        self.last_line = int(lines[-1])
        if self.rows > self.max_rows:
            raise NNStudioError(
                f"the file has more than {self.max_rows - 1:,} rows: at most {self.max_rows - 1:,} points "
                "are read (keep a sample of the rows)"
            )
        if self.rows * self.width > MAX_CELLS:
            raise NNStudioError(
                f"{self.rows:,} rows of {self.width} columns is more than {MAX_CELLS:,} cells: "
                "save only the columns you need, or fewer rows"
            )
        self.blocks.append(block)
        self.line_blocks.append(lines)

    def _plain_block(self, texts: list[str]) -> np.ndarray | None:
        """The usual chunk, read at C speed: no quotes, every line `width` numbers. None: read it cell by cell.

        It makes no object per row: lists kept per row would wake Python's full garbage collection,
        which holds the interpreter (and so the GUI thread) for a tenth of a second.
        """
        separator, width = self.format.separator, self.width
        if separator == " " or width < 1 or not texts or not all(texts):
            return None
        blob = separator.join(texts)
        if '"' in blob or set(map(operator.methodcaller("count", separator), texts)) != {width - 1}:
            return None
        cells = blob.split(separator)
        if " " in blob or "\t" in blob:
            cells = [cell.strip(" \t") for cell in cells]
        comma = self.format.decimal_comma
        if not all(map(NUMBER["," if comma else "."].fullmatch, cells)):
            return None
        if comma:
            cells = [cell.replace(",", ".") for cell in cells]
        values = np.fromiter(map(float, cells), np.float64, len(cells)).reshape(len(texts), width)
        return None if (np.abs(values) > MAX_ABS_VALUE).any() else values

    def _mixed_block(self, first_line: int, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Row by row: blank lines skipped, the first cells that are not numbers noted, NaN in their place."""
        width, comma, split = self.width, self.format.decimal_comma, self.split
        number_match = NUMBER["," if comma else "."].fullmatch
        flat, lines = [], []
        for index, text in enumerate(texts):
            cells = split(text)
            if len(cells) > MAX_COLUMNS:
                raise NNStudioError(
                    f"line {first_line + index} has {len(cells):,} columns: at most {MAX_COLUMNS:,} are read "
                    "(save only the columns you need)"
                )
            if not any(cells):  # a blank line, or one of separators only
                continue
            row = self.rows + len(lines)
            self._note_row(row, first_line + index, cells)
            values = [math.nan] * width
            for column, cell in enumerate(cells[:width]):
                if number_match(cell):
                    value = float(cell.replace(",", ".") if comma else cell)
                    if abs(value) <= MAX_ABS_VALUE:
                        values[column] = value
                        continue
                bad = self.bad_cells.setdefault(column, [])
                if len(bad) < 2:
                    bad.append((row, cell))
            flat.extend(values)
            lines.append(first_line + index)
        return np.array(flat, dtype=np.float64).reshape(len(lines), width), np.array(lines, dtype=np.int64)

    def _note_row(self, row: int, line: int, cells: list[str]) -> None:
        """The widths of the first two rows, the first ragged row after them, the first rows as written."""
        if row < PREVIEW_ROWS:
            self.preview.append((line, tuple(cells)))
        if row < 2:
            self.widths[row] = len(cells)
        elif self.first_ragged is None and len(cells) != self.widths[1]:
            self.first_ragged = (row, len(cells))

    def table_steps(self) -> Generator[float, None, CsvTable]:
        """The table, its blocks joined a few at a time (one big copy would hold the GIL for long)."""
        if self.format is None:
            self._fix_format()
            waiting, self.waiting = self.waiting, []
            for first, batch in waiting:
                self._add_rows(first, batch)
        values, lines = np.empty((self.rows, self.width)), np.empty(self.rows, dtype=np.int64)
        start = 0
        for index, (block, numbers) in enumerate(zip(self.blocks, self.line_blocks, strict=True)):
            values[start : start + len(block)] = block
            lines[start : start + len(block)] = numbers
            start += len(block)
            if index % 16 == 15:
                yield 1.0
        self.blocks, self.line_blocks = [], []
        bad = {column: tuple(cells) for column, cells in self.bad_cells.items()}
        return CsvTable(
            self.format, values, lines, tuple(self.preview), tuple(self.widths), self.first_ragged, bad, self.last_line
        )
