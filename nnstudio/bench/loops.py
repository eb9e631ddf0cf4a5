"""Training speed: the tutorial's bare loops against the app's trainer, measured side by side.

Four contenders train the same network on the same data from the same initial weights:

- the bare PyTorch loop, written here as the tutorial writes it;
- the bare NumPy loop: the numpy backend's `step()` with nothing around it;
- the app's `Trainer.run()` on the numpy backend, and on the torch backend.

They take turns in rounds (in a rotating order), each round timing every contender for the
same number of steps, and the report gives each one's median rate: a machine that is slower
for a moment slows all four alike, so the ratios hold even when the absolute rates do not.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnstudio.core.engine.backends.numpy_backend import NumpyBackend
from nnstudio.core.engine.experiment import Experiment, LayerSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer

CONTENDERS = ("bare_torch", "bare_numpy", "trainer_numpy", "trainer_torch")
CONTENDER_NAMES = {
    "bare_torch": "bare PyTorch loop",
    "bare_numpy": "bare NumPy loop",
    "trainer_numpy": "trainer, numpy backend",
    "trainer_torch": "trainer, torch backend",
}


def sine_net() -> Experiment:
    """The tutorial's `sine`: 1-64-1 ReLU, 100 points, Adam, MSE, full batch, float64."""
    return preset("sine")


def big_net() -> Experiment:
    """A bigger one: 1-128-128-1 tanh on 1,000 points of the same sine, Adam (lr 0.01)."""
    return (
        preset("sine")
        .with_data(n_points=1000)
        .with_model(hidden=(LayerSpec(128, "tanh"), LayerSpec(128, "tanh")))
        .with_training(learning_rate=0.01)
    )


def spiral_net() -> Experiment:
    """TensorFlow Playground's hardest picture: the `spiral` preset with six hidden layers of 8 tanh units."""
    return preset("spiral").with_model(hidden=tuple(LayerSpec(8, "tanh") for _ in range(6)))


NETS = {
    "sine": ("sine 1-64-1 ReLU, 100 pts", sine_net),
    "big": ("1-128-128-1 tanh, 1000 pts", big_net),
}


# --- the contenders: each is `train(steps) -> the last loss` ---------------------------------------


def bare_torch_loop(experiment: Experiment) -> Callable[[int], float]:
    """The tutorial's PyTorch loop, nothing added: model, loss, zero_grad, backward, step."""
    import torch
    from torch import nn

    from nnstudio.core.engine.backends.torch_backend import build_sequential

    reference = Trainer(experiment)  # only for the data and the initial weights
    layers = reference.layers
    model = build_sequential(layers).double()
    with torch.no_grad():  # the same initial weights as the other contenders (ours are W: in × out)
        linears = [module for module in model if isinstance(module, nn.Linear)]
        parameters = reference.backend.parameters()
        for layer, linear in zip(layers, linears, strict=True):
            linear.weight.copy_(torch.from_numpy(parameters[layer.weight_name].T.copy()))
            if layer.bias:
                linear.bias.copy_(torch.from_numpy(parameters[layer.bias_name]))
    x = torch.from_numpy(reference.dataset.x_train.copy())
    y = torch.from_numpy(reference.dataset.y_train.copy())
    training = experiment.training
    optimiser = torch.optim.Adam(
        model.parameters(), lr=training.learning_rate, betas=(training.beta1, training.beta2), eps=training.eps
    )

    def train(steps: int) -> float:
        for _ in range(steps):
            pred = model(x)
            loss = nn.functional.mse_loss(pred, y)
            model.zero_grad()
            loss.backward()
            optimiser.step()
        return loss.item()

    return train


def bare_numpy_loop(experiment: Experiment) -> Callable[[int], float]:
    """The numpy backend's step, called in a plain loop: no trainer, no history, no snapshots."""
    reference = Trainer(experiment)
    backend = NumpyBackend(reference.layers, experiment.training, reference.backend.state())
    backend.set_training_data(reference.dataset.x_train, reference.dataset.y_train)

    def train(steps: int) -> float:
        loss = float("nan")
        for _ in range(steps):
            loss = backend.step()
        return loss

    return train


def trainer_loop(experiment: Experiment, backend: str) -> Callable[[int], float]:
    """`Trainer.run()` as the window drives it (snapshots every 1/30 s, with the weights)."""
    trainer = Trainer(experiment.with_training(backend=backend))

    def train(steps: int) -> float:
        if trainer.diverged_message:  # cannot happen with these nets; never time a stopped trainer
            trainer.reset()
        for _ in trainer.run(max_steps=steps, with_parameters=True):
            pass
        return trainer.last_step_loss

    return train


def make_contenders(experiment: Experiment) -> dict[str, Callable[[int], float]]:
    return {
        "bare_torch": bare_torch_loop(experiment),
        "bare_numpy": bare_numpy_loop(experiment),
        "trainer_numpy": trainer_loop(experiment, "numpy"),
        "trainer_torch": trainer_loop(experiment, "torch"),
    }


# --- measuring ---------------------------------------------------------------------------------------


# Each pair that a target compares runs back to back in every round, so that both see the same
# machine: (trainer, bare loop) per backend, and (bare torch, bare numpy). Odd rounds go backwards.
ROUND_ORDER = ("trainer_torch", "bare_torch", "bare_numpy", "trainer_numpy")
RATIOS = {  # name: (numerator, denominator)
    "numpy_vs_torch": ("bare_numpy", "bare_torch"),
    "trainer_vs_bare_numpy": ("trainer_numpy", "bare_numpy"),
    "trainer_vs_bare_torch": ("trainer_torch", "bare_torch"),
}


@dataclass
class Rates:
    """Steps per second of each contender, one value per round."""

    samples: dict[str, list[float]]
    steps: dict[str, int]
    first_losses: dict[str, float]  # after the same first steps: all four must agree (same work)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def ratio(self, name: str) -> float:
        """The median over rounds of a ratio taken within each round (robust to a machine that drifts)."""
        top, bottom = RATIOS[name]
        return statistics.median(a / b for a, b in zip(self.samples[top], self.samples[bottom], strict=True))

    def to_dict(self) -> dict:
        return {
            **{name: self.median(name) for name in self.samples},
            "ratios": {name: self.ratio(name) for name in RATIOS},
            "rounds": len(next(iter(self.samples.values()))),
            "steps_per_round": self.steps,
            "samples": self.samples,
            "first_losses": self.first_losses,
        }


def time_steps(train: Callable[[int], float], steps: int) -> float:
    """Steps per second of one call of `train(steps)`."""
    started = time.perf_counter()
    train(steps)
    return steps / (time.perf_counter() - started)


def settle(seconds: float) -> None:
    """Let the last contender's idle worker threads stop spinning (OpenBLAS and OpenMP threads
    busy-wait for a while after their last task, taking a core from whoever runs next)."""
    time.sleep(seconds)


def measure_rates(experiment: Experiment, rounds: int, seconds_per_turn: float, pause: float = 0.15) -> Rates:
    """Interleaved rounds: every contender trains for about `seconds_per_turn` in each round."""
    contenders = make_contenders(experiment)
    # The same 3 first steps from the same weights: the contenders must be doing the same work.
    first_losses = {name: train(3) for name, train in contenders.items()}
    # Calibrate how many steps make a turn of about `seconds_per_turn`; the last, full turn warms up
    # (torch's first calls, the history's first records, the allocator) and is not counted.
    steps = {}
    for name, train in contenders.items():
        rate = time_steps(train, 20)
        rate = time_steps(train, max(20, int(rate * seconds_per_turn / 4)))
        rate = time_steps(train, max(10, int(rate * seconds_per_turn)))
        steps[name] = max(10, int(rate * seconds_per_turn))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(rounds):
        for name in ROUND_ORDER if round_ % 2 == 0 else reversed(ROUND_ORDER):
            settle(pause)
            samples[name].append(time_steps(contenders[name], steps[name]))
    return Rates(samples, steps, first_losses)


def measure_all(rounds: int, seconds_per_turn: float, pause: float = 0.15) -> dict:
    """Both nets; the result is the JSON's "throughput" section."""
    result = {}
    for key, (title, make) in NETS.items():
        rates = measure_rates(make(), rounds, seconds_per_turn, pause)
        result[key] = {"title": title, **rates.to_dict()}
        losses = np.array(list(rates.first_losses.values()))
        result[key]["same_losses"] = bool(np.allclose(losses, losses[0], rtol=1e-6))
    return result
