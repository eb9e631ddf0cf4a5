"""Loss functions and their derivatives with respect to the network's output ŷ.

Each loss is a pair: the value L(ŷ, y) and the gradient dL/dŷ that starts backpropagation.

Regression losses compare numbers. Classification losses compare the network's output with
class labels: y holds each point's class number 0, 1, ..., K−1 (one column, as float64), so
that rows of x and y stay aligned in every mini-batch and both backends take y as it is.

    bce            two classes: one sigmoid output ŷ = P(class 1 | x)
    cross_entropy  K ≥ 3 classes: K outputs z (logits, identity output); softmax(z) gives P(class k | x)

Both follow torch exactly (torch.nn.BCELoss and torch.nn.CrossEntropyLoss, mean reduction),
so the numpy and torch backends agree to rounding.
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
    task: str = "regression"  # or "classification": which data the loss makes sense for
    output_activation: str | None = None  # the output layer's activation the loss needs (None: any)


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


# --- classification -------------------------------------------------------------------------------

LOG_FLOOR = -100.0  # torch's BCELoss clamps each logarithm at −100: ŷ = 0 or 1 gives a large, finite loss
BCE_EPSILON = float(np.float32(1e-12))  # torch keeps ŷ(1 − ŷ) ≥ this in BCELoss's gradient (a float32 1e-12)


def binary_cross_entropy(prediction: np.ndarray, y: np.ndarray) -> float:
    # L = −(1/N) Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)]     ŷ = P(class 1); each ln clamped at −100, as torch's BCELoss
    with np.errstate(divide="ignore", invalid="ignore"):  # ln 0 = −∞ is clamped; a NaN ŷ gives a NaN loss
        log_p = np.maximum(np.log(prediction), LOG_FLOOR)
        log_not_p = np.maximum(np.log1p(-prediction), LOG_FLOOR)  # ln(1 − ŷ), exact for tiny ŷ
    return float(np.mean((y - 1.0) * log_not_p - y * log_p))


def binary_cross_entropy_gradient(prediction: np.ndarray, y: np.ndarray) -> np.ndarray:
    # dL/dŷ = (ŷ − y) / (ŷ(1 − ŷ)) / N        (the denominator kept ≥ 1e-12, as torch does)
    # With a sigmoid output, g'(z) = ŷ(1 − ŷ) cancels the denominator: dL/dz = (ŷ − y) / N.
    return (prediction - y) / np.maximum((1.0 - prediction) * prediction, BCE_EPSILON) / prediction.size


def log_softmax(z: np.ndarray) -> np.ndarray:
    """ln softmax(z) row by row: z_k − max(z) − ln Σⱼ e^(z_j − max(z)) (the max keeps e^z from overflowing)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """softmax(z)_k = e^(z_k) / Σⱼ e^(z_j), row by row: K logits → K probabilities that sum to 1."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(log_softmax(z))


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """Class numbers (n,) or (n, 1) → rows with a 1 in the label's column: 2 → [0, 0, 1]."""
    labels = np.asarray(labels).reshape(-1).astype(np.intp)
    encoded = np.zeros((len(labels), classes))
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def cross_entropy(prediction: np.ndarray, y: np.ndarray) -> float:
    # L = −(1/N) Σᵢ ln softmax(zᵢ)[yᵢ]     ŷ = z are the logits; yᵢ is point i's class number
    with np.errstate(over="ignore", invalid="ignore"):
        labels = y.reshape(-1).astype(np.intp)
        return float(-np.mean(log_softmax(prediction)[np.arange(len(labels)), labels]))


def cross_entropy_gradient(prediction: np.ndarray, y: np.ndarray) -> np.ndarray:
    # dL/dz = (softmax(z) − onehot(y)) / N     the predicted probabilities minus the true ones, per point
    n, classes = prediction.shape
    return (softmax(prediction) - one_hot(y, classes).astype(prediction.dtype)) / n


LOSSES: dict[str, Loss] = {
    "sse": Loss("L = Σᵢ (yᵢ − ŷᵢ)²", sum_of_squares, sum_of_squares_gradient, averaged=False),
    "mse": Loss("L = (1/N) Σᵢ (yᵢ − ŷᵢ)²", mean_squared_error, mean_squared_error_gradient, averaged=True),
    "bce": Loss(
        "L = −(1/N) Σᵢ [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)],  ŷ = σ(z) = P(class 1)",
        binary_cross_entropy,
        binary_cross_entropy_gradient,
        averaged=True,
        task="classification",
        output_activation="sigmoid",
    ),
    "cross_entropy": Loss(
        "L = −(1/N) Σᵢ ln softmax(zᵢ)_yᵢ,  softmax(z)_k = e^(z_k) / Σⱼ e^(z_j)",
        cross_entropy,
        cross_entropy_gradient,
        averaged=True,
        task="classification",
        output_activation="identity",
    ),
}

REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.task == "regression")
CLASSIFICATION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.task == "classification")

# Whose units a loss is in. A regression loss is computed in model units: standardised ones when the
# data is standardised, (y − mean) / sd, while the fit metrics (MSE, RMSE, R²) always undo that.
STANDARDISED_UNITS, ORIGINAL_UNITS = "standardised units", "original units"


def loss_units(loss_name: str, standardized: bool) -> str:
    """ "standardised units" or "original units" for a regression loss; "" for a classification loss
    (a mean −ln probability has no units)."""
    if LOSSES[loss_name].task != "regression":
        return ""
    return STANDARDISED_UNITS if standardized else ORIGINAL_UNITS


def describe_loss(loss_name: str, standardized: bool) -> str:
    """Which loss, in whose units: "mse, standardised units", "sse, original units", "bce"."""
    units = loss_units(loss_name, standardized)
    return f"{loss_name}, {units}" if units else loss_name
