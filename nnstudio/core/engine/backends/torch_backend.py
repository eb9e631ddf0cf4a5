"""The same network in PyTorch: nn.Linear layers, gradients from autograd, torch.optim optimisers.

Weights cross the boundary in the numpy backend's layout: our W is (inputs, outputs) while
nn.Linear.weight is (outputs, inputs), so weights are transposed on the way in and out.
torch is imported only when this module is, i.e. when the torch backend is first chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from nnstudio.core.engine.backends.base import BUFFERS_BY_OPTIMIZER, TrainingState
from nnstudio.core.engine.model import LEAKY_RELU_SLOPE, SOFTPLUS_THRESHOLD
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.model import DenseLayer

ACTIVATION_MODULES = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": lambda: nn.Softplus(beta=1.0, threshold=SOFTPLUS_THRESHOLD),
}


def _binary_cross_entropy(prediction: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """nn.BCELoss (mean); a NaN prediction (a diverged run) gives a NaN loss, as in numpy, not an error."""
    if torch.isnan(prediction).any():  # BCELoss refuses values outside [0, 1], and NaN is one
        return prediction.sum() * float("nan")
    return nn.functional.binary_cross_entropy(prediction, y)


def _cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """nn.CrossEntropyLoss (mean): softmax and −ln together; y holds class numbers as floats (n, 1)."""
    return nn.functional.cross_entropy(logits, y[:, 0].long())


LOSS_FUNCTIONS = {
    "sse": lambda prediction, y: ((y - prediction) ** 2).sum(),  # the tutorial's loss
    "mse": nn.functional.mse_loss,
    "bce": _binary_cross_entropy,
    "cross_entropy": _cross_entropy,
}


def build_sequential(layers: list[DenseLayer]) -> nn.Sequential:
    """nn.Sequential(Linear, activation, Linear, activation, ...) for `layers`."""
    modules: list[nn.Module] = []
    for layer in layers:
        modules.append(nn.Linear(layer.n_in, layer.n_out, bias=layer.bias))
        modules.append(ACTIVATION_MODULES[layer.activation]())
    return nn.Sequential(*modules)


def torch_parameter_names(layers: list[DenseLayer]) -> dict[str, str]:
    """Our names (W1, b1, ...) -> nn.Sequential's state_dict names (0.weight, 0.bias, ...)."""
    names = {}
    for position, layer in enumerate(layers):
        names[layer.weight_name] = f"{2 * position}.weight"
        if layer.bias:
            names[layer.bias_name] = f"{2 * position}.bias"
    return names


def _select_device(requested: str) -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise NNStudioError("the cuda device was asked for, but this machine has no usable CUDA GPU")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise NNStudioError("the mps device was asked for, but Apple's Metal backend is not available here")
    return torch.device(requested)


class TorchBackend:
    """The model as torch.nn modules; backward() computes the gradients, torch.optim applies them."""

    name = "torch"

    def __init__(self, layers: list[DenseLayer], training: TrainingSpec, state: TrainingState):
        self.layers = layers
        self.device = _select_device(training.device)
        self.dtype = torch.float64 if training.dtype == "float64" else torch.float32
        self.model = build_sequential(layers).to(device=self.device, dtype=self.dtype)
        self.loss_function = LOSS_FUNCTIONS[training.loss]
        self._by_name = dict(zip(torch_parameter_names(layers), self.model.parameters(), strict=True))
        self._transposed = {name for name in self._by_name if name.startswith("W")}
        if training.optimizer == "adam":
            betas = (training.beta1, training.beta2)
            self.optimizer = torch.optim.Adam(
                self.model.parameters(), lr=training.learning_rate, betas=betas, eps=training.eps
            )
        elif training.optimizer == "momentum":
            self.optimizer = torch.optim.SGD(
                self.model.parameters(), lr=training.learning_rate, momentum=training.momentum
            )
        else:
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=training.learning_rate)
        self._optimizer_name = training.optimizer
        self._regularization = training.regularization if training.penalised else "none"
        self._regularization_rate = training.regularization_rate
        self._steps = 0
        self._x_train = self._y_train = None
        self.load_state(state)

    # --- moving arrays across the boundary ---

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(array), dtype=self.dtype, device=self.device)

    def _to_ours(self, name: str, tensor: torch.Tensor) -> np.ndarray:
        value = tensor.detach().to("cpu", torch.float64).numpy()
        return value.T.copy() if name in self._transposed else value.copy()

    def _to_torch(self, name: str, array: np.ndarray) -> torch.Tensor:
        return self._tensor(array.T if name in self._transposed else array).contiguous()

    # --- the Backend protocol ---

    def set_training_data(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x_train, self._y_train = self._tensor(x), self._tensor(y)

    def step(self, rows: np.ndarray | None = None) -> float:
        x, y = self._x_train, self._y_train
        if rows is not None:
            index = torch.from_numpy(np.asarray(rows)).to(self.device)
            x, y = x[index], y[index]
        loss = self.loss_function(self.model(x), y)
        self.optimizer.zero_grad()
        self._objective(loss).backward()  # autograd differentiates the penalty too
        self.optimizer.step()
        self._steps += 1
        return loss.item()

    def _penalty(self) -> torch.Tensor | float:
        """L1 rate·Σ|w| or L2 rate·½·Σw² over the weights (nn.Linear.weight; the biases go free)."""
        weights = [p for name, p in self._by_name.items() if name in self._transposed]
        if self._regularization == "l1":
            return self._regularization_rate * sum(w.abs().sum() for w in weights)
        if self._regularization == "l2":
            return self._regularization_rate * sum(0.5 * (w * w).sum() for w in weights)
        return 0.0

    def _objective(self, loss: torch.Tensor) -> torch.Tensor:
        """What the optimiser minimises: the data loss plus the weights' penalty."""
        return loss if self._regularization == "none" else loss + self._penalty()

    def penalty(self) -> float:
        with torch.no_grad():
            return float(self._penalty())

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        with torch.no_grad():
            return self.loss_function(self.model(self._tensor(x)), self._tensor(y)).item()

    def predict(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.model(self._tensor(x)).to("cpu", torch.float64).numpy()

    def gradients(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        saved = {name: p.grad for name, p in self._by_name.items()}
        self.model.zero_grad(set_to_none=True)
        self._objective(self.loss_function(self.model(self._tensor(x)), self._tensor(y))).backward()
        gradients = {name: self._to_ours(name, p.grad) for name, p in self._by_name.items()}
        for name, p in self._by_name.items():  # leave last_gradients() as the last step saw them
            p.grad = saved[name]
        return gradients

    def last_gradients(self) -> dict[str, np.ndarray]:
        return {name: self._to_ours(name, p.grad) for name, p in self._by_name.items() if p.grad is not None}

    def parameters(self) -> dict[str, np.ndarray]:
        return {name: self._to_ours(name, p) for name, p in self._by_name.items()}

    def state(self) -> TrainingState:
        buffers: dict[str, dict[str, np.ndarray]] = {}
        for name, p in self._by_name.items():
            for kind, value in self.optimizer.state.get(p, {}).items():
                if kind in BUFFERS_BY_OPTIMIZER[self._optimizer_name] and value is not None:
                    buffers.setdefault(kind, {})[name] = self._to_ours(name, value)
        return TrainingState(self.parameters(), self._steps, buffers)

    def load_state(self, state: TrainingState) -> None:
        with torch.no_grad():
            for name, p in self._by_name.items():
                p.copy_(self._to_torch(name, state.parameters[name]))
        self._steps = state.optimizer_steps
        self.optimizer.state.clear()
        for name, p in self._by_name.items():
            entry = {}
            for kind in BUFFERS_BY_OPTIMIZER[self._optimizer_name]:
                if name in state.optimizer_buffers.get(kind, {}):
                    entry[kind] = self._to_torch(name, state.optimizer_buffers[kind][name])
            if entry:
                if self._optimizer_name == "adam":
                    entry["step"] = torch.tensor(float(state.optimizer_steps), dtype=_scalar_dtype())
                self.optimizer.state[p] = entry


def _scalar_dtype() -> torch.dtype:
    # torch.optim keeps Adam's step count in this dtype (its _get_scalar_dtype)
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
