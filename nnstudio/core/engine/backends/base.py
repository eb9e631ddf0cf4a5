"""What every backend offers, and the state that moves between them.

A backend owns one network's weights and its optimiser. Everything crosses the boundary
as NumPy float64 arrays with the names of `model.parameter_names()`, so the app can read
any backend the same way and hand a run from one backend to the other mid-training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.model import DenseLayer

# The optimiser's memory, per parameter, under PyTorch's own names.
BUFFERS_BY_OPTIMIZER: dict[str, tuple[str, ...]] = {
    "gd": (),
    "momentum": ("momentum_buffer",),
    "adam": ("exp_avg", "exp_avg_sq"),
}


@dataclass
class TrainingState:
    """Weights plus optimiser memory: all a backend needs to continue exactly where another stopped."""

    parameters: dict[str, np.ndarray]
    optimizer_steps: int = 0  # how many updates the optimiser has applied (Adam's t)
    # buffer name -> parameter name -> array; empty until the optimiser's first step
    optimizer_buffers: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def copy(self) -> TrainingState:
        return TrainingState(
            {name: value.copy() for name, value in self.parameters.items()},
            self.optimizer_steps,
            {kind: {n: v.copy() for n, v in per.items()} for kind, per in self.optimizer_buffers.items()},
        )

    def nbytes(self) -> int:
        total = sum(v.nbytes for v in self.parameters.values())
        return total + sum(v.nbytes for per in self.optimizer_buffers.values() for v in per.values())


class Backend(Protocol):
    """One network + one optimiser, computing in NumPy or in PyTorch."""

    name: str
    layers: list[DenseLayer]

    def set_training_data(self, x: np.ndarray, y: np.ndarray) -> None:
        """Keep the training set in the backend's own format, so steps don't convert it."""

    def step(self, rows: np.ndarray | None = None) -> float:
        """One optimiser step on the given rows of the training set (all when None).

        The step follows the gradient of the data loss plus the penalty (see penalty()).
        Returns the data loss of that batch before the update, as the tutorial logs it.
        """

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """The (data) loss of the current weights on (x, y), without changing anything."""

    def penalty(self) -> float:
        """The regularisation penalty of the current weights (0 without regularisation)."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for x, as a float64 array of shape (n, outputs)."""

    def gradients(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """dL/dθ for every parameter at the current weights, without updating them.

        L is the objective the optimiser minimises: the data loss plus the weights' penalty.
        """

    def last_gradients(self) -> dict[str, np.ndarray]:
        """The gradients the last step() used (empty before the first step)."""

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of the current weights, float64."""

    def state(self) -> TrainingState:
        """Copies of weights and optimiser memory, float64."""

    def load_state(self, state: TrainingState) -> None:
        """Continue from `state` (which may come from the other backend)."""


def create_backend(name: str, layers: list[DenseLayer], training: TrainingSpec, state: TrainingState) -> Backend:
    """The backend called `name`, starting from `state`. torch is imported only here, on demand."""
    if name == "numpy":
        from nnstudio.core.engine.backends.numpy_backend import NumpyBackend

        return NumpyBackend(layers, training, state)
    if name == "torch":
        from nnstudio.core.engine.backends.torch_backend import TorchBackend

        return TorchBackend(layers, training, state)
    from nnstudio.core.errors import NNStudioError

    raise NNStudioError(f"unknown backend {name!r}: choose numpy or torch")


def torch_available() -> tuple[bool, str]:
    """Whether the torch backend can be used here, and if not, why (for a tooltip)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False, "PyTorch is not installed: pip install torch==2.13.0"
    return True, ""
