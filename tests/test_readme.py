"""The README's claims, checked against the code: the Python examples run and print what they show, the
command line's synopsis is its parser, the JSON keys are the ones printed, and the export claim holds."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys

import pytest

import nnstudio.core
from nnstudio.cli import _command_parser, _window_parser, main
from nnstudio.core.engine.presets import PRESETS, preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.storage.script_export import MAX_EMBEDDED_VALUES, ScriptInputs, check_supported
from tests.portability import PRINTED
from tests.readme import README, backticked, code_blocks, section, table_rows

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def assert_same_output(printed: str, shown: str) -> None:
    """The printed text is the text shown, with numbers equal to their printed digits (another CPU rounds
    the last bits differently) and everything else exactly."""
    printed_lines, shown_lines = printed.rstrip("\n").splitlines(), shown.rstrip("\n").splitlines()
    assert len(printed_lines) == len(shown_lines), f"printed:\n{printed}\nthe README shows:\n{shown}"
    for got, expected in zip(printed_lines, shown_lines, strict=True):
        assert _NUMBER.split(got) == _NUMBER.split(expected), f"printed {got!r}, the README shows {expected!r}"
        for number, shown_number in zip(_NUMBER.findall(got), _NUMBER.findall(expected), strict=True):
            assert float(number) == pytest.approx(float(shown_number), rel=PRINTED, abs=1e-12), (got, expected)


def python_examples() -> list[tuple[str, str]]:
    """(code, what it prints) for each python block of "Use from Python / Jupyter" and the text block after it."""
    blocks = code_blocks(section("Use from Python / Jupyter"))
    examples = []
    for (language, code), (next_language, output) in zip(blocks, blocks[1:], strict=False):
        if language == "python":
            assert next_language == "text", f"a python block without its output after it:\n{code}"
            examples.append((code, output))
    return examples


def test_the_python_examples_print_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples save a file
    examples = python_examples()
    assert len(examples) >= 5
    namespace: dict = {"__name__": "__readme__"}
    for code, shown in examples:  # one after the other, as in a notebook
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(README), "exec"), namespace)
        assert_same_output(printed.getvalue(), shown)
    assert (tmp_path / "linear.nnstudio").is_file()


def test_the_output_check_notices_a_different_number_or_word():
    assert_same_output("Epoch: 10 Loss: 96.09053\n", "Epoch: 10 Loss: 96.09054")  # the 7th digit may round apart
    for wrong in ("Epoch: 10 Loss: 96.1", "Epoch: 11 Loss: 96.09053", "Epoch 10 Loss: 96.09053"):
        with pytest.raises(AssertionError):
            assert_same_output("Epoch: 10 Loss: 96.09053", wrong)


def test_the_core_exports_what_the_readme_names_with_docstrings_and_stays_cheap():
    readme_names = backticked(section("Use from Python / Jupyter")) & set(dir(nnstudio.core))
    imported = set(re.findall(r"from nnstudio\.core import ([\w, ]+)", section("Use from Python / Jupyter")))
    imported = {name.strip() for names in imported for name in names.split(",")}
    assert imported <= set(nnstudio.core.__all__)
    assert {"Experiment", "TrainingSpec", "PRESETS", "read_experiment_file", "GradientCheck"} <= readme_names
    assert sorted(nnstudio.core.__all__) == sorted(["NNStudioError", *nnstudio.core._LAZY])
    for name in nnstudio.core.__all__:
        value = getattr(nnstudio.core, name)
        if callable(value):
            assert (value.__doc__ or "").strip() and not value.__doc__.startswith(f"{name}("), f"{name}: no docstring"
    assert "Trainer" in dir(nnstudio.core)
    with pytest.raises(AttributeError):
        nnstudio.core.no_such_name  # noqa: B018
    code = (
        "import sys, nnstudio.core; "
        "print(sorted(m for m in ('torch', 'PySide6', 'nnstudio.core.engine.trainer') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


# --- the command line ---------------------------------------------------------------------------------


def assert_options_are(parser, written: set[str], command: str) -> None:
    """Each option of the parser is written in one of its spellings (-o or --output), and nothing else is."""
    actions = [set(a.option_strings) for a in parser._actions if a.option_strings and "--help" not in a.option_strings]
    missing = [sorted(spellings) for spellings in actions if not spellings & written]
    unknown = written - set().union(*actions)
    assert not missing and not unknown, f"{command}: not in the README {missing}, not in the parser {unknown}"


def test_the_synopsis_is_the_parsers_options():
    synopsis = code_blocks(section("Command line"))[0][1]
    commands: dict[str, set[str]] = {}
    command = ""
    for line in synopsis.splitlines():
        words = line.split()
        if words and words[0] == "nnstudio":
            command = words[1] if len(words) > 1 and not words[1].startswith(("[", "-")) else ""
            commands.setdefault(command, set())
        options = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line))
        if "the same data and model options" in line:  # what a run is made of, not how train keeps it
            options |= commands["train"] - {"--save", "--resume"}
        commands[command] |= options
    subcommands = _command_parser()._subparsers._group_actions[0].choices
    assert set(commands) == {"", *subcommands}, "every command is in the synopsis, and only those"
    for name, parser in subcommands.items():
        assert_options_are(parser, commands[name], name)
    assert_options_are(_window_parser(), commands[""], "the window")
    assert_options_are(_command_parser(), {"--version"}, "nnstudio")


def json_lines(capsys, *args) -> list[dict]:
    assert main(list(args)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_json_table_names_every_key_printed(capsys, tmp_path):
    rows = {cells[0].strip('`"'): backticked(cells[2]) for cells in table_rows(section("JSON for tools"))}
    assert set(rows) == {"epoch", "summary", "gradcheck", "presets", "bench", "record"}
    regression = json_lines(capsys, "train", "--preset", "sine", "--epochs", "10", "--test-fraction", "0.2", "--json")
    classification = json_lines(capsys, "train", "--preset", "circle", "--epochs", "10", "--json")
    penalty = ["--regularization", "l2", "--reg-rate", "0.01"]
    penalised = json_lines(capsys, "train", "--preset", "sine", "--epochs", "10", *penalty, "--json")
    assert rows["epoch"] == set(penalised[0]) - {"type"} == (set(regression[0]) | {"penalty"}) - {"type"}
    assert classification[-1]["test_accuracy"] is not None  # the circle preset keeps a test set
    assert rows["summary"] == (set(regression[-1]) | set(classification[-1])) - {"type"}
    (gradcheck,) = json_lines(capsys, "gradcheck", "--preset", "linear", "--json")
    per_tensor = set(gradcheck["parameters"]["W1"])
    assert rows["gradcheck"] - {"W1", "b1", "float64"} == (set(gradcheck) | per_tensor) - {"type"}
    (presets,) = json_lines(capsys, "presets", "--json")
    assert rows["presets"] == {"presets"} | set(presets["presets"][0])
    film = ["--epochs", "4", "--seconds", "1", "--fps", "2", "--size", "160x100", "-o", str(tmp_path / "f.gif")]
    (record,) = json_lines(capsys, "record", "--preset", "sine", *film, "--json")
    assert rows["record"] - {"GIF", "WebP", "MP4"} == set(record) - {"type"}
    for line in (*regression, *classification, gradcheck, presets, record):
        assert list(line)[0] == "type"


def test_exported_scripts_cover_every_preset_classification_included():
    exports = " ".join(section("Results out (File ▸ Export)").split())
    assert "classification included" in exports and f"{MAX_EMBEDDED_VALUES:,} numbers" in exports
    for name in PRESETS:
        trainer = Trainer(preset(name))
        check_supported(ScriptInputs(trainer.experiment, trainer.dataset, trainer.layers))  # refuses nothing
