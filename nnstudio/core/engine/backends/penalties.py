"""Regularisation: a penalty on the weights W (the biases go free), its value and its gradient.

The optimiser then minimises  L + penalty:  a large weight costs something even where it fits.
The numpy backend adds the penalty's gradient after backpropagation (backends/numpy_backend.py);
an exported NumPy script pastes these functions as they are written here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nnstudio.core.engine.model import DenseLayer


def weight_penalty(layers: list[DenseLayer], parameters: dict[str, np.ndarray], kind: str, rate: float) -> float:
    """The penalty on every layer's W: L1 rate·Σ|w|, L2 rate·½·Σw², none 0."""
    if kind == "none":
        return 0.0
    total = 0.0
    for layer in layers:
        W = parameters[layer.weight_name]
        total += np.abs(W).sum() if kind == "l1" else 0.5 * np.dot(W.ravel(), W.ravel())
    return float(rate * total)


def penalty_gradient(W: np.ndarray, kind: str, rate: float) -> np.ndarray:
    """The penalty's part of dL/dW, added to the data loss's part."""
    if kind == "l1":
        return rate * np.sign(W)  # d/dW (rate·Σ|w|) = rate·sign(w)   (0 at w = 0, as autograd takes it)
    if kind == "l2":
        return rate * W  # d/dW (rate·½·Σw²) = rate·w
    return np.zeros_like(W)


def add_penalty_gradients(
    layers: list[DenseLayer],
    parameters: dict[str, np.ndarray],
    gradients: dict[str, np.ndarray],
    kind: str,
    rate: float,
) -> None:
    """dL/dW += the penalty's part, for every layer's W (in place; dL/db is left as it is)."""
    for layer in layers:
        gradients[layer.weight_name] += penalty_gradient(parameters[layer.weight_name], kind, rate)
