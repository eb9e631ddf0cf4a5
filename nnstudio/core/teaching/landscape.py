"""The loss landscape: the loss as a surface over the weights, and the optimiser's road on it.

For the tutorial's line ŷ = w·x + b there are only two parameters, so the whole landscape
L(w, b) fits in one heat map, and its lowest point is the least-squares line. A bigger network
has too many weights to draw; we draw a 2-D slice through the current weights θ₀ instead,

    L(α, β) = loss(θ₀ + α·d₁ + β·d₂)

along two chosen weights (d = one weight's unit vector) or two random directions, rescaled
unit by unit to the size of the network's own weights (Li et al. 2018, "Visualizing the Loss
Landscape of Neural Nets"), and project the recorded weights onto the slice to draw the path.
Everything is evaluated with numpy_backend.forward, in float64, on the training set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.history import StateHistory
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import DenseLayer, entry_name
from nnstudio.core.errors import NNStudioError

Parameters = dict[str, np.ndarray]
GRID_CHUNK_ELEMENTS = 4_000_000  # predictions held at once while filling a grid (~32 MB of float64)


# --- the loss of many models at once -------------------------------------------------------------


def losses_per_column(loss_name: str, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss of each column of `predictions` (n, K), each a separate model's ŷ for y (n, 1).

    Both losses in losses.LOSSES sum (y − ŷ)²; mse then divides by the number of outputs N.
    """
    if loss_name not in ("sse", "mse"):
        raise NNStudioError(f"the loss landscape does not know the loss {loss_name!r} yet")
    squared = np.sum((y - predictions) ** 2, axis=0)  # Σᵢ (yᵢ − ŷᵢ)², one per column
    return squared / len(y) if LOSSES[loss_name].averaged else squared


# --- (a) the two-parameter line: the whole landscape --------------------------------------------


def require_line(layers: list[DenseLayer]) -> DenseLayer:
    """The one layer of a two-parameter model ŷ = g(x·w + b), or a clear error."""
    if len(layers) != 1 or layers[0].n_in != 1 or layers[0].n_out != 1 or not layers[0].bias:
        raise NNStudioError(
            "the (w, b) landscape needs a model with exactly two parameters: one input, "
            "no hidden layer, one output with a bias. For bigger models, draw a slice instead."
        )
    return layers[0]


def least_squares_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The (w, b) minimising Σ (y − w·x − b)²: the bottom of a linear model's landscape."""
    design = np.column_stack([np.ravel(x), np.ones(np.size(x))])  # rows (xᵢ, 1)
    (w, b), *_ = np.linalg.lstsq(design, np.ravel(y), rcond=None)
    return float(w), float(b)


def line_losses(
    layer: DenseLayer, loss_name: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """The loss at every (w[k], b[k]) pair at once: each pair becomes one unit of a wide layer.

    A layer with K units computes z = x W + b with W of shape (1, K): K lines in one forward
    pass, one per column. Done in chunks, so memory stays bounded on big data sets.
    """
    w, b = np.ravel(w).astype(np.float64), np.ravel(b).astype(np.float64)
    x, y = np.asarray(x, dtype=np.float64).reshape(-1, 1), np.asarray(y, dtype=np.float64).reshape(-1, 1)
    chunk = max(1, GRID_CHUNK_ELEMENTS // max(len(x), 1))
    losses = np.empty(len(w))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(w), chunk):
            stop = min(start + chunk, len(w))
            wide = DenseLayer(1, 1, stop - start, layer.activation, True)
            parameters = {"W1": w[start:stop].reshape(1, -1), "b1": b[start:stop]}
            predictions = forward([wide], parameters, x)[0].outputs  # (n, K): one line per column
            losses[start:stop] = losses_per_column(loss_name, predictions, y)
    return losses


def default_line_ranges(
    layer: DenseLayer, x: np.ndarray, y: np.ndarray, points: Sequence[tuple[float, float]] = ()
) -> tuple[tuple[float, float], tuple[float, float]]:
    """w and b ranges around the least-squares line (for a linear model) and the given points.

    The box reaches half its size (at least 0.5) beyond the extreme points on each side.
    """
    anchors = [tuple(map(float, p)) for p in points]
    if layer.activation == "identity":
        anchors.append(least_squares_line(x, y))
    corners = np.array([a for a in anchors if np.all(np.isfinite(a))] or [(0.0, 0.0)])  # a diverged run is left out
    low, high = corners.min(axis=0), corners.max(axis=0)
    margin = np.maximum(0.5 * (high - low), 0.5)
    (w_low, b_low), (w_high, b_high) = low - margin, high + margin
    return (float(w_low), float(w_high)), (float(b_low), float(b_high))


def line_loss_grid(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    w_range: tuple[float, float] | None = None,
    b_range: tuple[float, float] | None = None,
    resolution: int = 101,
    include: Sequence[tuple[float, float]] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, B, L) over a resolution × resolution grid of (w, b); rows follow b, columns follow w.

    Missing ranges default to a box around the least-squares line and the `include` points
    (the current weights, the path so far).
    """
    layer = require_line(layers)
    if resolution < 2:
        raise NNStudioError(f"the landscape needs a resolution of at least 2, got {resolution}")
    default_w, default_b = default_line_ranges(layer, x, y, include)
    w_values = np.linspace(*(w_range or default_w), resolution)
    b_values = np.linspace(*(b_range or default_b), resolution)
    W, B = np.meshgrid(w_values, b_values)  # W[i, j] = w_values[j], B[i, j] = b_values[i]
    L = line_losses(layer, loss_name, x, y, W, B).reshape(W.shape)
    return W, B, L


def line_point(parameters: Parameters, layer: DenseLayer | None = None) -> tuple[float, float]:
    """(w, b) of a two-parameter model."""
    name_w, name_b = (layer.weight_name, layer.bias_name) if layer else ("W1", "b1")
    return float(parameters[name_w].ravel()[0]), float(parameters[name_b].ravel()[0])


def line_path(history: StateHistory) -> np.ndarray:
    """The recorded (w, b) of a two-parameter run, one row per recorded epoch: the optimiser's road."""
    _, states = recorded_states(history)
    return np.array([line_point(state.parameters) for state in states]).reshape(-1, 2)


def recorded_states(history: StateHistory) -> tuple[list[int], list[TrainingState]]:
    """Every recorded (epoch, state) of a run, oldest first."""
    epochs = history.epochs
    return epochs, [history.at_or_before(epoch)[1] for epoch in epochs]


# --- (b) bigger models: a slice through the current weights --------------------------------------


@dataclass(frozen=True, eq=False)
class LossSlice:
    """L(α, β) = loss(centre + α·d₁ + β·d₂) on a grid; losses[i, j] is at (alphas[j], betas[i])."""

    centre: Parameters
    directions: tuple[Parameters, Parameters]
    alphas: np.ndarray  # (resolution,), contains 0 exactly: the centre is a grid point
    betas: np.ndarray
    losses: np.ndarray  # (len(betas), len(alphas))
    labels: tuple[str, str]  # e.g. ("W1[1,4]", "b2[1]") (model.entry_name) or ("direction 1", "direction 2")

    def centre_loss(self) -> float:
        return float(self.losses[len(self.betas) // 2, len(self.alphas) // 2])


def weight_direction(parameters: Parameters, name: str, index: tuple[int, ...] | int) -> Parameters:
    """The unit vector along one weight: moving α along it changes parameters[name][index] by α."""
    if name not in parameters:
        raise NNStudioError(f"there is no parameter {name}: choose one of {', '.join(parameters)}")
    direction = {key: np.zeros_like(value, dtype=np.float64) for key, value in parameters.items()}
    try:
        direction[name][index] = 1.0
    except (IndexError, ValueError, TypeError):
        raise NNStudioError(f"{name} has shape {parameters[name].shape}: {index!r} is not one of its entries") from None
    return direction


def filter_normalised_direction(
    layers: list[DenseLayer], parameters: Parameters, rng: np.random.Generator
) -> Parameters:
    """A random Gaussian direction, rescaled unit by unit to the size of that unit's weights.

    Unit j of layer k has the weights W_k[:, j] and the bias b_k[j] (its "filter", Li et al.
    2018); its part of the direction is rescaled to have their norm: d_j ← d_j · ‖θ_j‖ / ‖d_j‖.
    Then a step of α = 1 changes every unit by about its own size, whatever the layer's scale.
    """
    direction: Parameters = {}
    for layer in layers:
        weights = parameters[layer.weight_name]
        d_weights = rng.standard_normal(weights.shape)
        # each unit's incoming weights, and its bias when it has one, as one column
        unit_size = np.sum(weights**2, axis=0)
        unit_direction = np.sum(d_weights**2, axis=0)
        if layer.bias:
            biases = parameters[layer.bias_name]
            d_biases = rng.standard_normal(biases.shape)
            unit_size, unit_direction = unit_size + biases**2, unit_direction + d_biases**2
        scale = np.sqrt(unit_size) / np.where(unit_direction > 0, np.sqrt(unit_direction), 1.0)
        direction[layer.weight_name] = d_weights * scale  # scale (n_out,) broadcasts over each column
        if layer.bias:
            direction[layer.bias_name] = d_biases * scale
    return direction


def random_directions(layers: list[DenseLayer], parameters: Parameters, seed: int = 0) -> tuple[Parameters, Parameters]:
    """Two filter-normalised random directions, drawn from one seeded generator."""
    rng = np.random.default_rng(seed)
    return filter_normalised_direction(layers, parameters, rng), filter_normalised_direction(layers, parameters, rng)


def symmetric_axis(span: float, resolution: int) -> np.ndarray:
    """resolution points from −span to +span with 0 exactly in the middle (an even count gets one more)."""
    half = max(1, resolution // 2)
    return span * (np.arange(-half, half + 1) / half)


def loss_slice(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    centre: Parameters,
    directions: tuple[Parameters, Parameters],
    spans: tuple[float, float] = (1.0, 1.0),
    resolution: int = 41,
    labels: tuple[str, str] = ("direction 1", "direction 2"),
) -> LossSlice:
    """The loss over centre + α·d₁ + β·d₂ for α ∈ [−span₁, span₁], β ∈ [−span₂, span₂]."""
    names = list(centre)
    theta0 = flatten(centre, names)
    d1, d2 = flatten(directions[0], names), flatten(directions[1], names)
    alphas, betas = symmetric_axis(spans[0], resolution), symmetric_axis(spans[1], resolution)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    loss = LOSSES[loss_name].value
    losses = np.empty((len(betas), len(alphas)))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, beta in enumerate(betas):  # one forward pass per grid point: a few thousand, off the GUI thread
            for j, alpha in enumerate(alphas):
                theta = theta0 + alpha * d1 + beta * d2  # at α = β = 0 this is θ₀ exactly
                losses[i, j] = loss(forward(layers, unflatten(theta, centre), x)[-1].outputs, y)
    copy = {name: np.asarray(value, dtype=np.float64).copy() for name, value in centre.items()}
    return LossSlice(copy, directions, alphas, betas, losses, labels)


def slice_along_weights(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    centre: Parameters,
    first: tuple[str, tuple[int, ...] | int],
    second: tuple[str, tuple[int, ...] | int],
    resolution: int = 41,
) -> LossSlice:
    """The loss as two chosen weights change around their values in `centre`; the others stay put.

    Both axes span ±max(1, 2·|weight|) of the larger weight, so each weight's sign change is in
    view and the two axes share one scale (a round bowl looks round).
    """
    directions = (weight_direction(centre, *first), weight_direction(centre, *second))
    span = max(1.0, *(2.0 * abs(float(centre[name][index])) for name, index in (first, second)))
    labels = tuple(entry_name(name, np.atleast_1d(index)) for name, index in (first, second))
    return loss_slice(layers, loss_name, x, y, centre, directions, (span, span), resolution, labels)


def slice_along_random_directions(
    layers: list[DenseLayer],
    loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    centre: Parameters,
    seed: int = 0,
    span: float = 1.0,
    resolution: int = 41,
) -> LossSlice:
    """The loss around `centre` along two filter-normalised random directions, α and β in [−span, span]."""
    directions = random_directions(layers, centre, seed)
    labels = ("α · direction 1", "β · direction 2")
    return loss_slice(layers, loss_name, x, y, centre, directions, (span, span), resolution, labels)


def project_path(
    states: Sequence[TrainingState | Parameters], centre: Parameters, directions: tuple[Parameters, Parameters]
) -> np.ndarray:
    """(α, β) of each recorded state: the least-squares solution of θ − θ₀ ≈ α·d₁ + β·d₂.

    Along chosen weights this is exactly how far each of the two weights is from its centre
    value; along random directions it is the closest point of the slice (the road itself
    mostly runs outside the plane).
    """
    names = list(centre)
    theta0 = flatten(centre, names)
    basis = np.column_stack([flatten(directions[0], names), flatten(directions[1], names)])
    if not len(states):
        return np.zeros((0, 2))
    offsets = np.column_stack(
        [flatten(s.parameters if isinstance(s, TrainingState) else s, names) - theta0 for s in states]
    )
    coordinates, *_ = np.linalg.lstsq(basis, offsets, rcond=None)
    return coordinates.T


# --- helpers ------------------------------------------------------------------------------------


def flatten(parameters: Parameters, names: list[str]) -> np.ndarray:
    """All the parameters as one float64 vector θ, in the order of `names`."""
    return np.concatenate([np.asarray(parameters[name], dtype=np.float64).ravel() for name in names])


def unflatten(theta: np.ndarray, like: Parameters) -> Parameters:
    """The vector θ cut back into named arrays shaped as in `like` (views, no copies)."""
    named, start = {}, 0
    for name, value in like.items():
        size = np.size(value)
        named[name] = theta[start : start + size].reshape(np.shape(value))
        start += size
    return named
