"""Hostile inputs, proved: whatever a class feeds nnstudio, it works or says why, and no file is harmed.

Hypothesis throws random CSV text and bytes (any encoding, separator, quoting, NaN and infinity,
1e400, blank lines) and random experiment files (wrong types, missing and unknown keys, absurd sizes,
deep nesting) at the readers and at `nnstudio train`. Each input either works or ends in an
NNStudioError: exit code 2 with exactly one line on stderr, never a traceback, and the input file
is left byte for byte as it was. The default run uses a few examples; `pytest --slow` many more.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import assume, example, given
from hypothesis import strategies as st

from nnstudio.core.datasets.csv_table import MAX_ABS_VALUE, read_csv_bytes
from nnstudio.core.datasets.data import csv_labelled_points, csv_points, load_csv, parse_csv
from nnstudio.core.engine.experiment import MAX_FILE_BYTES, Experiment
from nnstudio.core.engine.presets import preset
from nnstudio.core.errors import NNStudioError
from tests.archive_crafting import (
    EXTREMES,
    archive_with_a_mutated_member,
    members,
    npy,
    npz_bomb,
    numbers_in,
    set_at,
    with_arrays,
    with_members,
    with_run,
)
from tests.hostile import assert_clean_ending, fingerprint, hostile_settings, run_cli, scaled
from tests.portability import posix_only

# --- CSV text --------------------------------------------------------------------------------------

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e6, 1e6).map(lambda v: f"{v:.6g}"),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1e-400",
            "nan",
            "NaN",
            "-inf",
            "Infinity",
            "1_000",
            "0x10",
            "1,5",
            "١٢",
            "½",
            " 3 ",
            "+4",
            ".5",
            "5.",
            "e5",
            "--1",
            "",
            " ",
            "1e308",
            "-1.7976931348623157e308",
            "9" * 400,
        ]
    ),
)
CELL = st.one_of(NUMBER_TEXT, NUMBER_TEXT.map(lambda text: f'"{text}"'), st.text(max_size=6))
SEPARATOR = st.sampled_from([",", ";", "\t", "|", " ", ", "])
LINE_END = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_texts(draw) -> str:
    """Text shaped like a CSV file, with every kind of trouble mixed in."""
    separator, end = draw(SEPARATOR), draw(LINE_END)
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=4), min_size=0, max_size=12))
    lines = [separator.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(0, separator.join(draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))))
    for _ in range(draw(st.integers(0, 2))):  # blank lines anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", "\t", separator])))
    text = end.join(lines) + draw(st.sampled_from(["", end, end * 3]))
    return ("\ufeff" if draw(st.booleans()) else "") + text


@st.composite
def numeric_csv_texts(draw) -> str:
    """Mostly good numbers in two or three columns (so that many examples reach training), some extreme."""
    number = st.one_of(
        st.floats(-1e3, 1e3).map(repr),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),  # up to ±1.8e308: overflows in training
        st.sampled_from(["0", "1e-320", "1e300", "-1e300", "1e400", "nan"]),
    )
    width = draw(st.integers(2, 3))
    rows = draw(st.lists(st.lists(number, min_size=width, max_size=width), min_size=2, max_size=30))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    header = [separator.join(["x", "y", "z"][:width])] if draw(st.booleans()) else []
    return "\n".join(header + [separator.join(row) for row in rows]) + "\n"


ANY_TEXT = st.one_of(csv_texts(), numeric_csv_texts(), st.text(max_size=200))
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"])


@st.composite
def csv_bytes(draw) -> bytes:
    """A CSV file's bytes: text in some encoding, or bytes that are not text at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    return draw(ANY_TEXT).encode(draw(ENCODING), errors="replace")


def check_points(x: np.ndarray, y: np.ndarray) -> None:
    """What a successful read promises: two equally long float columns, at least two finite rows."""
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert x.shape == y.shape and x.ndim == 1 and len(x) >= 2
    assert np.isfinite(x).all() and np.isfinite(y).all()


def check_message(error: NNStudioError) -> None:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message, repr(message)


def train_ends_cleanly_on(path: Path, *options: str) -> None:
    """`nnstudio train --experiment path`: one clean ending, and nothing in the file's folder changed."""
    before = fingerprint(path.parent)
    code, out, err = run_cli("train", "--experiment", str(path), *options)
    assert_clean_ending(code, out, err)
    assert fingerprint(path.parent) == before


@scaled
def test_parse_csv_reads_numbers_or_names_the_problem(scale):
    @hostile_settings(300, scale)
    @given(ANY_TEXT, st.integers(0, 3), st.integers(0, 3), st.sampled_from([None, True, False]))
    def check(text, x_column, y_column, header):
        assume(x_column != y_column)
        try:
            x, y = parse_csv(text, x_column, y_column, header)
        except NNStudioError as error:
            check_message(error)
        else:
            check_points(x, y)

    check()


@scaled
def test_load_csv_reads_any_bytes_without_changing_the_file(scale, tmp_path):
    path = tmp_path / "points.csv"

    @hostile_settings(100, scale)
    @given(csv_bytes())
    def check(raw):
        path.write_bytes(raw)
        before = fingerprint(tmp_path)
        try:
            x, y = load_csv(path)
        except NNStudioError as error:
            check_message(error)
        else:
            check_points(x, y)
        assert fingerprint(tmp_path) == before

    check()


# --- CSV bytes: what the reader behind both the command line and the window's dialog gets -----------

VALID_FILES = [
    b"x,y\n1,2\n2,3.5\n3,5\n4,4\n",
    "Größe;Gewicht\r\n1,5;2,25\r\n2,5;3,5\r\n3;4,75\r\n".encode(),
    b"a\tb\tlabel\n0.5\t1\t0\n2\t-1\t1\n3\t4\t2\n",
    b"speed dist\r4 2\r7 4\r8 16\r",
    b'"x","y"\n"1,5","2"\n"3","4"\n',
]
EXTREME_NUMBERS = [
    "1e150", "-1e150", "1.0000000001e150", "1e151", "5e-324", "1e-400", "1.7976931348623157e308", "9" * 400,
    "+.5", "-.5e-3", "5.", "-0", "00012", "1e+0400", "0x1p3", "1_000", "１２", "٣", "1\u00a0000", "1 000", "∞",
    "NaN", "-inf", "1,5", "1.5", "1e", "e1", ".", "-",
]  # fmt: skip


@st.composite
def mutated_csv_bytes(draw) -> bytes:
    """A valid file with a few bytes flipped, inserted or deleted, and maybe re-encoded."""
    raw = bytearray(draw(st.sampled_from(VALID_FILES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cell"]))
        if kind == "flip" and at < len(raw):
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            raw[at:at] = draw(st.sampled_from([b"\r", b"\n", b",", b";", b"\t", b'"', b" ", b"\x00", b"\xef\xbb\xbf"]))
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 4))]
        else:
            raw[at:at] = draw(st.sampled_from(EXTREME_NUMBERS)).encode()
    if draw(st.integers(0, 5)) == 0:
        return bytes(raw).decode("utf-8", "replace").encode(draw(st.sampled_from(["utf-16", "utf-32", "utf-16-le"])))
    return bytes(raw)


@st.composite
def extreme_number_bytes(draw) -> bytes:
    """Rows of numbers at and beyond every edge, in a detected separator and decimal mark."""
    separator = draw(st.sampled_from([",", ";", "\t", " "]))
    cells = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.floats().map(repr))
    rows = draw(st.lists(st.lists(cells, min_size=2, max_size=3), min_size=1, max_size=8))
    return "\n".join(separator.join(row) for row in rows).encode()


CSV_FILE_BYTES = st.one_of(st.binary(max_size=400), mutated_csv_bytes(), extreme_number_bytes(), csv_bytes())


def check_table_or_message(raw: bytes) -> object:
    """Read `raw` and every choice of columns and header: points, or one clear NNStudioError each."""
    try:
        table = read_csv_bytes(raw)
    except NNStudioError as error:
        check_message(error)
        return None
    assert table.values.shape == (table.row_count, table.width) and table.lines.shape == (table.row_count,)
    assert np.all(np.diff(table.lines) > 0)
    columns = range(min(table.width, 3))
    for header in (None, True, False):
        for x_column in columns:
            for y_column in columns:
                if x_column == y_column:
                    continue
                try:
                    x, y = csv_points(table, x_column, y_column, header)
                except NNStudioError as error:
                    check_message(error)
                else:
                    check_points(x, y)
                    assert np.abs(x).max() <= MAX_ABS_VALUE and np.abs(y).max() <= MAX_ABS_VALUE
        if table.width >= 3:
            try:
                x, labels = csv_labelled_points(table, (0, 1), 2, header)
            except NNStudioError as error:
                check_message(error)
            else:
                assert x.shape == (len(labels), 2) and set(np.unique(labels)) == set(range(int(labels.max()) + 1))
    return table


@scaled
def test_any_csv_bytes_give_a_table_or_one_clear_message(scale):
    outcomes = set()

    @hostile_settings(400, scale)
    @given(CSV_FILE_BYTES)
    @example(VALID_FILES[1])  # surely a table...
    @example(b"\x00\x01")  # ...and surely a refusal
    def check(raw):
        outcomes.add("table" if check_table_or_message(raw) is not None else "refused")

    check()
    assert outcomes == {"table", "refused"}


@pytest.mark.parametrize("text", ["1_000", "１２", "٣", "1\u00a0000", "1 000", "0x1p3", "∞"])
def test_what_float_accepts_but_no_spreadsheet_means_is_not_a_number(text):
    with pytest.raises(NNStudioError, match=r"line 2, column 2: .* is not a number$"):
        parse_csv(f"x;y\n1;{text}\n2;3\n")


def test_a_csv_file_in_utf16_or_latin1_is_read_or_refused_in_one_line(tmp_path):
    text = "x,y\n1,2\n2,3.5\n3,4\n"
    for encoding in ("utf-16", "latin-1", "utf-8-sig", "cp1252"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        try:
            x, y = load_csv(path)
        except NNStudioError as error:
            assert "UTF-8" in str(error) and path.name in str(error)  # says what to do about it
        else:
            np.testing.assert_array_equal(y, [2, 3.5, 4])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("größe,wert\n1,2\n3,4\n".encode("latin-1"))
    with pytest.raises(NNStudioError, match="line 1: not UTF-8"):
        load_csv(latin)


@scaled
def test_train_on_hostile_csv_files_exits_cleanly_and_leaves_them_alone(scale, tmp_path):
    path = tmp_path / "points.csv"

    @hostile_settings(60, scale)
    @given(csv_bytes(), st.booleans())
    @example(b"x,y\n1,2\n2,3.5\n3,5\n", False)  # one that surely trains
    def check(raw, standardize):
        path.write_bytes(raw)
        before = fingerprint(tmp_path)
        options = ["--standardize"] if standardize else []
        code, out, err = run_cli("train", "--data", str(path), "--epochs", "2", "--log-every", "1", "--json", *options)
        assert_clean_ending(code, out, err)
        if code != 2:
            summary = json.loads(out.splitlines()[-1])
            assert summary["epochs"] <= 2 and summary["steps"] >= 1
            trained.append(code)
        assert fingerprint(tmp_path) == before

    trained = []
    check()
    assert trained, "no example got as far as training: the strategy needs more valid files"


@posix_only
def test_files_that_are_not_files_are_refused_at_once(tmp_path):
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # reading a named pipe would wait forever for a writer
    for target in ("/dev/zero", str(fifo), str(tmp_path)):  # endless, blocking, a folder
        for option in ("--data", "--experiment"):
            code, out, err = run_cli("train", option, target, "--epochs", "1")
            assert_clean_ending(code, out, err, allowed=(2,))
            assert "cannot read" in err


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES + 10) + b"\n")
    code, _, err = run_cli("train", "--experiment", str(big))
    assert code == 2 and ("large" in err or "kB" in err)


# --- experiment files ------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 1, 2, 4096, 4097, 10**5, 10**7, 10**7 + 1, 10**30, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-300, 1e9, 1e10, -0.0, 0.9, 0.91, 1e400]),
    st.text(max_size=12),
    st.sampled_from(["relu", "tanh", "adam", "gd", "sine", "csv", "torch", "numpy", "float32", "cuda", ""]),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def experiment_trees(draw) -> dict:
    """A valid experiment, then a few random mutations: keys dropped, retyped, added, values made absurd."""
    tree = preset(draw(st.sampled_from(["sine", "linear", "sine-tanh-deep"]))).to_dict()
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from([None, "data", "model", "training"]))
        table = tree if section is None else tree.setdefault(section, {})
        if not isinstance(table, dict):
            continue
        action = draw(st.sampled_from(["drop", "retype", "add", "layers", "section"]))
        if action == "drop" and table:
            del table[draw(st.sampled_from(sorted(table)))]
        elif action == "retype" and table:
            table[draw(st.sampled_from(sorted(table)))] = draw(VALUES)
        elif action == "add":
            table[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        elif action == "layers" and isinstance(tree.setdefault("model", {}), dict):
            layer = {"units": draw(st.sampled_from([0, 1, 3, 64, 4096, 4097, 10**5])), "activation": "tanh"}
            tree["model"]["hidden"] = [layer] * draw(st.sampled_from([0, 1, 2, 16, 17, 40]))
        elif action == "section":
            tree[draw(st.sampled_from(["data", "model", "training"]))] = draw(VALUES)
    return tree


def write_toml(tree: dict) -> str | None:
    try:
        return tomli_w.dumps(tree)
    except (TypeError, ValueError):  # a shape TOML cannot hold (say, a list at the top): not a file at all
        return None


@scaled
def test_experiment_load_builds_a_valid_experiment_or_names_the_problem(scale, tmp_path):
    path = tmp_path / "lesson.toml"

    @hostile_settings(200, scale)
    @given(experiment_trees())
    def check(tree):
        text = write_toml(tree)
        assume(text is not None)
        path.write_text(text, encoding="utf-8")
        before = fingerprint(tmp_path)
        try:
            experiment = Experiment.load(path)
        except NNStudioError as error:
            check_message(error)
        else:
            assert Experiment.from_toml(experiment.to_toml()) == experiment  # what loads, saves and loads again
        assert fingerprint(tmp_path) == before

    check()


@scaled
def test_train_on_hostile_experiment_files_exits_cleanly(scale, tmp_path):
    path = tmp_path / "lesson.toml"

    @hostile_settings(40, scale)
    @given(experiment_trees())
    def check(tree):
        text = write_toml(tree)
        assume(text is not None)
        data = tree.get("data") if isinstance(tree.get("data"), dict) else {}
        points = data.get("n_points", 100)
        assume(not isinstance(points, int) or points <= 2000 or points > 5_000_000)  # keep an example quick
        path.write_text(text, encoding="utf-8")
        train_ends_cleanly_on(path, "--epochs", "2", "--json")

    check()


@scaled
def test_random_text_and_bytes_as_an_experiment_file(scale, tmp_path):
    path = tmp_path / "lesson.toml"

    @hostile_settings(100, scale)
    @given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
    def check(raw):
        path.write_bytes(raw)
        train_ends_cleanly_on(path, "--epochs", "1")

    check()


@pytest.fixture(scope="module")
def saved_run() -> bytes:
    """A real `.nnstudio` file: the sine experiment after 20 epochs, with its histories."""
    from nnstudio.core.engine.trainer import Trainer
    from nnstudio.core.storage.archive import archive_bytes, capture

    trainer = Trainer(preset("sine-tanh-deep"))
    for _ in trainer.run(until_epoch=20):
        pass
    return archive_bytes(capture(trainer))


@st.composite
def damaged(draw, raw: bytes) -> bytes:
    """`raw` cut short, with bytes overwritten, inserted or dropped, or only its first bytes kept."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "drop"]))
        if action == "flip" and data:
            data[where] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[where:]
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        elif action == "drop":
            del data[where : where + draw(st.integers(1, 64))]
    return bytes(data)


@scaled
def test_a_damaged_saved_run_is_refused_in_one_line_and_left_alone(scale, tmp_path, saved_run):
    path = tmp_path / "lesson.nnstudio"
    path.write_bytes(saved_run)
    code, out, err = run_cli("train", "--experiment", str(path), "--epochs", "22", "--json")
    assert code == 0, err  # the undamaged file continues from epoch 20
    assert json.loads(out.splitlines()[-1])["epochs"] == 22

    @hostile_settings(40, scale)
    @given(damaged(saved_run))
    def check(raw):
        path.write_bytes(raw)
        train_ends_cleanly_on(path, "--epochs", "22", "--json")

    check()


@scaled
def test_a_saved_run_with_any_member_mutated_ends_cleanly(scale, tmp_path, saved_run):
    """Each member (and each array inside arrays.npz) bit-flipped, cut or extended, the archive's own
    checksums made right again, so the damage reaches the readers behind them."""
    path = tmp_path / "lesson.nnstudio"

    @hostile_settings(30, scale)
    @given(archive_with_a_mutated_member(saved_run))
    def check(raw):
        path.write_bytes(raw)
        train_ends_cleanly_on(path, "--epochs", "22", "--json")

    check()


@scaled
def test_every_number_in_a_saved_run_pushed_to_an_extreme_ends_cleanly(scale, tmp_path, saved_run):
    """Every number in run.toml, each extreme in turn (CI: a handful of them; --slow: all)."""
    summary = tomllib.loads(members(saved_run)["run.toml"].decode())
    path = tmp_path / "lesson.nnstudio"
    extremes = EXTREMES if scale > 1 else [-1, 2**53 + 1, 10**400, float("inf"), float("nan"), "9"]
    refused = 0
    for where in numbers_in(summary):
        for value in extremes:
            path.write_bytes(with_run(saved_run, set_at(summary, where, value)))
            code, out, err = run_cli("train", "--experiment", str(path), "--epochs", "21", "--json")
            assert_clean_ending(code, out, err)
            refused += code == 2
    assert refused > len(numbers_in(summary))  # most extremes are refused, each in one line


@pytest.mark.parametrize(
    ("craft", "message"),
    [
        (lambda run: with_members(run, arrays_npz=npz_bomb("loss_history/train", 64 * 2**20)), "a zip bomb?"),
        (lambda run: with_arrays(run, state__parameters__W1=b"no magic"), "lacks the .npy mark"),
        (lambda run: with_members(run, run_toml=b"a = " + b"[" * 5000 + b"]" * 5000), "nests its values too deeply"),
        (
            lambda run: with_run(
                run, set_at(tomllib.loads(members(run)["run.toml"].decode()), ("progress", "epoch"), 2**62)
            ),
            "progress.epoch = 4611686018427387904 is more than any run can reach",
        ),
        (
            lambda run: with_arrays(run, loss_history__train=npy(np.zeros(20), shape=(10**12,))),
            "loss_history/train holds 1000000000000 values, but the run stands at epoch 20",
        ),
    ],
    ids=["zip-bomb", "no-npy-magic", "deep-run-toml", "epoch-2**62", "shape-1e12"],
)
def test_a_crafted_saved_run_is_refused_in_one_line(tmp_path, saved_run, craft, message):
    path = tmp_path / "crafted.nnstudio"
    path.write_bytes(craft(saved_run))
    code, out, err = run_cli("train", "--experiment", str(path), "--epochs", "22")
    assert_clean_ending(code, out, err, allowed=(2,))
    assert err.startswith("nnstudio: error: crafted.nnstudio: ") and message in err, err


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000,  # arrays in arrays: tomllib recurses
        "a = " + "{b = " * 2000 + "1" + "}" * 2000,  # tables in tables
        ".".join(["a"] * 8000) + " = 1",  # a dotted key: tomllib's memory grows with its square
        "[" + ".".join(["t"] * 3000) + "]\nx = 1",
        "[data]\nn_points = " + "9" * 5000,  # an integer Python refuses to convert
        "[training]\nlearning_rate = 1e400",  # TOML's float overflows to inf
        "format_version = 99",
        "[model]\nhidden = [" + ", ".join(['{units = 4096, activation = "relu"}'] * 16) + "]",
        '[data]\nn_points = 10000000\n[model]\nhidden = [{units = 4096, activation = "relu"}]',
    ],
    ids=[
        "nested-arrays",
        "nested-tables",
        "dotted-key",
        "dotted-table",
        "long-int",
        "1e400",
        "newer",
        "16x4096",
        "1e7-points",
    ],
)
def test_pathological_experiment_files_are_refused_quickly_in_one_line(text, tmp_path):
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli("train", "--experiment", str(path), "--epochs", "1")
    assert_clean_ending(code, out, err, allowed=(2,))


# --- extreme settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, fragment",
    [
        (["--lr", "0"], "learning_rate"),
        (["--lr", "-0.1"], "learning_rate"),
        (["--lr", "1e10"], "learning_rate"),
        (["--lr", "nan"], "finite"),
        (["--lr", "inf"], "finite"),
        (["--hidden", "0"], "units"),
        (["--hidden", "100000"], "units"),
        (["--hidden", ",".join(["8"] * 17)], "hidden"),
        (["--hidden", "4096,4096,4096,4096"], "memory"),
        (["--epochs", "0"], "epochs"),
        (["--epochs", "10000001"], "epochs"),
        (["--batch-size", "0"], "batch_size"),
        (["--seed", "-1"], "seed"),
        (["--seed", str(2**32)], "seed"),
        (["--test-fraction", "0.95"], "test_fraction"),
        (["--log-every", "0"], "log_every"),
    ],
)
def test_extreme_settings_are_refused_with_the_setting_named(options, fragment):
    code, out, err = run_cli("train", "--preset", "sine", *options)
    assert_clean_ending(code, out, err, allowed=(2,))
    assert fragment in err


def test_a_learning_rate_of_1e9_diverges_and_says_so():
    code, out, err = run_cli("train", "--preset", "sine", "--optimizer", "gd", "--lr", "1e9", "--json")
    assert code == 1 and err == ""
    summary = json.loads(out.splitlines()[-1])
    assert summary["diverged"] is True and "learning rate" in summary["message"]
    code, out, err = run_cli("train", "--preset", "sine", "--optimizer", "gd", "--lr", "1e9")
    assert code == 1 and err.count("\n") == 1 and "Diverged" in err and "Traceback" not in err


def test_a_batch_larger_than_the_data_is_one_full_batch():
    code, out, err = run_cli("train", "--preset", "sine", "--batch-size", "1000000", "--epochs", "3", "--json")
    assert_clean_ending(code, out, err, allowed=(0,))
    assert json.loads(out.splitlines()[-1])["steps"] == 3


def test_ten_million_epochs_run_until_stopped():
    """10⁷ epochs is a valid (long) run: it trains, and stops cleanly when asked."""
    from nnstudio.core.engine.trainer import STOPPED, TRAINING, CancelToken, Trainer

    trainer = Trainer(preset("sine").with_training(epochs=10_000_000))
    cancel = CancelToken()
    run = trainer.run(until_epoch=trainer.training.epochs, snapshot_interval=0.01, cancel=cancel)
    snapshots = [next(run) for _ in range(3)]
    assert all(s.status == TRAINING for s in snapshots) and trainer.epoch > 0
    cancel.cancel()
    final = next(run)
    assert final.status == STOPPED and 0 < trainer.epoch < 10_000_000
    assert math.isfinite(trainer.last_step_loss)


@posix_only
def test_ten_million_epochs_on_the_command_line_stop_on_ctrl_c():
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "nnstudio", "train", "--preset", "sine", "--epochs", "10000000", "--log-every", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()  # it is training: a log line came
        assert first.startswith("Epoch: 1000 ")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip() == "nnstudio train: interrupted" and "Traceback" not in err
