"""Every shipped lesson loads, and every page's set-up trains the way its text says."""

import os

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.lessons import MAX_LESSON_BYTES, load_lesson, parse_lesson, shipped_lessons
from tests.portability import needs_dev_zero

LESSON_FILES = shipped_lessons()
PAGES = [
    pytest.param(path, index, id=f"{path.stem}-page{index + 1}")
    for path in LESSON_FILES
    for index in range(len(load_lesson(path).pages))
]


def test_the_tutorial_lesson_comes_first_and_has_its_seven_steps():
    assert LESSON_FILES[0].name == "01-neural-networks-in-r.toml"
    assert len(load_lesson(LESSON_FILES[0]).pages) >= 7
    assert len(LESSON_FILES) >= 2


def test_the_tutorial_pages_follow_its_order():
    pages = load_lesson(LESSON_FILES[0]).pages
    presets = [page.setup.preset for page in pages[:7]]
    assert presets == ["linear", "line-manual", "linear", "linear", "sine-linear", "sine", "sine"]
    assert pages[2].setup.instrument == "inspector" and pages[2].setup.tab == "gradients"  # the three gradients
    assert "−2xᵀ(y − xw)" in pages[2].formula


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "at least one [[pages]]"),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\n", "'text' must be non-empty text"),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[pages.setup]\npreset = 'nope'\n", "unknown preset"),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[pages.setup]\ninstrument = 'x'\n", "unknown instrument"),
        (
            "title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[pages.setup.training]\nlearning_rate = -1\n",
            "learning_rate",
        ),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[pages.expect]\nepochs = 5\n", "needs a [setup]"),
        ("title = 'x'\nfoo = 1\n[[pages]]\ntitle = 'a'\ntext = 'b'\n", "unknown key 'foo'"),
        ("format_version = 99\ntitle = 'x'\n", "newer nnstudio"),
        ("format_version = '1'\ntitle = 'x'\n", "my.toml: 'format_version' must be a whole number"),
        ("format_version = 1.0\ntitle = 'x'\n", "'format_version' must be a whole number"),
        ("format_version = true\ntitle = 'x'\n", "'format_version' must be a whole number"),
        ("format_version = 0\ntitle = 'x'\n", "'format_version' must be 1 or more"),
        ("title = [", "not valid TOML"),
    ],
)
def test_a_bad_lesson_is_reported_in_one_sentence(text, fragment):
    with pytest.raises(NNStudioError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_lesson(text, "my.toml")


def test_an_unreadable_lesson_file_names_itself(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(NNStudioError, match="bad.toml is not UTF-8 text"):
        load_lesson(bad)
    with pytest.raises(NNStudioError, match="cannot read"):
        load_lesson(tmp_path / "missing.toml")


PAGE = "title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n"


@pytest.mark.parametrize(
    "text, fragment",
    [
        (PAGE + "[pages.setup]\npreset = ['linear']\n", "page 1 setup: 'preset' must be the name of one preset"),
        (PAGE + "[pages.setup]\npreset = 1\n", "page 1 setup: 'preset' must be .*, not a whole number"),
        (PAGE + "[pages.setup]\ninstrument = {a = 1}\n", "page 1 setup: 'instrument' must be .*, not a table"),
        (PAGE + "setup = 'linear'\n", "page 1: [setup] must be a table, not text"),
        (PAGE + "setup = [1]\n", "page 1: [setup] must be a table, not a list"),
        (PAGE + "[pages.setup]\ntraining = 3\n", "page 1: [setup.training] must be a table of settings"),
        (PAGE + "[pages.setup]\n[pages.setup.training]\nlearning_rate = nan\n", "page 1: .*learning_rate"),
        (PAGE + "[pages.setup]\n[pages.setup.training]\nepochs = 10.0\n", "page 1: .*epochs"),
        (PAGE + "[pages.setup]\n[pages.setup.training]\nepochs = true\n", "page 1: .*epochs"),
        (PAGE + "[pages.setup]\n[pages.setup.model]\nhidden = 'x'\n", "page 1: .*hidden"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 10.0\n", "page 1 expect: 'epochs' must be a whole number"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = true\n", "'epochs' must be a whole number .*true/false"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 0\n", "'epochs' must be a whole number from 1"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 10000000\n", "'epochs' must be a whole number from 1"),
        (PAGE + "[pages.setup]\n[pages.expect]\nloss_falls = 1\n", "'epochs' is missing"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 5\nloss_falls = 1\n", "'loss_falls' must be true or false"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 5\ndiverges = 'yes'\n", "'diverges' must be true or"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 5\nloss_below = true\n", "'loss_below' must be a number"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 5\nloss_below = nan\n", "'loss_below' must be a finite"),
        (PAGE + "[pages.setup]\n[pages.expect]\nepochs = 5\nloss_above = '1'\n", "'loss_above' must be a number"),
        (PAGE + "[pages.setup]\nexpect = 5\n", "unknown key 'expect'"),
        (PAGE + "[pages.setup]\ntab = 'backward'\n", "page 1 setup: 'tab' needs an instrument with tabs .*not none"),
        (PAGE + "[pages.setup]\ninstrument = 'landscape'\ntab = 'x'\n", "'tab' needs .*inspector.*not landscape"),
        (PAGE + "[pages.setup]\ninstrument = 'inspector'\ntab = 'gradient'\n", "unknown tab 'gradient' .*gradients"),
        (PAGE + "[pages.setup]\ninstrument = 'inspector'\ntab = 2\n", "'tab' must be the name of one tab"),
        (
            "format_version = 1\n" + PAGE + "[pages.setup]\ninstrument = 'inspector'\ntab = 'update'\n",
            "page 1 setup: 'tab' needs format_version = 2",
        ),
        (PAGE + "expect = []\n", "page 1: [expect] must be a table, not a list"),
        ("title = 'x'\npages = [1]\n", "page 1: must be a table, not a whole number"),
        ("title = 'x'\npages = 'p'\n", "at least one [[pages]]"),
        ("title = 'x'\npages = {a = 1}\n", "at least one [[pages]]"),
        ("title = 1\n[[pages]]\ntitle = 'a'\ntext = 'b'\n", "my.toml: 'title' must be text, not a whole number"),
        ("description = []\n" + PAGE, "my.toml: 'description' must be text, not a list"),
        ("title = 'x'\n[[pages]]\ntitle = ['a']\ntext = 'b'\n", "page 1: 'title' must be text, not a list"),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 1979-05-27\n", "'text' must be text, not a date"),
        (PAGE + "formula = 2.5\n", "page 1: 'formula' must be text, not a number"),
        ("title = 'x'\n[[pages]]\ntitle = 'a'\ntext = 'b'\n[[pages]]\ntitle = '  '\n", "page 2: 'title' must be"),
        ("a" + ".a" * 40 + " = 1", "dotted key"),
        ("x = " + "[" * 2000 + "]" * 2000, "nests its values too deeply|not valid TOML"),
    ],
)
def test_every_value_of_the_wrong_kind_is_named_with_its_page_and_key(text, fragment):
    with pytest.raises(NNStudioError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_lesson(text, "my.toml")


def test_numbers_and_flags_of_the_right_kind_are_kept():
    lesson = parse_lesson(
        PAGE + "formula = 'y = wx'\n[pages.setup]\npreset = 'linear'\n[pages.expect]\nepochs = 7\n"
        "loss_below = 2\nloss_above = 0.5\nloss_falls = true\n",
        "ok.toml",
    )
    expect = lesson.pages[0].expect
    assert (expect.epochs, expect.loss_falls, expect.diverges) == (7, True, False)
    assert expect.loss_below == 2.0 and isinstance(expect.loss_below, float) and expect.loss_above == 0.5
    assert lesson.pages[0].setup.preset == "linear" and lesson.pages[0].formula == "y = wx"


def test_only_a_regular_lesson_file_of_a_sensible_size_is_read(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * MAX_LESSON_BYTES + b"\n" + PAGE.encode())
    with pytest.raises(NNStudioError, match="big.toml is larger than"):
        load_lesson(big)
    with pytest.raises(NNStudioError, match="cannot read"):
        load_lesson(tmp_path)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + PAGE.encode())
    assert load_lesson(bom).title == "x" and load_lesson(bom).path == bom


@needs_dev_zero
def test_a_device_is_refused_without_reading_it():
    with pytest.raises(NNStudioError, match="not a regular file"):
        load_lesson("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    with pytest.raises(NNStudioError, match="not a regular file"):
        load_lesson(pipe)  # opening it would block until someone writes: the test would hang


# --- format 2: what a page asks the class to try next, and how soon a run must diverge -----------------

SET_UP = PAGE + "[pages.setup]\npreset = 'linear'\n"
THEN = "[[pages.then]]\ntraining = { learning_rate = 0.03 }\nepochs = 200\ndiverges_within = 8\n"


def test_format_2_adds_then_runs_diverges_within_and_gradients_agree():
    lesson = parse_lesson(
        "format_version = 2\n" + SET_UP + "[pages.expect]\nepochs = 1\ngradients_agree = true\n" + THEN, "two.toml"
    )
    page = lesson.pages[0]
    assert page.expect.gradients_agree and not page.expect.diverges and page.expect.training == {}
    (then,) = page.then
    assert (then.epochs, then.diverges_within, then.diverges, then.training) == (200, 8, True, {"learning_rate": 0.03})
    assert page.setup.experiment(then.training).training.learning_rate == 0.03
    assert parse_lesson(SET_UP + THEN, "no-version.toml").pages[0].then == (then,)  # no version: the newest


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("format_version = 1\n" + SET_UP + THEN, "page 1: 'then' needs format_version = 2 (the file says 1)"),
        (
            "format_version = 1\n" + SET_UP + "[pages.expect]\nepochs = 9\ndiverges_within = 5\n",
            "page 1 expect: 'diverges_within' needs format_version = 2",
        ),
        (
            "format_version = 1\n" + SET_UP + "[pages.expect]\nepochs = 1\ngradients_agree = true\n",
            "'gradients_agree' needs format_version = 2",
        ),
        (SET_UP + "[pages.expect]\nepochs = 9\ndiverges_within = 10\n", "'diverges_within' (10) must be at most"),
        (SET_UP + "[pages.expect]\nepochs = 9\ndiverges_within = 0\n", "'diverges_within' must be a whole number"),
        (SET_UP + "[pages.expect]\nepochs = 9\ngradients_agree = 1\n", "'gradients_agree' must be true or false"),
        (PAGE + THEN, "page 1: [[then]] needs a [setup]"),
        (PAGE + "then = 3\n[pages.setup]\n", "page 1: [[then]] must be a list of tables"),
        (PAGE + "then = [1]\n[pages.setup]\n", "page 1: [[then]] must be a list of tables"),
        (SET_UP + "[[pages.then]]\ntraining = 5\nepochs = 2\n", "page 1 then 1: 'training' must be a table"),
        (SET_UP + "[[pages.then]]\ntraining = { learning_rate = -1 }\nepochs = 2\n", "page 1 then 1: .*learning"),
        (SET_UP + "[[pages.then]]\ntraining = { colour = 1 }\nepochs = 2\n", "page 1 then 1: .*colour"),
        (SET_UP + "[[pages.then]]\nepochs = 2\nloss = 1\n", "page 1 then 1 expect: unknown key 'loss'"),
        (SET_UP + "[[pages.then]]\ntraining = {}\n", "page 1 then 1 expect: 'epochs' is missing"),
    ],
)
def test_format_2_keys_are_checked_like_the_others(text, fragment):
    escaped = fragment.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(NNStudioError, match=escaped):
        parse_lesson(text, "my.toml")


def test_the_shipped_lessons_say_which_format_they_need():
    for path in LESSON_FILES:
        assert path.read_text(encoding="utf-8").startswith("format_version = 2\n")
