"""The step inspector: its numbers are the core's numbers, for every phase of a step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnstudio.core.engine.backends.numpy_backend import backward, forward, parameter_gradients
from nnstudio.core.engine.experiment import OPTIMIZERS, DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.losses import LOSSES
from nnstudio.core.engine.model import ACTIVATIONS
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.diagnostics import (
    EXPLODED_FACTOR,
    dead_units,
    saturated_units,
    step_overshoot,
    summarise,
    update_ratio,
)
from nnstudio.core.teaching.formulas import ACTIVATION_DERIVATIVES, LOSS_GRADIENTS
from nnstudio.core.teaching.inspector import inspect_state, inspect_step

SMALL = Experiment(
    name="small",
    data=DataSpec(generator="sine", n_points=40, x_min=-3.0, x_max=3.0, noise_sd=0.5, seed=3),
    model=ModelSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "relu"))),
    training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.02, seed=1),
)


def small(**training) -> Trainer:
    return Trainer(SMALL.with_training(**training))


def batch_of(trainer: Trainer, rows):
    data = trainer.dataset
    return (data.x_train, data.y_train) if rows is None else (data.x_train[rows], data.y_train[rows])


def relative(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300))


# --- the tutorial's two-weight model ------------------------------------------------------------


def test_linear_preset_gradients_are_the_tutorials_formula_three_ways():
    trainer = Trainer(PRESETS["linear"])
    w, b = trainer.backend.parameters()["W1"][0, 0], trainer.backend.parameters()["b1"][0]
    inspection = inspect_step(trainer)
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    # the tutorial's network_gradient: −2 xᵀ(y − x w), with x = (x, 1) and w = (w, b)
    design = np.column_stack([x[:, 0], np.ones(len(x))])
    expected = -2.0 * design.T @ (y[:, 0] - design @ np.array([w, b]))
    layer = inspection.layer(1)
    assert relative(layer.weight_gradients.manual[0, 0], expected[0]) <= 1e-12
    assert relative(layer.bias_gradients.manual[0], expected[1]) <= 1e-12
    assert relative(layer.weight_gradients.autograd, layer.weight_gradients.manual) <= 1e-12
    assert relative(layer.bias_gradients.autograd, layer.bias_gradients.manual) <= 1e-12
    assert inspection.max_rel_diff_manual_vs_autograd <= 1e-12
    assert inspection.max_rel_diff_manual_vs_finite_diff <= 1e-6
    assert inspection.loss == pytest.approx(np.sum((y[:, 0] - design @ np.array([w, b])) ** 2), rel=1e-12)
    assert layer.formulas.backward[2] == "dL/dW1 = xᵀ · dL/dz1 = −2 xᵀ(y − ŷ)"
    assert inspection.loss_formula == LOSSES["sse"].formula


def test_gradient_descent_update_is_exactly_minus_lr_times_g():
    trainer = Trainer(PRESETS["linear"])
    inspect_step(trainer)  # not the first step: nothing special about it
    inspection = inspect_step(trainer)
    lr = trainer.training.learning_rate
    for layer in inspection.layers:
        for update, before, after in (
            (layer.weight_update, layer.weights, layer.weights_after),
            (layer.bias_update, layer.biases, layer.biases_after),
        ):
            g = update.parts["gradient"]
            np.testing.assert_array_equal(g, trainer.backend.last_gradients()[update.name])
            np.testing.assert_array_equal(update.predicted, -lr * g)
            np.testing.assert_array_equal(after, before - lr * g)  # the step the optimiser made, bit for bit
            np.testing.assert_array_equal(update.applied, after - before)
            # Δ = after − before is −lr·g up to the rounding of after (half an ulp of the weights)
            np.testing.assert_allclose(update.applied, -lr * g, rtol=0, atol=np.spacing(np.abs(after)).max())
            assert update.constants == {"lr": lr} and update.formula == OPTIMIZERS["gd"]


# --- every optimiser, both backends ------------------------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_weights_after_are_the_trainers_and_the_parts_rebuild_the_update(backend, optimizer):
    trainer = small(optimizer=optimizer, backend=backend)
    for _ in range(3):
        inspection = inspect_step(trainer)
    now = trainer.backend.parameters()
    assert inspection.stepped and inspection.backend == backend
    for layer in inspection.layers:
        np.testing.assert_array_equal(layer.weights_after, now[layer.layer.weight_name])
        np.testing.assert_array_equal(layer.biases_after, now[layer.layer.bias_name])
        for update in (layer.weight_update, layer.bias_update):
            assert update.optimizer == optimizer
            assert relative(update.predicted, update.applied) <= 1e-9


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_the_update_shown_is_the_numpy_backends_own_update_bit_for_bit(optimizer, dtype):
    trainer = small(optimizer=optimizer, dtype=dtype, batch_size=16)
    for _ in range(4):
        inspection = inspect_step(trainer)
    state = trainer.backend.state()
    memory = {"momentum": {"velocity": "momentum_buffer"}, "adam": {"m": "exp_avg", "v": "exp_avg_sq"}}
    for layer in inspection.layers:
        for update, before, after in (
            (layer.weight_update, layer.weights, layer.weights_after),
            (layer.bias_update, layer.biases, layer.biases_after),
        ):
            # the Δ the inspector shows is the one the backend added, rounded the same way
            np.testing.assert_array_equal(after, before.astype(dtype) + update.predicted.astype(dtype))
            for part, buffer in memory.get(optimizer, {}).items():
                np.testing.assert_array_equal(update.parts[part], state.optimizer_buffers[buffer][update.name])
            assert all(value.dtype == np.float64 for value in update.parts.values())


def test_adam_parts_follow_the_formulas_and_reproduce_the_update():
    trainer = small(optimizer="adam", learning_rate=0.05)
    inspect_step(trainer)
    before = trainer.backend.state()
    inspection = inspect_step(trainer)
    state = trainer.backend.state()
    spec = trainer.training
    t = state.optimizer_steps
    assert t == 2
    for layer in inspection.layers:
        for update in (layer.weight_update, layer.bias_update):
            parts, name = update.parts, update.name
            g = parts["gradient"]
            m = spec.beta1 * before.optimizer_buffers["exp_avg"][name] + (1 - spec.beta1) * g
            v = spec.beta2 * before.optimizer_buffers["exp_avg_sq"][name] + (1 - spec.beta2) * g * g
            np.testing.assert_allclose(parts["m"], m, rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(parts["v"], v, rtol=1e-12, atol=1e-300)
            np.testing.assert_array_equal(parts["m"], state.optimizer_buffers["exp_avg"][name])
            np.testing.assert_allclose(parts["m_hat"], m / (1 - spec.beta1**t), rtol=1e-12)
            np.testing.assert_allclose(parts["v_hat"], v / (1 - spec.beta2**t), rtol=1e-12)
            rebuilt = -spec.learning_rate * parts["m_hat"] / (np.sqrt(parts["v_hat"]) + spec.eps)
            np.testing.assert_allclose(update.applied, rebuilt, rtol=1e-9, atol=1e-15)
            assert update.constants["t"] == 2.0 and update.constants["β₂"] == spec.beta2


def test_adams_first_step_moves_every_weight_by_about_lr():
    # at t = 1: m̂ = g and v̂ = g², so Δ = −lr·g/(|g| + ε) ≈ −lr·sign(g)
    trainer = small(optimizer="adam", learning_rate=0.01)
    inspection = inspect_step(trainer)
    for layer in inspection.layers:
        update = layer.weight_update
        np.testing.assert_allclose(update.parts["m_hat"], update.parts["gradient"], rtol=1e-12)
        np.testing.assert_allclose(update.applied, -0.01 * np.sign(update.parts["gradient"]), rtol=1e-5)


def test_momentum_parts_are_the_velocity_before_and_after():
    trainer = small(optimizer="momentum", learning_rate=0.05, momentum=0.8)
    first = inspect_step(trainer)
    assert "velocity_before" not in first.layer(1).weight_update.parts  # v = g at the first step
    np.testing.assert_array_equal(
        first.layer(1).weight_update.parts["velocity"], first.layer(1).weight_update.parts["gradient"]
    )
    second = inspect_step(trainer)
    for layer in second.layers:
        parts = layer.weight_update.parts
        np.testing.assert_allclose(parts["velocity"], 0.8 * parts["velocity_before"] + parts["gradient"], rtol=1e-12)
        np.testing.assert_allclose(layer.weight_update.applied, -0.05 * parts["velocity"], rtol=1e-9, atol=1e-16)
        assert layer.weight_update.constants["μ"] == 0.8


# --- the batch the step used --------------------------------------------------------------------


def test_mini_batch_gradients_are_computed_on_the_steps_own_rows():
    trainer = small(batch_size=7)
    seen = []
    original = trainer.backend.step
    trainer.backend.step = lambda rows=None: seen.append(np.array(rows)) or original(rows)
    for _ in range(8):  # more than one epoch: a new shuffle in between
        inspection = inspect_step(trainer)
        np.testing.assert_array_equal(inspection.batch_rows, seen[-1])
        x, y = batch_of(trainer, seen[-1])
        np.testing.assert_array_equal(inspection.x, x)
        used = trainer.backend.last_gradients()
        for layer in inspection.layers:
            np.testing.assert_allclose(
                layer.weight_gradients.manual, used[layer.layer.weight_name], rtol=1e-12, atol=1e-15
            )
            np.testing.assert_allclose(layer.bias_gradients.manual, used[layer.layer.bias_name], rtol=1e-12, atol=1e-15)
        assert inspection.loss == trainer.last_step_loss
    assert trainer.epoch == 1 and len(seen) == 8


def test_asking_for_the_next_batch_changes_no_training():
    asked, plain = small(batch_size=9), small(batch_size=9)
    for _ in range(13):
        rows = asked.next_batch_rows()
        assert rows is not None and len(rows) <= 9
        asked.step()
        plain.step()
    np.testing.assert_array_equal(asked.loss_history.train, plain.loss_history.train)
    for name, value in plain.backend.parameters().items():
        np.testing.assert_array_equal(asked.backend.parameters()[name], value)
    assert small().next_batch_rows() is None  # full batch


def test_inspect_state_changes_nothing_and_previews_the_next_step():
    trainer = small(batch_size=11)
    inspect_step(trainer)
    before = trainer.backend.state()
    counters = (trainer.step_count, trainer.epoch, trainer.batch_in_epoch)
    preview = inspect_state(trainer)
    assert not preview.stepped and (trainer.step_count, trainer.epoch, trainer.batch_in_epoch) == counters
    assert preview.step == 1 and preview.epoch == 0
    for name, value in before.parameters.items():
        np.testing.assert_array_equal(trainer.backend.parameters()[name], value)
    assert all(layer.weight_update is None and layer.weights_after is None for layer in preview.layers)
    step = inspect_step(trainer)
    assert step.step == 1  # counted before the step, as the preview was
    np.testing.assert_array_equal(step.batch_rows, preview.batch_rows)
    assert step.loss == pytest.approx(preview.loss, rel=1e-12)
    for shown, made in zip(preview.layers, step.layers, strict=True):
        np.testing.assert_array_equal(shown.weight_gradients.manual, made.weight_gradients.manual)


# --- forward and backward phases ----------------------------------------------------------------


def test_phases_are_the_backends_forward_and_backward_pass():
    trainer = small()
    inspection = inspect_state(trainer)
    x, y = batch_of(trainer, None)
    parameters = trainer.backend.parameters()
    traces = forward(trainer.layers, parameters, x)
    loss_gradient = LOSSES["mse"].gradient(traces[-1].outputs, y)
    gradients = parameter_gradients(trainer.layers, backward(trainer.layers, parameters, traces, loss_gradient))
    for layer, trace in zip(inspection.layers, traces, strict=True):
        np.testing.assert_array_equal(layer.forward.pre_activation, trace.pre_activation)
        np.testing.assert_array_equal(layer.forward.outputs, trace.outputs)
        np.testing.assert_array_equal(layer.backward.weight_gradient, gradients[layer.layer.weight_name])
        np.testing.assert_array_equal(layer.backward.bias_gradient, gradients[layer.layer.bias_name])
        np.testing.assert_allclose(layer.weight_gradients.manual, gradients[layer.layer.weight_name], rtol=1e-13)
    last = inspection.layers[-1]
    np.testing.assert_allclose(last.forward.outputs, trainer.backend.predict(x), rtol=1e-15)
    np.testing.assert_array_equal(last.backward.output_gradient, loss_gradient)
    # dL/dz of a tanh layer is dL/da ⊙ (1 − a²); dL/da of a hidden layer is the next dL/dz · Wᵀ
    first, second = inspection.layers[0], inspection.layers[1]
    np.testing.assert_allclose(
        first.backward.pre_activation_gradient,
        first.backward.output_gradient * (1 - first.forward.outputs**2),
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        first.backward.output_gradient, second.backward.pre_activation_gradient @ parameters["W2"].T, rtol=1e-14
    )


def test_finite_difference_sampling_is_passed_through():
    inspection = inspect_state(small(), max_finite_difference_entries=10)
    estimates = np.concatenate([p.finite_difference.ravel() for p in inspection.gradient_check.parameters])
    assert 5 <= np.count_nonzero(~np.isnan(estimates)) <= 20
    assert inspection.max_rel_diff_manual_vs_finite_diff <= 1e-6


# --- diagnostics --------------------------------------------------------------------------------


def relu_trainer_with_a_dead_unit() -> Trainer:
    experiment = SMALL.with_model(hidden=(LayerSpec(4, "relu"),))
    trainer = Trainer(experiment)
    state = trainer.backend.state()
    state.parameters["W1"][:, 2] = 0.0
    state.parameters["b1"][2] = -1.0  # z = 0·x − 1 < 0 on every point: never active
    state.parameters["W1"][:, 0] = 1.0
    state.parameters["b1"][0] = 0.5  # active wherever x > −0.5
    trainer.backend.load_state(state)
    return trainer


def test_a_relu_unit_forced_negative_is_found_dead_and_flagged():
    trainer = relu_trainer_with_a_dead_unit()
    inspection = inspect_step(trainer)
    diagnostics = inspection.layer(1).diagnostics
    np.testing.assert_array_equal(diagnostics.dead_units, [2])
    assert [flag.kind for flag in inspection.flags if flag.layer == 1] == ["dead_units"]
    assert "1 of 4 ReLU units are dead" in inspection.flags[0].message
    # a dead unit gets no gradient, so it does not move
    assert np.all(inspection.layer(1).weight_gradients.manual[:, 2] == 0.0)
    assert np.all(inspection.layer(1).weight_update.applied[:, 2] == 0.0)


def test_dead_and_saturated_units_on_hand_made_pre_activations():
    z = np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0], [-0.5, -2.0, 0.0]])
    np.testing.assert_array_equal(dead_units("relu", z), [0, 2])  # z = 0 is not > 0
    assert len(dead_units("leaky_relu", z)) == 0 and len(dead_units("tanh", z)) == 0
    flat, steep = 10.0, 0.0  # σ'(10) ≈ 4.5e-5 < 0.01; σ'(0) = 0.25
    z = np.full((100, 4), flat)
    z[:, 1] = steep
    z[:4, 2] = steep  # flat on 96 % of the points: saturated
    z[:10, 3] = steep  # flat on 90 %: not
    np.testing.assert_array_equal(saturated_units("sigmoid", z), [0, 2])
    np.testing.assert_array_equal(saturated_units("tanh", z), [0, 2])  # 1 − tanh²(10) ≈ 8e-9
    assert len(saturated_units("relu", z)) == 0


def test_a_saturated_tanh_unit_is_flagged():
    trainer = small()
    state = trainer.backend.state()
    state.parameters["b1"][1] = 50.0  # tanh(z ≈ 50): flat everywhere
    trainer.backend.load_state(state)
    inspection = inspect_state(trainer)
    np.testing.assert_array_equal(inspection.layer(1).diagnostics.saturated_units, [1])
    assert "saturated_units" in [flag.kind for flag in inspection.flags]


def test_gradient_norms_and_update_ratio_are_what_they_say():
    inspection = inspect_step(small(optimizer="gd", learning_rate=0.1))
    for layer in inspection.layers:
        d = layer.diagnostics
        assert d.weight_gradient_norm == pytest.approx(np.linalg.norm(layer.weight_gradients.manual), rel=1e-14)
        assert d.bias_gradient_norm == pytest.approx(np.linalg.norm(layer.bias_gradients.manual), rel=1e-14)
        expected = np.linalg.norm(layer.weights_after - layer.weights) / np.linalg.norm(layer.weights)
        assert d.update_ratio == pytest.approx(expected, rel=1e-12)
    assert inspect_state(small()).layer(1).diagnostics.update_ratio is None
    assert update_ratio(np.zeros(3), np.zeros(3)) == 0.0 and update_ratio(np.ones(3), np.zeros(3)) == np.inf


def overshoot_flags(inspection) -> list:
    return [flag for flag in inspection.flags if flag.kind == "overshoot"]


def test_the_loss_after_the_step_is_the_batchs_loss_at_the_new_weights():
    trainer = small(batch_size=7)
    inspection = inspect_step(trainer)
    after = trainer.backend.parameters()
    expected = LOSSES["mse"].value(forward(trainer.layers, after, inspection.x)[-1].outputs, inspection.y)
    assert inspection.loss_after == pytest.approx(expected, rel=1e-12)
    assert inspection.previous_step_loss == inspection.loss == trainer.last_step_loss
    assert inspect_state(trainer).loss_after is None and inspect_state(trainer).previous_step_loss == inspection.loss


def test_the_lessons_adam_lr_01_on_sine_never_hears_that_the_learning_rate_is_too_large():
    """Adam's first step at lr 0.1 doubles the loss (each weight moves by lr), yet no weight alone overshoots."""
    trainer = Trainer(PRESETS["sine"])
    assert (trainer.training.optimizer, trainer.training.learning_rate) == ("adam", 0.1)
    rose = 0
    for _ in range(trainer.training.epochs):  # every epoch of the run: full batches, one step each
        inspection = inspect_step(trainer, max_finite_difference_entries=2)
        assert not overshoot_flags(inspection), (inspection.step, [f.message for f in inspection.flags])
        assert not any("too large" in flag.message for flag in inspection.flags)
        rose += inspection.loss_after > inspection.loss
    assert trainer.epoch == 100 and rose > 10  # the loss does rise now and then: that alone is no alarm


def test_gradient_descent_lr_003_on_the_line_overshoots_at_every_step_and_says_so():
    trainer = Trainer(PRESETS["linear"].with_training(learning_rate=0.03))
    for step in range(5):
        inspection = inspect_step(trainer, max_finite_difference_entries=2)
        (flag,) = overshoot_flags(inspection)
        overshoot = inspection.overshoot
        assert inspection.loss_after > 3 * inspection.loss  # each step multiplies the loss by about 3.8
        assert (overshoot.checked, overshoot.overshot) == (2, 2), step  # both w and b went past their lowest point
        assert flag.layer == 0 and "too large" in flag.message and f"{inspection.loss:.4g}" in flag.message


def test_a_converging_learning_rate_on_the_line_is_not_flagged():
    trainer = Trainer(PRESETS["linear"].with_training(learning_rate=0.01))
    for _ in range(10):
        assert not overshoot_flags(inspect_step(trainer, max_finite_difference_entries=2))


def test_a_step_that_multiplies_the_loss_is_flagged_though_each_weight_alone_would_not_overshoot():
    inspection = inspect_step(small(optimizer="gd", learning_rate=5.0))
    overshoot = inspection.overshoot
    assert overshoot.loss_after > EXPLODED_FACTOR * overshoot.loss_before
    assert 2 * overshoot.overshot <= overshoot.checked  # not along most weights: together
    assert overshoot_flags(inspection) and "×" in overshoot_flags(inspection)[0].message


def test_overshoot_along_one_axis_of_a_parabola():
    # L(w) = (w − 1)²: from w = 0 (L = 1, g = −2) the lowest point is 1 away
    def loss_at(parameters):
        return float((parameters["w"][0] - 1.0) ** 2)

    before, gradients = {"w": np.array([0.0])}, {"w": np.array([-2.0])}

    def tried(w_after: float):
        after = {"w": np.array([w_after])}
        return step_overshoot(loss_at, before, after, gradients, 1.0, loss_at(after))

    assert tried(2.5).flagged and (tried(2.5).checked, tried(2.5).overshot) == (1, 1)  # 2.5 × the way: L = 2.25
    assert not tried(1.8).flagged and tried(1.8).checked == 0  # past the bottom, but lower than it started
    assert not tried(0.5).flagged  # short of the bottom
    uphill = tried(-0.5)  # moved along its gradient (uphill): the optimiser's memory, not an overshoot
    assert uphill.loss_rose and uphill.overshot == 0 and not uphill.flagged


def test_a_diverged_trainer_cannot_step_and_its_state_is_flagged_without_warnings():
    trainer = relu_trainer_with_a_dead_unit()
    state = trainer.backend.state()
    state.parameters["W2"][:] = np.nan
    trainer.backend.load_state(state)
    trainer.step()
    assert trainer.diverged_message
    with pytest.raises(NNStudioError, match="diverged"):
        inspect_step(trainer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inspection = inspect_state(trainer)
    assert "not_finite" in [flag.kind for flag in inspection.flags]
    assert all(len(layer.diagnostics.dead_units) == 0 for layer in inspection.layers)  # NaN is not "dead"


# --- summaries and formulas ---------------------------------------------------------------------


def test_summary_of_a_large_matrix_is_a_32_by_32_map_of_block_means():
    matrix = np.arange(64 * 64, dtype=np.float64).reshape(64, 64)
    summary = summarise(matrix)
    assert summary.shape == (64, 64) and summary.heat_map.shape == (32, 32)
    assert summary.heat_map[3, 5] == matrix[6:8, 10:12].mean()
    assert (summary.minimum, summary.maximum, summary.mean) == (0.0, 4095.0, matrix.mean())
    assert summary.norm == pytest.approx(np.sqrt(np.sum(matrix**2)), rel=1e-15)


def test_summary_of_uneven_and_small_tensors():
    rng = np.random.default_rng(0)
    uneven = rng.normal(size=(100, 7))
    heat_map = summarise(uneven).heat_map
    assert heat_map.shape == (32, 7)
    starts = np.linspace(0, 100, 33).astype(int)
    counts = np.diff(starts)
    assert counts.sum() == 100 and counts.min() >= 3
    np.testing.assert_allclose(heat_map[0], uneven[: counts[0]].mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose((heat_map * counts[:, None]).sum(axis=0) / 100, uneven.mean(axis=0), rtol=1e-12)
    bias = summarise(np.arange(200.0))
    assert (
        bias.shape == (200,) and bias.heat_map.shape == (1, 32) and bias.heat_map[0, 0] == np.arange(6.0).mean()
    )  # 200/32: blocks of 6 or 7
    assert summarise(np.float64(-2.5)).heat_map.tolist() == [[-2.5]]
    empty = summarise(np.zeros((0, 3)))
    assert empty.shape == (0, 3) and empty.norm == 0.0 and np.isnan(empty.mean)


def test_summary_of_non_finite_values_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = summarise(np.array([[np.inf, -np.inf], [np.nan, 1.0]]))
        overflowing = summarise(np.array([1e300, -1e300, 1.0]))
    assert np.isnan(summary.mean) and np.isnan(summary.norm) and summary.heat_map[0, 0] == np.inf
    assert overflowing.norm == np.inf and overflowing.maximum == 1e300


def test_layer_summaries_cover_weights_gradients_phases_and_update():
    layer = inspect_step(small()).layer(2)
    summaries = layer.summaries()
    assert set(summaries) == {"W2", "dL/dW2", "z2", "a2", "b2", "dL/db2", "ΔW2", "Δb2"}
    assert summaries["W2"].shape == (6, 5) and summaries["z2"].shape == (40, 5)
    assert summaries["z2"].heat_map.shape == (32, 5)
    assert summaries["ΔW2"].norm == pytest.approx(np.linalg.norm(layer.weight_update.applied), rel=1e-15)


def test_formulas_name_each_layers_own_chain():
    inspection = inspect_state(small())
    middle = inspection.layer(2).formulas
    assert middle.forward == ("z2 = a1 · W2 + b2", "a2 = g(z2),  g(z) = max(0, z)")
    assert middle.backward == (
        "dL/da2 = dL/dz3 · W3ᵀ",
        "dL/dz2 = dL/da2 ⊙ g'(z2),  g'(z) = 1 if z > 0 else 0",
        "dL/dW2 = a1ᵀ · dL/dz2",
        "dL/db2 = Σ_points dL/dz2",
    )
    last = inspection.layer(3).formulas
    assert last.forward[-1] == "ŷ = a3"
    assert last.backward[0] == "dL/da3 = dL/dŷ,  dL/dŷ = −2 (y − ŷ) / N"
    assert last.backward[2] == "dL/dW3 = a2ᵀ · dL/dz3 = −(2/N) a2ᵀ(y − ŷ)"
    assert last.update == OPTIMIZERS["adam"] == inspection.update_formula
    assert inspection.loss_gradient_formula == "dL/dŷ = −2 (y − ŷ) / N"


def test_every_activation_and_loss_has_its_derivative_written_out():
    assert set(ACTIVATION_DERIVATIVES) == set(ACTIVATIONS)
    assert set(LOSS_GRADIENTS) == set(LOSSES)
