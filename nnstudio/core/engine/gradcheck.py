"""Three ways to the same gradient: by hand (numpy), by autograd (torch), by finite differences.

This is the tutorial's `network_gradient` vs `network_gradient_torch` check, for any network:
if the hand-derived backward pass is right, all three agree to many digits.

How far apart two gradients are is a relative difference with an absolute floor:

    ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, 10⁻⁴·|L|, 10⁻¹²)

A finite difference divides a difference of two losses, each rounded to ~16 digits, by 2h = 2·10⁻⁶:
its error is about 10⁻¹⁰·|L|, whatever the gradient. Where the gradient itself is that small (at the
best line, or a bias that is zero by symmetry), dividing by the gradient alone turns rounding noise
into a "relative difference" of 1. Below the floor a gradient counts as zero, and the three agree
when they all are: "agree (gradient ≈ 0)".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState, create_backend, torch_available
from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.backends.penalties import weight_penalty
from nnstudio.core.engine.losses import LOSSES

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import TrainingSpec
    from nnstudio.core.engine.model import DenseLayer
    from nnstudio.core.engine.trainer import Trainer

FINITE_DIFFERENCE_STEP = 1e-6
MAX_FINITE_DIFFERENCE_ENTRIES = 4000  # beyond this, a seeded sample of entries per tensor is checked
ZERO_GRADIENT_PER_LOSS = 1e-4  # a gradient below 10⁻⁴·|L| counts as zero (finite differences see ~10⁻¹⁰·|L|)
ABSOLUTE_FLOOR = 1e-12
AGREE_AUTOGRAD = 1e-8  # by hand vs autograd: the same arithmetic, so ~1e-15 is usual
AGREE_FINITE_DIFFERENCE = 1e-5  # a central difference with h = 1e-6 is good to ~1e-8 relative

# The verdicts, as the window and the command line show them.
AGREE, AGREE_NEAR_ZERO, DIFFER = "agree", "agree (gradient ≈ 0)", "differ"


def zero_floor(loss: float) -> float:
    """The size below which a gradient of a loss `loss` counts as zero: 10⁻⁴·|L| (at least 10⁻¹²)."""
    return max(ZERO_GRADIENT_PER_LOSS * abs(loss), ABSOLUTE_FLOOR) if np.isfinite(loss) else ABSOLUTE_FLOOR


def relative_difference(a: np.ndarray, b: np.ndarray, floor: float = ABSOLUTE_FLOOR) -> float:
    """‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, floor), ignoring entries that were not computed (NaN)."""
    checked = ~(np.isnan(a) | np.isnan(b))
    if not checked.any():
        return 0.0
    a, b = a[checked], b[checked]
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged run's inf − inf: NaN, shown as such
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor))


def _largest(values: np.ndarray | None) -> float:
    return 0.0 if values is None or not values.size else float(np.nanmax(np.abs(values), initial=0.0))


@dataclass(frozen=True, eq=False)
class ParameterCheck:
    """One parameter tensor's gradient, three ways."""

    name: str
    manual: np.ndarray
    autograd: np.ndarray | None  # None when torch is not installed
    finite_difference: np.ndarray  # NaN where an entry was not sampled
    floor: float = ABSOLUTE_FLOOR  # below this a gradient counts as zero (see zero_floor)

    @property
    def manual_vs_autograd(self) -> float | None:
        return None if self.autograd is None else relative_difference(self.manual, self.autograd, self.floor)

    @property
    def manual_vs_finite_difference(self) -> float:
        return relative_difference(self.manual, self.finite_difference, self.floor)

    @property
    def near_zero(self) -> bool:
        """Every way of computing this gradient gives (nearly) zero: below the floor."""
        largest = max(_largest(self.manual), _largest(self.autograd), _largest(self.finite_difference))
        return largest <= self.floor


def verdict(checks: list[ParameterCheck]) -> str:
    """AGREE, AGREE_NEAR_ZERO (they agree, and every gradient is below the floor) or DIFFER."""
    autograd = [check.manual_vs_autograd for check in checks]
    agree = all(value is None or value <= AGREE_AUTOGRAD for value in autograd) and all(
        check.manual_vs_finite_difference <= AGREE_FINITE_DIFFERENCE for check in checks
    )
    if not agree:
        return DIFFER
    return AGREE_NEAR_ZERO if checks and all(check.near_zero for check in checks) else AGREE


@dataclass(frozen=True, eq=False)
class GradientCheck:
    """The loss at the checked weights and, per parameter tensor, its gradient three ways.

    With regularisation the gradients are those of the objective loss + penalty; `loss` is the data loss.
    """

    loss: float
    parameters: list[ParameterCheck]
    penalty: float = 0.0  # the weights' penalty (0 without regularisation)

    @property
    def max_rel_diff_manual_vs_autograd(self) -> float | None:
        values = [p.manual_vs_autograd for p in self.parameters]
        return None if any(v is None for v in values) else max(values, default=0.0)

    @property
    def max_rel_diff_manual_vs_finite_diff(self) -> float:
        return max((p.manual_vs_finite_difference for p in self.parameters), default=0.0)

    @property
    def verdict(self) -> str:
        return verdict(self.parameters)

    def to_dict(self) -> dict:
        """Plain lists and numbers for JSON: the three gradients in the parameter's shape, null where an
        entry was not computed (finite differences sample big tensors) or is not a finite number."""
        return {
            "loss": _finite_or_none(self.loss),
            "penalty": _finite_or_none(self.penalty),
            "parameters": {
                p.name: {
                    "shape": list(p.manual.shape),
                    "manual": _nested_list(p.manual),
                    "autograd": None if p.autograd is None else _nested_list(p.autograd),
                    "finite_difference": _nested_list(p.finite_difference),
                    "rel_diff_manual_vs_autograd": _finite_or_none(p.manual_vs_autograd),
                    "rel_diff_manual_vs_finite_diff": _finite_or_none(p.manual_vs_finite_difference),
                }
                for p in self.parameters
            },
            "max_rel_diff_manual_vs_autograd": _finite_or_none(self.max_rel_diff_manual_vs_autograd),
            "max_rel_diff_manual_vs_finite_diff": _finite_or_none(self.max_rel_diff_manual_vs_finite_diff),
            "verdict": self.verdict,
        }


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _nested_list(values: np.ndarray) -> list:
    """`values.tolist()` with None for NaN and ±inf, which JSON cannot hold."""
    as_objects = values.astype(object)
    as_objects[~np.isfinite(values)] = None
    return as_objects.tolist()


def finite_difference_gradients(
    layers: list[DenseLayer],
    loss_name: str,
    parameters: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    step: float = FINITE_DIFFERENCE_STEP,
    max_entries: int = MAX_FINITE_DIFFERENCE_ENTRIES,
    seed: int = 0,
    regularization: tuple[str, float] = ("none", 0.0),
) -> dict[str, np.ndarray]:
    """dL/dθ ≈ (L(θ + h) − L(θ − h)) / 2h, one entry at a time, in float64.

    L is the objective the optimiser minimises: the loss plus the weights' penalty (`regularization`:
    its kind and rate).
    """
    loss = LOSSES[loss_name].value
    theta = {name: value.astype(np.float64).copy() for name, value in parameters.items()}
    total = sum(value.size for value in theta.values())
    fraction = min(1.0, max_entries / max(total, 1))
    rng = np.random.default_rng(seed)

    def loss_now() -> float:
        return loss(forward(layers, theta, x)[-1].outputs, y) + weight_penalty(layers, theta, *regularization)

    gradients = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, value in theta.items():
            flat = value.reshape(-1)  # a view: changing it changes theta[name]
            estimate = np.full(flat.size, np.nan)
            count = flat.size if fraction >= 1.0 else max(1, int(round(fraction * flat.size)))
            entries = np.arange(flat.size) if count == flat.size else rng.choice(flat.size, count, replace=False)
            for i in entries:
                original = flat[i]
                flat[i] = original + step
                above = loss_now()
                flat[i] = original - step
                below = loss_now()
                flat[i] = original
                estimate[i] = (above - below) / (2.0 * step)
            gradients[name] = estimate.reshape(value.shape)
    return gradients


def check_gradients(
    layers: list[DenseLayer],
    training: TrainingSpec,
    state: TrainingState,
    x: np.ndarray,
    y: np.ndarray,
    max_finite_difference_entries: int = MAX_FINITE_DIFFERENCE_ENTRIES,
) -> GradientCheck:
    """Compare the three gradients at `state`'s weights on (x, y), always in float64."""
    training = replace(training, dtype="float64", device="cpu")
    manual_backend = create_backend("numpy", layers, training, state)
    manual = manual_backend.gradients(x, y)
    autograd: dict[str, np.ndarray] | None = None
    if torch_available()[0]:
        autograd = create_backend("torch", layers, training, state).gradients(x, y)
    penalty = (training.regularization, training.regularization_rate) if training.penalised else ("none", 0.0)
    numeric = finite_difference_gradients(
        layers,
        training.loss,
        state.parameters,
        x,
        y,
        max_entries=max_finite_difference_entries,
        regularization=penalty,
    )
    loss, penalty_value = manual_backend.loss(x, y), manual_backend.penalty()
    floor = zero_floor(loss + penalty_value)  # of the objective the gradients belong to
    checks = [
        ParameterCheck(name, manual[name], None if autograd is None else autograd[name], numeric[name], floor)
        for name in manual_backend.parameters()
    ]
    return GradientCheck(loss, checks, penalty_value)


def check_trainer(trainer: Trainer, **options) -> GradientCheck:
    """The gradient check at the trainer's current weights, on its whole training set."""
    data = trainer.dataset
    return check_gradients(
        trainer.layers, trainer.training, trainer.backend.state(), data.x_train, data.y_train, **options
    )
