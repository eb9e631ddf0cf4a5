"""Health checks for one layer, and small summaries of big tensors, for the step inspector.

A layer can stop learning without any error: a ReLU unit whose z is never positive has
g'(z) = 0 everywhere, so its weights never change ("dead"); a sigmoid or tanh unit whose z is
far from 0 is flat ("saturated") and passes almost no gradient back. The update-to-weight
ratio ‖Δ‖/‖W‖ says how big a step was relative to the weights (around 1e-3 is typical).

A learning rate is too large when a step overshoots: it goes downhill, past the lowest point, and
up the other side higher than it started. Adam's steps are large by design (its first one moves
every weight by lr), so a big ‖Δ‖/‖W‖ alone proves nothing; the flag is raised only when the step
really overshot (`Overshoot`): the batch's loss rose, and either it rose along most of the
parameters too (each moved alone by its update, downhill against its gradient, it ended higher
than it started), or the loss grew more than EXPLODED_FACTOR-fold at once (the weights' updates
together overshoot, though each alone would not). Adam's lr 0.1 on `sine`, whose first step
doubles the loss while each weight alone improves it, is not flagged; gd lr 0.03 on `linear`,
whose every step overshoots along both weights, is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.engine.backends.numpy_backend import ACTIVATION_FUNCTIONS
from nnstudio.core.engine.model import DenseLayer

HEAT_MAP_CELLS = 32  # a summary's heat map has at most this many rows and columns
SATURATED_DERIVATIVE = 0.01  # |g'(z)| below this counts as flat...
SATURATED_FRACTION = 0.95  # ...and a unit flat on this share of the points is saturated
TINY_UPDATE_RATIO = 1e-7  # the weights barely move: lr may be too small
OVERSHOOT_CHECKED = 64  # at most this many of the parameters are each tried alone (a fixed sample)
EXPLODED_FACTOR = 10.0  # a step that multiplies the loss by more than this overshot, whatever each weight did
LOSS_ROUNDING = 1e-9  # relative: a loss has risen only when it rose by more than rounding

SATURATING_ACTIVATIONS = ("sigmoid", "tanh")


@dataclass(frozen=True, eq=False)
class TensorSummary:
    """A tensor at a glance: its shape, size, range and a downsampled heat map."""

    shape: tuple[int, ...]
    norm: float  # ‖A‖ = √(Σ a²)
    minimum: float
    maximum: float
    mean: float
    heat_map: np.ndarray  # 2-D, at most HEAT_MAP_CELLS × HEAT_MAP_CELLS; each cell the mean of its block


def _block_means(matrix: np.ndarray, axis: int, cells: int) -> np.ndarray:
    """Average consecutive rows (axis 0) or columns (axis 1) into at most `cells` blocks."""
    length = matrix.shape[axis]
    if length <= cells:
        return matrix
    starts = np.linspace(0, length, cells + 1).astype(int)[:-1]  # increasing: each block ≥ 1 long
    counts = np.diff(np.append(starts, length))
    sums = np.add.reduceat(matrix, starts, axis=axis)
    return sums / (counts[:, None] if axis == 0 else counts[None, :])


def summarise(array: np.ndarray, max_cells: int = HEAT_MAP_CELLS) -> TensorSummary:
    """Shape, norm, min/max/mean and a ≤ max_cells × max_cells heat map (block means).

    A vector (a bias, one unit's values) becomes a one-row map; higher dimensions are flattened
    to (first axis, the rest). The full array is left untouched for whoever wants every value.
    """
    values = np.asarray(array, dtype=np.float64)
    if values.size == 0:
        nan = float("nan")
        return TensorSummary(values.shape, 0.0, nan, nan, nan, np.zeros((0, 0)))
    matrix = values.reshape(1, -1) if values.ndim < 2 else values.reshape(values.shape[0], -1)
    with np.errstate(over="ignore", invalid="ignore"):
        heat_map = _block_means(_block_means(matrix, 0, max_cells), 1, max_cells)
        return TensorSummary(
            shape=values.shape,
            norm=float(np.linalg.norm(values.ravel())),
            minimum=float(values.min()),
            maximum=float(values.max()),
            mean=float(values.mean()),
            heat_map=np.ascontiguousarray(heat_map),
        )


@dataclass(frozen=True)
class Overshoot:
    """Did one step overshoot? The batch's loss around the step, and the parameters tried one at a
    time: each moved alone by its update, from the weights before the step."""

    loss_before: float  # the batch's loss before the step...
    loss_after: float  # ...and after it
    checked: int  # parameters the step moved, tried alone (0 when the loss did not rise)
    overshot: int  # of them: moved against the gradient (downhill), yet the loss ended higher than before

    @property
    def loss_rose(self) -> bool:
        return risen(self.loss_before, self.loss_after)

    @property
    def exploded(self) -> bool:
        return self.loss_rose and self.loss_after > EXPLODED_FACTOR * abs(self.loss_before)

    @property
    def flagged(self) -> bool:
        """The step really overshot: the loss rose, along most of the parameters tried too, or exploded."""
        along_most = self.checked > 0 and 2 * self.overshot > self.checked
        return self.loss_rose and (along_most or self.exploded)

    def message(self) -> str:
        """What the inspector says when `flagged`."""
        rise = f"the loss rose from {self.loss_before:.4g} to {self.loss_after:.4g}"
        if self.exploded:
            rise += f" (×{self.loss_after / self.loss_before:.3g})" if self.loss_before > 0 else ""
        along = (
            f", and {self.overshot} of the {self.checked} parameters tried went downhill past the lowest point "
            f"and ended higher"
            if 2 * self.overshot > self.checked
            else ""
        )
        return f"The step overshot: {rise}{along}: is the learning rate too large?"


def risen(before: float, after: float) -> bool:
    """`after` is higher than `before` by more than rounding (NaN never rises: it is 'not finite')."""
    return bool(after > before + LOSS_ROUNDING * max(abs(before), np.finfo(np.float64).tiny))


def step_overshoot(
    loss_at: Callable[[dict[str, np.ndarray]], float],
    before: dict[str, np.ndarray],
    after: dict[str, np.ndarray],
    gradients: dict[str, np.ndarray],
    loss_before: float,
    loss_after: float,
    seed: int = 0,
) -> Overshoot:
    """Try the step's parameters one at a time, when it raised the loss.

    `loss_at(parameters)` is the batch's loss at the given weights; `before` and `after` are the
    weights around the step (float64), `gradients` the ones the step used. A parameter overshot when it
    moved against its gradient (downhill: g·Δ < 0) and yet, moved alone by Δ, left the loss higher than
    `loss_before`: along its own axis it went more than twice as far as the lowest point. At most
    OVERSHOOT_CHECKED parameters are tried, a sample drawn from `seed`.
    """
    if not risen(loss_before, loss_after):
        return Overshoot(loss_before, loss_after, 0, 0)
    moved = [(name, i) for name in before for i in np.flatnonzero(after[name].ravel() != before[name].ravel())]
    if len(moved) > OVERSHOOT_CHECKED:
        chosen = np.random.default_rng(seed).choice(len(moved), OVERSHOOT_CHECKED, replace=False)
        moved = [moved[i] for i in np.sort(chosen)]
    overshot = 0
    for name, i in moved:
        change = after[name].ravel()[i] - before[name].ravel()[i]
        if gradients[name].ravel()[i] * change >= 0:  # not downhill: pushed by the optimiser's memory
            continue
        trial = dict(before)
        trial[name] = before[name].copy()
        trial[name].ravel()[i] += change
        with np.errstate(all="ignore"):
            if risen(loss_before, loss_at(trial)):
                overshot += 1
    return Overshoot(loss_before, loss_after, len(moved), overshot)


@dataclass(frozen=True)
class Flag:
    """Something worth a teacher's remark, e.g. kind "dead_units" with a sentence for the student."""

    kind: str  # dead_units, saturated_units, overshoot, tiny_update, not_finite
    layer: int  # 1-based layer index; 0 for the whole step (overshoot)
    message: str


@dataclass(frozen=True, eq=False)
class LayerDiagnostics:
    """One layer's health on one batch."""

    weight_gradient_norm: float  # ‖dL/dW‖
    bias_gradient_norm: float | None  # ‖dL/db‖; None without a bias
    update_ratio: float | None  # ‖ΔW‖ / ‖W‖; None when no step was made
    dead_units: np.ndarray  # indices of ReLU units never active (z ≤ 0 on every point)
    saturated_units: np.ndarray  # indices of sigmoid/tanh units flat (|g'(z)| < 0.01) on ≥ 95 % of points
    flags: tuple[Flag, ...] = field(default=())


def dead_units(activation: str, pre_activation: np.ndarray) -> np.ndarray:
    """ReLU units whose z is never > 0 on these points: g'(z) = 0, so no gradient reaches them."""
    if activation != "relu" or len(pre_activation) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~(pre_activation > 0).any(axis=0))


def saturated_units(activation: str, pre_activation: np.ndarray) -> np.ndarray:
    """Sigmoid/tanh units with |g'(z)| < 0.01 on at least 95 % of these points."""
    if activation not in SATURATING_ACTIVATIONS or len(pre_activation) == 0:
        return np.zeros(0, dtype=np.int64)
    function, derivative = ACTIVATION_FUNCTIONS[activation]
    with np.errstate(over="ignore", invalid="ignore"):
        slope = np.abs(derivative(pre_activation, function(pre_activation)))
    flat_share = np.mean(slope < SATURATED_DERIVATIVE, axis=0)
    return np.flatnonzero(flat_share >= SATURATED_FRACTION)


def update_ratio(update: np.ndarray, weights: np.ndarray) -> float:
    """‖Δ‖ / ‖W‖: how far one step moved the weights, relative to their size."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        step, size = float(np.linalg.norm(update.ravel())), float(np.linalg.norm(weights.ravel()))
        if size == 0.0:
            return 0.0 if step == 0.0 else float("inf")
        return step / size


def diagnose_layer(
    layer: DenseLayer,
    pre_activation: np.ndarray,
    weights: np.ndarray,
    weight_gradient: np.ndarray,
    bias_gradient: np.ndarray | None,
    weight_update: np.ndarray | None,
) -> LayerDiagnostics:
    """Gradient norms, the update ratio, dead and saturated units, and flags for what stands out."""
    k = layer.index
    with np.errstate(over="ignore", invalid="ignore"):
        gradient_norm = float(np.linalg.norm(weight_gradient.ravel()))
        bias_norm = None if bias_gradient is None else float(np.linalg.norm(bias_gradient.ravel()))
    ratio = None if weight_update is None else update_ratio(weight_update, weights)
    finite = bool(np.all(np.isfinite(pre_activation))) and all(
        np.isfinite(v) for v in (gradient_norm, bias_norm, ratio) if v is not None
    )
    # NaN is never > 0: on a diverged run every unit would look dead, so only finite z are judged
    dead = dead_units(layer.activation, pre_activation if finite else pre_activation[:0])
    saturated = saturated_units(layer.activation, pre_activation if finite else pre_activation[:0])

    flags = []
    if not finite:
        flags.append(Flag("not_finite", k, f"layer {k}: values are not finite (training has diverged)"))
    if len(dead):
        flags.append(
            Flag("dead_units", k, f"layer {k}: {len(dead)} of {layer.n_out} ReLU units are dead (never active)")
        )
    if len(saturated):
        flags.append(
            Flag(
                "saturated_units",
                k,
                f"layer {k}: {len(saturated)} of {layer.n_out} {layer.activation} units are saturated (flat)",
            )
        )
    if ratio is not None and np.isfinite(ratio):
        if 0.0 < ratio < TINY_UPDATE_RATIO or (ratio == 0.0 and gradient_norm > 0.0):
            flags.append(
                Flag("tiny_update", k, f"layer {k}: W{k} barely moved (‖ΔW‖/‖W‖ = {ratio:.1e}): is lr too small?")
            )
    return LayerDiagnostics(gradient_norm, bias_norm, ratio, dead, saturated, tuple(flags))
