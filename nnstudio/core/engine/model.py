"""Layers, activations and initial weights: the shape of a network, not its arithmetic.

Both backends build the same network from `dense_layers()` and start from the same
numbers drawn once by `initial_parameters()`, so their results can be compared exactly.
Parameter names follow the maths: W1, b1 for the first layer, W2, b2 for the second...; one
entry of them is W1[2,3] or b1[3], counting from 1 (`entry_name`), in every view and lesson.
Weight matrices are stored as (inputs, outputs), so a layer computes z = x W + b.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nnstudio.core.engine.experiment import ModelSpec

# name -> formula, shown in tooltips and the inspector.
ACTIVATIONS: dict[str, str] = {
    "identity": "g(z) = z",
    "relu": "g(z) = max(0, z)",
    "leaky_relu": "g(z) = z if z > 0 else 0.01·z",
    "tanh": "g(z) = tanh(z)",
    "sigmoid": "g(z) = 1 / (1 + e^(−z))",
    "softplus": "g(z) = ln(1 + e^z)",
}

LEAKY_RELU_SLOPE = 0.01  # torch.nn.LeakyReLU's default
SOFTPLUS_THRESHOLD = 20.0  # torch.nn.Softplus returns z itself above this, to avoid overflow

INITIALISATIONS: dict[str, str] = {
    "kaiming_uniform": "PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in)",
    "xavier_uniform": "Glorot: W ~ U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))), b = 0",
    "constant": "every weight and bias = the same constant (e.g. 1: the line ŷ = x + 1)",
}


@dataclass(frozen=True)
class DenseLayer:
    """One fully connected layer as the backends build it: z = x W + b, then a = g(z)."""

    index: int  # 1-based, as in W1, b1
    n_in: int
    n_out: int
    activation: str
    bias: bool

    @cached_property
    def weight_name(self) -> str:
        return f"W{self.index}"

    @cached_property
    def bias_name(self) -> str:
        return f"b{self.index}"

    @property
    def parameter_count(self) -> int:
        return self.n_in * self.n_out + (self.n_out if self.bias else 0)


def dense_layers(spec: ModelSpec, n_inputs: int, n_outputs: int) -> list[DenseLayer]:
    """The hidden layers of `spec`, then the output layer whose width the data fixes."""
    layers = []
    width_in = n_inputs
    for index, hidden in enumerate(spec.hidden, start=1):
        layers.append(DenseLayer(index, width_in, hidden.units, hidden.activation, hidden.bias))
        width_in = hidden.units
    layers.append(DenseLayer(len(spec.hidden) + 1, width_in, n_outputs, spec.output_activation, spec.output_bias))
    return layers


def entry_name(parameter: str, index: Sequence[int] | int) -> str:
    """One weight or bias as every view and lesson names it, counting from 1 as the maths does:
    W1[2,3] is layer 1's weight from input 2 to unit 3, b1[3] the bias of that unit."""
    numbers = (int(index),) if isinstance(index, int | np.integer) else tuple(int(i) for i in index)
    return f"{parameter}[{','.join(str(i + 1) for i in numbers)}]"


def parameter_names(layers: list[DenseLayer]) -> list[str]:
    """W1, b1, W2, b2, ... in the order every backend and file uses."""
    names = []
    for layer in layers:
        names.append(layer.weight_name)
        if layer.bias:
            names.append(layer.bias_name)
    return names


def parameter_count(layers: list[DenseLayer]) -> int:
    return sum(layer.parameter_count for layer in layers)


def initial_parameters(spec: ModelSpec, layers: list[DenseLayer], seed: int) -> dict[str, np.ndarray]:
    """Draw every initial weight from one seeded generator, layer by layer (float64)."""
    rng = np.random.default_rng(seed)
    parameters: dict[str, np.ndarray] = {}
    for layer in layers:
        shape = (layer.n_in, layer.n_out)
        if spec.init == "constant":
            parameters[layer.weight_name] = np.full(shape, spec.init_constant, dtype=np.float64)
            if layer.bias:
                parameters[layer.bias_name] = np.full(layer.n_out, spec.init_constant, dtype=np.float64)
        elif spec.init == "xavier_uniform":
            bound = np.sqrt(6.0 / (layer.n_in + layer.n_out))
            parameters[layer.weight_name] = rng.uniform(-bound, bound, shape)
            if layer.bias:
                parameters[layer.bias_name] = np.zeros(layer.n_out)
        else:  # kaiming_uniform, PyTorch's nn.Linear default
            bound = 1.0 / np.sqrt(layer.n_in)
            parameters[layer.weight_name] = rng.uniform(-bound, bound, shape)
            if layer.bias:
                parameters[layer.bias_name] = rng.uniform(-bound, bound, layer.n_out)
    return parameters


# --- will it fit? ------------------------------------------------------------------------------------

ACTIVATION_COPIES = 4.5  # per point and unit at a step's peak: z and a kept for backward, then dL/da, g'(z), dL/dz
# Per weight: θ, its gradient, Adam's two moments, the initial weights; and the state history, which
# keeps at least 16 moments to rewind to (weights and both moments: 3 copies each) however large they are.
PARAMETER_COPIES = 5 + 16 * 3


def step_memory_bytes(layers: list[DenseLayer], n_points: int, itemsize: int = 8) -> int:
    """Roughly the most memory one training step (or one prediction) on `n_points` points needs."""
    units = sum(layer.n_out for layer in layers)
    return int(n_points * units * itemsize * ACTIVATION_COPIES + parameter_count(layers) * 8 * PARAMETER_COPIES)


def memory_budget_bytes() -> int:
    """What a run may take: half of this computer's memory, between 1 and 16 GiB (4 GiB if unknown)."""
    gib = 1024**3
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return 4 * gib
    return int(min(16 * gib, max(1 * gib, physical // 2)))


def check_memory(layers: list[DenseLayer], n_points: int, itemsize: int = 8) -> None:
    """Refuse, with the numbers, a network and data that would not fit in memory (instead of crashing)."""
    needed, budget = step_memory_bytes(layers, n_points, itemsize), memory_budget_bytes()
    if needed > budget:
        widths = "-".join([str(layers[0].n_in)] + [str(layer.n_out) for layer in layers])
        raise NNStudioError(
            f"a {widths} network ({parameter_count(layers):,} weights) on {n_points:,} points needs about "
            f"{needed / 1e9:.3g} GB of memory for one step, more than the {budget / 1e9:.3g} GB nnstudio allows "
            "itself here: use fewer points (data.n_points or data.subsample) or fewer, narrower layers"
        )
