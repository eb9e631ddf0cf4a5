"""Small tools the core tests share: building trainers, running steps, comparing arrays."""

from __future__ import annotations

import numpy as np

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.trainer import Trainer


def relative_difference(a, b) -> float:
    """‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, 1e-12): the issue's measure, per tensor."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b)) / scale)


def max_relative_difference(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> float:
    """The largest per-tensor relative difference between two name → array dicts with the same names."""
    assert sorted(first) == sorted(second), f"parameter names differ: {sorted(first)} vs {sorted(second)}"
    return max((relative_difference(first[name], second[name]) for name in first), default=0.0)


def network_difference(
    first: dict[str, np.ndarray], second: dict[str, np.ndarray], absolute_floor: float = 1e-12
) -> float:
    """The largest per-tensor relative difference of two name → array dicts (gradients or weights).

    Per tensor: ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, absolute_floor, G / 10), where G is the largest entry
    of the whole network. A tensor at least a tenth of the largest is compared exactly as the
    issue's measure says (whose floor is 1e-12); a smaller one is compared to a tenth of G, so
    its error must stay below 1e-10 of the largest gradient at a 1e-9 tolerance. Without that
    floor, a gradient that is a sum of terms which (nearly) cancel is compared to its own tiny
    result: a bias gradient that is zero by symmetry comes out as ~1e-17 rounding noise in each
    backend, "1e-5 relative" apart, and near an optimum a gradient 100× smaller than its terms
    loses a few digits the same way.
    """
    assert sorted(first) == sorted(second), f"parameter names differ: {sorted(first)} vs {sorted(second)}"
    scale = max((float(np.max(np.abs(g), initial=0.0)) for g in (*first.values(), *second.values())), default=0.0)
    worst = 0.0
    for name in first:
        a, b = np.asarray(first[name], dtype=np.float64), np.asarray(second[name], dtype=np.float64)
        assert a.shape == b.shape, f"{name}: shapes differ: {a.shape} vs {b.shape}"
        if a.size == 0:
            continue
        floor = max(np.max(np.abs(a)), np.max(np.abs(b)), absolute_floor, scale / 10)
        worst = max(worst, float(np.max(np.abs(a - b)) / floor))
    return worst


def trainer_on(experiment: Experiment, backend: str) -> Trainer:
    return Trainer(experiment.with_training(backend=backend))


def step_losses(trainer: Trainer, steps: int) -> np.ndarray:
    """The loss each of `steps` calls of Trainer.step() returns."""
    return np.array([trainer.step() for _ in range(steps)])


def train_epochs(trainer: Trainer, epochs: int) -> np.ndarray:
    """Train until `epochs` epochs are complete; the whole training-loss history."""
    for _ in trainer.run(until_epoch=epochs, snapshot_interval=1e9):
        pass
    return trainer.loss_history.train.copy()


def record_batches(trainer: Trainer) -> list:
    """Wrap the backend's step() to record which rows each step trained on (None: all of them)."""
    seen = []
    original = trainer.backend.step

    def step(rows=None):
        seen.append(None if rows is None else np.array(rows))
        return original(rows)

    trainer.backend.step = step
    return seen
