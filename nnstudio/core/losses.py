"""Loss functions and their derivatives with respect to the network's output ŷ.

Each loss is a pair: the value L(ŷ, y) and the gradient dL/dŷ that starts backpropagation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Loss:
    formula: str
    value: Callable[[np.ndarray, np.ndarray], float]
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]
    averaged: bool  # a mean over the points (so a mini-batch's loss is weighted by its size in an epoch)


def sum_of_squares(prediction: np.ndarray, y: np.ndarray) -> float:
    # L = Σ (y − ŷ)²     (the tutorial's sum((y - pred)^2))
    return float(np.sum((y - prediction) ** 2))


def sum_of_squares_gradient(prediction: np.ndarray, y: np.ndarray) -> np.ndarray:
    # dL/dŷ = −2 (y − ŷ)
    return -2.0 * (y - prediction)


def mean_squared_error(prediction: np.ndarray, y: np.ndarray) -> float:
    # L = (1/N) Σ (y − ŷ)²     N = every output of every point, as torch's mse_loss
    return float(np.sum((y - prediction) ** 2)) / prediction.size


def mean_squared_error_gradient(prediction: np.ndarray, y: np.ndarray) -> np.ndarray:
    # dL/dŷ = −2 (y − ŷ) / N
    return -2.0 * (y - prediction) / prediction.size


LOSSES: dict[str, Loss] = {
    "sse": Loss("L = Σᵢ (yᵢ − ŷᵢ)²", sum_of_squares, sum_of_squares_gradient, averaged=False),
    "mse": Loss("L = (1/N) Σᵢ (yᵢ − ŷᵢ)²", mean_squared_error, mean_squared_error_gradient, averaged=True),
}
