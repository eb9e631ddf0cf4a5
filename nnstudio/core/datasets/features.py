"""Input features, as in TensorFlow Playground: the network's inputs computed from the raw inputs.

For one-input data the choice is x, x², x³, sin x, cos x; for two-input data X₁, X₂, X₁², X₂², X₁X₂,
sin X₁, sin X₂. The dataset computes the chosen columns once from the raw inputs, then standardises
them (when asked); the plots still draw over the raw inputs, and the prediction grid goes through
the same features. `None` (the default) means the raw inputs themselves: x, or X₁ and X₂.

Names are spelled as typed on the command line and stored in files: x, x^2, x^3, sin(x), cos(x);
x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2). A few obvious spellings are accepted too (x², x**2,
X1, x1x2, sin x1, …) and stored under the name above.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import NNStudioError


@dataclass(frozen=True)
class Feature:
    """One input column of the network, computed from the raw inputs x (n, inputs)."""

    name: str  # as typed and stored: "x1^2"
    label: str  # as shown in the window: "X₁²"
    formula: str  # the tooltip: what it is and why it helps
    compute: Callable[[np.ndarray], np.ndarray]  # raw x (n, inputs) → one column (n,)
    source: str  # the same in Python over `x`, written into exported scripts (tests check they agree)


ONE_INPUT_FEATURES: tuple[Feature, ...] = (
    Feature("x", "x", "x: the input itself", lambda x: x[:, 0], "x[:, 0]"),
    Feature(
        "x^2", "x²", "x²: the input squared (a parabola with no hidden layer)", lambda x: x[:, 0] ** 2, "x[:, 0] ** 2"
    ),
    Feature("x^3", "x³", "x³: the input cubed", lambda x: x[:, 0] ** 3, "x[:, 0] ** 3"),
    Feature("sin(x)", "sin x", "sin(x): the sine of the input (radians)", lambda x: np.sin(x[:, 0]), "np.sin(x[:, 0])"),
    Feature(
        "cos(x)", "cos x", "cos(x): the cosine of the input (radians)", lambda x: np.cos(x[:, 0]), "np.cos(x[:, 0])"
    ),
)
TWO_INPUT_FEATURES: tuple[Feature, ...] = (
    Feature("x1", "X₁", "X₁: the first input itself", lambda x: x[:, 0], "x[:, 0]"),
    Feature("x2", "X₂", "X₂: the second input itself", lambda x: x[:, 1], "x[:, 1]"),
    Feature(
        "x1^2",
        "X₁²",
        "X₁²: the first input squared (with X₂², a circle is a straight cut)",
        lambda x: x[:, 0] ** 2,
        "x[:, 0] ** 2",
    ),
    Feature(
        "x2^2",
        "X₂²",
        "X₂²: the second input squared (with X₁², a circle is a straight cut)",
        lambda x: x[:, 1] ** 2,
        "x[:, 1] ** 2",
    ),
    Feature(
        "x1*x2",
        "X₁X₂",
        "X₁·X₂: the product of the inputs (its sign tells the quadrant: xor)",
        lambda x: x[:, 0] * x[:, 1],
        "x[:, 0] * x[:, 1]",
    ),
    Feature(
        "sin(x1)",
        "sin X₁",
        "sin(X₁): the sine of the first input (radians)",
        lambda x: np.sin(x[:, 0]),
        "np.sin(x[:, 0])",
    ),
    Feature(
        "sin(x2)",
        "sin X₂",
        "sin(X₂): the sine of the second input (radians)",
        lambda x: np.sin(x[:, 1]),
        "np.sin(x[:, 1])",
    ),
)
FEATURES_BY_INPUTS: dict[int, tuple[Feature, ...]] = {1: ONE_INPUT_FEATURES, 2: TWO_INPUT_FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for fs in FEATURES_BY_INPUTS.values() for f in fs)
_BY_NAME: dict[str, Feature] = {f.name: f for fs in FEATURES_BY_INPUTS.values() for f in fs}
# Spellings people type, mapped to the stored name (after lower case, no spaces, ** → ^, x² → x^2).
_ALIASES = {
    "sinx": "sin(x)", "cosx": "cos(x)", "sinx1": "sin(x1)", "sinx2": "sin(x2)",
    "x1x2": "x1*x2", "x2*x1": "x1*x2", "x2x1": "x1*x2", "x1^1": "x1", "x2^1": "x2", "x^1": "x",
    "x*x": "x^2", "x1*x1": "x1^2", "x2*x2": "x2^2",
}  # fmt: skip
_CHARACTERS = str.maketrans({"²": "^2", "³": "^3", "₁": "1", "₂": "2", "·": "*", "×": "*", "_": ""})


def feature_help() -> str:
    """The names for a message or --help: one-input and two-input ones."""
    return (
        "one input: " + ", ".join(f.name for f in ONE_INPUT_FEATURES)
        + "; two inputs: " + ", ".join(f.name for f in TWO_INPUT_FEATURES)
    )  # fmt: skip


def names_for(n_inputs: int) -> str:
    """The names of the features of data with `n_inputs` raw inputs, for a message."""
    return ", ".join(f.name for f in FEATURES_BY_INPUTS.get(n_inputs, ()))


def canonical_name(typed: str) -> str | None:
    """The stored name of a typed feature name (`None`: not a feature)."""
    if not isinstance(typed, str):
        return None
    name = "".join(typed.lower().split()).translate(_CHARACTERS).replace("**", "^")
    name = _ALIASES.get(name, name)
    return name if name in _BY_NAME else None


def canonical_features(names: Iterable, setting: str = "data.features") -> tuple[str, ...]:
    """Stored names, in the table's order (X₁ before X₁²), of one input count; an unknown, repeated
    or mixed name is refused with `setting` named."""
    if isinstance(names, str) or not isinstance(names, list | tuple):
        raise NNStudioError(f"{setting} must be a list of feature names ({feature_help()}), got {names!r}")
    chosen = []
    for typed in names:
        name = canonical_name(typed)
        if name is None:
            raise NNStudioError(f"{setting}: unknown feature {typed!r} (known: {feature_help()})")
        if name in chosen:
            raise NNStudioError(f"{setting}: {name} is chosen twice")
        chosen.append(name)
    if not chosen:
        raise NNStudioError(f"{setting} must name at least one feature ({feature_help()})")
    counts = {inputs for inputs, fs in FEATURES_BY_INPUTS.items() if all(_BY_NAME[n] in fs for n in chosen)}
    if not counts:
        raise NNStudioError(f"{setting} mixes one-input and two-input features ({', '.join(chosen)}): {feature_help()}")
    (inputs,) = counts
    return tuple(f.name for f in FEATURES_BY_INPUTS[inputs] if f.name in chosen)


def parse_features(text: str, setting: str = "--features") -> tuple[str, ...]:
    """A comma-separated list as typed on the command line, e.g. "x1^2, x2^2"."""
    return canonical_features([part for part in text.split(",") if part.strip()], setting)


def feature_inputs(names: tuple[str, ...]) -> int:
    """How many raw inputs the (stored) names are computed from: 1 or 2."""
    return 1 if all(_BY_NAME[n] in ONE_INPUT_FEATURES for n in names) else 2


def raw_features(n_inputs: int) -> tuple[str, ...]:
    """The features that are the raw inputs themselves: ("x",) or ("x1", "x2")."""
    return ("x",) if n_inputs == 1 else ("x1", "x2") if n_inputs == 2 else ()


def chosen_features(features: tuple[str, ...] | None, n_inputs: int) -> tuple[Feature, ...]:
    """The Feature records of a choice (None: the raw inputs); empty for data with other input counts."""
    return tuple(_BY_NAME[name] for name in (raw_features(n_inputs) if features is None else features))


def is_raw(features: tuple[str, ...] | None, n_inputs: int) -> bool:
    """Whether the network's inputs are the raw inputs themselves (no feature to compute)."""
    return features is None or tuple(features) == raw_features(n_inputs)


def feature_matrix(x: np.ndarray, features: tuple[str, ...] | None) -> np.ndarray:
    """The network's inputs (n, features) from the raw inputs x (n, inputs); x itself (no copy) when
    the features are the raw inputs, so the default costs nothing."""
    if is_raw(features, x.shape[1]):
        return x
    if feature_inputs(features) != x.shape[1]:
        raise NNStudioError(
            f"data.features {', '.join(features)} are for {feature_inputs(features)}-input data, "
            f"and this data has {x.shape[1]} inputs"
        )
    return np.column_stack([_BY_NAME[name].compute(x) for name in features])


def input_names(features: tuple[str, ...] | None, n_inputs: int) -> tuple[str, ...]:
    """The network's input nodes as the window names them: ("X₁²", "X₂²"), or x, or x₁, x₂ …"""
    if features is None and n_inputs not in FEATURES_BY_INPUTS:
        return tuple(f"x{i + 1}" for i in range(n_inputs))
    return tuple(f.label for f in chosen_features(features, n_inputs))
