"""The hidden-unit view: a one-hidden-layer network's prediction as a sum of simple curves.

With one input x, one hidden layer of units j and a linear output,

    ŷ(x) = Σ_j w2_j · g(w1_j · x + b1_j)  +  b2

so each unit adds one curve c_j(x) = w2_j · g(w1_j · x + b1_j): a hinge for ReLU, a step-like
bump for tanh. Plotted under the fit, a class sees the pieces add up to the prediction.
For deeper networks `layer_outputs()` gives each unit's output over x for a chosen layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.errors import NNStudioError


@dataclass(frozen=True, eq=False)
class UnitContributions:
    """Each hidden unit's curve over the x grid, in the data's original units."""

    x: np.ndarray  # (G,) the grid, original units
    contributions: np.ndarray  # (G, units): y_sd · c_j(x)
    offset: float  # y_sd · b2 + y_mean: what the sum of the curves is shifted by
    prediction: np.ndarray  # (G,) Σ_j contributions + offset, the network's fit

    @property
    def units(self) -> int:
        return self.contributions.shape[1]


def supports_unit_contributions(layers: list[DenseLayer]) -> bool:
    """One input, one hidden layer, one linear output: only then is ŷ a plain sum of unit curves."""
    return (
        len(layers) == 2
        and layers[0].n_in == 1
        and layers[1].n_out == 1
        and layers[1].activation == "identity"  # a squashed output is no longer a sum
    )


def _require_one_hidden_layer(layers: list[DenseLayer]) -> None:
    if not supports_unit_contributions(layers):
        raise NNStudioError(
            "the hidden-unit curves need one input, one hidden layer and a linear (identity) output; "
            "for other networks, show each unit's output of a chosen layer instead"
        )


def unit_contributions(layers: list[DenseLayer], parameters: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """c_j(x) = w2_j · g(w1_j · x + b1_j) for each hidden unit j, in model units: shape (len(x), units).

    Their sum over j, plus b2, is the network's output before un-standardising.
    """
    _require_one_hidden_layer(layers)
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    w2 = parameters[layers[1].weight_name][:, 0]  # (units,): the output layer's weight from each unit
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run is drawn, not warned about
        hidden = forward(layers[:1], parameters, x)[0].outputs  # a_j = g(w1_j · x + b1_j)
        return hidden * w2  # c_j = a_j · w2_j, broadcast over the grid's rows


def output_bias(layers: list[DenseLayer], parameters: dict[str, np.ndarray]) -> float:
    """The last layer's bias b2 (0 when it has none)."""
    last = layers[-1]
    return float(parameters[last.bias_name][0]) if last.bias else 0.0


def contributions_in_original_units(
    layers: list[DenseLayer], parameters: dict[str, np.ndarray], dataset: Dataset
) -> UnitContributions:
    """The unit curves over the dataset's x grid, un-standardised as the fit curve is.

    ŷ_raw = y_sd · ŷ + y_mean = Σ_j (y_sd · c_j) + (y_sd · b2 + y_mean)
    """
    scaler = dataset.scaler
    contributions = unit_contributions(layers, parameters, dataset.x_grid)
    offset = scaler.y_sd * output_bias(layers, parameters) + scaler.y_mean
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = scaler.y_sd * contributions
        return UnitContributions(dataset.x_grid_raw[:, 0], scaled, offset, scaled.sum(axis=1) + offset)


def layer_outputs(
    layers: list[DenseLayer],
    parameters: dict[str, np.ndarray],
    x: np.ndarray,
    layer_index: int,
    pre_activation: bool = False,
) -> np.ndarray:
    """Each unit's output a (or its z) over x for layer `layer_index` (1-based): shape (len(x), units)."""
    if not 1 <= layer_index <= len(layers):
        raise NNStudioError(f"there is no layer {layer_index}: this network has layers 1 to {len(layers)}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, layers[0].n_in)
    with np.errstate(over="ignore", invalid="ignore"):
        trace = forward(layers[:layer_index], parameters, x)[-1]
    return trace.pre_activation if pre_activation else trace.outputs
