"""A neural network in plain NumPy: forward pass, backpropagation and optimisers, by hand.

Read this file from top to bottom. Every layer computes

    z = x W + b        (pre-activation: one row per data point, one column per unit)
    a = g(z)           (activation)

and the backward pass walks the layers in reverse with the chain rule, turning dL/da of a
layer's output into dL/dW, dL/db and dL/da of its input. Each derivative below carries the
formula it implements. The PyTorch backend computes the same numbers with autograd, and the
tests check that the two agree to about 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState
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


# --- the forward pass ----------------------------------------------------------------------------


@dataclass
class LayerTrace:
    """What one layer saw and produced in a forward pass; the backward pass needs all three."""

    inputs: np.ndarray  # x (or the previous layer's a)
    pre_activation: np.ndarray  # z = x W + b
    outputs: np.ndarray  # a = g(z)


def forward(layers: list[DenseLayer], parameters: dict[str, np.ndarray], x: np.ndarray) -> list[LayerTrace]:
    """Run x through every layer, keeping each layer's inputs, z and a."""
    traces = []
    a = x
    for layer in layers:
        z = np.dot(a, parameters[layer.weight_name])  # z = x W
        if layer.bias:
            z += parameters[layer.bias_name]  # z = x W + b   (b is added to every row)
        activation, _ = ACTIVATION_FUNCTIONS[layer.activation]
        traces.append(LayerTrace(a, z, activation(z)))
        a = traces[-1].outputs
    return traces


# --- the backward pass ---------------------------------------------------------------------------


def backward(
    layers: list[DenseLayer],
    parameters: dict[str, np.ndarray],
    traces: list[LayerTrace],
    loss_gradient: np.ndarray,
    gradients: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Backpropagation: from dL/dŷ to dL/dW and dL/db of every layer, last layer first.

    The gradients are written into `gradients` (arrays shaped like the parameters) when given.
    """
    if gradients is None:
        gradients = {name: np.empty_like(value) for name, value in parameters.items()}
    dL_da = loss_gradient  # the output of the last layer is ŷ
    for layer, trace in zip(reversed(layers), reversed(traces), strict=True):
        _, derivative = ACTIVATION_FUNCTIONS[layer.activation]
        if layer.activation == "identity":
            dL_dz = dL_da  # g'(z) = 1, so nothing to multiply
        else:
            # dL/dz = dL/da ⊙ g'(z)      (element by element: a = g(z) acts on each unit alone)
            dL_dz = dL_da * derivative(trace.pre_activation, trace.outputs)
        # dL/dW = xᵀ · dL/dz              (z = x W + b: each weight's share, summed over the points)
        np.dot(trace.inputs.T, dL_dz, out=gradients[layer.weight_name])
        if layer.bias:
            # dL/db = Σ_points dL/dz      (b is added to every point's z)
            dL_dz.sum(axis=0, out=gradients[layer.bias_name])
        if layer.index > 1:  # the data x itself needs no gradient
            # dL/dx = dL/dz · Wᵀ          (how the loss changes with this layer's input: the previous a)
            dL_da = np.dot(dL_dz, parameters[layer.weight_name].T)
    return gradients


# --- optimisers: how a gradient becomes an update ------------------------------------------------
# An optimiser sees all the weights as one long vector θ and all the gradients as one vector g.
# Each follows torch.optim's update rule operation for operation, so both backends agree exactly.


class GradientDescent:
    """θ ← θ − lr · g     (the tutorial's gradient_step)"""

    buffer_names: tuple[str, ...] = ()

    def __init__(self, training: TrainingSpec):
        self.learning_rate = training.learning_rate
        self.steps = 0
        self.buffers: dict[str, np.ndarray] = {}

    def update(self, theta: np.ndarray, g: np.ndarray) -> None:
        self.steps += 1
        theta -= self.learning_rate * g


class Momentum:
    """v ← μ·v + g  (v = g at the first step),  θ ← θ − lr · v     (torch.optim.SGD with momentum)"""

    buffer_names = ("momentum_buffer",)

    def __init__(self, training: TrainingSpec):
        self.learning_rate = training.learning_rate
        self.momentum = training.momentum
        self.steps = 0
        self.buffers: dict[str, np.ndarray] = {}

    def update(self, theta: np.ndarray, g: np.ndarray) -> None:
        self.steps += 1
        if "momentum_buffer" in self.buffers:
            self.buffers["momentum_buffer"] = self.momentum * self.buffers["momentum_buffer"] + g
        else:
            self.buffers["momentum_buffer"] = g.copy()
        theta -= self.learning_rate * self.buffers["momentum_buffer"]


class Adam:
    """Adam (torch.optim.Adam): running averages of g and g², corrected for their start at zero.

    m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
    m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)
    θ ← θ − lr · m̂ / (√v̂ + ε)
    """

    buffer_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, training: TrainingSpec):
        self.learning_rate = training.learning_rate
        self.beta1, self.beta2, self.eps = training.beta1, training.beta2, training.eps
        self.steps = 0
        self.buffers: dict[str, np.ndarray] = {}

    def update(self, theta: np.ndarray, g: np.ndarray) -> None:
        self.steps += 1
        t = self.steps
        if not self.buffers:
            self.buffers = {"exp_avg": np.zeros_like(g), "exp_avg_sq": np.zeros_like(g)}
        m, v = self.buffers["exp_avg"], self.buffers["exp_avg_sq"]
        # m + (1 − β₁)(g − m) equals β₁·m + (1 − β₁)·g; written as torch's lerp_ to match its rounding
        m += (1.0 - self.beta1) * (g - m)
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        step_size = self.learning_rate / (1.0 - self.beta1**t)  # lr / (1 − β₁ᵗ) turns m into m̂
        v_correction = (1.0 - self.beta2**t) ** 0.5  # √(1 − β₂ᵗ) turns √v into √v̂
        theta -= step_size * m / (np.sqrt(v) / v_correction + self.eps)


OPTIMIZER_CLASSES = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam}


# --- the backend: a network, its loss and its optimiser together ---------------------------------


class NumpyBackend:
    """The whole training step written out: forward, loss, backward, update."""

    name = "numpy"

    def __init__(self, layers: list[DenseLayer], training: TrainingSpec, state: TrainingState):
        self.layers = layers
        self.dtype = np.dtype(training.dtype)
        self.loss_function = LOSSES[training.loss]
        self.optimizer = OPTIMIZER_CLASSES[training.optimizer](training)
        self._x_train = self._y_train = None
        self._last_gradients: dict[str, np.ndarray] = {}
        self.load_state(state)

    # All weights live in one vector θ; `self.parameters_` holds named views into it (W1, b1, ...),
    # so the forward pass reads matrices while the optimiser updates θ in a few whole-vector steps.
    # The gradients likewise: backward() writes dL/dW1, dL/db1, ... into views of one vector g.

    def _flatten(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([arrays[name].ravel() for name in self.parameters_])

    def _unflatten(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        named, start = {}, 0
        for name, view in self.parameters_.items():
            named[name] = vector[start : start + view.size].reshape(view.shape)
            start += view.size
        return named

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
            gradients = backward(self.layers, self.parameters_, traces, loss_gradient, self.gradients_)
            self.optimizer.update(self.theta, self.gradient_vector)
        self._last_gradients = gradients
        return loss

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
            gradients = backward(self.layers, self.parameters_, traces, loss_gradient)
        return {name: g.astype(np.float64) for name, g in gradients.items()}

    def trace(self, x: np.ndarray) -> list[LayerTrace]:
        """The forward pass with every layer's z and a, for the step inspector."""
        with np.errstate(over="ignore", invalid="ignore"):
            return forward(self.layers, self.parameters_, x.astype(self.dtype, copy=False))

    def last_gradients(self) -> dict[str, np.ndarray]:
        return {name: g.astype(np.float64) for name, g in self._last_gradients.items()}

    def parameters(self) -> dict[str, np.ndarray]:
        return {name: value.astype(np.float64) for name, value in self.parameters_.items()}

    def state(self) -> TrainingState:
        buffers = {
            kind: {name: value.astype(np.float64) for name, value in self._unflatten(vector).items()}
            for kind, vector in self.optimizer.buffers.items()
        }
        return TrainingState(self.parameters(), self.optimizer.steps, buffers)

    def load_state(self, state: TrainingState) -> None:
        names = list(state.parameters)
        self.theta = np.concatenate([np.asarray(state.parameters[n], dtype=self.dtype).ravel() for n in names])
        self.parameters_ = {}
        start = 0
        for name in names:
            shape = np.shape(state.parameters[name])
            size = int(np.prod(shape))
            self.parameters_[name] = self.theta[start : start + size].reshape(shape)
            start += size
        self.gradient_vector = np.zeros_like(self.theta)
        self.gradients_ = self._unflatten(self.gradient_vector)
        self.optimizer.steps = state.optimizer_steps
        self.optimizer.buffers = {
            kind: self._flatten(state.optimizer_buffers[kind]).astype(self.dtype)
            for kind in self.optimizer.buffer_names
            if len(state.optimizer_buffers.get(kind, {})) == len(names)
        }
