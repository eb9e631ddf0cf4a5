"""Classification: from the network's outputs to class probabilities, accuracy and a confusion matrix.

Two classes use one sigmoid output ŷ = P(class 1 | x) and the `bce` loss; K ≥ 3 classes use K
identity outputs (logits z) and the `cross_entropy` loss, which applies softmax itself. The data
fixes which: `check_task()` says clearly when an experiment's loss or output does not fit its
data, and `fit_to_data()` chooses a loss and output that do (for the window and the CLI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.losses import LOSSES, softmax
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.datasets.data import Dataset
    from nnstudio.core.engine.experiment import Experiment

# The loss and output activation each kind of data trains with when nobody chose otherwise.
BINARY_LOSS, MULTICLASS_LOSS, REGRESSION_LOSS = "bce", "cross_entropy", "mse"


def class_probabilities(outputs: np.ndarray, loss_name: str) -> np.ndarray:
    """(n, K) probabilities from the network's outputs: [1 − ŷ, ŷ] for bce, softmax(z) for cross_entropy."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if loss_name == "bce":
        p = outputs[:, :1]
        return np.hstack([1.0 - p, p])
    return softmax(outputs)


def predicted_classes(probabilities: np.ndarray) -> np.ndarray:
    """The most probable class of each row (the first on a tie; −1 where the row is not finite)."""
    finite = np.all(np.isfinite(probabilities), axis=1)
    return np.where(finite, np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=1), -1)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """K × K counts: row = the true class, column = the predicted class (the diagonal is right)."""
    labels = np.asarray(labels).reshape(-1).astype(np.intp)
    predicted = np.asarray(predicted).reshape(-1).astype(np.intp)
    counts = np.zeros((classes, classes), dtype=np.int64)
    valid = (predicted >= 0) & (predicted < classes)  # a diverged (NaN) prediction counts as wrong
    np.add.at(counts, (labels[valid], predicted[valid]), 1)
    return counts


@dataclass(frozen=True, eq=False)
class ClassificationMetrics:
    """How many points land in their own class, and where the others go.

    mse, rmse and r2 are NaN: they are the regression metrics' names, kept so that code reading
    any snapshot's metrics shows "–" for classes instead of failing.
    """

    accuracy: float  # share of points whose most probable class is their own, 0 … 1
    confusion: np.ndarray  # (K, K) int counts, row = true class, column = predicted class
    n_points: int

    mse = math.nan
    rmse = math.nan
    r2 = math.nan

    @property
    def n_classes(self) -> int:
        return len(self.confusion)

    @property
    def errors(self) -> int:
        """Points put in another class than their own (a diverged prediction counts as one)."""
        return self.n_points - int(np.trace(self.confusion))


def classification_metrics(probabilities: np.ndarray, labels: np.ndarray, classes: int) -> ClassificationMetrics | None:
    """Accuracy and confusion matrix of (n, K) probabilities against labels (n, 1); None for no points."""
    labels = np.asarray(labels).reshape(-1)
    if len(labels) == 0:
        return None
    predicted = predicted_classes(probabilities)
    accuracy = float(np.mean(predicted == labels.astype(np.intp)))
    return ClassificationMetrics(accuracy, confusion_matrix(labels, predicted, classes), len(labels))


# --- does the experiment fit its data? -----------------------------------------------------------


def suitable_losses(dataset: Dataset) -> tuple[str, ...]:
    """The losses that can train on this data: bce for 2 classes, cross_entropy for 3+, sse/mse otherwise."""
    if not dataset.is_classification:
        return tuple(name for name, loss in LOSSES.items() if loss.task == "regression")
    return (BINARY_LOSS,) if dataset.n_classes == 2 else (MULTICLASS_LOSS,)


def check_task(experiment: Experiment, dataset: Dataset) -> None:
    """Raise a clear NNStudioError when the loss or the output activation does not fit the data."""
    name = experiment.training.loss
    loss = LOSSES[name]
    if name not in suitable_losses(dataset):
        if not dataset.is_classification:
            raise NNStudioError(
                f"the {name} loss is for class labels, but this data is numbers to fit (regression): "
                "use mse or sse (training.loss)"
            )
        if dataset.n_classes == 2:
            advice = "use bce (binary cross-entropy) with a sigmoid output"
            if name == "cross_entropy":
                advice += "; cross_entropy is for 3 or more classes, one output each"
        else:
            advice = "use cross_entropy (one output per class, softmax)"
        raise NNStudioError(f"the {name} loss does not fit {dataset.n_classes} classes: {advice} (training.loss)")
    needed = loss.output_activation
    if needed is not None and experiment.model.output_activation != needed:
        why = {
            "sigmoid": "its output must be a probability between 0 and 1",
            "identity": "it applies softmax to the outputs itself, so they must be plain logits",
        }[needed]
        raise NNStudioError(
            f"the {name} loss needs model.output_activation = {needed!r} ({why}), "
            f"got {experiment.model.output_activation!r}"
        )


def fit_to_data(experiment: Experiment, dataset: Dataset, keep_loss: bool = False) -> Experiment:
    """An experiment whose loss and output activation fit `dataset` (unchanged when they already do).

    The loss is replaced when it does not suit the data, unless `keep_loss` (the user chose it:
    then `check_task` reports it). A classification loss brings the output activation it needs;
    leaving classes for numbers turns a sigmoid output that bce needed back into identity.
    """
    loss = experiment.training.loss
    if not keep_loss and loss not in suitable_losses(dataset):
        was_classification = LOSSES[loss].task == "classification"
        loss = suitable_losses(dataset)[0] if dataset.is_classification else REGRESSION_LOSS
        experiment = experiment.with_training(loss=loss)
        if not dataset.is_classification and was_classification:
            experiment = experiment.with_model(output_activation="identity")
    needed = LOSSES[loss].output_activation
    if needed is not None and experiment.model.output_activation != needed:
        experiment = experiment.with_model(output_activation=needed)
    return experiment


def describe_change(before: Experiment, after: Experiment) -> str:
    """ "" when nothing changed, else e.g. "loss bce, output sigmoid" for a status message."""
    parts = []
    if before.training.loss != after.training.loss:
        parts.append(f"loss {after.training.loss}")
    if before.model.output_activation != after.model.output_activation:
        parts.append(f"output {after.model.output_activation}")
    return ", ".join(parts)
