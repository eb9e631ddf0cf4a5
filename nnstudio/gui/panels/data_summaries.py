"""The data panel's summary of the points in use: how many, their ranges and their standardisation.

One text per kind of data (a curve over x, classes, a surface over x₁ and x₂, numbers fitted
from several inputs), as HTML for a rich-text label, in original units.
"""

from __future__ import annotations

import html

import numpy as np

from nnstudio.core.datasets.data import Dataset


def dataset_summary(dataset: Dataset) -> str:
    """The summary of any data set: how many points, and their ranges in original units."""
    if dataset.is_classification:
        return _class_summary(dataset)
    if dataset.n_inputs > 1:  # a surface has its grid; a CSV of k inputs is fitted point by point
        return _inputs_summary(dataset) if dataset.predicts_points else _surface_summary(dataset)
    return _curve_summary(dataset)


def _curve_summary(dataset: Dataset) -> str:
    """One input x and a number y to fit: the counts, the ranges, and the standardisation if any."""
    x = np.concatenate([dataset.x_train_raw[:, 0], dataset.x_test_raw[:, 0]])
    y = np.concatenate([dataset.y_train_raw[:, 0], dataset.y_test_raw[:, 0]])
    lines = [_counts(dataset), f"x from {x.min():.4g} to {x.max():.4g}", f"y from {y.min():.4g} to {y.max():.4g}"]
    scaler = dataset.scaler
    if isinstance(scaler.x_mean, tuple):  # several features, each standardised on its own
        means, spreads = _column_scaling(dataset)
        names = ", ".join(dataset.input_names)
        lines.append(
            f"standardised {names}: means {means}; sds {spreads}; ȳ = {scaler.y_mean:.3g}, sd {scaler.y_sd:.3g}"
        )
    elif (scaler.x_mean, scaler.x_sd, scaler.y_mean, scaler.y_sd) != (0.0, 1.0, 0.0, 1.0):
        lines.append(
            f"standardised: {'x̄' if dataset.uses_raw_inputs else 'mean of ' + dataset.input_names[0]} = "
            f"{scaler.x_mean:.3g}, sd {scaler.x_sd:.3g}; "
            f"ȳ = {scaler.y_mean:.3g}, sd {scaler.y_sd:.3g}"
        )
    return "<br>".join(lines)


def _class_summary(dataset: Dataset) -> str:
    """Points per class, the inputs' ranges, and the standardisation of x₁, x₂ if any."""
    labels = np.concatenate([dataset.y_train_raw[:, 0], dataset.y_test_raw[:, 0]]).astype(int)
    counts = np.bincount(labels, minlength=dataset.n_classes)
    lines = [
        _counts(dataset),
        f"<b>{dataset.n_classes}</b> classes: " + ", ".join(f"{n} of class {k}" for k, n in enumerate(counts)),
        *_two_input_ranges(dataset),
    ]
    if isinstance(dataset.scaler.x_mean, tuple):
        means, spreads = _column_scaling(dataset)
        names = ", ".join(dataset.input_names)
        lines.append(f"standardised {names}: means {means}; sds {spreads} (labels stay 0 … {dataset.n_classes - 1})")
    return "<br>".join(lines)


def _surface_summary(dataset: Dataset) -> str:
    """Two inputs and a number to fit: the counts, the ranges, and the standardisation if any."""
    y = np.concatenate([dataset.y_train_raw[:, 0], dataset.y_test_raw[:, 0]])
    lines = [_counts(dataset), *_two_input_ranges(dataset), f"y from {y.min():.4g} to {y.max():.4g}"]
    scaler = dataset.scaler
    if isinstance(scaler.x_mean, tuple):
        means, spreads = _column_scaling(dataset)
        lines.append(f"standardised x₁, x₂: means {means}; sds {spreads}")
        lines.append(f"standardised y: ȳ = {scaler.y_mean:.3g}, sd {scaler.y_sd:.3g}")
    return "<br>".join(lines)


def _inputs_summary(dataset: Dataset) -> str:
    """Numbers fitted from several inputs: the points, what is predicted, and from which inputs."""
    y = np.concatenate([dataset.y_train_raw[:, 0], dataset.y_test_raw[:, 0]])
    inputs = ", ".join(html.escape(dataset.input_name(c)) for c in range(dataset.n_inputs))
    lines = [
        _counts(dataset),
        f"{html.escape(dataset.axis_names[1])} (from {y.min():.4g} to {y.max():.4g}) "
        f"from <b>{dataset.n_inputs}</b> inputs: {inputs}",
    ]
    if dataset.scaler.x_sd != 1.0:
        lines.append("each input standardised on its own, and the target")
    return "<br>".join(lines)


def _counts(dataset: Dataset) -> str:
    return f"<b>{dataset.n_train}</b> training points, <b>{dataset.n_test}</b> test points"


def _two_input_ranges(dataset: Dataset) -> list[str]:
    """The ranges of x₁ and x₂ over all the points."""
    x = np.concatenate([dataset.x_train_raw, dataset.x_test_raw])
    return [f"x{sub} from {x[:, i].min():.4g} to {x[:, i].max():.4g}" for i, sub in enumerate("₁₂")]


def _column_scaling(dataset: Dataset) -> tuple[str, str]:
    """The means and the sds of inputs standardised column by column, as the summary lists them."""
    scaler = dataset.scaler
    return ", ".join(f"{m:.3g}" for m in scaler.x_mean), ", ".join(f"{s:.3g}" for s in scaler.x_sd)
