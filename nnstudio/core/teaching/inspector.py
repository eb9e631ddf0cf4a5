"""The step inspector: one optimiser step taken apart, layer by layer, in its three phases.

    forward    z = a_prev W + b,  a = g(z)            (each layer's pre-activation and output)
    backward   dL/dz, dL/dW, dL/db                      (the chain rule, last layer first)
    update     Δ = after − before, and its parts        (−lr·g, −lr·v, or Adam's −lr·m̂/(√v̂+ε))

Each phase is computed by the numpy backend's own functions (forward, backward, and the
optimisers' gd_update, momentum_update, adam_update), which keep every intermediate: what
the inspector shows is what the backend computes, not a second copy of it.

`inspect_step(trainer)` makes exactly one step (through `trainer.step()`) and reports it;
`inspect_state(trainer)` reports the step that would come next without making it. Every
gradient is shown three ways (by hand, by autograd, by finite differences, from `gradcheck`),
on the very batch the step trains on. Large tensors are summarised by `summarise()`; the full
arrays stay in the inspection. Nothing here draws: the window decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.backends.numpy_backend import (
    LayerGradients,
    LayerTrace,
    adam_moments,
    adam_update,
    backward,
    forward,
    gd_update,
    momentum_update,
)
from nnstudio.core.engine.backends.penalties import penalty_gradient
from nnstudio.core.engine.experiment import OPTIMIZERS, TrainingSpec
from nnstudio.core.engine.gradcheck import GradientCheck, ParameterCheck, check_gradients
from nnstudio.core.engine.losses import LOSSES, loss_units
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.teaching.diagnostics import (
    Flag,
    LayerDiagnostics,
    Overshoot,
    TensorSummary,
    diagnose_layer,
    step_overshoot,
    summarise,
)
from nnstudio.core.teaching.formulas import LayerFormulas, layer_formulas, loss_gradient_formula

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer

__all__ = [
    "BackwardPhase",
    "Flag",
    "ForwardPhase",
    "LayerDiagnostics",
    "LayerFormulas",
    "LayerInspection",
    "Overshoot",
    "StepInspection",
    "TensorSummary",
    "UpdateParts",
    "inspect_state",
    "inspect_step",
    "summarise",
]


# What one layer computed on the batch: its input, z = a_prev W + b and a = g(z) (the last layer's
# a is the prediction ŷ); and what the chain rule gave it: dL/da, dL/dz, dL/dW, dL/db and dL/dx.
# They are the records the backend's forward() and backward() make.
ForwardPhase = LayerTrace
BackwardPhase = LayerGradients


@dataclass(frozen=True, eq=False)
class UpdateParts:
    """How the optimiser turned one parameter's gradient into the change it applied."""

    name: str  # W1, b1, ...
    optimizer: str  # gd, momentum or adam
    applied: np.ndarray  # Δ = weights after − weights before: what really happened
    predicted: np.ndarray  # Δ as the optimiser's update function computes it from the parts below
    parts: dict[str, np.ndarray]  # gradient; velocity (momentum); m, v, m_hat, v_hat (adam)
    constants: dict[str, float]  # lr; μ (momentum); β₁, β₂, ε, t (adam)
    formula: str


@dataclass(frozen=True, eq=False)
class LayerInspection:
    """Everything the inspector shows for one layer."""

    layer: DenseLayer
    weights: np.ndarray  # W before the step
    biases: np.ndarray | None  # b before the step
    weight_gradients: ParameterCheck  # dL/dW three ways
    bias_gradients: ParameterCheck | None
    forward: ForwardPhase
    backward: BackwardPhase
    formulas: LayerFormulas
    diagnostics: LayerDiagnostics
    weights_after: np.ndarray | None = None  # None when nothing was stepped (inspect_state)
    biases_after: np.ndarray | None = None
    weight_update: UpdateParts | None = None
    bias_update: UpdateParts | None = None
    penalty_gradient: np.ndarray | None = None  # the regularisation penalty's part of dL/dW (None: no penalty)
    penalty_formula: str = ""  # that part's formula, e.g. rate·W1 = 0.01·W1

    def penalty_note(self) -> str:
        """One line: the penalty's part of dL/dW and its share of the whole gradient (empty without a penalty)."""
        if self.penalty_gradient is None:
            return ""
        w = self.layer.weight_name
        part = float(np.abs(self.penalty_gradient).sum())
        whole = float(np.abs(self.weight_gradients.manual).sum())
        share = f"{100 * part / whole:.3g} %" if whole > 0 and np.isfinite(whole) else "—"
        return f"penalty part of dL/d{w}: {self.penalty_formula}   (Σ|·| = {part:.4g}: {share} of Σ|dL/d{w}|)"

    def summaries(self) -> dict[str, TensorSummary]:
        """Small summaries of this layer's tensors (norms, a ≤ 32×32 heat map), by name."""
        tensors = {
            self.layer.weight_name: self.weights,
            f"dL/d{self.layer.weight_name}": self.weight_gradients.manual,
            f"z{self.layer.index}": self.forward.pre_activation,
            f"a{self.layer.index}": self.forward.outputs,
        }
        if self.biases is not None and self.bias_gradients is not None:
            tensors[self.layer.bias_name] = self.biases
            tensors[f"dL/d{self.layer.bias_name}"] = self.bias_gradients.manual
        for update in (self.weight_update, self.bias_update):
            if update is not None:
                tensors[f"Δ{update.name}"] = update.applied
        return {name: summarise(value) for name, value in tensors.items()}


@dataclass(frozen=True, eq=False)
class StepInspection:
    """One step (or the next one, unstepped) of a trainer, taken apart."""

    stepped: bool  # True: the trainer made this step; False: it is only what the next step would do
    epoch: int  # completed epochs before the step
    step: int  # optimiser steps before the step
    backend: str
    optimizer: str
    learning_rate: float
    loss_name: str
    loss_units: str  # "standardised units", "original units" or "" (classification): see losses.loss_units
    loss_formula: str  # e.g. L = Σᵢ (yᵢ − ŷᵢ)²
    loss_gradient_formula: str  # e.g. dL/dŷ = −2 (y − ŷ)
    update_formula: str  # the optimiser's rule
    loss: float  # the batch's loss before the step (at the weights shown, when no step was made)
    batch_rows: np.ndarray | None  # rows of the training set; None: all of them
    x: np.ndarray  # the batch, model units
    y: np.ndarray
    layers: tuple[LayerInspection, ...]
    gradient_check: GradientCheck
    diverged_message: str = ""  # the trainer's, when training has diverged (its values may still be finite)
    loss_after: float | None = None  # the same batch's loss after the step; None when no step was made
    # The loss the trainer's last step measured before its update (what the status bar's batch loss shows);
    # NaN before the first step. Beside an unstepped inspection, which shows the loss at the weights now.
    previous_step_loss: float = float("nan")

    @property
    def max_rel_diff_manual_vs_autograd(self) -> float | None:
        return self.gradient_check.max_rel_diff_manual_vs_autograd

    @property
    def max_rel_diff_manual_vs_finite_diff(self) -> float:
        return self.gradient_check.max_rel_diff_manual_vs_finite_diff

    overshoot: Overshoot | None = None  # None when no step was made

    @property
    def flags(self) -> tuple[Flag, ...]:
        """The step's own flag first (it overshot: is lr too large?), then each layer's."""
        step = []
        if self.overshoot is not None and self.overshoot.flagged and not self.diverged_message:
            step.append(Flag("overshoot", 0, self.overshoot.message()))
        return (*step, *(flag for layer in self.layers for flag in layer.diagnostics.flags))

    def layer(self, index: int) -> LayerInspection:
        """The layer whose parameters are W{index}, b{index} (1-based, as in the formulas)."""
        return self.layers[index - 1]


# --- the update and its parts ------------------------------------------------------------------------


def update_parts(
    name: str,
    training: TrainingSpec,
    before: TrainingState,
    after: TrainingState,
    used_gradient: np.ndarray,
) -> UpdateParts:
    """Δ as applied, and as the backend's optimiser function computes it from the state before the step."""
    predicted, parts, constants = replay_update(name, training, before, used_gradient)
    applied = after.parameters[name] - before.parameters[name]
    return UpdateParts(name, training.optimizer, applied, predicted, parts, constants, OPTIMIZERS[training.optimizer])


def replay_update(
    name: str, training: TrainingSpec, before: TrainingState, gradient: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
    """The change Δ the training's optimiser makes to parameter `name` from the state before a step, and its parts.

    The update is replayed on copies of the parameter and of the optimiser's memory before the
    step, in the training's dtype, keeping the parts (v; m, v, m̂, v̂) the function produces.
    Returns (Δ, parts, constants): parts hold the gradient, the velocity (momentum) or m, v, m̂, v̂
    (Adam); constants lr, μ, or β₁, β₂, ε, t.
    """
    dtype = np.dtype(training.dtype)
    lr = training.learning_rate
    theta = before.parameters[name].astype(dtype)  # a copy: the replay changes it
    g = gradient.astype(dtype)
    parts: dict[str, np.ndarray] = {"gradient": gradient}
    constants = {"lr": lr}
    memory = {kind: per.get(name) for kind, per in before.optimizer_buffers.items()}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if training.optimizer == "momentum":
            previous = memory.get("momentum_buffer")
            if previous is not None:
                parts["velocity_before"] = previous
                previous = previous.astype(dtype)
            velocity, change = momentum_update(theta, g, previous, lr, training.momentum)
            parts["velocity"] = velocity
            constants["μ"] = training.momentum
        elif training.optimizer == "adam":
            t = before.optimizer_steps + 1
            m, v = (
                np.zeros_like(g) if memory.get(kind) is None else memory[kind].astype(dtype)  # zeros before step 1
                for kind in ("exp_avg", "exp_avg_sq")
            )
            change = adam_update(theta, g, m, v, t, lr, training.beta1, training.beta2, training.eps)
            m_hat, v_hat = adam_moments(m, v, t, training.beta1, training.beta2)
            parts.update(m=m, v=v, m_hat=m_hat, v_hat=v_hat)
            constants.update({"β₁": training.beta1, "β₂": training.beta2, "ε": training.eps, "t": float(t)})
        else:
            change = gd_update(theta, g, lr)
    parts = {key: value.astype(np.float64, copy=False) for key, value in parts.items()}
    return change.astype(np.float64, copy=False), parts, constants


def _penalty_part(training: TrainingSpec, name: str, W: np.ndarray) -> dict:
    """The penalty's part of dL/dW and its formula, as LayerInspection fields (none without a penalty)."""
    if not training.penalised:
        return {}
    rate = f"{training.regularization_rate:g}"
    formula = (
        f"rate·sign({name}) = {rate}·sign({name})"
        if training.regularization == "l1"
        else f"rate·{name} = {rate}·{name}"
    )
    with np.errstate(over="ignore", invalid="ignore"):
        part = penalty_gradient(W, training.regularization, training.regularization_rate)
    return {"penalty_gradient": part, "penalty_formula": formula}


# --- the two entry points ----------------------------------------------------------------------------


def inspect_state(trainer: Trainer, max_finite_difference_entries: int | None = None) -> StepInspection:
    """What the next step would see and compute, without making it (for a paused moment)."""
    rows = trainer.next_batch_rows()
    state = trainer.backend.state()
    return _inspect(trainer, rows, state, trainer.epoch, trainer.step_count, max_finite_difference_entries)


def inspect_step(trainer: Trainer, max_finite_difference_entries: int | None = None) -> StepInspection:
    """Make exactly one optimiser step with `trainer.step()`, and take it apart.

    Raises NNStudioError (from the trainer) when training has diverged.
    """
    rows = trainer.next_batch_rows()
    before = trainer.backend.state()
    step, epoch = trainer.step_count, trainer.epoch
    loss = trainer.step()
    return _inspect(
        trainer,
        rows,
        before,
        epoch,
        step,
        max_finite_difference_entries,
        after=trainer.backend.state(),
        used_gradients=trainer.backend.last_gradients(),  # the gradient the optimiser really used
        loss=loss,
    )


def _inspect(
    trainer: Trainer,
    rows: np.ndarray | None,
    before: TrainingState,
    epoch: int,
    step: int,
    max_finite_difference_entries: int | None,
    after: TrainingState | None = None,
    used_gradients: dict[str, np.ndarray] | None = None,
    loss: float | None = None,
) -> StepInspection:
    data, training, layers = trainer.dataset, trainer.training, trainer.layers
    x, y = (data.x_train, data.y_train) if rows is None else (data.x_train[rows], data.y_train[rows])
    options = {}
    if max_finite_difference_entries is not None:
        options["max_finite_difference_entries"] = max_finite_difference_entries
    check = check_gradients(layers, training, before, x, y, **options)
    checks = {p.name: p for p in check.parameters}
    parameters = before.parameters
    loss_function = LOSSES[training.loss]
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is shown, not warned about
        traces = forward(layers, parameters, x)
        phases = backward(layers, parameters, traces, loss_function.gradient(traces[-1].outputs, y))
    overshoot = _overshoot(layers, loss_function, x, y, before, after, used_gradients, step)
    inspected = []
    for layer, trace, phase in zip(layers, traces, phases, strict=True):
        w, b = layer.weight_name, layer.bias_name
        weight_update = bias_update = None
        if after is not None and used_gradients is not None:
            weight_update = update_parts(w, training, before, after, used_gradients[w])
            if layer.bias:
                bias_update = update_parts(b, training, before, after, used_gradients[b])
        inspected.append(
            LayerInspection(
                layer=layer,
                weights=parameters[w],
                biases=parameters[b] if layer.bias else None,
                weight_gradients=checks[w],
                bias_gradients=checks[b] if layer.bias else None,
                forward=trace,
                backward=phase,
                formulas=layer_formulas(layer, len(layers), training.loss, training.optimizer),
                diagnostics=diagnose_layer(
                    layer,
                    trace.pre_activation,
                    parameters[w],
                    checks[w].manual,
                    checks[b].manual if layer.bias else None,
                    None if weight_update is None else weight_update.applied,
                ),
                weights_after=None if after is None else after.parameters[w],
                biases_after=None if after is None or not layer.bias else after.parameters[b],
                weight_update=weight_update,
                bias_update=bias_update,
                **_penalty_part(training, w, parameters[w]),
            )
        )
    return StepInspection(
        stepped=after is not None,
        epoch=epoch,
        step=step,
        backend=trainer.backend.name,
        optimizer=training.optimizer,
        learning_rate=training.learning_rate,
        loss_name=training.loss,
        loss_units=loss_units(training.loss, trainer.experiment.data.standardize),
        loss_formula=loss_function.formula,
        loss_gradient_formula=loss_gradient_formula(training.loss),
        update_formula=OPTIMIZERS[training.optimizer],
        loss=check.loss if loss is None else loss,
        batch_rows=rows,
        x=x,
        y=y,
        layers=tuple(inspected),
        gradient_check=check,
        diverged_message=trainer.diverged_message,
        loss_after=None if overshoot is None else overshoot.loss_after,
        previous_step_loss=trainer.last_step_loss,
        overshoot=overshoot,
    )


def _overshoot(
    layers: list[DenseLayer],
    loss_function,
    x: np.ndarray,
    y: np.ndarray,
    before: TrainingState,
    after: TrainingState | None,
    used_gradients: dict[str, np.ndarray] | None,
    step: int,
) -> Overshoot | None:
    """For a step made: the batch's loss after it, and whether it overshot (see diagnostics)."""
    if after is None or used_gradients is None:
        return None
    start = {name: value.astype(np.float64) for name, value in before.parameters.items()}
    end = {name: value.astype(np.float64) for name, value in after.parameters.items()}

    def loss_at(parameters: dict[str, np.ndarray]) -> float:
        return float(loss_function.value(forward(layers, parameters, x)[-1].outputs, y))

    with np.errstate(all="ignore"):  # in float64, whatever the training's dtype: rounding is not a rise
        loss_before, loss_after = loss_at(start), loss_at(end)
    gradients = {name: np.asarray(value, dtype=np.float64) for name, value in used_gradients.items()}
    return step_overshoot(loss_at, start, end, gradients, loss_before, loss_after, seed=step)
