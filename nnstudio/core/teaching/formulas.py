"""The formulas the step inspector prints beside its numbers, as Unicode text.

Layer k of n computes z_k = a_(k−1) W_k + b_k and a_k = g(z_k), with a_0 = x and a_n = ŷ.
Its backward chain, written out for the layer's own names, is what `layer_formulas()` gives:

    dL/da_k = dL/dz_(k+1) · W_(k+1)ᵀ      (or dL/dŷ for the last layer)
    dL/dz_k = dL/da_k ⊙ g'(z_k)
    dL/dW_k = a_(k−1)ᵀ · dL/dz_k
    dL/db_k = Σ_points dL/dz_k
"""

from __future__ import annotations

from dataclasses import dataclass

from nnstudio.core.engine.experiment import OPTIMIZERS
from nnstudio.core.engine.model import ACTIVATIONS, DenseLayer

# dL/dŷ for each loss in losses.LOSSES, and the factor in front of (y − ŷ) in it ("" when it has none).
LOSS_GRADIENTS: dict[str, tuple[str, str]] = {
    "sse": ("dL/dŷ = −2 (y − ŷ)", "−2"),
    "mse": ("dL/dŷ = −2 (y − ŷ) / N", "−(2/N)"),
    "bce": ("dL/dŷ = (ŷ − y) / (ŷ(1 − ŷ)) / N", ""),
    "cross_entropy": ("dL/dŷ = (softmax(ŷ) − onehot(y)) / N   (ŷ = z, the logits)", ""),
}

# The classification losses' famous simplification at the output layer: dL/dz in one line.
OUTPUT_SHORTCUTS: dict[tuple[str, str], str] = {
    ("bce", "sigmoid"): "(ŷ − y) / N   (σ'(z) = ŷ(1 − ŷ) cancels)",
    ("cross_entropy", "identity"): "(softmax(z) − onehot(y)) / N",
}

# g'(z) for each activation in model.ACTIVATIONS (numpy_backend implements them).
ACTIVATION_DERIVATIVES: dict[str, str] = {
    "identity": "g'(z) = 1",
    "relu": "g'(z) = 1 if z > 0 else 0",
    "leaky_relu": "g'(z) = 1 if z > 0 else 0.01",
    "tanh": "g'(z) = 1 − tanh²(z) = 1 − a²",
    "sigmoid": "g'(z) = σ(z)(1 − σ(z)) = a(1 − a)",
    "softplus": "g'(z) = σ(z) = 1 / (1 + e^(−z))",
}


@dataclass(frozen=True)
class LayerFormulas:
    """One layer's equations for the three phases of a step."""

    forward: tuple[str, ...]  # z_k = ..., a_k = g(z_k)
    backward: tuple[str, ...]  # dL/da_k, dL/dz_k, dL/dW_k, dL/db_k
    update: str  # the optimiser's rule


def loss_gradient_formula(loss_name: str) -> str:
    return LOSS_GRADIENTS.get(loss_name, ("dL/dŷ", ""))[0]


def layer_formulas(layer: DenseLayer, n_layers: int, loss_name: str, optimizer: str) -> LayerFormulas:
    """The forward and backward equations of `layer` (one of `n_layers`), with its own names."""
    k = layer.index
    last = k == n_layers
    previous = "x" if k == 1 else f"a{k - 1}"
    z, a = f"z{k}", f"a{k}"

    forward = [f"{z} = {previous} · W{k}" + (f" + b{k}" if layer.bias else "")]
    forward.append(f"{a} = g({z}),  {ACTIVATIONS[layer.activation]}")
    if last:
        forward.append(f"ŷ = {a}")

    if last:
        backward = [f"dL/d{a} = dL/dŷ,  {loss_gradient_formula(loss_name)}"]
    else:
        backward = [f"dL/d{a} = dL/dz{k + 1} · W{k + 1}ᵀ"]
    if layer.activation == "identity":
        backward.append(f"dL/d{z} = dL/d{a}   (g'(z) = 1)")
    else:
        derivative = ACTIVATION_DERIVATIVES.get(layer.activation, "g'(z)")
        backward.append(f"dL/d{z} = dL/d{a} ⊙ g'({z}),  {derivative}")
    shortcut = OUTPUT_SHORTCUTS.get((loss_name, layer.activation)) if last else None
    if shortcut:
        backward[-1] += f"  = {shortcut}"
    weight_line = f"dL/dW{k} = {previous}ᵀ · dL/d{z}"
    if last and layer.activation == "identity" and LOSS_GRADIENTS.get(loss_name, ("", ""))[1]:
        # the tutorial's closed form for a linear output: dL/dW = −2 xᵀ(y − ŷ)
        weight_line += f" = {LOSS_GRADIENTS[loss_name][1]} {previous}ᵀ(y − ŷ)"
    backward.append(weight_line)
    if layer.bias:
        backward.append(f"dL/db{k} = Σ_points dL/d{z}")
    return LayerFormulas(tuple(forward), tuple(backward), OPTIMIZERS[optimizer])
