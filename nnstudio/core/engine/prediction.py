"""The prediction the plots draw: the network's outputs on the dataset's grid, in the data's own units.

One rule for the live model (`Trainer.prediction_on_grid`) and for a recorded moment (the timeline
shows the weights of a past epoch), so the two curves can never disagree about units or classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.classification import class_probabilities
from nnstudio.core.engine.fit_quality import measure_fit

if TYPE_CHECKING:
    from nnstudio.core.datasets.data import Dataset
    from nnstudio.core.engine.model import DenseLayer


def prediction_from_outputs(dataset: Dataset, loss_name: str, outputs: np.ndarray) -> np.ndarray:
    """The network's outputs (model units) as the plots show them: (n, outputs) in the data's original
    units, or for classes (n, K) probabilities."""
    if dataset.is_classification:
        return class_probabilities(outputs, loss_name)
    return dataset.scaler.y_from_model(outputs)


def prediction_with_parameters(
    layers: Sequence[DenseLayer], parameters: dict[str, np.ndarray], dataset: Dataset, loss_name: str
) -> np.ndarray:
    """What `Trainer.prediction_on_grid()` gives when the weights are `parameters` (e.g. a recorded epoch)."""
    return prediction_at(layers, parameters, dataset, loss_name, dataset.x_grid_raw)


def prediction_at(
    layers: Sequence[DenseLayer],
    parameters: dict[str, np.ndarray],
    dataset: Dataset,
    loss_name: str,
    x_raw: np.ndarray,
) -> np.ndarray:
    """The prediction at inputs `x_raw` (original units), e.g. another slice of data with many inputs."""
    dtype = next(iter(parameters.values())).dtype  # as the backend predicts: in the training dtype
    with np.errstate(all="ignore"):  # a diverged moment draws as a gap, not a warning
        x = dataset.scaler.x_to_model(x_raw).astype(dtype, copy=False)
        outputs = forward(list(layers), parameters, x)[-1].outputs
        return prediction_from_outputs(dataset, loss_name, outputs.astype(np.float64))


def metrics_with_parameters(
    layers: Sequence[DenseLayer], parameters: dict[str, np.ndarray], dataset: Dataset, loss_name: str
) -> tuple:
    """(train, test) fit metrics of the weights `parameters` (e.g. a recorded epoch), as the trainer's
    `metrics()` measures the live ones: in the data's original units (accuracy for classes)."""
    dtype = next(iter(parameters.values())).dtype

    def predict(x: np.ndarray) -> np.ndarray:
        return forward(list(layers), parameters, x.astype(dtype, copy=False))[-1].outputs.astype(np.float64)

    with np.errstate(all="ignore"):
        return measure_fit(dataset, loss_name, predict)
