"""How well a network fits its data, in the data's original units (accuracy for classes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.classification import ClassificationMetrics, class_probabilities, classification_metrics


@dataclass(frozen=True, eq=False)
class Metrics:
    """Fit quality in the data's original units."""

    mse: float
    rmse: float
    r2: float


def measure_fit(
    dataset: Dataset, loss_name: str, predict: Callable[[np.ndarray], np.ndarray]
) -> tuple[Metrics | ClassificationMetrics | None, Metrics | ClassificationMetrics | None]:
    """(train, test) fit quality of the network `predict` (model-unit x → model-unit output), in the
    data's original units (accuracy for classes); test is None without a test set (regression)."""
    data, scaler = dataset, dataset.scaler
    if data.is_classification:
        k = data.n_classes
        train = classification_metrics(class_probabilities(predict(data.x_train), loss_name), data.y_train_raw, k)
        test = classification_metrics(class_probabilities(predict(data.x_test), loss_name), data.y_test_raw, k)
        return train, test
    train = fit_metrics(scaler.y_from_model(predict(data.x_train)), data.y_train_raw)
    test = None
    if data.n_test:
        test = fit_metrics(scaler.y_from_model(predict(data.x_test)), data.y_test_raw)
    return train, test


def fit_metrics(prediction: np.ndarray, y: np.ndarray) -> Metrics | None:
    if len(y) == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        residual = float(np.sum((y - prediction) ** 2))
        spread = float(np.sum((y - y.mean(axis=0)) ** 2))
        mse = residual / y.size
        r2 = 1.0 - residual / spread if spread > 0 else float("nan")
    return Metrics(mse, math.sqrt(mse) if mse >= 0 else float("nan"), r2)
