"""Backprop walked through for one data point: its forward pass, its loss term, its backward pass, its share
of the batch's gradient, and the update the next step makes.

    forward      z = a_prev W + b,  a = g(z)                    (this point alone, layer by layer)
    loss         its term of the batch's loss: (1/N)(y − ŷ)² for mse, (y − ŷ)² for sse, ...
    backward     dL/da, dL/dz = dL/da · g'(z), dL/dW = a_prevᵀ · dL/dz, dL/db = dL/dz (this point's share)
    accumulate   the batch's gradient is the sum of its points' shares: the sum so far, and the whole
    update       what the optimiser does with the batch's gradient (w ← w − lr·g, momentum, Adam)

Every number comes from the numpy backend's own `forward` and `backward` (one copy of backprop) and its
optimiser functions (replayed as the step inspector replays them), in float64. A point's share of an
averaged loss (mse, bce, cross-entropy over N points) is its own loss divided by N, so the shares of the
batch's points add up to the batch's gradient. The same share computed by torch autograd sits beside it,
when torch is installed. `walk_point(trainer, row)` only reads the trainer: the step itself is the
session's to make.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState, create_backend, torch_available
from nnstudio.core.engine.backends.numpy_backend import (
    ACTIVATION_FUNCTIONS,
    LayerGradients,
    LayerTrace,
    backward,
    forward,
    parameter_gradients,
)
from nnstudio.core.engine.experiment import OPTIMIZERS
from nnstudio.core.engine.gradcheck import relative_difference
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import DenseLayer
from nnstudio.core.teaching.inspector import replay_update

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer

# The stages, in the order the walkthrough shows them; forward and backward have one stop per layer.
FORWARD, LOSS, BACKWARD, ACCUMULATE, UPDATE = "forward", "loss", "backward", "accumulate", "update"
FULL_DETAIL_UNITS, FULL_DETAIL_HIDDEN_LAYERS = 8, 3  # beyond either, the diagram shows one unit's neighbourhood


@dataclass(frozen=True)
class Stop:
    """One stop of the walkthrough: a stage, and for forward and backward the layer it is at (1-based)."""

    stage: str
    layer: int | None = None


def stops(n_layers: int) -> tuple[Stop, ...]:
    """forward 1 … n, loss, backward n … 1, accumulate, update."""
    return (
        *(Stop(FORWARD, k) for k in range(1, n_layers + 1)),
        Stop(LOSS),
        *(Stop(BACKWARD, k) for k in range(n_layers, 0, -1)),
        Stop(ACCUMULATE),
        Stop(UPDATE),
    )


def full_detail(layers: list[DenseLayer]) -> bool:
    """Small enough to show every unit's numbers: ≤ 3 hidden layers, ≤ 8 units in every layer."""
    widths = [layers[0].n_in, *(layer.n_out for layer in layers)]
    return len(layers) - 1 <= FULL_DETAIL_HIDDEN_LAYERS and max(widths) <= FULL_DETAIL_UNITS


@dataclass(frozen=True, eq=False)
class ParameterUpdate:
    """How the optimiser moves one parameter tensor with the batch's gradient."""

    name: str  # W1, b1, ...
    before: np.ndarray
    gradient: np.ndarray  # the batch's gradient
    change: np.ndarray  # Δ, as the optimiser's update function computes it
    after: np.ndarray  # before + Δ: what one step will leave
    parts: dict[str, np.ndarray]  # gradient; velocity (momentum); m, v, m_hat, v_hat (adam)
    constants: dict[str, float]  # lr; μ; β₁, β₂, ε, t


@dataclass(frozen=True, eq=False)
class LayerWalk:
    """One layer, for one point: forward values, the chain rule's values, its share and the batch's sums."""

    layer: DenseLayer
    weights: np.ndarray  # W (n_in, n_out)
    biases: np.ndarray | None  # b (n_out,)
    inputs: np.ndarray  # a_prev (n_in,): x for the first layer
    pre_activation: np.ndarray  # z (n_out,)
    outputs: np.ndarray  # a = g(z) (n_out,): ŷ for the last layer
    output_gradient: np.ndarray  # dL/da (n_out,)
    activation_derivative: np.ndarray  # g'(z) (n_out,)
    pre_activation_gradient: np.ndarray  # dL/dz = dL/da · g'(z)
    weight_gradient: np.ndarray  # this point's dL/dW = a_prevᵀ · dL/dz (n_in, n_out)
    bias_gradient: np.ndarray | None  # this point's dL/db = dL/dz
    weight_gradient_so_far: np.ndarray  # the sum over the batch's points up to this one (included)
    bias_gradient_so_far: np.ndarray | None
    batch_weight_gradient: np.ndarray  # the sum over the whole batch: the gradient the step uses
    batch_bias_gradient: np.ndarray | None
    weight_update: ParameterUpdate
    bias_update: ParameterUpdate | None


@dataclass(frozen=True, eq=False)
class PointWalk:
    """One training point's way through the network and back, at the weights of one moment."""

    row: int  # the point's row in the training set
    x: np.ndarray  # (n_in,), model units
    y: np.ndarray  # (n_out,) targets (a class number for classification)
    x_raw: np.ndarray  # in the data's own units, as the plots show it
    y_raw: np.ndarray
    prediction: np.ndarray  # ŷ (n_out,)
    loss_name: str
    averaged: bool  # the loss is a mean over the batch's N points: a point's term is its loss / N
    loss_term: float  # this point's term of the batch's loss
    loss_gradient: np.ndarray  # dL/dŷ of this point's term
    batch_rows: np.ndarray  # the rows of the next step's batch, in the order it sums them
    position: int | None  # where the point is in the batch (None: it is not in the next mini-batch)
    batch_loss: float  # the batch's loss at these weights
    layers: tuple[LayerWalk, ...]
    optimizer: str
    learning_rate: float
    update_formula: str
    step: int  # the trainer's optimiser steps before the step this walkthrough predicts
    epoch: int
    autograd_point: dict[str, np.ndarray] | None  # this point's share by torch autograd (None: no torch)
    autograd_batch: dict[str, np.ndarray] | None  # the batch's gradient by torch autograd
    autograd_missing: str  # why there is no autograd gradient ("" when there is)

    @property
    def batch_size(self) -> int:
        return len(self.batch_rows)

    @property
    def full_detail(self) -> bool:
        """Every unit's numbers on the diagram (a small network), or the unit in focus's neighbourhood."""
        return full_detail([walk.layer for walk in self.layers])

    @property
    def points_so_far(self) -> int:
        """How many of the batch's points have added their share once this one has (0: not in the batch)."""
        return 0 if self.position is None else self.position + 1

    def point_gradients(self) -> dict[str, np.ndarray]:
        """This point's share of dL/dW1, dL/db1, ... by hand (the backend's backward)."""
        return _named(self.layers, "weight_gradient", "bias_gradient")

    def gradients_so_far(self) -> dict[str, np.ndarray]:
        return _named(self.layers, "weight_gradient_so_far", "bias_gradient_so_far")

    def batch_gradients(self) -> dict[str, np.ndarray]:
        return _named(self.layers, "batch_weight_gradient", "batch_bias_gradient")

    def parameters_after(self) -> dict[str, np.ndarray]:
        """The weights one step from now: before + Δ, Δ from the optimiser's rule."""
        return {update.name: update.after for update in self.updates()}

    def updates(self) -> list[ParameterUpdate]:
        return [u for layer in self.layers for u in (layer.weight_update, layer.bias_update) if u is not None]

    def autograd_difference(self) -> float | None:
        """The largest relative difference between this point's share by hand and by autograd (None: no torch)."""
        if self.autograd_point is None:
            return None
        mine = self.point_gradients()
        return max(relative_difference(mine[name], self.autograd_point[name]) for name in mine)

    def focus_unit(self, layer: int) -> int:
        """The unit of layer `layer` (1-based; 0 is the input) whose dL/dz is largest: where this point pushes most."""
        if layer == 0:
            return int(np.argmax(np.abs(self.x)))
        gradient = np.nan_to_num(np.abs(self.layers[layer - 1].pre_activation_gradient))
        return int(np.argmax(gradient))


def _named(layers: tuple[LayerWalk, ...], weight: str, bias: str) -> dict[str, np.ndarray]:
    named = {}
    for walk in layers:
        named[walk.layer.weight_name] = getattr(walk, weight)
        if walk.layer.bias:
            named[walk.layer.bias_name] = getattr(walk, bias)
    return named


# --- the computation ---------------------------------------------------------------------------------


def point_loss(loss_name: str, prediction: np.ndarray, y: np.ndarray, batch_points: int) -> tuple[float, np.ndarray]:
    """A point's term of an N-point batch's loss, and its dL/dŷ: the loss's own functions on the point
    alone, divided by N for a loss averaged over the points."""
    loss = LOSSES[loss_name]
    share = 1.0 / batch_points if loss.averaged else 1.0
    return loss.value(prediction, y) * share, loss.gradient(prediction, y) * share


def next_batch(trainer: Trainer) -> np.ndarray:
    """The rows the next step trains on, in the order its sum takes them."""
    rows = trainer.next_batch_rows()
    return np.arange(trainer.dataset.n_train) if rows is None else rows


def walk_point(trainer: Trainer, row: int) -> PointWalk:
    """The walkthrough of training point `row` at the trainer's weights, for its next step. Reads only."""
    data, training, layers = trainer.dataset, trainer.training, list(trainer.layers)
    if not 0 <= row < data.n_train:
        raise IndexError(f"no training point {row}: the training set has {data.n_train}")
    state = trainer.backend.state()
    parameters = {name: np.asarray(value, dtype=np.float64) for name, value in state.parameters.items()}
    rows = next_batch(trainer)
    where = np.flatnonzero(rows == row)
    position = int(where[0]) if where.size else None  # None: the point waits for a later mini-batch
    x_batch, y_batch = data.x_train[rows].astype(np.float64), data.y_train[rows].astype(np.float64)
    x, y = data.x_train[row : row + 1].astype(np.float64), data.y_train[row : row + 1].astype(np.float64)
    loss = LOSSES[training.loss]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is shown, not warned
        traces = forward(layers, parameters, x)  # this point alone, through the backend's own forward
        term, loss_gradient = point_loss(training.loss, traces[-1].outputs, y, len(rows))
        phases = backward(layers, parameters, traces, loss_gradient)
        # The batch's gradient: the backend's backward on the batch sums the points' shares (dL/dW = xᵀ·dL/dz).
        batch_traces = forward(layers, parameters, x_batch)
        batch_loss_gradient = loss.gradient(batch_traces[-1].outputs, y_batch)
        batch_phases = backward(layers, parameters, batch_traces, batch_loss_gradient)
        counted = 0 if position is None else position + 1
        so_far_phases = backward(
            layers, parameters, forward(layers, parameters, x_batch[:counted]), batch_loss_gradient[:counted]
        )
        batch_loss = float(loss.value(batch_traces[-1].outputs, y_batch))
    batch_gradients = parameter_gradients(layers, batch_phases)
    updates = _updates(trainer, state, batch_gradients)
    walks = tuple(
        _layer_walk(layer, parameters, trace, phase, so_far, whole, updates)
        for layer, trace, phase, so_far, whole in zip(layers, traces, phases, so_far_phases, batch_phases, strict=True)
    )
    autograd_point, autograd_batch, missing = _autograd(trainer, parameters, x, y, x_batch, y_batch, len(rows))
    return PointWalk(
        row=row,
        x=x[0],
        y=y[0],
        x_raw=np.asarray(data.x_train_raw[row], dtype=np.float64),
        y_raw=np.asarray(data.y_train_raw[row], dtype=np.float64),
        prediction=traces[-1].outputs[0],
        loss_name=training.loss,
        averaged=loss.averaged,
        loss_term=float(term),
        loss_gradient=loss_gradient[0],
        batch_rows=rows,
        position=position,
        batch_loss=batch_loss,
        layers=walks,
        optimizer=training.optimizer,
        learning_rate=training.learning_rate,
        update_formula=OPTIMIZERS[training.optimizer],
        step=trainer.step_count,
        epoch=trainer.epoch,
        autograd_point=autograd_point,
        autograd_batch=autograd_batch,
        autograd_missing=missing,
    )


def worst_point(trainer: Trainer) -> int:
    """The row of the next batch's point with the largest loss term (the one the fit misses most)."""
    data, training = trainer.dataset, trainer.training
    rows = next_batch(trainer)
    parameters = trainer.backend.parameters()
    value = LOSSES[training.loss].value
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        prediction = forward(list(trainer.layers), parameters, data.x_train[rows].astype(np.float64))[-1].outputs
        terms = [value(prediction[i : i + 1], data.y_train[row : row + 1]) for i, row in enumerate(rows)]
    return int(rows[int(np.argmax(np.nan_to_num(np.asarray(terms), nan=np.inf)))])


def _layer_walk(
    layer: DenseLayer,
    parameters: dict[str, np.ndarray],
    trace: LayerTrace,
    phase: LayerGradients,
    so_far: LayerGradients,
    whole: LayerGradients,
    updates: dict[str, ParameterUpdate],
) -> LayerWalk:
    _, derivative = ACTIVATION_FUNCTIONS[layer.activation]
    with np.errstate(over="ignore", invalid="ignore"):
        slope = np.broadcast_to(derivative(trace.pre_activation, trace.outputs), trace.outputs.shape)
    return LayerWalk(
        layer=layer,
        weights=parameters[layer.weight_name],
        biases=parameters[layer.bias_name] if layer.bias else None,
        inputs=trace.inputs[0],
        pre_activation=trace.pre_activation[0],
        outputs=trace.outputs[0],
        output_gradient=phase.output_gradient[0],
        activation_derivative=np.asarray(slope[0], dtype=np.float64),
        pre_activation_gradient=phase.pre_activation_gradient[0],
        weight_gradient=phase.weight_gradient,
        bias_gradient=phase.bias_gradient,
        weight_gradient_so_far=so_far.weight_gradient,
        bias_gradient_so_far=so_far.bias_gradient,
        batch_weight_gradient=whole.weight_gradient,
        batch_bias_gradient=whole.bias_gradient,
        weight_update=updates[layer.weight_name],
        bias_update=updates.get(layer.bias_name),
    )


def _updates(trainer: Trainer, state: TrainingState, gradients: dict[str, np.ndarray]) -> dict[str, ParameterUpdate]:
    """Each parameter's update by the optimiser's own function, replayed from the state before the step."""
    updates = {}
    for name, gradient in gradients.items():
        change, parts, constants = replay_update(name, trainer.training, state, gradient)
        before = np.asarray(state.parameters[name], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            after = (before.astype(trainer.training.dtype) + change.astype(trainer.training.dtype)).astype(np.float64)
        updates[name] = ParameterUpdate(name, before, gradient, change, after, parts, constants)
    return updates


def _autograd(
    trainer: Trainer,
    parameters: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    x_batch: np.ndarray,
    y_batch: np.ndarray,
    batch_points: int,
) -> tuple[dict | None, dict | None, str]:
    """This point's share and the batch's gradient by torch autograd, in float64 (None and why, without torch)."""
    usable, why_not = torch_available()
    if not usable:
        return None, None, why_not
    training = replace(trainer.training, dtype="float64", device="cpu")
    torch_backend = create_backend("torch", list(trainer.layers), training, TrainingState(parameters))
    share = 1.0 / batch_points if LOSSES[training.loss].averaged else 1.0
    point = {name: value * share for name, value in torch_backend.gradients(x, y).items()}
    return point, torch_backend.gradients(x_batch, y_batch), ""
