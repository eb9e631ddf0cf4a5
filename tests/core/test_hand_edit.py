"""A weight set by hand: the prediction and the loss follow at once, on both backends alike, and Back undoes it."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.hand_edit import parse_hand_value, set_parameter
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError

PARITY_TOLERANCE = 1e-9


def test_a_zero_slope_makes_the_linear_fit_flat_and_the_loss_that_of_a_constant():
    trainer = Trainer(preset("linear"))
    for _ in range(3):
        trainer.step()
    bias = float(trainer.backend.parameters()["b1"][0])
    message = set_parameter(trainer, "W1", (0, 0), 0.0)
    assert trainer.backend.parameters()["W1"][0, 0] == 0.0
    grid = trainer.prediction_on_grid()[:, 0]
    assert np.ptp(grid) == 0.0  # a flat line: the same value everywhere
    prediction = trainer.backend.predict(trainer.dataset.x_train)
    np.testing.assert_array_equal(prediction, np.full_like(prediction, bias))
    y = trainer.dataset.y_train
    expected = LOSSES["sse"].value(np.full_like(y, bias), y)
    assert trainer.backend.loss(trainer.dataset.x_train, y) == pytest.approx(expected, rel=1e-12)
    assert message.startswith("Set W1[1,1] from ") and message.endswith(f"to 0 by hand (loss now {expected:.6g}).")
    assert trainer.epoch == 3 and trainer.step_count == 3  # an edit is not a training step


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_back_restores_the_old_value_and_the_run_exactly(backend):
    trainer = Trainer(preset("sine").with_training(backend=backend))
    for _ in range(4):
        trainer.step()
    before, progress, history = trainer.backend.state(), trainer.progress(), trainer.loss_history.train.copy()
    loss_before = trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train)
    set_parameter(trainer, "b1", (2,), 3.5)
    after = trainer.backend.state()
    assert after.parameters["b1"][2] == 3.5
    assert trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train) != loss_before
    # Only that one number changed: every other weight and the optimiser's memory stay as they were.
    changed = {
        name: np.argwhere(after.parameters[name] != before.parameters[name]).tolist() for name in before.parameters
    }
    assert changed == {"W1": [], "b1": [[2]], "W2": [], "b2": []}
    assert after.optimizer_steps == before.optimizer_steps
    for kind, per in before.optimizer_buffers.items():
        for name, value in per.items():
            np.testing.assert_array_equal(after.optimizer_buffers[kind][name], value)
    assert trainer.can_undo and trainer.undo()
    restored = trainer.backend.state()
    for name, value in before.parameters.items():
        np.testing.assert_array_equal(restored.parameters[name], value)
    assert trainer.progress() == progress
    np.testing.assert_array_equal(trainer.loss_history.train, history)
    assert trainer.backend.loss(trainer.dataset.x_train, trainer.dataset.y_train) == loss_before


def test_numpy_and_torch_agree_after_an_edit_and_further_steps():
    runs = {}
    for backend in ("numpy", "torch"):
        trainer = Trainer(preset("sine").with_training(backend=backend))
        for _ in range(3):
            trainer.step()
        set_parameter(trainer, "W1", (0, 2), -1.25)
        set_parameter(trainer, "b2", (0,), 0.75)
        losses = [trainer.step() for _ in range(5)]
        runs[backend] = (trainer.backend.parameters(), losses)
    (numpy_weights, numpy_losses), (torch_weights, torch_losses) = runs["numpy"], runs["torch"]
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=PARITY_TOLERANCE)
    for name, value in numpy_weights.items():
        np.testing.assert_allclose(torch_weights[name], value, rtol=PARITY_TOLERANCE, atol=PARITY_TOLERANCE)


@pytest.mark.parametrize(
    "text, said",
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("nan", "finite"),
        ("-inf", "finite"),
        ("1e400", "finite"),
        ("2e6", "too large"),
        ("-1000001", "too large"),
    ],
)
def test_what_is_not_a_usable_weight_is_refused_in_words(text, said):
    with pytest.raises(NNStudioError, match=said):
        parse_hand_value(text)


def test_a_typed_weight_may_use_a_decimal_comma_or_a_true_minus_sign():
    assert parse_hand_value(" 0,5 ") == 0.5
    assert parse_hand_value("−1.5e-2") == -0.015
    assert parse_hand_value("1e6") == 1e6


@pytest.mark.parametrize("name, index", [("W9", (0, 0)), ("W1", (0, 64)), ("b1", (0, 0)), ("b1", (-1,))])
def test_an_entry_that_is_not_in_the_network_changes_nothing(name, index):
    trainer = Trainer(preset("sine"))
    before = trainer.backend.parameters()
    with pytest.raises(NNStudioError):
        set_parameter(trainer, name, index, 1.0)
    assert not trainer.can_undo
    for key, value in trainer.backend.parameters().items():
        np.testing.assert_array_equal(value, before[key])
