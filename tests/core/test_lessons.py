"""Every shipped lesson loads, and every page's set-up trains the way its text says."""

import math

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.lessons import load_lesson, parse_lesson, shipped_lessons
from nnstudio.core.trainer import Trainer

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


@pytest.mark.parametrize("path, index", PAGES)
def test_every_page_trains_as_its_text_says(path, index):
    page = load_lesson(path).pages[index]
    assert page.title and page.text and "\\" not in page.formula  # Unicode maths, not raw LaTeX
    if page.expect is None:
        return
    trainer = Trainer(page.setup.experiment())
    for _ in trainer.run(until_epoch=page.expect.epochs):
        pass
    if page.expect.diverges:
        assert trainer.diverged_message
        return
    losses = trainer.loss_history.train
    assert not trainer.diverged_message and len(losses) == page.expect.epochs
    if page.expect.loss_falls:
        assert losses[-1] < losses[0]
    if page.expect.loss_below is not None:
        assert losses[-1] < page.expect.loss_below
    if page.expect.loss_above is not None:
        assert losses[-1] > page.expect.loss_above and math.isfinite(losses[-1])


def test_the_tutorial_pages_follow_its_order():
    pages = load_lesson(LESSON_FILES[0]).pages
    presets = [page.setup.preset for page in pages[:7]]
    assert presets == ["linear", "line-manual", "linear", "linear", "sine-linear", "sine", "sine"]
    assert pages[2].setup.instrument == "inspector" and "−2xᵀ(y − xw)" in pages[2].formula


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
        ("title = [", "not valid TOML"),
    ],
)
def test_a_bad_lesson_is_reported_in_one_sentence(text, fragment):
    with pytest.raises(NNStudioError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_lesson(text, "my.toml")


def test_an_unreadable_lesson_file_names_itself(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(NNStudioError, match="bad.toml is not a UTF-8 text file"):
        load_lesson(bad)
    with pytest.raises(NNStudioError, match="cannot read"):
        load_lesson(tmp_path / "missing.toml")
