"""An exported script is made from an experiment file someone else may have written: no text from it
can become code. The name, description, imported file's label and the script's file name are fed
every kind of hostile string; the script must still compile to exactly the template's statements."""

import ast
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.storage.script_export import ScriptInputs, docstring_literal, script_source

# Pieces that end a comment, a string or a template, or that some reader takes for a line break.
PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\x00",
    "\ud800",
    "\udcff",
    "$",
    "$title",
    "${needs}",
    "$$",
    "{",
    "}",
    "{0}",
    "'",
    '"',
    '"""',
    "'''",
    "\\",
    "\\n",
    "#",
    "\u202e",  # right-to-left override (a "Trojan source" trick)
    "import os; os.system('touch pwned')",
    "\nimport os\n",
    "é",
    "😀",
    " ",
    "x",
]
HOSTILE = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(st.characters(exclude_categories=()), max_size=30),  # any code point, surrogates included
)
HARMLESS = "plain"


def tiny_trainer() -> Trainer:
    """Imported points (so the file's csv_path is written into the script), one small hidden layer."""
    x = np.linspace(-2.0, 2.0, 12)
    experiment = Experiment(
        data=DataSpec(generator="csv", csv_path=HARMLESS, test_fraction=0.25, standardize=True),
        model=ModelSpec(hidden=(LayerSpec(3, "tanh"),)),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.05, epochs=20, log_every=5),
    )
    return Trainer(experiment, (x, x**2))


TRAINER = tiny_trainer()


def script_with(text: str, flavour: str = "numpy", filename: str | None = None) -> str:
    """The script when `text` is the name, the description and the imported file's label at once."""
    experiment = TRAINER.experiment
    experiment = Experiment(text, text, experiment.data, experiment.model, experiment.training)
    experiment = experiment.with_data(csv_path=text or "-")  # an empty path is refused when the file is read
    inputs = ScriptInputs(experiment, TRAINER.dataset, TRAINER.layers)
    return script_source(inputs, flavour, filename=text if filename is None else filename)


def structure(tree: ast.AST) -> str:
    """The tree with every string constant blanked: what the script does, not what it says."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def constant(tree: ast.Module, name: str):
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == [name]:
            return ast.literal_eval(statement.value)
    raise AssertionError(f"no {name} = … in the script")


STRUCTURE = {flavour: structure(ast.parse(script_with(HARMLESS, flavour))) for flavour in ("numpy", "torch")}


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE)
def test_no_text_from_the_file_changes_the_scripts_statements(flavour, text):
    source = script_with(text, flavour)
    source.encode("utf-8")  # writable as a file: no lone surrogate left in the text
    tree = ast.parse(compile(source, "train.py", "exec", flags=ast.PyCF_ONLY_AST))
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring.startswith(f"{text}: a 1 → 3 (tanh) → 1 (identity) network")
    assert f"python {text}  " in docstring
    assert constant(tree, "SOURCE") == f"the imported file {text or '-'}"
    assert structure(tree) == STRUCTURE[flavour]


@given(text=st.text(st.characters(exclude_categories=())))
def test_a_docstring_literal_reads_back_as_its_text(text):
    assert ast.literal_eval(docstring_literal(text)) == text
    assert docstring_literal(text).count("\n") == text.count("\n")  # a line break stays one, nothing else makes one


def test_a_dollar_in_the_file_name_is_plain_text():
    source = script_with("prices$2024.csv")
    assert "SOURCE = 'the imported file prices$2024.csv'" in source


def run(source: str, folder) -> subprocess.CompletedProcess:
    path = folder / "train.py"
    path.write_text(source, encoding="utf-8")
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=folder)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_a_script_made_from_hostile_text_trains_like_the_harmless_one(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("script")
    expected = run(script_with(HARMLESS), folder)
    result = run(script_with(text, filename=HARMLESS), folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.stdout and result.stdout.startswith("Epoch: 5 Loss: ")
    assert sorted(path.name for path in folder.iterdir()) == ["train.py"]  # nothing ran that made a file
