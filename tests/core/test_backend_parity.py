"""The teaching point, proved: hand-written NumPy backprop and PyTorch autograd compute the same numbers.

Random networks (hypothesis) in float64: the gradients agree to 1e-9, 50 training steps give the
same losses to 1e-8, and a run that switches backend mid-way continues exactly as if it had not.
Relative differences are the issue's ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, 1e-12) per tensor; for random
networks, gradients that are zero by symmetry get an honest floor (helpers.network_difference).
Run many more random networks with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.core.datasets.data import GENERATORS
from nnstudio.core.engine.experiment import OPTIMIZERS, DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.losses import LOSSES, REGRESSION_LOSSES
from nnstudio.core.engine.model import ACTIVATIONS, INITIALISATIONS
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from tests.core.helpers import (
    max_relative_difference,
    network_difference,
    record_batches,
    relative_difference,
    step_losses,
    trainer_on,
)

GRADIENT_TOLERANCE = 1e-9
LOSS_TOLERANCE = 1e-8
STEPS = 50

# Learning rates that keep 50 steps finite for every architecture drawn below: a parity test
# compares numbers, and a run that blows up to inf in both backends compares nothing.
LEARNING_RATES = {"gd": (1e-3, 0.05), "momentum": (1e-3, 0.02), "adam": (1e-3, 0.02)}


@dataclass(frozen=True)
class Case:
    """A random experiment and its points: x drawn at random, y from one of the generators."""

    experiment: Experiment
    points: tuple[np.ndarray, np.ndarray]

    def trainer(self, backend: str) -> Trainer:
        return Trainer(self.experiment.with_training(backend=backend), points=self.points)


@st.composite
def cases(draw, optimizers=tuple(OPTIMIZERS), standardize: bool | None = None, adam_inits=None) -> Case:
    """A random small experiment: data, a 0–4 hidden-layer network, loss, optimiser, batching.

    x is drawn at random rather than on the generators' even grid: on a grid of round numbers,
    constant initial weights can put a ReLU's z exactly on its kink at a grid point, where each
    backend's rounding (±1e-17) picks a different side. `standardize`: True, False, or None to
    draw it; `adam_inits`: the initialisations Adam runs may use (None: all).
    """
    n_points = draw(st.integers(20, 60))
    generator = draw(st.sampled_from(sorted(GENERATORS)))
    noise_sd = draw(st.sampled_from([0.1, 0.5, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = np.sort(rng.uniform(-3.0, 3.0, n_points))
    y = GENERATORS[generator].true_function(x) + rng.normal(0.0, noise_sd, n_points)
    data = DataSpec(
        generator=generator,
        n_points=n_points,
        x_min=-3.0,
        x_max=3.0,
        noise_sd=noise_sd,
        standardize=draw(st.booleans()) if standardize is None else standardize,
    )
    depth = draw(st.integers(0, 4))
    hidden = tuple(
        LayerSpec(
            units=draw(st.integers(1, 32)),
            activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
            bias=draw(st.booleans()),
        )
        for _ in range(depth)
    )
    optimizer = draw(st.sampled_from(optimizers))
    inits = adam_inits if optimizer == "adam" and adam_inits is not None else INITIALISATIONS
    widest = max((layer.units for layer in hidden), default=1)
    model = ModelSpec(
        hidden=hidden,
        output_activation=draw(st.sampled_from(["identity", *sorted(ACTIVATIONS)])),
        output_bias=draw(st.booleans()),
        init=draw(st.sampled_from(sorted(inits))),
        # Constant weights of c in a layer of w units multiply the signal by about c·w: keep it near 1.
        init_constant=draw(st.sampled_from([-0.5, 0.3, 1.0])) / widest,
    )
    loss = draw(st.sampled_from(sorted(REGRESSION_LOSSES)))
    low, high = LEARNING_RATES[optimizer]
    learning_rate = draw(st.floats(low, high))
    if loss == "sse":  # the sum over the points makes gradients n times larger than the mean's
        learning_rate /= n_points
    batch_size = draw(st.one_of(st.none(), st.integers(1, n_points)))
    training = TrainingSpec(
        loss=loss,
        optimizer=optimizer,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=draw(st.integers(0, 1000)),
        epochs=STEPS,
    )
    return Case(Experiment(name="random", data=data, model=model, training=training), (x, y))


# Training runs are compared on standardised data (so no learning rate above is too large), and
# Adam runs there do not start from Xavier's zero biases: with x and y standardised, a linear
# network with zero biases sits exactly at its optimal bias, that gradient is exactly zero, each
# backend computes it as different ~1e-17 rounding noise, and Adam, which divides by √v, turns
# the noise into real steps (lr·g/(|g| + ε)) that then feed on themselves. That is Adam at an
# exact stationary point, not a difference between the backends. (Xavier + Adam is still in the
# gradient tests here and in the sine-tanh-deep preset below.)
training_runs = cases(standardize=True, adam_inits=("kaiming_uniform", "constant"))


def gradient_floor(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> float:
    """1e-5 · Σᵢ |∂L/∂ŷᵢ|: the size of the terms every bias gradient sums, at the current weights.

    A gradient that is zero by symmetry (a bias already at its optimum, in a network whose other
    gradients are zero too, e.g. when every ReLU is dead) is rounding noise of such a sum, and is
    compared to this instead of to itself.
    """
    prediction = trainer.backend.predict(x)
    return 1e-5 * float(np.sum(np.abs(LOSSES[trainer.training.loss].gradient(prediction, y))))


def assert_same_losses(numpy_losses: np.ndarray, torch_losses: np.ndarray) -> None:
    assert np.all(np.isfinite(numpy_losses)), f"the run diverged, so it proves nothing: {numpy_losses}"
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=LOSS_TOLERANCE, atol=0)
    assert relative_difference(numpy_losses, torch_losses) <= LOSS_TOLERANCE


# --- (a) gradients ---------------------------------------------------------------------------------


@given(cases())
def test_gradients_agree_at_the_initial_weights(case):
    numpy_trainer, torch_trainer = case.trainer("numpy"), case.trainer("torch")
    data = numpy_trainer.dataset
    assert max_relative_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) == 0.0

    numpy_gradients = numpy_trainer.backend.gradients(data.x_train, data.y_train)
    torch_gradients = torch_trainer.backend.gradients(data.x_train, data.y_train)

    assert sorted(numpy_gradients) == sorted(numpy_trainer.backend.parameters())
    for name, gradient in numpy_gradients.items():
        assert gradient.dtype == np.float64
        assert gradient.shape == numpy_trainer.backend.parameters()[name].shape
    floor = gradient_floor(numpy_trainer, data.x_train, data.y_train)
    assert network_difference(numpy_gradients, torch_gradients, floor) <= GRADIENT_TOLERANCE


@given(cases(), st.integers(0, 8))
def test_gradients_of_a_step_agree_on_its_mini_batch_at_later_weights(case, warm_up_steps):
    """After some training, both backends take one step from the same state on the same rows.

    Both start from the numpy run's state, so this compares the gradient arithmetic alone (two
    independent runs may drift apart by rounding noise; the training-run tests below cover that).
    """
    numpy_trainer, torch_trainer = case.trainer("numpy"), case.trainer("torch")
    assert numpy_trainer.backend.last_gradients() == {} and torch_trainer.backend.last_gradients() == {}
    step_losses(numpy_trainer, warm_up_steps)
    state = numpy_trainer.backend.state()
    seen = record_batches(numpy_trainer)
    numpy_loss = numpy_trainer.step()
    (rows,) = seen  # the step's mini-batch (None: all the points)
    data = numpy_trainer.dataset
    batch_size = case.experiment.training.batch_size
    if batch_size is not None and batch_size < data.n_train:
        assert rows is not None and len(rows) <= batch_size
    x, y = (data.x_train, data.y_train) if rows is None else (data.x_train[rows], data.y_train[rows])

    torch_trainer.backend.load_state(state)
    floor = gradient_floor(torch_trainer, x, y)
    torch_before_step = torch_trainer.backend.gradients(x, y)
    torch_loss = torch_trainer.backend.step(rows)

    assert torch_loss == pytest.approx(numpy_loss, rel=LOSS_TOLERANCE, abs=0)
    numpy_gradients = numpy_trainer.backend.last_gradients()
    assert network_difference(numpy_gradients, torch_trainer.backend.last_gradients(), floor) <= GRADIENT_TOLERANCE
    assert network_difference(numpy_gradients, torch_before_step, floor) <= GRADIENT_TOLERANCE
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-6


def test_gradients_leave_the_weights_and_last_step_alone():
    """gradients() is a look, not a step: weights, optimiser memory and last_gradients() stay as they were."""
    experiment = PRESETS["sine"].with_training(batch_size=25)
    for backend in ("numpy", "torch"):
        trainer = trainer_on(experiment, backend)
        trainer.step()
        before = trainer.backend.state()
        last = trainer.backend.last_gradients()
        trainer.backend.gradients(trainer.dataset.x_train, trainer.dataset.y_train)
        after = trainer.backend.state()
        assert max_relative_difference(before.parameters, after.parameters) == 0.0
        assert max_relative_difference(before.optimizer_buffers["exp_avg"], after.optimizer_buffers["exp_avg"]) == 0
        assert max_relative_difference(last, trainer.backend.last_gradients()) == 0.0


# --- (b) training runs -------------------------------------------------------------------------------


@given(training_runs)
def test_fifty_steps_give_the_same_losses(case):
    numpy_trainer, torch_trainer = case.trainer("numpy"), case.trainer("torch")
    numpy_losses = step_losses(numpy_trainer, STEPS)
    torch_losses = step_losses(torch_trainer, STEPS)

    assert_same_losses(numpy_losses, torch_losses)
    assert numpy_trainer.epoch == torch_trainer.epoch
    np.testing.assert_allclose(
        numpy_trainer.loss_history.train, torch_trainer.loss_history.train, rtol=LOSS_TOLERANCE, atol=0
    )
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-6


# --- (c) switching backend mid-run ----------------------------------------------------------------


@given(
    cases(optimizers=("momentum", "adam"), standardize=True, adam_inits=("kaiming_uniform", "constant")),
    st.integers(1, STEPS - 1),
    st.sampled_from(["numpy", "torch"]),
)
def test_switching_backend_mid_run_continues_the_same_run(case, switch_after, first):
    """Weights and optimiser memory (momentum buffer, Adam's m, v and t) all cross over."""
    second = "torch" if first == "numpy" else "numpy"
    never_switched = case.trainer(first)
    expected = step_losses(never_switched, STEPS)

    switched = case.trainer(first)
    before = step_losses(switched, switch_after)
    state = switched.backend.state()
    switched.switch_backend(second)
    assert switched.backend.name == second
    assert switched.experiment.training.backend == second
    moved = switched.backend.state()
    assert moved.optimizer_steps == state.optimizer_steps == switch_after
    assert max_relative_difference(moved.parameters, state.parameters) == 0.0
    assert sorted(moved.optimizer_buffers) == sorted(state.optimizer_buffers)
    for kind in state.optimizer_buffers:
        assert max_relative_difference(moved.optimizer_buffers[kind], state.optimizer_buffers[kind]) == 0.0
    after = step_losses(switched, STEPS - switch_after)

    assert_same_losses(np.concatenate([before, after]), expected)
    assert switched.epoch == never_switched.epoch
    assert network_difference(switched.backend.parameters(), never_switched.backend.parameters()) < 1e-6


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_switching_back_and_forth_every_few_steps(optimizer):
    """Five round trips numpy → torch → numpy in one run still give the never-switched losses."""
    experiment = PRESETS["sine"].with_training(optimizer=optimizer, learning_rate=0.01, batch_size=30)
    expected = step_losses(trainer_on(experiment, "numpy"), 40)
    trainer = trainer_on(experiment, "numpy")
    losses = []
    for round_trip in range(10):
        losses.extend(step_losses(trainer, 4))
        trainer.switch_backend("torch" if round_trip % 2 == 0 else "numpy")
    assert_same_losses(np.array(losses), expected)


def test_optimiser_memory_matters_for_the_switch():
    """A switch that dropped Adam's memory would show: fresh Adam state gives different losses."""
    experiment = PRESETS["sine"].with_training(learning_rate=0.01)
    expected = step_losses(trainer_on(experiment, "numpy"), 20)
    forgetful = trainer_on(experiment, "numpy")
    step_losses(forgetful, 10)
    forgetful.update_training(optimizer="gd")
    forgetful.update_training(optimizer="adam")  # same weights, empty optimiser memory
    assert forgetful.backend.state().optimizer_buffers == {}
    later = step_losses(forgetful, 10)
    assert relative_difference(later, expected[10:]) > 1e-3


# --- every preset -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_trains_identically_on_both_backends(name):
    experiment = PRESETS[name]
    epochs = 5
    numpy_trainer, torch_trainer = trainer_on(experiment, "numpy"), trainer_on(experiment, "torch")
    data = numpy_trainer.dataset
    # the measure exactly, no floors: no preset has a gradient that is zero by symmetry
    difference = max_relative_difference(
        numpy_trainer.backend.gradients(data.x_train, data.y_train),
        torch_trainer.backend.gradients(data.x_train, data.y_train),
    )
    assert difference <= GRADIENT_TOLERANCE

    for trainer in (numpy_trainer, torch_trainer):
        for _ in trainer.run(until_epoch=epochs, snapshot_interval=1e9):
            pass
        assert trainer.epoch == epochs
        assert trainer.step_count == epochs * trainer.batches_per_epoch()

    assert_same_losses(numpy_trainer.loss_history.train, torch_trainer.loss_history.train)
    if data.n_test:
        np.testing.assert_allclose(
            numpy_trainer.loss_history.test, torch_trainer.loss_history.test, rtol=LOSS_TOLERANCE, atol=0
        )
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-6
    np.testing.assert_allclose(
        numpy_trainer.prediction_on_grid(), torch_trainer.prediction_on_grid(), rtol=1e-8, atol=1e-10
    )


# --- the optimisers' update functions against torch.optim, on their own ---------------------------


def torch_optimizer(name: str, parameter, learning_rate: float):
    import torch

    if name == "gd":
        return torch.optim.SGD([parameter], lr=learning_rate)
    if name == "momentum":
        return torch.optim.SGD([parameter], lr=learning_rate, momentum=0.8)
    return torch.optim.Adam([parameter], lr=learning_rate, betas=(0.9, 0.999), eps=1e-8)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_each_update_function_follows_torch_optim_to_the_last_bits(optimizer):
    import torch

    from nnstudio.core.engine.backends.numpy_backend import adam_update, gd_update, momentum_update

    rng = np.random.default_rng(5)
    theta = rng.normal(size=500)
    parameter = torch.nn.Parameter(torch.from_numpy(theta.copy()))
    reference = torch_optimizer(optimizer, parameter, 0.01)
    velocity, m, v = None, np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, 41):
        g = rng.normal(size=theta.size) * 10.0 ** rng.uniform(-4, 2)  # gradients of changing scale
        parameter.grad = torch.from_numpy(g.copy())
        reference.step()
        before = theta.copy()
        if optimizer == "gd":
            change = gd_update(theta, g, 0.01)
        elif optimizer == "momentum":
            velocity, change = momentum_update(theta, g, velocity, 0.01, 0.8)
        else:
            change = adam_update(theta, g, m, v, t, 0.01, 0.9, 0.999, 1e-8)
        np.testing.assert_array_equal(theta, before + change)  # the change returned is the change made
        # torch fuses some multiply-adds (one rounding instead of two): equal but for the last bits
        assert relative_difference(theta, parameter.detach().numpy()) <= 1e-13
    if optimizer == "momentum":
        assert relative_difference(velocity, reference.state[parameter]["momentum_buffer"].numpy()) <= 1e-13
    if optimizer == "adam":
        assert relative_difference(m, reference.state[parameter]["exp_avg"].numpy()) <= 1e-13
        assert relative_difference(v, reference.state[parameter]["exp_avg_sq"].numpy()) <= 1e-13


def test_adams_update_is_the_formula_with_m_hat_and_v_hat():
    from nnstudio.core.engine.backends.numpy_backend import adam_moments, adam_update

    rng = np.random.default_rng(6)
    theta, g = rng.normal(size=200), rng.normal(size=200)
    m, v = rng.normal(size=200) * 0.1, rng.uniform(size=200) * 0.01
    m_before, v_before, theta_before = m.copy(), v.copy(), theta.copy()
    change = adam_update(theta, g, m, v, 4, 0.05, 0.8, 0.99, 1e-8)
    np.testing.assert_allclose(m, 0.8 * m_before + 0.2 * g, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(v, 0.99 * v_before + 0.01 * g * g, rtol=1e-13)
    m_hat, v_hat = adam_moments(m, v, 4, 0.8, 0.99)
    np.testing.assert_array_equal(m_hat, m / (1 - 0.8**4))
    np.testing.assert_array_equal(v_hat, v / (1 - 0.99**4))
    np.testing.assert_allclose(change, -0.05 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-13)
    np.testing.assert_array_equal(theta, theta_before + change)
