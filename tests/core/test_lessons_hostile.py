"""Hostile lesson files: whatever bytes a lesson holds, it loads with every value of the right kind,
or it is refused with one NNStudioError. Never a TypeError, a RecursionError or a hang.

Two suites: random byte mutations of the shipped lessons (flipped, inserted, deleted, cut off), and
the shipped lessons with one value anywhere in the tree replaced by a value of any TOML kind.
"""

from __future__ import annotations

import copy
import datetime
import math
import tomllib

import tomli_w
from hypothesis import example, given
from hypothesis import strategies as st

from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.lessons import (
    INSTRUMENT_TABS,
    INSTRUMENTS,
    Lesson,
    load_lesson,
    parse_lesson,
    shipped_lessons,
)
from tests.hostile import hostile_settings, scaled

SHIPPED = [path.read_bytes() for path in shipped_lessons()]


def assert_well_formed(lesson: Lesson) -> None:
    """Everything the panel and "Set up" touch has the type they expect."""
    assert isinstance(lesson.title, str) and lesson.title and isinstance(lesson.description, str)
    assert isinstance(lesson.pages, tuple) and lesson.pages
    for page in lesson.pages:
        assert all(isinstance(text, str) for text in (page.title, page.text, page.formula)) and page.title
        if page.setup is not None:
            assert page.setup.preset is None or page.setup.preset in PRESETS
            assert page.setup.instrument is None or page.setup.instrument in INSTRUMENTS
            assert page.setup.tab is None or page.setup.tab in INSTRUMENT_TABS[page.setup.instrument]
            page.setup.experiment()  # checked on loading, so it builds again without complaint
        assert isinstance(page.then, tuple) and (page.setup is not None or not page.then)
        for expect in (page.expect, *page.then):
            if expect is None:
                continue
            assert type(expect.epochs) is int and expect.epochs >= 1
            assert type(expect.loss_falls) is bool and type(expect.diverges) is bool
            assert type(expect.gradients_agree) is bool and isinstance(expect.training, dict)
            assert expect.diverges_within is None or (type(expect.diverges_within) is int and expect.diverges)
            for bound in (expect.loss_below, expect.loss_above):
                assert bound is None or (type(bound) is float and math.isfinite(bound))
            page.setup.experiment(expect.training)  # the settings a [[then]] run changes were checked too


def parse_or_refuse(raw: bytes) -> None:
    try:
        lesson = parse_lesson(raw, "hostile.toml")
    except NNStudioError as error:
        message = str(error)
        assert message.startswith("hostile.toml") and "\n" not in message.strip(), message
        return
    assert_well_formed(lesson)


# --- bytes ---------------------------------------------------------------------------------------


@st.composite
def mutated_lessons(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "splice"]))
        at = draw(st.integers(0, len(raw)))
        if kind == "flip" and at < len(raw):
            raw[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from([b"[", b"]", b"{", b"=", b'"', b"'''", b"\n[[pages]]\n", b"nan", b"1e999", b".a"]),
                )
            )
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        elif kind == "cut":
            del raw[at:]
        elif kind == "splice":  # a line moved elsewhere: keys end up in the wrong table
            lines = bytes(raw).split(b"\n")
            line = lines.pop(draw(st.integers(0, len(lines) - 1)))
            lines.insert(draw(st.integers(0, len(lines))), line)
            raw = bytearray(b"\n".join(lines))
    return bytes(raw)


@scaled
def test_mutated_lesson_bytes_load_well_formed_or_are_refused_in_one_sentence(scale):
    @hostile_settings(200, scale)
    @given(mutated_lessons())
    @example(b"\xef\xbb\xbf" + SHIPPED[0])  # a byte-order mark, as Windows editors write
    @example(b"\xff\xfe" + SHIPPED[0])
    @example(b"x = " + b"[" * 5000)
    @example(b"x = " + b"{a = " * 3000)
    def check(raw):
        parse_or_refuse(raw)

    check()


# --- values of every kind in every place -------------------------------------------------------------

SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["linear", "sine", "inspector", "", " ", "<font size=7>big</font>", "1", "true"]),
    st.dates(),
    st.datetimes(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["a", "epochs", "preset"]), children, max_size=3),
    ),
    max_leaves=6,
)


def places(tree, path=()):
    """The path to every value in the tree (tables and lists included)."""
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from places(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from places(value, (*path, index))


def replaced(tree, path, value):
    tree = copy.deepcopy(tree)
    if not path:
        return value
    holder = tree
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return tree


@st.composite
def lessons_with_a_wrong_value(draw) -> bytes:
    tree = tomllib.loads(draw(st.sampled_from(SHIPPED)).decode("utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(places(tree))[1:]))
        if draw(st.booleans()) and isinstance(path[-1], str):  # the same value under a key nobody expects
            path = (*path[:-1], draw(st.sampled_from(["preset", "instrument", "epochs", "format_version", "x"])))
            holder = tree
            for step in path[:-1]:
                holder = holder[step]
            if not isinstance(holder, dict):
                continue
        tree = replaced(tree, path, draw(VALUES))
    return tomli_w.dumps(tree).encode("utf-8")


@scaled
def test_a_value_of_any_kind_in_any_place_loads_well_formed_or_is_refused_in_one_sentence(scale):
    @hostile_settings(300, scale)
    @given(lessons_with_a_wrong_value())
    def check(raw):
        parse_or_refuse(raw)

    check()


def test_every_key_of_a_page_with_every_wrong_kind_is_refused_by_name():
    """Not left to chance: each key the parser reads, given each kind of value it must not accept."""
    kinds = {
        "text": "'words'",
        "a whole number": "3",
        "a number": "2.5",
        "true/false": "true",
        "a list": "['linear']",
        "a table": "{ a = 1 }",
        "a date or time": "1979-05-27",
    }
    page = "title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n"
    setup = page + "[pages.setup]\npreset = 'linear'\n"
    expect = setup + "[pages.expect]\nepochs = 5\n"
    cases = {  # key: (the text before it, the kinds it accepts)
        "title": (page, {"text"}),
        "formula": (page, {"text"}),
        "preset": (page + "[pages.setup]\n", set()),  # text, but only a preset's name: checked below
        "instrument": (setup, set()),
        "loss_falls": (expect, {"true/false"}),
        "diverges": (expect, {"true/false"}),
        "loss_below": (expect, {"a whole number", "a number"}),
        "loss_above": (expect, {"a whole number", "a number"}),
        "gradients_agree": (expect, {"true/false"}),
    }
    for key, (before, accepted) in cases.items():
        for kind, value in kinds.items():
            if key == "title":  # the page's own title, replaced
                text = f"title = 'x'\n[[pages]]\ntext = 'b'\ntitle = {value}\n"
            else:
                text = before + f"{key} = {value}\n"
            if kind in accepted:
                assert_well_formed(parse_lesson(text, "k.toml"))
                continue
            try:
                parse_lesson(text, "k.toml")
            except NNStudioError as error:
                assert key in str(error) and "page 1" in str(error), (key, kind, str(error))
            else:
                raise AssertionError(f"{key} = {value} was accepted")


def test_a_date_where_text_belongs_is_named():
    lesson = f"title = {datetime.date(2020, 1, 1).isoformat()}\n[[pages]]\ntitle = 'a'\ntext = 'b'\n"
    try:
        parse_lesson(lesson, "d.toml")
    except NNStudioError as error:
        assert str(error) == "d.toml: 'title' must be text, not a date or time"
    else:
        raise AssertionError("a date was accepted as the title")


def test_the_shipped_lessons_survive_their_own_round_trip(tmp_path):
    for raw in SHIPPED:
        path = tmp_path / "copy.toml"
        path.write_bytes(tomli_w.dumps(tomllib.loads(raw.decode("utf-8"))).encode("utf-8"))
        assert_well_formed(load_lesson(path))
