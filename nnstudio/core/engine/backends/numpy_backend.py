"""A neural network in plain NumPy: forward pass, backpropagation and optimisers, by hand.

Read this file from top to bottom. Every layer computes

    z = x W + b        (pre-activation: one row per data point, one column per unit)
    a = g(z)           (activation)

and the backward pass walks the layers in reverse with the chain rule, turning dL/da of a
layer's output into dL/dW, dL/db and dL/da of its input. Each derivative below carries the
formula it implements. The PyTorch backend computes the same numbers with autograd, and the
tests check that the two agree to about 1e-9.

These functions are the only copy of the method in nnstudio: the step inspector calls them to show
each phase of a step, and an exported NumPy script is made of their source text. Only the two
classes at the end keep anything between steps: the optimiser's memory, and the weights (kept in
one vector, for speed: backends/fast_arrays.py, with `matrix_product`, which is np.dot). The
regularisation penalty on the weights and its gradient are in backends/penalties.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.base import BUFFERS_BY_OPTIMIZER, TrainingState
from nnstudio.core.engine.backends.fast_arrays import ParameterVector, matrix_product
from nnstudio.core.engine.backends.penalties import add_penalty_gradients, weight_penalty
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import LEAKY_RELU_SLOPE, SOFTPLUS_THRESHOLD

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.model import DenseLayer


# --- activations and their derivatives g'(z) -----------------------------------------------------
# Each derivative gets both z and a = g(z): some formulas are simplest in one, some in the other.


def identity(z):
    return z


def identity_derivative(z, a):
    # g'(z) = 1
    return np.ones_like(z)


def relu(z):
    return np.maximum(z, 0.0)


def relu_derivative(z, a):
    # g'(z) = 1 if z > 0 else 0      (a unit that is never > 0 never learns: a "dead" unit)
    return a > 0  # True/False multiply as 1/0


def leaky_relu(z):
    return np.where(z > 0, z, LEAKY_RELU_SLOPE * z)


def leaky_relu_derivative(z, a):
    # g'(z) = 1 if z > 0 else 0.01
    return np.where(z > 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z, a):
    # g'(z) = 1 − tanh²(z) = 1 − a²
    return 1.0 - a * a


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(z, a):
    # g'(z) = σ(z)(1 − σ(z)) = a(1 − a)
    return (1.0 - a) * a


def softplus(z):
    # ln(1 + e^z), but z itself where e^z would overflow (as torch.nn.Softplus does)
    return np.where(z > SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(np.minimum(z, SOFTPLUS_THRESHOLD))))


def softplus_derivative(z, a):
    # g'(z) = e^z / (1 + e^z) = σ(z)
    e = np.exp(np.minimum(z, SOFTPLUS_THRESHOLD))
    return np.where(z > SOFTPLUS_THRESHOLD, 1.0, e / (e + 1.0)).astype(z.dtype)


ACTIVATION_FUNCTIONS = {
    "identity": (identity, identity_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "tanh": (tanh, tanh_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "softplus": (softplus, softplus_derivative),
}


# --- one dense layer, forward and backward -------------------------------------------------------


@dataclass
class LayerTrace:
    """What one layer saw and produced in a forward pass; the backward pass needs all three."""

    inputs: np.ndarray  # x (or the previous layer's a)
    pre_activation: np.ndarray  # z = x W + b
    outputs: np.ndarray  # a = g(z)


@dataclass
class LayerGradients:
    """What the chain rule gives one layer, from dL/da of its output down to its weights and its input."""

    output_gradient: np.ndarray  # dL/da (the last layer's is dL/dŷ)
    pre_activation_gradient: np.ndarray  # dL/dz
    weight_gradient: np.ndarray  # dL/dW
    bias_gradient: np.ndarray | None  # dL/db (None: the layer has no bias)
    input_gradient: np.ndarray | None  # dL/dx, handed to the layer before (None for the first: x is data)


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray | None, activation: str) -> LayerTrace:
    """One layer: z = x W + b, then a = g(z), keeping x, z and a for the backward pass."""
    z = matrix_product(x, W)  # z = x W
    if b is not None:
        z += b  # z = x W + b   (b is added to every row)
    g, _ = ACTIVATION_FUNCTIONS[activation]
    return LayerTrace(x, z, g(z))


def dense_backward(
    dL_da: np.ndarray,
    trace: LayerTrace,
    W: np.ndarray,
    activation: str,
    bias: bool,
    needs_input_gradient: bool = True,
    out: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> LayerGradients:
    """One layer's chain rule: from dL/da of its output to dL/dz, dL/dW, dL/db and dL/dx of its input.

    `out` may hold two arrays, shaped like W and b, to write dL/dW and dL/db into instead of new ones.
    """
    if activation == "identity":
        dL_dz = dL_da  # g'(z) = 1, so nothing to multiply
    else:
        _, derivative = ACTIVATION_FUNCTIONS[activation]
        # dL/dz = dL/da ⊙ g'(z)      (element by element: a = g(z) acts on each unit alone)
        dL_dz = dL_da * derivative(trace.pre_activation, trace.outputs)
    # dL/dW = xᵀ · dL/dz              (z = x W + b: each weight's share, summed over the points)
    dL_dW = np.dot(trace.inputs.T, dL_dz, out=out[0])
    # dL/db = Σ_points dL/dz          (b is added to every point's z)
    dL_db = dL_dz.sum(axis=0, out=out[1]) if bias else None
    # dL/dx = dL/dz · Wᵀ              (how the loss changes with this layer's input: the previous a)
    dL_dx = matrix_product(dL_dz, W.T) if needs_input_gradient else None
    return LayerGradients(dL_da, dL_dz, dL_dW, dL_db, dL_dx)


# --- the whole network ---------------------------------------------------------------------------


def forward(layers: list[DenseLayer], parameters: dict[str, np.ndarray], x: np.ndarray) -> list[LayerTrace]:
    """Run x through every layer, keeping each layer's inputs, z and a."""
    traces = []
    a = x
    for layer in layers:
        b = parameters[layer.bias_name] if layer.bias else None
        traces.append(dense_forward(a, parameters[layer.weight_name], b, layer.activation))
        a = traces[-1].outputs  # this layer's output is the next layer's input
    return traces


def backward(
    layers: list[DenseLayer],
    parameters: dict[str, np.ndarray],
    traces: list[LayerTrace],
    loss_gradient: np.ndarray,
    out: dict[str, np.ndarray] | None = None,
) -> list[LayerGradients]:
    """Backpropagation: from dL/dŷ to every layer's dL/dz, dL/dW and dL/db, last layer first.

    Returns each layer's gradients in the layers' order (first layer first). `out` may map W1, b1, ...
    to arrays that dL/dW1, dL/db1, ... are written into (for a loop that keeps them in one vector).
    """
    gradients = []
    dL_da = loss_gradient  # the output of the last layer is ŷ
    for layer, trace in zip(reversed(layers), reversed(traces), strict=True):
        W = parameters[layer.weight_name]
        into = (None, None) if out is None else (out[layer.weight_name], out.get(layer.bias_name))
        gradients.append(dense_backward(dL_da, trace, W, layer.activation, layer.bias, layer.index > 1, into))
        dL_da = gradients[-1].input_gradient  # the previous layer's output a is this layer's input x
    return gradients[::-1]


def parameter_gradients(layers: list[DenseLayer], gradients: list[LayerGradients]) -> dict[str, np.ndarray]:
    """dL/dW and dL/db of every layer under the parameters' names: {"W1": dL/dW1, "b1": dL/db1, ...}."""
    named = {}
    for layer, layer_gradients in zip(layers, gradients, strict=True):
        named[layer.weight_name] = layer_gradients.weight_gradient
        if layer.bias:
            named[layer.bias_name] = layer_gradients.bias_gradient
    return named


# --- regularisation: weight_penalty() and add_penalty_gradients() (backends/penalties.py) -----------
# With a penalty the optimiser minimises  L + penalty:  its gradient is added to dL/dW after backward().


# --- optimisers: how a gradient becomes an update ------------------------------------------------
# Each takes the weights θ and their gradient g (arrays of any shape) and changes θ in place; each
# returns the change Δθ it applied. They follow torch.optim's update rules operation for operation,
# so the two backends round alike. Not quite bit for bit: torch's CPU kernels fuse some multiply-adds
# (θ + α·g rounded once, not twice), which NumPy cannot, so a last bit differs here and there.


def gd_update(theta: np.ndarray, g: np.ndarray, learning_rate: float) -> np.ndarray:
    """Gradient descent (the tutorial's gradient_step): θ ← θ − lr · g"""
    change = -learning_rate * g  # Δθ = −lr · g
    theta += change
    return change


def momentum_update(
    theta: np.ndarray, g: np.ndarray, velocity: np.ndarray | None, learning_rate: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    """SGD with momentum (torch.optim.SGD): v ← μ·v + g, θ ← θ − lr · v.

    `velocity` is v from the step before (None at the first step, where v = g).
    Returns the new velocity v and the change Δθ.
    """
    if velocity is None:
        velocity = g.copy()  # v = g at the first step
    else:
        velocity = momentum * velocity + g  # v ← μ·v + g   (a running sum of the gradients, fading by μ)
    change = -learning_rate * velocity  # Δθ = −lr · v
    theta += change
    return velocity, change


def adam_update(
    theta: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    learning_rate: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> np.ndarray:
    """Adam (torch.optim.Adam): running averages of g and g², corrected for their start at zero.

        m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    m and v (zeros before the first step) are updated in place; t counts the steps from 1.
    Returns the change Δθ.
    """
    m += (1.0 - beta1) * (g - m)  # m ← β₁·m + (1 − β₁)·g   (the form of torch's lerp_, in its order)
    v *= beta2
    v += (1.0 - beta2) * g * g  # v ← β₂·v + (1 − β₂)·g²
    # m̂ and v̂ are not formed as arrays here: torch.optim.Adam folds 1 / (1 − β₁ᵗ) into the learning
    # rate and takes √v̂ as √v / √(1 − β₂ᵗ). The same in exact arithmetic; computed in torch's order,
    # the numbers round as torch's do (but for its fused multiply-adds), where m̂ and v̂ written out
    # would differ from torch's in the last bit more often.
    step_size = learning_rate / (1.0 - beta1**t)  # lr · m̂ = step_size · m
    sqrt_v_hat = np.sqrt(v) / (1.0 - beta2**t) ** 0.5  # √v̂ = √v / √(1 − β₂ᵗ)
    change = -step_size * m / (sqrt_v_hat + eps)  # Δθ = −lr · m̂ / (√v̂ + ε)
    theta += change
    return change


def adam_moments(m: np.ndarray, v: np.ndarray, t: int, beta1: float, beta2: float) -> tuple[np.ndarray, np.ndarray]:
    """Adam's bias-corrected moments as the formula writes them: m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).

    adam_update() uses them only folded into its step, as torch does; this is for showing them.
    """
    return m / (1.0 - beta1**t), v / (1.0 - beta2**t)


class ThetaOptimizer:
    """The training's update function on θ (every weight, in one vector) and its memory between steps."""

    def __init__(self, training: TrainingSpec):
        self.training = training
        self.buffer_names = BUFFERS_BY_OPTIMIZER[training.optimizer]
        self.steps = 0  # Adam's t
        # torch.optim's names: the velocity v ("momentum_buffer"); m and v ("exp_avg", "exp_avg_sq")
        self.buffers: dict[str, np.ndarray] = {}  # empty before the first step

    def update(self, theta: np.ndarray, g: np.ndarray) -> None:
        spec, buffers = self.training, self.buffers
        self.steps += 1
        if spec.optimizer == "momentum":
            velocity = buffers.get("momentum_buffer")
            buffers["momentum_buffer"], _ = momentum_update(theta, g, velocity, spec.learning_rate, spec.momentum)
        elif spec.optimizer == "adam":
            if not buffers:
                buffers.update(exp_avg=np.zeros_like(g), exp_avg_sq=np.zeros_like(g))
            m, v = buffers["exp_avg"], buffers["exp_avg_sq"]
            adam_update(theta, g, m, v, self.steps, spec.learning_rate, spec.beta1, spec.beta2, spec.eps)
        else:
            gd_update(theta, g, spec.learning_rate)


# --- the backend: a network, its loss and its optimiser together ---------------------------------


class NumpyBackend(ParameterVector):
    """The whole training step written out: forward, loss, backward, update."""

    name = "numpy"

    def __init__(self, layers: list[DenseLayer], training: TrainingSpec, state: TrainingState):
        self.layers = layers
        self.dtype = np.dtype(training.dtype)
        self.loss_function = LOSSES[training.loss]
        self.optimizer = ThetaOptimizer(training)
        self.regularization = training.regularization if training.penalised else "none"
        self.regularization_rate = training.regularization_rate
        self._x_train = self._y_train = None
        self._last_gradients: dict[str, np.ndarray] = {}
        self.load_state(state)

    def set_training_data(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x_train = np.ascontiguousarray(x, dtype=self.dtype)
        self._y_train = np.ascontiguousarray(y, dtype=self.dtype)

    def step(self, rows: np.ndarray | None = None) -> float:
        x, y = self._x_train, self._y_train
        if rows is not None:
            x, y = x[rows], y[rows]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned
            traces = forward(self.layers, self.parameters_, x)
            prediction = traces[-1].outputs
            loss = self.loss_function.value(prediction, y)
            loss_gradient = self.loss_function.gradient(prediction, y)
            backward(self.layers, self.parameters_, traces, loss_gradient, out=self.gradients_)
            if self.regularization != "none":
                add_penalty_gradients(self.layers, self.parameters_, self.gradients_, *self._penalty_setting)
            self.optimizer.update(self.theta, self.gradient_vector)
        self._last_gradients = self.gradients_
        return loss

    @property
    def _penalty_setting(self) -> tuple[str, float]:
        return self.regularization, self.regularization_rate

    def penalty(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return weight_penalty(self.layers, self.parameters_, *self._penalty_setting)

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return self.loss_function.value(self._predict_native(x), y.astype(self.dtype, copy=False))

    def predict(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            return self._predict_native(x).astype(np.float64)

    def _predict_native(self, x: np.ndarray) -> np.ndarray:
        return forward(self.layers, self.parameters_, x.astype(self.dtype, copy=False))[-1].outputs

    def gradients(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        x, y = x.astype(self.dtype, copy=False), y.astype(self.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            traces = forward(self.layers, self.parameters_, x)
            loss_gradient = self.loss_function.gradient(traces[-1].outputs, y)
            gradients = parameter_gradients(self.layers, backward(self.layers, self.parameters_, traces, loss_gradient))
            add_penalty_gradients(self.layers, self.parameters_, gradients, *self._penalty_setting)
        return {name: g.astype(np.float64) for name, g in gradients.items()}

    def trace(self, x: np.ndarray) -> list[LayerTrace]:
        """The forward pass with every layer's z and a, for the step inspector."""
        with np.errstate(over="ignore", invalid="ignore"):
            return forward(self.layers, self.parameters_, x.astype(self.dtype, copy=False))

    def last_gradients(self) -> dict[str, np.ndarray]:
        return {name: g.astype(np.float64) for name, g in self._last_gradients.items()}

    def parameters(self) -> dict[str, np.ndarray]:
        return {name: value.astype(np.float64) for name, value in self.parameters_.items()}
