"""The one TOML reader every file of nnstudio goes through: capped, BOM-tolerant, never quadratic."""

import tracemalloc

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import MAX_DOTTED_PARTS, parse_toml


def test_reads_a_table_and_accepts_a_byte_order_mark():
    assert parse_toml(b'\xef\xbb\xbfa = 1\n[b.c]\nd = "x.y.z"\n', "the file", 1000) == {
        "a": 1,
        "b": {"c": {"d": "x.y.z"}},
    }


def test_prose_full_of_full_stops_is_text_not_a_key():
    prose = "One. Two. Three. " * 200
    assert parse_toml(f'text = """\n{prose}"""\nshort = \'{prose}\'', "a lesson", 100_000)["short"] == prose


@pytest.mark.parametrize(
    "text",
    [
        "a" + ".a" * 20_000 + " = 1",
        "[" + ".".join(['"q"'] * 20_000) + "]",
        "x = {y = 1, " + " . ".join(["q"] * 20_000) + " = 2}",
    ],
    ids=["dotted key", "quoted table header", "inline table with spaces"],
)
def test_a_long_dotted_key_is_refused_before_parsing(text):
    tracemalloc.start()
    with pytest.raises(NNStudioError, match=f"more than {MAX_DOTTED_PARTS} parts"):
        parse_toml(text, "run.toml", 1_000_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000  # tomllib itself would need gigabytes for this key


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"x = 1\n" * 100, "the file is 600 bytes; at most 500 bytes is read"),
        (b"x = '\xff'", "the file is not UTF-8 text"),
        (b"x = " + b"[" * 50_000, "the file nests its values too deeply"),
        (b"x = = 1", "the file is not valid TOML"),
        (b"x = 1" + b"0" * 5000, "the file is not valid TOML"),
    ],
    ids=["too large", "not utf-8", "deep nesting", "syntax", "huge integer"],
)
def test_bad_toml_gives_one_sentence(raw, message):
    limit = 500 if raw.startswith(b"x = 1\n") else 100_000
    with pytest.raises(NNStudioError) as caught:
        parse_toml(raw, "the file", limit)
    assert str(caught.value).startswith(message)
