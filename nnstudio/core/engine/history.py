"""What a run remembers: the loss of every epoch, and the weights at thinned-out epochs.

The weights are kept within a byte budget: every `stride`-th epoch is recorded, and when the
budget is full the stride doubles and every other record is dropped. A run of any length
therefore keeps a few hundred evenly spread moments to rewind to, in bounded memory.
"""

from __future__ import annotations

import bisect

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState

DEFAULT_STATE_BUDGET_BYTES = 64 * 1024 * 1024
MIN_STATES = 16
MAX_STATES = 512


class LossHistory:
    """Train and test loss per completed epoch, in growable arrays (no per-epoch Python objects).

    With regularisation, `penalty` holds the weights' penalty beside the (data) train loss; NaN without.
    """

    def __init__(self) -> None:
        self._epochs = np.empty(1024, dtype=np.int64)
        self._train = np.empty(1024)
        self._test = np.empty(1024)
        self._penalty = np.empty(1024)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, epoch: int, train_loss: float, test_loss: float, penalty: float = float("nan")) -> None:
        if self._size == len(self._epochs):
            for name, column in self._columns().items():
                setattr(self, name, np.resize(column, 2 * len(column)))
        self._epochs[self._size] = epoch
        self._train[self._size] = train_loss
        self._test[self._size] = test_loss
        self._penalty[self._size] = penalty
        self._size += 1

    @property
    def epochs(self) -> np.ndarray:
        return self._epochs[: self._size]

    @property
    def train(self) -> np.ndarray:
        return self._train[: self._size]

    @property
    def test(self) -> np.ndarray:
        return self._test[: self._size]

    @property
    def penalty(self) -> np.ndarray:
        return self._penalty[: self._size]

    def since(self, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the records from index `start` on: what a snapshot sends to the window."""
        return self.epochs[start:].copy(), self.train[start:].copy(), self.test[start:].copy()

    def truncate(self, last_epoch: int) -> None:
        """Forget every epoch after `last_epoch` (rewinding)."""
        self._size = int(np.searchsorted(self.epochs, last_epoch, side="right"))

    # Files (core/storage/archive.py) read and write every per-epoch array by name, whatever arrays there are.

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Copies of the records, one array per kind: epochs, train, test (and any added later)."""
        return {name.lstrip("_"): value[: self._size].copy() for name, value in self._columns().items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LossHistory:
        """The history `to_arrays()` described; a kind the arrays lack is NaN (a file from before it existed)."""
        history = cls()
        size = len(arrays["epochs"])
        for name, empty in history._columns().items():
            column = np.full(max(size, 1), np.nan, dtype=empty.dtype) if empty.dtype.kind == "f" else None
            given = arrays.get(name.lstrip("_"))
            if given is None and column is None:
                raise KeyError(name.lstrip("_"))
            if given is not None:
                column = np.array(given, dtype=empty.dtype).reshape(-1)
                if len(column) != size:
                    raise ValueError(f"{name.lstrip('_')} has {len(column)} values, epochs has {size}")
            setattr(history, name, np.resize(column, max(size, len(empty))))
        history._size = size
        return history

    def _columns(self) -> dict[str, np.ndarray]:
        return {name: value for name, value in vars(self).items() if isinstance(value, np.ndarray)}


class StateHistory:
    """Weights and optimiser state at every `stride`-th epoch, within a byte budget."""

    def __init__(self, budget_bytes: int = DEFAULT_STATE_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.stride = 1
        self._epochs: list[int] = []
        self._states: list[TrainingState] = []
        self._capacity = MAX_STATES
        self._largest_state = 0

    def __len__(self) -> int:
        return len(self._epochs)

    @property
    def epochs(self) -> list[int]:
        return list(self._epochs)

    def wants(self, epoch: int) -> bool:
        return epoch % self.stride == 0 and (not self._epochs or epoch > self._epochs[-1])

    def record(self, epoch: int, state: TrainingState) -> None:
        """Keep `state` (already a private copy) as the state at the end of `epoch`."""
        if not self.wants(epoch):
            return
        # Size the capacity by the largest state so far: the first (epoch 0) has no optimiser
        # memory yet, while Adam's later states are three times as large.
        per_state = max(state.nbytes(), 1)
        if per_state > self._largest_state:
            self._largest_state = per_state
            self._capacity = int(min(MAX_STATES, max(MIN_STATES, self.budget_bytes // per_state)))
        self._epochs.append(epoch)
        self._states.append(state)
        while len(self._epochs) > self._capacity:
            self.stride *= 2
            keep = [i for i, e in enumerate(self._epochs) if e % self.stride == 0]
            self._epochs = [self._epochs[i] for i in keep]
            self._states = [self._states[i] for i in keep]

    def recorded_parameters(self) -> tuple[dict[str, np.ndarray], ...]:
        """The weights of every recorded state, oldest first: the records themselves, to be read, never changed."""
        return tuple(state.parameters for state in self._states)

    def at_or_before(self, epoch: int) -> tuple[int, TrainingState]:
        """The latest recorded (epoch, state) not after `epoch` (a copy the caller may change)."""
        index = bisect.bisect_right(self._epochs, epoch) - 1
        if index < 0:
            raise IndexError(f"no recorded state at or before epoch {epoch}")
        return self._epochs[index], self._states[index].copy()

    def truncate(self, last_epoch: int) -> None:
        index = bisect.bisect_right(self._epochs, last_epoch)
        del self._epochs[index:], self._states[index:]
