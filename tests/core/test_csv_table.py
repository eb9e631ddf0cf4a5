"""The one CSV reader: the files users really have, the caps on hostile ones, and parsing in chunks."""

import codecs

import numpy as np
import pytest

from nnstudio.core.datasets import csv_table
from nnstudio.core.datasets.csv_table import (
    CHUNK_BYTES,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    CsvFormat,
    detect_format,
    read_csv_bytes,
    read_csv_steps,
    read_csv_text,
)
from nnstudio.core.datasets.data import csv_labelled_points, csv_points, load_csv
from nnstudio.core.errors import NNStudioError

# --- what users' files look like -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "described", "y"),
    [
        pytest.param(
            "Größe;Gewicht\r\n1,5;2,25\r\n-2,5;3,5e2\r\n3;4,75\r\n".encode(),
            "separator semicolon ';', decimal comma, UTF-8",
            [2.25, 350.0, 4.75],
            id="european-excel",
        ),
        pytest.param(b"x\ty\n1.5\t2\n2\t3\n3\t4\n", "separator tab '\\t', decimal point, UTF-8", [2, 3, 4], id="tabs"),
        pytest.param(
            b"  x   y\n 1   2\n2 3  \n3   4\n", "separator spaces ' ', decimal point, UTF-8", [2, 3, 4], id="spaces"
        ),
        pytest.param(
            b"speed,dist\r4,2\r7,4\r8,16\r",
            "separator comma ',', decimal point, UTF-8, CR-only line endings (old Mac Excel)",
            [2, 4, 16],
            id="cr-only",
        ),
        pytest.param(
            codecs.BOM_UTF8 + b"x;y\n1;2\n2;3\n3;4\n", "separator semicolon ';', decimal point, UTF-8 with BOM",
            [2, 3, 4], id="utf8-bom",
        ),
        pytest.param(
            "x;y\r\n1,5;2\r\n2;3\r\n3;4\r\n".encode("utf-16"), "separator semicolon ';', decimal comma, UTF-16",
            [2, 3, 4], id="utf16",
        ),
        pytest.param("x,y\n1,2\n2,3\n3,4\n".encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]),
            "separator comma ',', decimal point, UTF-16", [2, 3, 4], id="utf16-be",
        ),
        pytest.param("x,y\n1,2\n2,3\n3,4\n".encode("utf-32"), "separator comma ',', decimal point, UTF-32", [2, 3, 4],
            id="utf32",
        ),
        pytest.param(b'"x","y"\n"1,5","2"\n"3","4"\n"5","6"\n', "separator comma ',', decimal point, UTF-8",
            None, id="quoted-comma",
        ),
    ],
)  # fmt: skip
def test_the_files_users_have_are_read_and_their_format_said(raw, described, y):
    table = read_csv_bytes(raw)
    assert table.format.describe() == described
    assert table.header_detected
    if y is None:  # "1,5" quoted in a comma file is one cell, and not a number with a decimal point
        with pytest.raises(NNStudioError, match=r"^line 2, column 1: '1,5' is not a number \(with decimal commas, sep"):
            csv_points(table)
        return
    x_values, y_values = csv_points(table)
    np.testing.assert_array_equal(y_values, y)
    assert len(x_values) == 3


def test_detection_follows_fixed_rules():
    assert detect_format(["1;2,5", "3;4,25"]) == CsvFormat(";", decimal_comma=True)
    assert detect_format(["1;2.5", "3;4,25"]) == CsvFormat(";", decimal_comma=False)  # a point anywhere: points
    assert detect_format(["1,5,2", "3,4,25"]) == CsvFormat(",")  # commas separate: never decimals
    assert detect_format(["a\tb;c", "1\t2;3"]).separator == "\t"  # tab before ';' before ','
    assert detect_format(["1 2", "3 4"]).separator == " "
    assert detect_format(["1;2", "3;4;5"]).separator == ";"  # ragged: the first line's, the error comes later
    assert detect_format(["17", "18"]).separator == ","  # one column
    assert detect_format([]) == CsvFormat()


@pytest.mark.parametrize("text", ["1_000", "１２", "٣", "1\u00a0000", "\u00a03", "1 000", "0x10", "½", "1e", "--1"])
def test_only_plain_ascii_numbers_are_numbers(text):
    with pytest.raises(NNStudioError, match=r"^line 3, column 2: .* is not a number$"):
        parse_points(f"x,y\n1,2\n2,{text}\n3,4\n")


def parse_points(text):
    return csv_points(read_csv_text(text))


def test_a_point_in_a_decimal_comma_file_is_explained():
    with pytest.raises(NNStudioError, match=r"'2\.5' is not a number \(this file writes decimals with a comma"):
        parse_points("x;y\n" + "".join(f"{i};{i},5\n" for i in range(30)) + "4;2.5\n")  # after the lines looked at


# --- hostile files: refused with one sentence, before they cost time or memory ---------------------


def test_a_line_longer_than_the_cap_is_refused_before_it_is_split():
    with pytest.raises(NNStudioError, match=r"^line 3 is longer than 100,000 characters"):
        read_csv_bytes(b"x,y\n1,2\n" + b"1," * (MAX_LINE_CHARS // 2 + 1) + b"\n")
    with pytest.raises(NNStudioError, match=r"^line 1 is longer than 100,000 characters"):
        read_csv_bytes(b"7" * (20 * CHUNK_BYTES))  # one endless line: stopped after two chunks, not at its end


def test_a_cell_longer_than_the_csv_modules_limit_is_one_message():
    with pytest.raises(NNStudioError, match=r"^line 3 is longer than 100,000 characters"):
        read_csv_bytes(b'x,y\n1,2\n3,"' + b"9" * 140_000 + b'"\n')


def test_too_many_columns_are_refused_and_never_taken_for_a_header():
    wide = ",".join(["h"] * (MAX_COLUMNS + 1))
    with pytest.raises(NNStudioError, match=r"^line 1 has 1,001 columns: at most 1,000 are read"):
        read_csv_text(wide + "\n1,2\n3,4\n")
    table = read_csv_text(",".join(map(str, range(MAX_COLUMNS))) + "\n" + ",".join(["1"] * MAX_COLUMNS) + "\n")
    assert table.width == MAX_COLUMNS and not table.header_detected


def test_rows_cells_and_bytes_beyond_the_caps_are_refused(monkeypatch):
    rows = b"".join(b"%d,%d\n" % (i, i) for i in range(50))
    with pytest.raises(NNStudioError, match=r"^the file has more than 40 rows: at most 40 points are read"):
        drain(read_csv_steps(rows, max_rows=41))
    monkeypatch.setattr(csv_table, "MAX_CELLS", 60)
    with pytest.raises(NNStudioError, match=r"^50 rows of 2 columns is more than 60 cells"):
        read_csv_bytes(rows)
    monkeypatch.setattr(csv_table, "MAX_CSV_BYTES", 100)
    with pytest.raises(NNStudioError, match=r"larger than 0.0001 MB"):
        read_csv_bytes(rows)


def drain(steps):
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1,2\n3,4\n".encode("utf-16-le"), "line 1: this looks like UTF-16 text without a byte-order mark"),
        (b"1,2\n\x00\x01\x02\xff", "line 1: this is a binary file, not CSV text"),
        (b"x,y\n1,2\n\n3,4\n5,\xe9\n", "line 5: not UTF-8 text (save the file as UTF-8 CSV)"),
        (b"x,y\r1,2\r3,\xe9\r", "line 3: not UTF-8 text (save the file as UTF-8 CSV)"),
        (b"\xef\xbb\xbfx,y\n1,2\n3,\xe9\n", "line 3: not UTF-8 text (save the file as UTF-8 CSV)"),
        (codecs.BOM_UTF16_LE + b"x\x00,\x00\x00\xdc", "the file is not valid UTF-16 text (save the file as UTF-8 CSV)"),
    ],
)
def test_text_that_is_not_utf8_or_marked_is_refused_with_what_to_do(raw, message):
    with pytest.raises(NNStudioError) as caught:
        read_csv_bytes(raw)
    assert str(caught.value).startswith(message)


def test_a_pipe_a_device_and_a_folder_are_refused_at_once(tmp_path):
    import os

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path in (pipe, zero):
        with pytest.raises(NNStudioError, match="not a regular file"):
            load_csv(path)
    with pytest.raises(NNStudioError, match="^cannot read"):
        load_csv(tmp_path)


# --- chunks, progress, and one parse for every choice ----------------------------------------------


def many_rows(count, start=0):
    rng = np.random.default_rng(start)
    x, y = rng.normal(size=count).tolist(), rng.normal(size=count).tolist()
    return x, y, "".join(f"{a!r},{b!r}\n" for a, b in zip(x, y, strict=True))


def test_many_chunks_read_the_same_numbers_and_report_progress():
    x, y, body = many_rows(20_000)
    raw = ("x,y\n" + body).encode()
    assert len(raw) > 8 * CHUNK_BYTES
    steps, progress = read_csv_steps(raw), []
    while True:
        try:
            progress.append(next(steps))
        except StopIteration as done:
            table = done.value
            break
    assert progress[0] < 0.5 and progress[-1] == 1.0 and progress == sorted(progress)
    read_x, read_y = csv_points(table)
    assert read_x.tolist() == x and read_y.tolist() == y  # repr() round-trips exactly
    np.testing.assert_array_equal(table.lines, np.arange(1, 20_002))  # the header's row too


def test_problems_deep_in_the_file_are_found_in_any_chunk():
    _, _, body = many_rows(20_000)
    lines = ("x,y\n" + body).splitlines(keepends=True)
    lines[15_001] = "1.5,oops\n"  # line 15002
    table = read_csv_text("".join(lines))
    with pytest.raises(NNStudioError, match=r"^line 15002, column 2: 'oops' is not a number$"):
        csv_points(table)
    assert table.row_cells(15_002) == ("1.5", "oops")  # the row the dialog shows, as written where it matters
    lines[15_001] = "1,2\n"
    lines[12_000] = "1,2,3\n"
    with pytest.raises(NNStudioError, match=r"^line 12001: 3 columns, but the first row has 2$"):
        csv_points(read_csv_text("".join(lines)))


def test_a_crlf_split_between_two_chunks_is_one_line_end():
    text = "x,y\r\n" + "1,2\r\n" * 1000
    text += "1," + " " * (CHUNK_BYTES - 4 - len(text)) + "2\r\n"  # its "\r" is the first chunk's last byte
    assert text.encode()[CHUNK_BYTES - 1 : CHUNK_BYTES + 1] == b"\r\n"
    with pytest.raises(NNStudioError, match=r"^line 1003, column 2: 'oops' is not a number$"):
        parse_points(text + "3,oops\r\n")


def test_one_parse_serves_every_choice_of_columns_and_header():
    table = read_csv_text("a;b;class\n0,5;1;0\n2;-1;1\n3;4;2\n")
    assert csv_points(table, 0, 1)[0].tolist() == [0.5, 2.0, 3.0]
    assert csv_points(table, 2, 0)[1].tolist() == [0.5, 2.0, 3.0]
    x, labels = csv_labelled_points(table, (1, 0), 2)
    assert x.tolist() == [[1.0, 0.5], [-1.0, 2.0], [4.0, 3.0]] and labels.tolist() == [0, 1, 2]
    with pytest.raises(NNStudioError, match=r"^line 1, column 1: 'a' is not a number$"):
        csv_points(table, 0, 1, header=False)
