"""Export as Python script: a standalone program that trains the same network to the same numbers.

`script_source()` writes one of two flavours, both needing nothing of nnstudio:

    numpy   the forward and backward pass written out by hand: the very functions of
            backends/numpy_backend.py (and the loss of losses.py), pasted from their source
    torch   nn.Sequential, autograd and torch.optim, as in backends/torch_backend.py

Each embeds the exact data (after the subsample and the split), draws the initial weights
from the seed as model.py does, builds the optimiser, and trains, printing the app's log
lines `Epoch: 10 Loss: 94.43447` (`--precise` prints every digit, which tests compare with
the core's numbers). Mini-batches are shuffled per epoch by
`np.random.default_rng([seed, epoch]).permutation(n)`, as the trainer does.

Classification works the same way: y holds each point's class number, the loss is binary
cross-entropy on a sigmoid output or cross-entropy on logits, as in losses.py. Settings a script
cannot reproduce yet (other losses, activations, initialisations) are refused with a message
rather than written wrong.

The settings, data and model sections are written by script_pieces.py; the engines, the divergence
rule and the loop here.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
import textwrap
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from nnstudio import __version__
from nnstudio.core.engine import divergence, losses
from nnstudio.core.engine import model as model_module
from nnstudio.core.engine.backends import fast_arrays, penalties
from nnstudio.core.engine.backends import numpy_backend as backend
from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import script_templates as templates
from nnstudio.core.storage.script_pieces import data_section, model_section, settings_section

FLAVOURS = {"numpy": "pure NumPy, backward pass by hand", "torch": "PyTorch: nn.Sequential, autograd, torch.optim"}
SCRIPT_INITS = ("kaiming_uniform", "xavier_uniform", "constant")
# What the numpy script pastes from losses.py for each loss, and from the backend for each optimiser.
LOSS_SOURCES = {
    "sse": (losses.sum_of_squares, losses.sum_of_squares_gradient),
    "mse": (losses.mean_squared_error, losses.mean_squared_error_gradient),
    "bce": (losses.binary_cross_entropy, losses.binary_cross_entropy_gradient),
    "cross_entropy": (
        losses.log_softmax,
        losses.softmax,
        losses.one_hot,
        losses.cross_entropy,
        losses.cross_entropy_gradient,
    ),
}
PENALTY_FUNCTIONS = (penalties.weight_penalty, penalties.penalty_gradient, penalties.add_penalty_gradients)
OPTIMIZER_FUNCTIONS = {"gd": backend.gd_update, "momentum": backend.momentum_update, "adam": backend.adam_update}
SCRIPT_LOSSES = tuple(LOSS_SOURCES)
SCRIPT_OPTIMIZERS = tuple(OPTIMIZER_FUNCTIONS)
MAX_EMBEDDED_VALUES = 500_000  # beyond this a script would be tens of megabytes: export the data as CSV instead


@dataclass(frozen=True, eq=False)
class ScriptInputs:
    """What a script is made from: the settings, the prepared data and the layers (see Trainer)."""

    experiment: Experiment
    dataset: object  # data.Dataset
    layers: list[DenseLayer]


def check_supported(inputs: ScriptInputs) -> None:
    """Refuse, with the reason, what the exported scripts cannot reproduce exactly."""
    training, model = inputs.experiment.training, inputs.experiment.model
    dataset = inputs.dataset
    if training.loss not in SCRIPT_LOSSES:
        raise NNStudioError(
            f"Export as script does not support the {training.loss} loss yet: only {', '.join(SCRIPT_LOSSES)}"
        )
    if training.optimizer not in SCRIPT_OPTIMIZERS:
        raise NNStudioError(f"Export as script does not support the {training.optimizer} optimiser yet")
    if model.init not in SCRIPT_INITS:
        raise NNStudioError(f"Export as script does not support the {model.init} initialisation yet")
    for layer in inputs.layers:
        if layer.activation not in backend.ACTIVATION_FUNCTIONS:
            raise NNStudioError(f"Export as script does not support the {layer.activation} activation yet")
    values = sum(np.size(a) for a in (dataset.x_train_raw, dataset.y_train_raw, dataset.x_test_raw, dataset.y_test_raw))
    if values > MAX_EMBEDDED_VALUES:
        raise NNStudioError(
            f"the data has {values:,} numbers: too many to embed in a script (at most {MAX_EMBEDDED_VALUES:,})"
        )


def script_source(inputs: ScriptInputs, flavour: str, epochs: int | None = None, filename: str = "train.py") -> str:
    """The whole script, as text; `epochs` defaults to the experiment's target."""
    if flavour not in FLAVOURS:
        raise NNStudioError(f"unknown script flavour {flavour!r}: choose {' or '.join(FLAVOURS)}")
    check_supported(inputs)
    experiment, dataset, layers = inputs.experiment, inputs.dataset, inputs.layers
    training = experiment.training
    parts = [
        templates.IMPORTS[flavour],
        settings_section(experiment, epochs or training.epochs, flavour),
        data_section(experiment, dataset),
        model_section(experiment, layers, flavour),
        _ENGINE[flavour](experiment, layers),
        _divergence_rule(),
        _loop(flavour, training),
    ]
    code = "\n\n\n".join(part.strip("\n") for part in parts) + "\n"
    code = re.sub(r"^# --- (.+?) -+$", lambda m: f"# --- {m.group(1)} ".ljust(100, "-"), code, flags=re.MULTILINE)
    architecture = " → ".join([str(layers[0].n_in)] + [f"{layer.n_out} ({layer.activation})" for layer in layers])
    # Filled in once and never scanned again (a `$` in a name is plain text), then written as a literal.
    docstring = string.Template(templates.DOCSTRING).substitute(
        title=f"{experiment.name}: a {architecture} network, {FLAVOURS[flavour]}.",
        description=textwrap.fill(experiment.description or "(no description)", 100),
        version=__version__,
        filename=filename,
        needs="NumPy" if flavour == "numpy" else "PyTorch and NumPy",
    )
    return f"{templates.SHEBANG}{docstring_literal(docstring)}\n\n\n{code}"


def docstring_literal(text: str) -> str:
    """`text` as a triple-quoted Python literal whose value is exactly `text`.

    The text comes partly from the experiment file, so nothing in it may end the string or
    become code: a line break stays a line break (it reads well); a backslash, a quote and every
    character Python's `str.isprintable()` rejects (NUL, \\u2028, a lone surrogate, …) are written
    as escapes.
    """
    out = []
    for character in text:
        if character == "\n" or (character.isprintable() and character not in '\\"'):
            out.append(character)
        elif character in '\\"':
            out.append("\\" + character)
        else:
            out.append(repr(character)[1:-1])  # repr() escapes what is not printable: \\x00, \\u2028, \\ud800
    return '"""' + "".join(out) + '"""'


# --- the engines: the backend's own code (numpy) or PyTorch's ----------------------------------


def _numpy_engine(experiment: Experiment, layers: list[DenseLayer]) -> str:
    """The numpy flavour's engine: the backend's own functions, pasted from its source."""
    used = list(dict.fromkeys(layer.activation for layer in layers))
    activations = [function for name in used for function in backend.ACTIVATION_FUNCTIONS[name]]
    table = "".join(
        f'    "{name}": ({value.__name__}, {derivative.__name__}),\n'
        for name in used
        for value, derivative in [backend.ACTIVATION_FUNCTIONS[name]]
    )
    training = experiment.training
    loss_functions = LOSS_SOURCES[training.loss]
    averaged = losses.LOSSES[training.loss].averaged
    value, gradient = losses.LOSSES[training.loss].value, losses.LOSSES[training.loss].gradient
    pieces = [
        "# --- activations g(z) and their derivatives g'(z) ---",
        _source(*activations, constants_from=model_module),
        f"ACTIVATION_FUNCTIONS = {{\n{table}}}",
        "# --- one dense layer, forward and backward ---",
        _source(
            fast_arrays.matrix_product,
            backend.LayerTrace,
            backend.LayerGradients,
            backend.dense_forward,
            backend.dense_backward,
        ),
        "# --- the whole network ---",
        _source(backend.forward, backend.backward, backend.parameter_gradients),
        *(
            ["# --- regularisation: a penalty on the weights ---", _source(*PENALTY_FUNCTIONS)]
            if training.penalised
            else []
        ),
        "# --- the loss ---",
        _source(*loss_functions, constants_from=losses),
        f"loss_value, loss_gradient = {value.__name__}, {gradient.__name__}\n"
        + (templates.AVERAGED if averaged else templates.SUMMED),
        "# --- the optimiser ---",
        _source(OPTIMIZER_FUNCTIONS[training.optimizer]),
        templates.OPTIMIZERS[training.optimizer],
    ]
    return "\n\n\n".join(piece.strip("\n") for piece in pieces) + "\n"


def _source(*objects, constants_from: ModuleType | None = None) -> str:
    """The source text of functions and classes of our own modules, exactly as written there.

    With `constants_from`, the definitions (with their comments) of that module's constants that
    the text uses come first. Only our own source goes in here, never text from a file.
    """
    try:
        text = "\n\n\n".join(inspect.getsource(item).strip("\n") for item in objects)
        source = "" if constants_from is None else inspect.getsource(constants_from)
    except (OSError, TypeError) as error:  # e.g. an app frozen without its .py files
        raise NNStudioError(
            "Export as script copies nnstudio's own Python source, and this installation has none"
        ) from error
    if constants_from is None:
        return text
    lines = source.splitlines()
    definitions = [
        "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
        and re.search(rf"\b{node.targets[0].id}\b", text)
    ]
    return "\n".join(definitions) + "\n\n\n" + text if definitions else text


def _torch_engine(experiment: Experiment, layers: list[DenseLayer]) -> str:
    modules = []
    for layer in layers:
        modules.append(f"        nn.Linear({layer.n_in}, {layer.n_out}, bias={layer.bias}),")
        modules.append(f"        {templates.TORCH_MODULES[layer.activation]},")
    t = experiment.training
    optimizer = {
        "gd": "torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)",
        "momentum": "torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)",
        "adam": "torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPS)",
    }[t.optimizer]
    loss = templates.TORCH_LOSSES[t.loss]
    if t.penalised:
        loss += "\n\n" + templates.TORCH_PENALTY[t.regularization]
    return (
        "# --- the network in PyTorch " + "-" * 72 + "\n\n\n"
        "def build_model():\n"
        '    """nn.Sequential(Linear, activation, Linear, activation, ...) starting from initial_parameters(SEED)."""\n'
        "    model = nn.Sequential(\n" + "\n".join(modules) + "\n    ).to(dtype=DTYPE)\n"
        "    linear_layers = [module for module in model if isinstance(module, nn.Linear)]\n"
        "    parameters = initial_parameters(SEED)\n"
        "    with torch.no_grad():\n"
        "        for index, layer in enumerate(linear_layers, start=1):\n"
        "            # our W is (inputs, outputs); nn.Linear keeps its weight as (outputs, inputs)\n"
        '            layer.weight.copy_(torch.as_tensor(parameters[f"W{index}"].T, dtype=DTYPE).contiguous())\n'
        "            if layer.bias is not None:\n"
        '                layer.bias.copy_(torch.as_tensor(parameters[f"b{index}"], dtype=DTYPE))\n'
        "    return model\n\n\n" + loss + "\n\n"
        "def make_optimizer(model):\n"
        f"    return {optimizer}\n"
    )


_ENGINE = {"numpy": _numpy_engine, "torch": _torch_engine}
_LOOP = {"numpy": templates.NUMPY_LOOP, "torch": templates.TORCH_LOOP}
_PENALTY_LINES = {"numpy": templates.NUMPY_PENALTY_LINES, "torch": templates.TORCH_PENALTY_LINES}


def _divergence_rule() -> str:
    """When the script stops, as the app stops: the rule's functions, pasted from the core's own source."""
    rule = _source(divergence.divergence_bound, divergence.divergence, constants_from=divergence)
    return f"# --- when training has diverged: the app's rule ---\n\n\n{rule}\n\n\n{templates.STOP_DIVERGED}"


def _loop(flavour: str, training) -> str:
    """The training loop; with regularisation, its lines that add the penalty and print it."""
    loop = _LOOP[flavour]
    if not training.penalised:
        return loop
    old_log, new_log = templates.PENALTY_LOG[flavour]
    for old, new in [*_PENALTY_LINES[flavour].items(), (old_log, new_log)]:
        if loop.count(old) != 1:  # the template changed: fail loudly rather than export a script without the penalty
            raise AssertionError(f"the {flavour} loop no longer has the line {old.strip()!r}")
        loop = loop.replace(old, new)
    return loop
