"""The numpy backend's speed-up machinery, kept out of the way of the maths in numpy_backend.py.

`matrix_product` is np.dot, or np.matmul where np.dot would hold the GIL for long. `ParameterVector`
keeps every weight in one vector θ with named views into it, so the optimiser updates θ in a few
whole-vector steps instead of a few per matrix.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState


def matrix_product(a: np.ndarray, b: np.ndarray, many_rows: int = 10_000) -> np.ndarray:
    """a · b: the same numbers as np.dot.

    np.dot of a one-column matrix by a one-row one (x W₁ with one input, dL/dz Wᵀ with one output: an
    outer product, nothing to sum) keeps Python's GIL throughout, ~0.3 s at a million points, during
    which a window showing the training cannot draw. np.matmul makes the very same products and lets
    other threads run; on small data np.dot is the faster (2 µs against 7 µs for 100 points).
    """
    if len(a) < many_rows or a.shape[1] != 1:
        return np.dot(a, b)
    return np.matmul(a, b)


class ParameterVector:
    """The numpy backend's weights, their gradients and the optimiser's memory, each in one vector.

    A base class of NumpyBackend: it needs the backend's `dtype`, `optimizer` and `parameters()`.
    """

    # All weights live in one vector θ; `self.parameters_` holds named views into it (W1, b1, ...),
    # so the forward pass reads matrices while the optimiser updates θ in a few whole-vector steps
    # instead of a few per matrix. backward() writes dL/dW1, dL/db1, ... into `self.gradients_`,
    # views into one vector g alike; the optimiser's memory (v; m and v) are vectors like θ.

    def _flatten(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([arrays[name].ravel() for name in self.parameters_])

    def _unflatten(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        named, start = {}, 0
        for name, view in self.parameters_.items():
            named[name] = vector[start : start + view.size].reshape(view.shape)
            start += view.size
        return named

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
