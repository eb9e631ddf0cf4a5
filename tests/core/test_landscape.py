"""The loss landscape: the line's (w, b) surface and its minimum, slices of bigger nets, the path."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.backends.numpy_backend import forward
from nnstudio.core.engine.experiment import LayerSpec
from nnstudio.core.engine.losses import LOSSES, REGRESSION_LOSSES
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching import landscape
from nnstudio.core.teaching.landscape import (
    default_line_ranges,
    least_squares_line,
    line_loss_grid,
    line_losses,
    line_path,
    line_point,
    loss_slice,
    losses_per_column,
    project_path,
    random_directions,
    recorded_states,
    slice_along_random_directions,
    slice_along_weights,
    symmetric_axis,
    weight_direction,
)


def trained(name: str, epochs: int, **training) -> Trainer:
    trainer = Trainer(PRESETS[name].with_training(**training))
    for _ in trainer.run(until_epoch=epochs, snapshot_interval=1e9):
        pass
    return trainer


def loss_grid(trainer: Trainer, w_range=None, b_range=None, resolution: int = 101):
    """The (w, b) landscape of a trainer's line on its training set, around its weights and road (as the app asks)."""
    data = trainer.dataset
    include = [line_point(trainer.backend.parameters()), *map(tuple, line_path(trainer.state_history))]
    return line_loss_grid(
        trainer.layers, trainer.training.loss, data.x_train, data.y_train, w_range, b_range, resolution, include
    )


def random_slice(trainer: Trainer, seed: int = 0, span: float = 1.0, resolution: int = 41):
    data = trainer.dataset
    centre = trainer.backend.parameters()
    return slice_along_random_directions(
        trainer.layers, trainer.training.loss, data.x_train, data.y_train, centre, seed, span, resolution
    )


def weights_slice(trainer: Trainer, first, second, resolution: int = 41):
    data = trainer.dataset
    centre = trainer.backend.parameters()
    return slice_along_weights(
        trainer.layers, trainer.training.loss, data.x_train, data.y_train, centre, first, second, resolution
    )


def loss_at(trainer: Trainer, parameters: dict[str, np.ndarray]) -> float:
    """The trainer's own loss on its training set with these weights loaded (then put back)."""
    saved = trainer.backend.state()
    trainer.backend.load_state(type(saved)(parameters))
    try:
        return trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train)
    finally:
        trainer.backend.load_state(saved)


# --- (a) the tutorial's line --------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["linear", "line-manual", "sine-linear"])
def test_the_landscapes_minimum_is_the_least_squares_line(preset):
    trainer = Trainer(PRESETS[preset])
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    design = np.column_stack([x[:, 0], np.ones(len(x))])
    (w, b), *_ = np.linalg.lstsq(design, y[:, 0], rcond=None)
    assert least_squares_line(x, y) == pytest.approx((w, b), rel=1e-12, abs=1e-14)

    W, B, L = loss_grid(trainer, resolution=81)
    assert W.shape == B.shape == L.shape == (81, 81)
    row, column = np.unravel_index(np.argmin(L), L.shape)
    w_step, b_step = W[0, 1] - W[0, 0], B[1, 0] - B[0, 0]
    assert abs(W[row, column] - w) <= w_step / 2 + 1e-12  # the nearest grid point to the solution
    assert abs(B[row, column] - b) <= b_step / 2 + 1e-12
    layer = trainer.layers[0]
    at_solution = line_losses(layer, trainer.training.loss, x, y, np.array([w]), np.array([b]))[0]
    assert at_solution <= L.min()
    exact = {"W1": np.array([[w]]), "b1": np.array([b])}
    assert at_solution == pytest.approx(loss_at(trainer, exact), rel=1e-12)


def test_grid_values_are_the_trainers_loss_at_those_weights():
    trainer = trained("linear", 5)
    W, B, L = loss_grid(trainer, w_range=(-2.0, 3.0), b_range=(-1.5, 1.0), resolution=21)
    assert W[0, 0] == -2.0 and W[0, -1] == 3.0 and B[0, 0] == -1.5 and B[-1, 0] == 1.0
    assert np.all(W[:, 4] == W[0, 4]) and np.all(B[7, :] == B[7, 0])  # rows follow b, columns follow w
    for row, column in [(0, 0), (3, 17), (10, 10), (20, 20), (14, 2)]:
        parameters = {"W1": np.array([[W[row, column]]]), "b1": np.array([B[row, column]])}
        assert L[row, column] == pytest.approx(loss_at(trainer, parameters), rel=1e-12)


def test_a_squashed_line_has_a_landscape_around_its_current_weights():
    trainer = Trainer(PRESETS["linear"].with_model(output_activation="tanh").with_training(loss="mse"))
    current = line_point(trainer.backend.parameters())
    W, B, L = loss_grid(trainer, resolution=31)
    assert W.min() < current[0] < W.max() and B.min() < current[1] < B.max()
    parameters = {"W1": np.array([[W[5, 9]]]), "b1": np.array([B[5, 9]])}
    assert L[5, 9] == pytest.approx(loss_at(trainer, parameters), rel=1e-12)


def test_default_ranges_cover_the_solution_the_weights_and_the_path():
    trainer = trained("line-manual", 40)
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    solution = least_squares_line(x, y)
    path = line_path(trainer.state_history)
    (w_low, w_high), (b_low, b_high) = default_line_ranges(trainer.layers[0], x, y, [tuple(p) for p in path])
    for w, b in [solution, *path]:
        assert w_low < w < w_high and b_low < b < b_high
    W, B, _ = loss_grid(trainer, resolution=11)
    assert (W.min(), W.max(), B.min(), B.max()) == (w_low, w_high, b_low, b_high)


def test_the_path_is_the_recorded_weights():
    trainer = trained("linear", 30, optimizer="momentum", learning_rate=1e-3)
    path = line_path(trainer.state_history)
    epochs, states = recorded_states(trainer.state_history)
    assert epochs == list(range(31)) and path.shape == (31, 2)
    for (w, b), state in zip(path, states, strict=True):
        assert (w, b) == (state.parameters["W1"][0, 0], state.parameters["b1"][0])
    assert tuple(path[-1]) == line_point(trainer.backend.parameters())


def test_the_grid_is_filled_without_a_loop_per_point(monkeypatch):
    trainer = Trainer(PRESETS["linear"])
    calls = []

    def counting_forward(layers, parameters, x):
        calls.append(layers[0].n_out)
        return forward(layers, parameters, x)

    monkeypatch.setattr(landscape, "forward", counting_forward)
    _, _, whole = loss_grid(trainer, resolution=101)
    assert calls == [101 * 101]  # one forward pass: every (w, b) is a unit of one wide layer
    calls.clear()
    monkeypatch.setattr(landscape, "GRID_CHUNK_ELEMENTS", 50 * 1000)  # 50 points: 1000 lines a chunk
    _, _, chunked = loss_grid(trainer, resolution=101)
    assert len(calls) == 11 and sum(calls) == 101 * 101
    np.testing.assert_array_equal(chunked, whole)


def test_only_two_parameter_models_have_a_whole_landscape():
    for trainer in (Trainer(PRESETS["sine"]), Trainer(PRESETS["linear"].with_model(output_bias=False))):
        data = trainer.dataset
        with pytest.raises(NNStudioError, match="exactly two parameters"):
            line_loss_grid(trainer.layers, trainer.training.loss, data.x_train, data.y_train)
    with pytest.raises(NNStudioError, match="resolution"):
        line_loss_grid(Trainer(PRESETS["linear"]).layers, "sse", np.zeros((3, 1)), np.zeros((3, 1)), resolution=1)


@pytest.mark.parametrize("loss_name", sorted(REGRESSION_LOSSES))
def test_losses_per_column_are_each_columns_loss(loss_name):
    rng = np.random.default_rng(1)
    y, predictions = rng.normal(size=(30, 1)), rng.normal(size=(30, 5))
    expected = [LOSSES[loss_name].value(predictions[:, [k]], y) for k in range(5)]
    np.testing.assert_allclose(losses_per_column(loss_name, predictions, y), expected, rtol=1e-14)


def test_an_unknown_loss_is_refused():
    with pytest.raises(NNStudioError, match="huber"):
        losses_per_column("huber", np.zeros((2, 2)), np.zeros((2, 1)))


# --- (b) slices of bigger models -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sine_trainer() -> Trainer:
    return trained("sine", 25)


def test_random_slice_is_centred_on_the_trainers_loss_and_weights(sine_trainer):
    trainer = sine_trainer
    piece = random_slice(trainer, seed=3, resolution=21)
    assert piece.losses.shape == (21, 21) and piece.alphas[10] == 0.0 and piece.betas[10] == 0.0
    assert piece.centre_loss() == trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train)
    np.testing.assert_array_equal(project_path([trainer.backend.state()], piece.centre, piece.directions), [[0.0, 0.0]])
    assert piece.labels == ("α · direction 1", "β · direction 2")
    # a grid point away from the centre is the loss of centre + α·d₁ + β·d₂
    alpha, beta = piece.alphas[3], piece.betas[15]
    moved = {
        name: piece.centre[name] + alpha * piece.directions[0][name] + beta * piece.directions[1][name]
        for name in piece.centre
    }
    assert piece.losses[15, 3] == pytest.approx(loss_at(trainer, moved), rel=1e-12)


def test_recorded_path_projects_onto_the_slice_ending_at_its_centre(sine_trainer):
    trainer = sine_trainer
    piece = random_slice(trainer, seed=0, resolution=11)
    epochs, states = recorded_states(trainer.state_history)
    path = project_path(states, piece.centre, piece.directions)
    assert path.shape == (len(epochs), 2) and epochs[-1] == trainer.epoch
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-12)
    assert np.abs(path[0]).max() > 1e-3  # the start is somewhere else
    assert project_path([], piece.centre, piece.directions).shape == (0, 2)


def test_random_directions_are_filter_normalised_and_seeded(sine_trainer):
    trainer = sine_trainer
    parameters = trainer.backend.parameters()
    first, second = random_directions(trainer.layers, parameters, seed=7)
    again, _ = random_directions(trainer.layers, parameters, seed=7)
    other, _ = random_directions(trainer.layers, parameters, seed=8)
    for layer in trainer.layers:
        w, b = layer.weight_name, layer.bias_name
        np.testing.assert_array_equal(first[w], again[w])
        assert not np.allclose(first[w], other[w]) and not np.allclose(first[w], second[w])
        for direction in (first, second):
            # unit j: ‖(d W[:, j], d b[j])‖ = ‖(W[:, j], b[j])‖
            direction_norms = np.sqrt(np.sum(direction[w] ** 2, axis=0) + direction[b] ** 2)
            weight_norms = np.sqrt(np.sum(parameters[w] ** 2, axis=0) + parameters[b] ** 2)
            np.testing.assert_allclose(direction_norms, weight_norms, rtol=1e-12)


def test_slice_along_two_weights_moves_only_those_weights(sine_trainer):
    trainer = sine_trainer
    piece = weights_slice(trainer, ("W1", (0, 3)), ("b2", 0), resolution=9)
    assert piece.labels == ("W1[1,4]", "b2[1]")  # counted from 1, as every view names them
    assert piece.centre_loss() == trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train)
    changed = {name: value.copy() for name, value in piece.centre.items()}
    changed["W1"][0, 3] += piece.alphas[1]
    changed["b2"][0] += piece.betas[6]
    assert piece.losses[6, 1] == pytest.approx(loss_at(trainer, changed), rel=1e-12)
    # projected, a recorded state is exactly how far those two weights are from now
    epochs, states = recorded_states(trainer.state_history)
    path = project_path(states, piece.centre, piece.directions)
    for (alpha, beta), state in zip(path, states, strict=True):
        assert alpha == pytest.approx(state.parameters["W1"][0, 3] - piece.centre["W1"][0, 3], abs=1e-12)
        assert beta == pytest.approx(state.parameters["b2"][0] - piece.centre["b2"][0], abs=1e-12)


def test_both_weights_share_one_span_that_reaches_past_zero(sine_trainer):
    first, second = ("W2", (5, 0)), ("W1", (0, 0))
    piece = weights_slice(sine_trainer, first, second, resolution=5)
    span = max(1.0, *(2.0 * abs(piece.centre[name][index]) for name, index in (first, second)))
    assert piece.alphas[-1] == piece.betas[-1] == span and piece.alphas[0] == -span
    np.testing.assert_allclose(piece.alphas, np.linspace(-span, span, 5), rtol=0, atol=1e-15)


def test_weight_directions_check_their_names_and_indices():
    parameters = {"W1": np.zeros((1, 3)), "b1": np.zeros(3)}
    direction = weight_direction(parameters, "W1", (0, 2))
    assert direction["W1"].tolist() == [[0.0, 0.0, 1.0]] and direction["b1"].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(NNStudioError, match="no parameter W7"):
        weight_direction(parameters, "W7", 0)
    with pytest.raises(NNStudioError, match=r"shape \(1, 3\)"):
        weight_direction(parameters, "W1", (0, 5))


def test_slice_axes_are_symmetric_with_zero_in_the_middle():
    axis = symmetric_axis(1.5, 40)  # an even count gets one more point, so 0 is on it
    assert len(axis) == 41 and axis[20] == 0.0 and axis[0] == -1.5 and axis[-1] == 1.5
    np.testing.assert_allclose(axis, -axis[::-1], rtol=0, atol=0)


def test_torch_trainers_slice_agrees_with_its_loss():
    trainer = trained("sine-tanh-deep", 3, backend="torch")
    centre = trainer.backend.parameters()
    directions = random_directions(trainer.layers, centre, seed=1)
    data = trainer.dataset
    piece = loss_slice(trainer.layers, "mse", data.x_train, data.y_train, centre, directions, resolution=3)
    assert piece.centre_loss() == pytest.approx(trainer.backend.loss(data.x_train, data.y_train), rel=1e-12)


def test_a_deeper_sliced_network_still_needs_only_its_own_layers():
    trainer = Trainer(PRESETS["sine"].with_model(hidden=(LayerSpec(4, "relu"), LayerSpec(3, "sigmoid"))))
    piece = random_slice(trainer, resolution=5, span=0.5)
    assert piece.losses.shape == (5, 5) and np.all(np.isfinite(piece.losses))
    assert piece.centre_loss() == trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train)


def test_a_diverged_state_projects_to_nan_and_leaves_the_others_alone(sine_trainer):
    piece = random_slice(sine_trainer, resolution=3)
    broken = {name: np.full_like(value, np.nan) for name, value in piece.centre.items()}
    path = project_path([piece.centre, broken, sine_trainer.backend.parameters()], piece.centre, piece.directions)
    assert np.all(np.isnan(path[1]))
    np.testing.assert_array_equal(path[[0, 2]], np.zeros((2, 2)))
