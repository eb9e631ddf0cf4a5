"""The gradient check's verdict: no false alarm where the gradient is rounding noise, a real error still found."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.gradcheck import (
    AGREE,
    AGREE_AUTOGRAD,
    AGREE_FINITE_DIFFERENCE,
    AGREE_NEAR_ZERO,
    DIFFER,
    ParameterCheck,
    check_trainer,
    relative_difference,
    verdict,
    zero_floor,
)
from nnstudio.core.engine.presets import PRESETS
from tests.core.helpers import train_epochs, trainer_on


def at_the_best_line(name: str = "linear"):
    """The preset's line trained to its least-squares fit: every gradient is rounding noise there."""
    trainer = trainer_on(PRESETS[name].with_training(learning_rate=0.01 if name == "linear" else 0.1), "numpy")
    train_epochs(trainer, 2000)
    return trainer


@pytest.mark.parametrize("name", ["linear", "sine-linear"])
def test_at_the_best_line_the_three_gradients_agree_that_it_is_zero(name):
    trainer = at_the_best_line(name)
    check = check_trainer(trainer)
    largest = max(float(np.max(np.abs(p.manual))) for p in check.parameters)
    assert largest < 1e-12  # the gradient is gone: what is left is rounding
    # the old measure, floored at 1e-12 only, called this rounding noise "✗ they differ"
    assert any(
        relative_difference(p.manual, p.finite_difference) > AGREE_FINITE_DIFFERENCE
        or relative_difference(p.manual, p.autograd) > AGREE_AUTOGRAD
        for p in check.parameters
    )
    assert check.verdict == AGREE_NEAR_ZERO and check.to_dict()["verdict"] == "agree (gradient ≈ 0)"
    assert check.max_rel_diff_manual_vs_finite_diff <= AGREE_FINITE_DIFFERENCE
    assert check.max_rel_diff_manual_vs_autograd <= AGREE_AUTOGRAD


def test_where_the_gradient_is_large_the_verdict_is_a_plain_agree():
    check = check_trainer(trainer_on(PRESETS["sine"], "numpy"))
    assert check.verdict == AGREE and all(not p.near_zero for p in check.parameters)


def test_the_floor_is_ten_to_the_minus_four_of_the_loss():
    assert zero_floor(114.6) == pytest.approx(0.01146) and zero_floor(-2.0) == pytest.approx(2e-4)
    assert zero_floor(0.0) == zero_floor(float("nan")) == 1e-12


def parameter(manual, autograd, finite_difference, loss=1.0) -> ParameterCheck:
    arrays = [None if a is None else np.array(a, dtype=float) for a in (manual, autograd, finite_difference)]
    return ParameterCheck("W1", *arrays, zero_floor(loss))


@pytest.mark.parametrize(
    ("manual", "autograd", "finite_difference", "expected"),
    [
        ([2.0, -1.0], [2.0, -1.0], [2.0 + 1e-9, -1.0], AGREE),
        ([2.0, -1.0], [2.0, -1.0], [2.0 * (1 + 1e-4), -1.0], DIFFER),  # a wrong digit in the fourth place
        ([2.0, -1.0], [2.0, -1.0 + 1e-6], [2.0, -1.0], DIFFER),  # autograd must match to ~8 digits
        ([3e-15, 0.0], [0.0, 1e-16], [2e-10, -1e-10], AGREE_NEAR_ZERO),  # noise on both sides of zero
        ([1e-3, 0.0], [1e-3, 0.0], [0.0, 0.0], DIFFER),  # by hand says 1e-3, ten times the floor: not noise
        ([3e-15, 0.0], None, [2e-10, np.nan], AGREE_NEAR_ZERO),  # without torch, an entry not sampled
    ],
)
def test_the_verdict(manual, autograd, finite_difference, expected):
    assert verdict([parameter(manual, autograd, finite_difference)]) == expected


def test_one_tensor_near_zero_among_others_is_a_plain_agree():
    checks = [parameter([2.0], [2.0], [2.0]), parameter([1e-15], [0.0], [1e-10])]
    assert verdict(checks) == AGREE and verdict(checks[1:]) == AGREE_NEAR_ZERO
