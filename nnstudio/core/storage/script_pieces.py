"""The parts of an exported script that describe this run: its settings, its data and its model.

Each is a section of Python text (see script_export.py, which puts them together with the engine
and the training loop); the numbers are written so that they read back exactly.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.datasets.features import chosen_features
from nnstudio.core.engine.experiment import REGULARIZATIONS, Experiment
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.storage import script_templates as templates


def settings_section(experiment: Experiment, epochs: int, flavour: str) -> str:
    """The training settings as constants: epochs, seed, batch size, the optimiser's, the dtype."""
    t = experiment.training
    dtype = f"np.{t.dtype}" if flavour == "numpy" else f"torch.{t.dtype}"
    lines = [
        "# --- settings " + "-" * 86,
        f"EPOCHS = {epochs}",
        f"LOG_EVERY = {t.log_every}  # print the loss every LOG_EVERY epochs",
        f"SEED = {t.seed}  # the initial weights and the mini-batch shuffling",
        f"BATCH_SIZE = {t.batch_size!r}  # None: the whole training set in every step",
        f"LEARNING_RATE = {t.learning_rate!r}  # {templates.OPTIMIZER_NAMES[t.optimizer]}",
    ]
    if t.optimizer == "momentum":
        lines.append(f"MOMENTUM = {t.momentum!r}")
    if t.optimizer == "adam":
        lines.append(f"BETA1, BETA2, EPS = {t.beta1!r}, {t.beta2!r}, {t.eps!r}")
    if t.penalised:
        lines.append(f"REGULARIZATION, REGULARIZATION_RATE = {t.regularization!r}, {t.regularization_rate!r}")
        lines.append(f"# {REGULARIZATIONS[t.regularization]}")
    lines.append(f"DTYPE = {dtype}")
    return "\n".join(lines) + "\n"


def data_section(experiment: Experiment, dataset) -> str:
    """The exact points (after the subsample and the split), their features and their standardisation."""
    spec = experiment.data
    source = f"the {spec.generator} generator, seed {spec.seed}"
    if spec.generator == "csv":
        source = f"the imported file {spec.csv_path}"
    lines = [
        "# --- the data " + "-" * 86,
        f"SOURCE = {source!r}  # where the points came from",
        f"# {dataset.n_train} training and {dataset.n_test} test points from SOURCE, in original units",
        f"X_TRAIN = {_array(dataset.x_train_raw)}",
        f"Y_TRAIN = {_array(dataset.y_train_raw)}",
        f"X_TEST = {_array(dataset.x_test_raw)}",
        f"Y_TEST = {_array(dataset.y_test_raw)}",
    ]
    classification = getattr(dataset, "n_classes", None) is not None
    if classification:
        lines.insert(
            3, f"# x: {dataset.n_inputs} inputs per point; y: each point's class number 0 … {dataset.n_classes - 1}"
        )
    lines += _features(dataset)
    if spec.standardize and classification:
        s = dataset.scaler
        lines += [
            "",
            "# Each input column standardised like R's scale(), with the mean and sd (n − 1) of the training",
            "# points: the network learns in these units. The class numbers are left as they are.",
            f"X_MEAN = np.array({[float(m) for m in s.x_mean]!r})",
            f"X_SD = np.array({[float(v) for v in s.x_sd]!r})",
            "x_train, y_train = (X_TRAIN - X_MEAN) / X_SD, Y_TRAIN",
            "x_test, y_test = (X_TEST - X_MEAN) / X_SD, Y_TEST",
        ]
    elif spec.standardize and dataset.n_inputs > 1:
        s = dataset.scaler
        lines += [
            "",
            "# Each input column and y standardised like R's scale(), with the mean and sd (n − 1) of the training",
            "# points: the network learns in these units.",
            f"X_MEAN = np.array({[float(m) for m in s.x_mean]!r})",
            f"X_SD = np.array({[float(v) for v in s.x_sd]!r})",
            f"Y_MEAN, Y_SD = {float(s.y_mean)!r}, {float(s.y_sd)!r}",
            "x_train, y_train = (X_TRAIN - X_MEAN) / X_SD, (Y_TRAIN - Y_MEAN) / Y_SD",
            "x_test, y_test = (X_TEST - X_MEAN) / X_SD, (Y_TEST - Y_MEAN) / Y_SD",
        ]
    elif spec.standardize:
        s = dataset.scaler
        lines += [
            "",
            "# Standardised like R's scale(), with the mean and sd (n − 1) of the training points:",
            "# the network learns in these units.",
            _x_scaling(s.x_mean, s.x_sd),
            f"Y_MEAN, Y_SD = {float(s.y_mean)!r}, {float(s.y_sd)!r}",
            "x_train, y_train = (X_TRAIN - X_MEAN) / X_SD, (Y_TRAIN - Y_MEAN) / Y_SD",
            "x_test, y_test = (X_TEST - X_MEAN) / X_SD, (Y_TEST - Y_MEAN) / Y_SD",
        ]
    else:
        lines += ["", "x_train, y_train, x_test, y_test = X_TRAIN, Y_TRAIN, X_TEST, Y_TEST"]
    return "\n".join(lines) + "\n"


def _x_scaling(mean: float | tuple[float, ...], sd: float | tuple[float, ...]) -> str:
    """X_MEAN, X_SD: one number for one input; one per input column (two-input regression)."""
    if isinstance(mean, tuple):
        return f"X_MEAN, X_SD = np.array({[float(m) for m in mean]!r}), np.array({[float(v) for v in sd]!r})"
    return f"X_MEAN, X_SD = {float(mean)!r}, {float(sd)!r}"


def _features(dataset) -> list[str]:
    """The input features, as features.py computes them (nothing when the inputs are the raw x)."""
    if dataset.uses_raw_inputs:
        return []
    chosen = chosen_features(dataset.features, dataset.n_inputs)
    return [
        "",
        "",
        "def features(x):",
        '    """The inputs of the network, from the raw inputs x: ' + ", ".join(f.name for f in chosen) + '."""',
        "    return np.column_stack([",
        *(f"        {feature.source},  # {feature.name}" for feature in chosen),
        "    ])",
        "",
        "",
        "# From here on x means the features, computed before any standardisation.",
        "X_TRAIN, X_TEST = features(X_TRAIN), features(X_TEST)",
    ]


def _array(values: np.ndarray) -> str:
    """A literal that rebuilds `values` exactly: repr() of a float64 reads back as the same number."""
    values = np.asarray(values, dtype=np.float64)
    numbers = [repr(float(v)) for v in values.ravel()]
    lines, line = [], "   "
    for number in numbers:
        if len(line) + len(number) + 2 > 100:
            lines.append(line)
            line = "   "
        line += f" {number},"
    lines.append(line)
    body = "\n".join(lines) if numbers else ""
    return (
        f"np.array([\n{body}\n]).reshape({values.shape[0]}, {values.shape[1]})"
        if numbers
        else (f"np.zeros(({values.shape[0]}, {values.shape[1]}))")
    )


def model_section(experiment: Experiment, layers: list[DenseLayer], flavour: str) -> str:
    """The layers and the initial weights drawn from the seed, as model.py draws them."""
    model = experiment.model
    rows = ",\n".join(
        f"    DenseLayer({x.index:d}, {x.n_in:d}, {x.n_out:d}, {x.activation!r}, {x.bias!r})" for x in layers
    )
    draw = {
        "kaiming_uniform": templates.KAIMING,
        "xavier_uniform": templates.XAVIER,
        "constant": templates.CONSTANT.replace("CONSTANT", repr(model.init_constant)),
    }[model.init]
    constant = model.init == "constant"
    lines = [
        "# --- the model ---",
        "",
        "",
        templates.DENSE_LAYER.rstrip("\n"),
        "",
        "",
        "# (index, inputs, outputs, activation, bias) of each layer:",
        f"LAYERS = [\n{rows},\n]",
        "",
        "",
        "def initial_parameters(seed):",
        '    """W1, b1, W2, b2, ...: every weight and bias starts at the same number."""'
        if constant
        else '    """W1, b1, W2, b2, ...: every initial weight drawn from one seeded generator, layer by layer."""',
        *([] if constant else ["    rng = np.random.default_rng(seed)"]),
        "    parameters = {}",
        "    for layer in LAYERS:",
        draw.rstrip("\n"),
        "    return parameters",
    ]
    return "\n".join(lines) + "\n"
