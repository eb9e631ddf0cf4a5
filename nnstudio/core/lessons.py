"""Guided lessons: short pages of text and a formula, each able to set the app up for itself.

A lesson is a TOML file (see resources/lessons/), so a teacher can write their own:

    title = "…"
    [[pages]]
    title = "…"
    text = \"\"\"a few plain sentences\"\"\"
    formula = "dL/dw = −2xᵀ(y − xw)"        # Unicode maths
    [pages.setup]
    preset = "linear"                       # start from a preset…
    instrument = "inspector"                # …and open an instrument
    [pages.setup.training]                  # then override any experiment setting
    learning_rate = 0.001
    [pages.expect]                          # what a few epochs from this set-up should show
    epochs = 100
    loss_falls = true

Everything is validated on loading, and a bad file is reported in one sentence.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.errors import NNStudioError
from nnstudio.core.experiment import Experiment
from nnstudio.core.presets import PRESETS
from nnstudio.core.resources import resource_path

LESSON_FORMAT_VERSION = 1
LESSONS_FOLDER = resource_path("lessons")

# The instruments a page may open, by the name the window knows them under.
INSTRUMENTS = ("inspector", "timeline", "hidden_units", "network", "landscape", "runs")


@dataclass(frozen=True)
class PageExpectation:
    """What training from the page's set-up should show; the tests hold every shipped lesson to it."""

    epochs: int = 0
    loss_falls: bool = False  # the last epoch's loss is below the first's
    loss_below: float | None = None  # the last epoch's loss is below this
    loss_above: float | None = None  # ...or stays above this
    diverges: bool = False  # training stops by itself: the loss became NaN or infinite


@dataclass(frozen=True)
class PageSetup:
    preset: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    instrument: str | None = None

    def experiment(self) -> Experiment:
        """The preset with the page's overrides applied (validated like any experiment)."""
        base = PRESETS[self.preset] if self.preset else Experiment()
        tree = base.to_dict()
        for section in ("data", "model", "training"):
            tree[section].update(getattr(self, section))
        return Experiment.from_dict(tree)


@dataclass(frozen=True)
class LessonPage:
    title: str
    text: str
    formula: str = ""
    setup: PageSetup | None = None
    expect: PageExpectation | None = None


@dataclass(frozen=True)
class Lesson:
    title: str
    pages: tuple[LessonPage, ...]
    description: str = ""
    path: Path | None = None


def _text(table: dict, key: str, where: str, required: bool = True) -> str:
    value = table.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise NNStudioError(f"{where}: '{key}' must be {'non-empty ' if required else ''}text")
    return value.strip()


def _known(table: dict, keys: set[str], where: str) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise NNStudioError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(sorted(keys))})")


def _setup(table: Any, where: str) -> PageSetup:
    if not isinstance(table, dict):
        raise NNStudioError(f"{where}: [setup] must be a table")
    _known(table, {"preset", "data", "model", "training", "instrument"}, f"{where} setup")
    preset = table.get("preset")
    if preset is not None and preset not in PRESETS:
        raise NNStudioError(f"{where}: unknown preset {preset!r} (choose one of {', '.join(PRESETS)})")
    instrument = table.get("instrument")
    if instrument is not None and instrument not in INSTRUMENTS:
        raise NNStudioError(f"{where}: unknown instrument {instrument!r} (choose one of {', '.join(INSTRUMENTS)})")
    sections = {}
    for section in ("data", "model", "training"):
        value = table.get(section, {})
        if not isinstance(value, dict):
            raise NNStudioError(f"{where}: [setup.{section}] must be a table of settings")
        sections[section] = dict(value)
    setup = PageSetup(preset, instrument=instrument, **sections)
    try:
        setup.experiment()
    except NNStudioError as error:
        raise NNStudioError(f"{where}: {error}") from None
    return setup


def _expectation(table: Any, where: str) -> PageExpectation:
    if not isinstance(table, dict):
        raise NNStudioError(f"{where}: [expect] must be a table")
    _known(table, {"epochs", "loss_falls", "loss_below", "loss_above", "diverges"}, f"{where} expect")
    try:
        expectation = PageExpectation(**table)
    except TypeError as error:
        raise NNStudioError(f"{where}: {error}") from None
    if isinstance(expectation.epochs, bool) or not isinstance(expectation.epochs, int) or expectation.epochs < 1:
        raise NNStudioError(f"{where}: expect.epochs must be a whole number ≥ 1")
    return expectation


def _paragraphs(text: str) -> str:
    """Lines of one paragraph joined, paragraphs kept apart: the panel wraps to its own width."""
    blocks = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(block for block in blocks if block)


def parse_lesson(text: str, name: str = "lesson") -> Lesson:
    try:
        tree = tomllib.loads(text)
    except ValueError as error:
        raise NNStudioError(f"{name} is not valid TOML: {error}") from None
    version = tree.pop("format_version", LESSON_FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > LESSON_FORMAT_VERSION:
        raise NNStudioError(f"{name} was written for a newer nnstudio (lesson format {version!r})")
    _known(tree, {"title", "description", "pages"}, name)
    pages = tree.get("pages")
    if not isinstance(pages, list) or not pages:
        raise NNStudioError(f"{name}: a lesson needs at least one [[pages]] entry")
    parsed = []
    for number, page in enumerate(pages, start=1):
        where = f"{name}, page {number}"
        if not isinstance(page, dict):
            raise NNStudioError(f"{where}: must be a table")
        _known(page, {"title", "text", "formula", "setup", "expect"}, where)
        setup = _setup(page["setup"], where) if "setup" in page else None
        expect = _expectation(page["expect"], where) if "expect" in page else None
        if expect is not None and setup is None:
            raise NNStudioError(f"{where}: [expect] needs a [setup] to train from")
        parsed.append(
            LessonPage(
                _text(page, "title", where),
                _paragraphs(_text(page, "text", where)),
                _text(page, "formula", where, False),
                setup,
                expect,
            )
        )
    return Lesson(_text(tree, "title", name), tuple(parsed), _text(tree, "description", name, False))


def load_lesson(path: str | Path) -> Lesson:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise NNStudioError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise NNStudioError(f"{path.name} is not a UTF-8 text file") from None
    lesson = parse_lesson(text, path.name)
    return Lesson(lesson.title, lesson.pages, lesson.description, path)


def shipped_lessons() -> list[Path]:
    """The lesson files that come with nnstudio, the tutorial's first."""
    return sorted(LESSONS_FOLDER.glob("*.toml"))
