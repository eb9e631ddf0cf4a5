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
    tab = "gradients"                       # …on one of its tabs (format 2)
    [pages.setup.training]                  # then override any experiment setting
    learning_rate = 0.001                   # ([pages.setup.data] csv_path = "iris.csv": a file of resources/examples/)
    [pages.expect]                          # what the class sees when it does what the page says
    epochs = 200                            # the epochs that run: Play trains to the set-up's target
    loss_falls = true
    [[pages.then]]                          # what the page asks them to try next (format 2):
    training = { learning_rate = 0.03 }     # these settings changed, Reset, and a run of `epochs`
    epochs = 200
    diverges_within = 10

Everything is validated on loading, and a bad file is reported in one sentence. `nnstudio lessons
check` (core/teaching/lesson_check.py) runs every page the way a class would and checks what it expects.

Format versions: 1 is the first; 2 adds `diverges_within` and `gradients_agree` to an expectation,
`[[pages.then]]`, and the set-up's `tab`. A file that gives no `format_version` is read as the newest this nnstudio
knows; one that says 1 may not use what 2 added (an older nnstudio would refuse it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import parse_toml, read_file
from nnstudio.core.storage.resources import resource_path

LESSON_FORMAT_VERSION = 2
LESSONS_FOLDER = resource_path("lessons")
EXAMPLES_FOLDER = resource_path("examples")  # a page's `csv_path` that is not absolute names a file here

# The instruments a page may open, by the name the window knows them under.
INSTRUMENTS = ("inspector", "timeline", "hidden_units", "network", "landscape", "runs")
# The tabs an instrument opens on, for those that have tabs: the step inspector's three phases, and
# "gradients": its backward phase scrolled to the gradient computed three ways.
INSTRUMENT_TABS = {"inspector": ("forward", "backward", "gradients", "update")}


@dataclass(frozen=True)
class PageExpectation:
    """What training from the page's set-up should show; the tests hold every shipped lesson to it."""

    epochs: int = 0  # how many epochs the run trains (Play: the set-up's target; one Step: 1)
    loss_falls: bool = False  # the last epoch's loss is below the first's
    loss_below: float | None = None  # the last epoch's loss is below this
    loss_above: float | None = None  # ...or stays above this
    diverges: bool = False  # training stops by itself (core/engine/divergence.py's rule) before `epochs`
    diverges_within: int | None = None  # ...at this epoch or earlier (format 2; implies `diverges`)
    gradients_agree: bool = False  # at the end, the three gradients agree (format 2)
    training: dict[str, Any] = field(default_factory=dict)  # settings changed first ([[pages.then]] only)


@dataclass(frozen=True)
class PageSetup:
    preset: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    instrument: str | None = None
    tab: str | None = None  # the instrument's tab to show (one of INSTRUMENT_TABS[instrument])

    def experiment(self, training: dict[str, Any] | None = None) -> Experiment:
        """The preset with the page's overrides applied (validated like any experiment); then `training`."""
        base = PRESETS[self.preset] if self.preset else Experiment()
        tree = base.to_dict()
        for section in ("data", "model", "training"):
            tree[section].update(getattr(self, section))
        tree["training"].update(training or {})
        path = tree["data"].get("csv_path")
        if isinstance(path, str) and tree["data"].get("generator") == "csv" and not Path(path).is_absolute():
            tree["data"]["csv_path"] = str(EXAMPLES_FOLDER / path)  # a page's data file ships with the examples
        return Experiment.from_dict(tree)


@dataclass(frozen=True)
class LessonPage:
    title: str
    text: str
    formula: str = ""
    setup: PageSetup | None = None
    expect: PageExpectation | None = None
    then: tuple[PageExpectation, ...] = ()  # the runs the page asks for next, each from Reset


@dataclass(frozen=True)
class Lesson:
    title: str
    pages: tuple[LessonPage, ...]
    description: str = ""
    path: Path | None = None


MAX_LESSON_BYTES = 256 * 1024  # the longest shipped lesson is about 12 kB
MAX_EXPECTED_EPOCHS = 100_000  # an expectation is checked by training: keep it to a test's length


def _kind(value: Any) -> str:
    """What TOML gave, in a student's words: "a list", "text", "true/false"…"""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _wrong(where: str, key: str, wanted: str, value: Any) -> NNStudioError:
    if value is None:
        return NNStudioError(f"{where}: '{key}' is missing (it must be {wanted})")
    return NNStudioError(f"{where}: '{key}' must be {wanted}, not {_kind(value)}")


def _text(table: dict, key: str, where: str, required: bool = True) -> str:
    value = table.get(key, None if required else "")
    if value is not None and not isinstance(value, str):
        raise _wrong(where, key, "text", value)
    if value is None or (required and not value.strip()):
        raise NNStudioError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _name(table: dict, key: str, choices: tuple[str, ...] | dict, where: str) -> str | None:
    """An optional name from `choices` (a preset, an instrument)."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(where, key, f"the name of one {key} in quotes", value)
    if value not in choices:
        raise NNStudioError(f"{where}: unknown {key} {value!r} (choose one of {', '.join(choices)})")
    return value


def _known(table: dict, keys: set[str], where: str) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise NNStudioError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(sorted(keys))})")


def _tab(table: dict, instrument: str | None, where: str) -> str | None:
    """An optional tab of the page's instrument: only an instrument with tabs has one to open on."""
    if table.get("tab") is None:
        return None
    tabs = INSTRUMENT_TABS.get(instrument or "")
    if tabs is None:
        having = ", ".join(INSTRUMENT_TABS)
        raise NNStudioError(f"{where}: 'tab' needs an instrument with tabs ({having}), not {instrument or 'none'}")
    return _name(table, "tab", tabs, where)


def _setup(table: Any, where: str, version: int) -> PageSetup:
    if not isinstance(table, dict):
        raise NNStudioError(f"{where}: [setup] must be a table, not {_kind(table)}")
    _known(table, {"preset", "data", "model", "training", "instrument", "tab"}, f"{where} setup")
    _since_version_2({"tab"} & set(table), version, f"{where} setup")
    preset = _name(table, "preset", PRESETS, f"{where} setup")
    instrument = _name(table, "instrument", INSTRUMENTS, f"{where} setup")
    tab = _tab(table, instrument, f"{where} setup")
    sections = {}
    for section in ("data", "model", "training"):
        value = table.get(section, {})
        if not isinstance(value, dict):
            raise NNStudioError(f"{where}: [setup.{section}] must be a table of settings, not {_kind(value)}")
        sections[section] = dict(value)
    setup = PageSetup(preset, instrument=instrument, tab=tab, **sections)
    try:
        setup.experiment()  # the experiment's own checks: every setting's type and range
    except NNStudioError as error:
        raise NNStudioError(f"{where}: {error}") from None
    return setup


def _number(table: dict, key: str, where: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(f"{where} expect", key, "a number", value)
    if isinstance(value, int):  # a 400-digit int is fine as a bound, but float() of it overflows
        value = max(-1e300, min(1e300, value))
    if not math.isfinite(value):
        raise NNStudioError(f"{where} expect: '{key}' must be a finite number, not {value!r}")
    return float(value)


def _flag(table: dict, key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _wrong(f"{where} expect", key, "true or false", value)
    return value


EXPECT_KEYS = {"epochs", "loss_falls", "loss_below", "loss_above", "diverges"}
EXPECT_KEYS_2 = {"diverges_within", "gradients_agree"}  # added in format 2


def _epochs(table: dict, key: str, where: str, required: bool = True) -> int | None:
    value = table.get(key)
    if value is None and not required:
        return None
    wanted = f"a whole number from 1 to {MAX_EXPECTED_EPOCHS:,}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(f"{where} expect", key, wanted, value)
    if not 1 <= value <= MAX_EXPECTED_EPOCHS:
        raise NNStudioError(f"{where} expect: '{key}' must be {wanted}, not {value}")
    return value


def _since_version_2(keys, version: int, where: str) -> None:
    """A file that says format 1 may not use what format 2 added: an older nnstudio would refuse it."""
    if version < 2 and keys:
        raise NNStudioError(
            f"{where}: '{sorted(keys)[0]}' needs format_version = 2 (the file says {version}): change it to 2"
        )


def _expectation(table: Any, where: str, version: int) -> PageExpectation:
    if not isinstance(table, dict):
        raise NNStudioError(f"{where}: [expect] must be a table, not {_kind(table)}")
    _known(table, EXPECT_KEYS | EXPECT_KEYS_2, f"{where} expect")
    _since_version_2(EXPECT_KEYS_2 & set(table), version, f"{where} expect")
    epochs = _epochs(table, "epochs", where)
    within = _epochs(table, "diverges_within", where, required=False)
    if within is not None and within > epochs:
        raise NNStudioError(f"{where} expect: 'diverges_within' ({within}) must be at most 'epochs' ({epochs})")
    return PageExpectation(
        epochs=epochs,
        loss_falls=_flag(table, "loss_falls", where),
        loss_below=_number(table, "loss_below", where),
        loss_above=_number(table, "loss_above", where),
        diverges=_flag(table, "diverges", where) or within is not None,
        diverges_within=within,
        gradients_agree=_flag(table, "gradients_agree", where),
    )


def _then(entries: Any, setup: PageSetup | None, where: str, version: int) -> tuple[PageExpectation, ...]:
    """[[pages.then]]: runs from Reset with some training settings changed, each with what it should show."""
    _since_version_2({"then"}, version, where)
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise NNStudioError(f"{where}: [[then]] must be a list of tables (one [[pages.then]] per run)")
    if setup is None:
        raise NNStudioError(f"{where}: [[then]] needs a [setup] to train from")
    runs = []
    for number, entry in enumerate(entries, start=1):
        here = f"{where} then {number}"
        training = entry.get("training", {})
        if not isinstance(training, dict):
            raise NNStudioError(f"{here}: 'training' must be a table of settings, not {_kind(training)}")
        try:
            setup.experiment(training)  # every changed setting's type and range
        except NNStudioError as error:
            raise NNStudioError(f"{here}: {error}") from None
        expectation = _expectation({k: v for k, v in entry.items() if k != "training"}, here, version)
        runs.append(replace(expectation, training=dict(training)))
    return tuple(runs)


def _paragraphs(text: str) -> str:
    """Lines of one paragraph joined, paragraphs kept apart: the panel wraps to its own width."""
    blocks = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(block for block in blocks if block)


def _format_version(tree: dict, name: str) -> int:
    version = tree.pop("format_version", LESSON_FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise _wrong(name, "format_version", f"a whole number (this nnstudio reads {LESSON_FORMAT_VERSION})", version)
    if version > LESSON_FORMAT_VERSION:
        raise NNStudioError(f"{name} was written for a newer nnstudio (lesson format {version})")
    if version < 1:
        raise NNStudioError(f"{name}: 'format_version' must be 1 or more, not {version}")
    return version


def _page(page: Any, where: str, version: int) -> LessonPage:
    if not isinstance(page, dict):
        raise NNStudioError(f"{where}: must be a table, not {_kind(page)}")
    _known(page, {"title", "text", "formula", "setup", "expect", "then"}, where)
    setup = _setup(page["setup"], where, version) if "setup" in page else None
    expect = _expectation(page["expect"], where, version) if "expect" in page else None
    if expect is not None and setup is None:
        raise NNStudioError(f"{where}: [expect] needs a [setup] to train from")
    then = _then(page["then"], setup, where, version) if "then" in page else ()
    return LessonPage(
        _text(page, "title", where),
        _paragraphs(_text(page, "text", where)),
        _text(page, "formula", where, False),
        setup,
        expect,
        then,
    )


def parse_lesson(text: str | bytes, name: str = "lesson") -> Lesson:
    """The lesson in `text` (TOML), every value checked, or one sentence naming the page and key at fault."""
    tree = parse_toml(text, name, MAX_LESSON_BYTES)
    version = _format_version(tree, name)
    _known(tree, {"title", "description", "pages"}, name)
    pages = tree.get("pages")
    if not isinstance(pages, list) or not pages:
        raise NNStudioError(f"{name}: a lesson needs at least one [[pages]] entry")
    parsed = tuple(_page(page, f"{name}, page {number}", version) for number, page in enumerate(pages, start=1))
    return Lesson(_text(tree, "title", name), parsed, _text(tree, "description", name, False))


def load_lesson(path: str | Path) -> Lesson:
    """The lesson file `path`: a regular file of at most MAX_LESSON_BYTES (not a pipe or a device)."""
    path = Path(path)
    raw = read_file(path, MAX_LESSON_BYTES, "a lesson")
    lesson = parse_lesson(raw, path.name)
    return Lesson(lesson.title, lesson.pages, lesson.description, path)


def shipped_lessons() -> list[Path]:
    """The lesson files that come with nnstudio, the tutorial's first."""
    return sorted(LESSONS_FOLDER.glob("*.toml"))
