"""The teaching point, proved: hand-written NumPy backprop and PyTorch autograd compute the same numbers.

Random networks (hypothesis) in float64: the gradients agree to 1e-9, 50 training steps give the
same losses to 1e-8, and a run that switches backend mid-way continues exactly as if it had not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.core.data import GENERATORS
from nnstudio.core.experiment import OPTIMIZERS, DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.losses import LOSSES
from nnstudio.core.model import ACTIVATIONS, INITIALISATIONS
from nnstudio.core.presets import PRESETS
from tests.core.helpers import network_difference, max_relative_difference, relative_difference, step_losses, trainer_on

GRADIENT_TOLERANCE = 1e-9
LOSS_TOLERANCE = 1e-8
STEPS = 50

# Learning rates that keep 50 steps finite for every architecture drawn below: a parity test
# compares numbers, and a run that blows up to inf in both backends compares nothing.
LEARNING_RATES = {"gd": (1e-3, 0.05), "momentum": (1e-3, 0.02), "adam": (1e-3, 0.02)}


@st.composite
def experiments(draw, optimizers=tuple(OPTIMIZERS)) -> Experiment:
    """A random small experiment: data, a 0–4 hidden-layer network, loss, optimiser, batching."""
    n_points = draw(st.integers(20, 60))
    data = DataSpec(
        generator=draw(st.sampled_from(sorted(GENERATORS))),
        n_points=n_points,
        x_min=-3.0,
        x_max=3.0,
        noise_sd=draw(st.sampled_from([0.1, 0.5, 1.0])),
        seed=draw(st.integers(0, 1000)),
        standardize=True,
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
    init = draw(st.sampled_from(sorted(INITIALISATIONS)))
    widest = max((layer.units for layer in hidden), default=1)
    model = ModelSpec(
        hidden=hidden,
        output_activation=draw(st.sampled_from(["identity", *sorted(ACTIVATIONS)])),
        output_bias=draw(st.booleans()),
        init=init,
        # Constant weights of c in a layer of w units multiply the signal by about c·w: keep it near 1.
        init_constant=draw(st.sampled_from([-0.5, 0.3, 1.0])) / widest,
    )
    optimizer = draw(st.sampled_from(optimizers))
    loss = draw(st.sampled_from(sorted(LOSSES)))
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
    return Experiment(name="random", data=data, model=model, training=training)


def assert_same_losses(numpy_losses: np.ndarray, torch_losses: np.ndarray) -> None:
    assert np.all(np.isfinite(numpy_losses)), f"the run diverged, so it proves nothing: {numpy_losses}"
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=LOSS_TOLERANCE, atol=0)
    assert relative_difference(numpy_losses, torch_losses) <= LOSS_TOLERANCE


# --- (a) gradients ---------------------------------------------------------------------------------


@given(experiments())
def test_gradients_agree_at_the_initial_weights(experiment):
    numpy_trainer, torch_trainer = trainer_on(experiment, "numpy"), trainer_on(experiment, "torch")
    data = numpy_trainer.dataset
    assert max_relative_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) == 0.0

    numpy_gradients = numpy_trainer.backend.gradients(data.x_train, data.y_train)
    torch_gradients = torch_trainer.backend.gradients(data.x_train, data.y_train)

    assert sorted(numpy_gradients) == sorted(numpy_trainer.backend.parameters())
    for name, gradient in numpy_gradients.items():
        assert gradient.dtype == np.float64
        assert gradient.shape == numpy_trainer.backend.parameters()[name].shape
    assert network_difference(numpy_gradients, torch_gradients) <= GRADIENT_TOLERANCE


@given(experiments())
def test_gradients_of_each_step_agree_on_mini_batches_and_later_weights(experiment):
    """The gradients step() used (last_gradients) agree step after step, batch by batch."""
    numpy_trainer, torch_trainer = trainer_on(experiment, "numpy"), trainer_on(experiment, "torch")
    assert numpy_trainer.backend.last_gradients() == {}
    for _ in range(5):
        numpy_trainer.step()
        torch_trainer.step()
        difference = network_difference(numpy_trainer.backend.last_gradients(), torch_trainer.backend.last_gradients())
        assert difference <= GRADIENT_TOLERANCE
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-9


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


@given(experiments())
def test_fifty_steps_give_the_same_losses(experiment):
    numpy_trainer, torch_trainer = trainer_on(experiment, "numpy"), trainer_on(experiment, "torch")
    numpy_losses = step_losses(numpy_trainer, STEPS)
    torch_losses = step_losses(torch_trainer, STEPS)

    assert_same_losses(numpy_losses, torch_losses)
    assert numpy_trainer.epoch == torch_trainer.epoch
    np.testing.assert_allclose(
        numpy_trainer.loss_history.train, torch_trainer.loss_history.train, rtol=LOSS_TOLERANCE, atol=0
    )
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-8


# --- (c) switching backend mid-run ----------------------------------------------------------------


@given(experiments(optimizers=("momentum", "adam")), st.integers(1, STEPS - 1), st.sampled_from(["numpy", "torch"]))
def test_switching_backend_mid_run_continues_the_same_run(experiment, switch_after, first):
    """Weights and optimiser memory (momentum buffer, Adam's m, v and t) all cross over."""
    second = "torch" if first == "numpy" else "numpy"
    never_switched = trainer_on(experiment, first)
    expected = step_losses(never_switched, STEPS)

    switched = trainer_on(experiment, first)
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
    assert network_difference(switched.backend.parameters(), never_switched.backend.parameters()) < 1e-8


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
    difference = network_difference(
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
    assert network_difference(numpy_trainer.backend.parameters(), torch_trainer.backend.parameters()) < 1e-8
    np.testing.assert_allclose(
        numpy_trainer.prediction_on_grid(), torch_trainer.prediction_on_grid(), rtol=1e-8, atol=1e-10
    )
