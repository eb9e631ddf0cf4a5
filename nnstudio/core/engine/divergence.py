"""When training has diverged: the one rule the trainer (and whatever reports a run) applies.

A run has diverged when an epoch's loss is not a finite number, or when it is more than
DIVERGENCE_FACTOR (10⁴) times the first epoch's loss. The first loss counts as at least
DIVERGENCE_FLOOR (1): a run that starts with a tiny loss (a classifier that is already good, a
mini-batch epoch that ends near a fit) must not call an ordinary wobble an explosion.

Why this rule: a learning rate that is too large multiplies the error by the same factor at every
step, so the loss grows geometrically and passes 10⁴ × its start within a few epochs (the tutorial's
line with lr 0.03: epoch 8), long before it overflows to infinity (epoch 100 or later). No shipped
preset or lesson at its own settings comes within a factor of 1,000 of the bound (the worst, Adam on
`sine`, climbs to 2.2 × its first loss before falling). A loss that is bounded by its definition
(binary cross-entropy: at most 100 per point) cannot reach the bound; such a run ends with a large,
finite loss instead.
"""

from __future__ import annotations

import math

DIVERGENCE_FACTOR = 1e4
DIVERGENCE_FLOOR = 1.0
# No epoch loss below this breaks the rule, whatever the first loss was: the trainer looks no further
# (a comparison per epoch instead of the rule's arithmetic: the trainer's time is the student's).
SURELY_NOT_DIVERGED = DIVERGENCE_FACTOR * DIVERGENCE_FLOOR
RULE = (
    f"an epoch's loss is not finite, or more than {DIVERGENCE_FACTOR:,.0f} × the first epoch's loss "
    f"(a first loss below {DIVERGENCE_FLOOR:g} counts as {DIVERGENCE_FLOOR:g})"
)


def divergence_bound(first_loss: float) -> float:
    """The largest epoch loss that is not yet a divergence, for a run whose first epoch's loss was `first_loss`."""
    return DIVERGENCE_FACTOR * max(first_loss, DIVERGENCE_FLOOR)


def divergence(loss: float, first_loss: float) -> str:
    """'' while `loss` is within the rule; otherwise what happened to it, in words ("became infinite", …)."""
    if math.isnan(loss):
        return "became NaN (not a number)"
    if math.isinf(loss):
        return "became infinite"
    if not math.isfinite(first_loss):  # nothing sane to compare with: only a non-finite loss counts
        return ""
    if loss > divergence_bound(first_loss):
        counted = "" if first_loss >= DIVERGENCE_FLOOR else f", counted as {DIVERGENCE_FLOOR:g}"
        return (
            f"became {loss:.3g}, more than {DIVERGENCE_FACTOR:,.0f} × the first epoch's loss "
            f"({first_loss:.4g}{counted})"
        )
    return ""
