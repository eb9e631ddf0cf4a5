"""The backprop walkthrough's numbers, each against torch autograd: one point's forward values, loss term,
dL/da, dL/dz, dL/dW and dL/db; the running sum and the batch's gradient; and the update one step makes."""

import numpy as np
import pytest
import torch

from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.teaching import walkthrough
from nnstudio.core.teaching.walkthrough import full_detail, stops, walk_point, worst_point
from nnstudio.core.teaching.walkthrough_text import describe_stop, focus_units, number

TIGHT = 1e-12  # both sides compute in float64 with the same operations: they agree to rounding

TORCH_ACTIVATIONS = {"identity": lambda z: z, "relu": torch.relu, "tanh": torch.tanh}


def two_input_net(loss: str) -> Trainer:
    """A 2-3-3-1 tanh net on two-input numbers (imported points), with momentum."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-2.0, 2.0, (30, 2))
    y = np.sin(x[:, 0]) + x[:, 1] ** 2 / 4
    experiment = Experiment(
        data=DataSpec(generator="csv", csv_path="two-inputs.csv"),
        model=ModelSpec(hidden=(LayerSpec(3, "tanh"), LayerSpec(3, "tanh"))),
        training=TrainingSpec(loss=loss, optimizer="momentum", learning_rate=0.01),
    )
    return Trainer(experiment, points=(x, y))


def trainer_for(net: str, loss: str) -> Trainer:
    if net == "2-3-3-1":
        return two_input_net(loss)
    return Trainer(preset(net).with_training(loss=loss))


NETS = [(net, loss) for net in ("linear", "sine", "2-3-3-1") for loss in ("mse", "sse")]


def autograd_of_point(trainer: Trainer, row: int, batch_points: int) -> dict:
    """The point's term of the loss and every value and gradient along the way, by torch autograd."""
    data, layers = trainer.dataset, trainer.layers
    parameters = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
        for name, value in trainer.backend.parameters().items()
    }
    a = torch.tensor(data.x_train[row : row + 1], dtype=torch.float64)
    y = torch.tensor(data.y_train[row : row + 1], dtype=torch.float64)
    values = []
    for layer in layers:
        z = a @ parameters[layer.weight_name] + (parameters[layer.bias_name] if layer.bias else 0.0)
        a = TORCH_ACTIVATIONS[layer.activation](z)
        z.retain_grad()
        a.retain_grad()
        values.append((z, a))
    loss = ((y - a) ** 2).sum()
    if trainer.training.loss == "mse":
        loss = loss / (batch_points * y.numel())
    loss.backward()
    return {
        "loss": float(loss.detach()),
        "z": [z.detach().numpy()[0] for z, _ in values],
        "a": [a.detach().numpy()[0] for _, a in values],
        "dL/dz": [z.grad.numpy()[0] for z, _ in values],
        "dL/da": [a.grad.numpy()[0] for _, a in values],
        "gradients": {name: p.grad.numpy() for name, p in parameters.items()},
    }


def close(mine, theirs, tolerance=TIGHT) -> bool:
    mine, theirs = np.asarray(mine, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    scale = max(float(np.max(np.abs(theirs), initial=0.0)), 1e-12)
    return mine.shape == theirs.shape and float(np.max(np.abs(mine - theirs), initial=0.0)) <= tolerance * scale


@pytest.mark.parametrize(("net", "loss"), NETS)
def test_every_number_of_one_point_is_autograd_s(net, loss):
    trainer = trainer_for(net, loss)
    trainer.step()  # away from the initial weights (and Adam's / momentum's memory filled)
    for row in (0, trainer.dataset.n_train // 2, worst_point(trainer)):
        walk = walk_point(trainer, row)
        torch_side = autograd_of_point(trainer, row, walk.batch_size)
        assert walk.row == row and walk.batch_size == trainer.dataset.n_train and walk.position == row
        np.testing.assert_array_equal(walk.x, trainer.dataset.x_train[row])
        assert walk.loss_term == pytest.approx(torch_side["loss"], rel=TIGHT)
        for k, layer_walk in enumerate(walk.layers):
            assert close(layer_walk.pre_activation, torch_side["z"][k])
            assert close(layer_walk.outputs, torch_side["a"][k])
            assert close(layer_walk.output_gradient, torch_side["dL/da"][k])
            assert close(layer_walk.pre_activation_gradient, torch_side["dL/dz"][k])
        mine = walk.point_gradients()
        assert mine.keys() == torch_side["gradients"].keys()
        for name, gradient in torch_side["gradients"].items():
            assert close(mine[name], gradient), name
            assert close(walk.autograd_point[name], gradient), name  # what the panel shows beside it
        assert walk.autograd_difference() < 1e-12
        np.testing.assert_array_equal(walk.prediction, walk.layers[-1].outputs)


@pytest.mark.parametrize(("net", "loss"), NETS)
def test_the_points_shares_add_up_to_the_batch_gradient_and_the_update_is_one_step(net, loss):
    trainer = trainer_for(net, loss)
    trainer.step()
    data = trainer.dataset
    walks = [walk_point(trainer, row) for row in range(data.n_train)]
    running = {name: np.zeros_like(value) for name, value in walks[0].point_gradients().items()}
    for walk in walks:  # full batches: every point is in the batch, in row order
        for name, share in walk.point_gradients().items():
            running[name] += share
        for name, so_far in walk.gradients_so_far().items():
            assert close(so_far, running[name], 1e-10), (walk.row, name)
        assert walk.points_so_far == walk.row + 1
    batch = trainer.backend.gradients(data.x_train, data.y_train)  # the backend's own batch gradient
    last = walks[-1]
    for name, gradient in batch.items():
        assert close(running[name], gradient, 1e-10), name
        np.testing.assert_array_equal(last.gradients_so_far()[name], last.batch_gradients()[name])
        assert close(last.batch_gradients()[name], gradient), name
        assert close(last.autograd_batch[name], gradient), name  # torch autograd on the whole batch
    assert last.batch_loss == pytest.approx(sum(walk.loss_term for walk in walks), rel=1e-12)

    predicted = walks[3].parameters_after()
    trainer.step()
    for name, value in trainer.backend.parameters().items():
        assert close(predicted[name], value), name


def test_a_point_outside_the_next_mini_batch_says_so_and_the_update_is_still_the_step_s():
    trainer = Trainer(preset("sine").with_training(batch_size=16))
    rows = trainer.next_batch_rows()
    assert rows is not None
    outside = next(row for row in range(trainer.dataset.n_train) if row not in rows)
    walk = walk_point(trainer, outside)
    assert walk.position is None and walk.points_so_far == 0
    np.testing.assert_array_equal(walk.batch_rows, rows)
    inside = walk_point(trainer, int(rows[2]))
    assert inside.position == 2 and inside.points_so_far == 3
    x, y = trainer.dataset.x_train[rows], trainer.dataset.y_train[rows]
    for name, gradient in trainer.backend.gradients(x, y).items():
        assert close(walk.batch_gradients()[name], gradient)
    predicted = walk.parameters_after()
    trainer.step()
    for name, value in trainer.backend.parameters().items():
        assert close(predicted[name], value), name
    text = describe_stop(walk, stops(len(walk.layers))[-2], focus_units(walk), False)
    assert "not in the next mini-batch" in text.lines[0]


def test_the_formulas_carry_the_numbers_of_the_point():
    trainer = Trainer(preset("linear"))
    walk = walk_point(trainer, 7)
    layer = walk.layers[0]
    w, b = trainer.backend.parameters()["W1"][0, 0], trainer.backend.parameters()["b1"][0]
    all_stops = stops(1)
    assert [stop.stage for stop in all_stops] == ["forward", "loss", "backward", "accumulate", "update"]
    focus = focus_units(walk)
    forward = describe_stop(walk, all_stops[0], focus, full_detail(list(trainer.layers)))
    assert forward.lines[0] == "z1[1] = x·W1[1,1] + b1[1]"
    assert forward.lines[1].endswith(f"= {number(layer.pre_activation[0])}")
    assert number(w) in forward.lines[1] and number(b) in forward.lines[1] and number(walk.x[0]) in forward.lines[1]
    assert forward.node_labels[(0, 0)] == f"x = {number(walk.x[0])}"
    loss = describe_stop(walk, all_stops[1], focus, True)
    assert f"(y − ŷ)² = ({number(walk.y[0])} − " in loss.lines[1] and loss.lines[1].endswith(number(walk.loss_term))
    backward = describe_stop(walk, all_stops[2], focus, True)
    product = number(layer.weight_gradient[0, 0])
    assert f"dL/dW1[1,1] = x · dL/dz1[1] = {number(walk.x[0]).join('()') if walk.x[0] < 0 else number(walk.x[0])}" in (
        "\n".join(backward.lines)
    )
    assert backward.edge_labels[(0, 0, 0)].endswith(f"= {product}")
    accumulate = describe_stop(walk, all_stops[3], focus, True)
    assert accumulate.table[0][:4] == ("entry", "this point", "sum of 8 so far", "batch of 50")
    assert accumulate.table[1][0] == "dL/dW1[1,1]" and accumulate.table[1][1] == product
    update = describe_stop(walk, all_stops[4], focus, True)
    after = walk.parameters_after()["W1"][0, 0]
    gradient = walk.batch_gradients()["W1"][0, 0]
    assert update.lines[1] == (
        f"W1[1,1] ← W1[1,1] − lr·g = {number(w)} − 0.0001·{number(gradient).join('()')} = {number(after)}"
        if gradient < 0
        else f"W1[1,1] ← W1[1,1] − lr·g = {number(w)} − 0.0001·{number(gradient)} = {number(after)}"
    )


def test_adam_s_parts_are_written_out():
    trainer = Trainer(preset("sine"))
    walk = walk_point(trainer, 10)
    assert not full_detail(list(trainer.layers))  # 64 hidden units: the focus's neighbourhood
    focus = focus_units(walk)
    assert focus[1] == int(np.argmax(np.abs(walk.layers[0].pre_activation_gradient)))
    update = describe_stop(walk, stops(2)[-1], focus, False)
    text = "\n".join(update.lines)
    assert "m̂ = m/(1 − β₁^1)" in text and "√v̂" in text
    assert len(update.table) == 1 + 4  # W1[1,j], b1[j], W2[j,1], b2[1] of the unit in focus
    forward = describe_stop(walk, stops(2)[1], focus, False)
    assert "(64 terms)" in forward.lines[0] and set(forward.node_labels) == {(1, focus[1]), (2, 0)}  # the flow
    assert forward.lit == {(0, 0), (1, focus[1]), (2, 0)}


def test_without_torch_the_walkthrough_says_so(monkeypatch):
    monkeypatch.setattr(walkthrough, "torch_available", lambda: (False, "PyTorch is not installed: pip install torch"))
    walk = walk_point(Trainer(preset("linear")), 0)
    assert walk.autograd_point is None and walk.autograd_difference() is None
    text = describe_stop(walk, stops(1)[3], focus_units(walk), True)
    assert "not available (PyTorch is not installed" in text.lines[1]
    assert text.table[0] == ("entry", "this point", "sum of 1 so far", "batch of 50")
