"""The issue's "Done when": the tutorial's experiments give the tutorial's numbers, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.experiment import DataSpec, Experiment, ModelSpec, TrainingSpec
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import FINISHED, format_log_line
from tests.core.helpers import train_epochs, trainer_on
from tests.portability import assert_log_lines, parse_log_line

BACKENDS = ("numpy", "torch")

# The tutorial's torch fit of the line ("Epoch: 10 Loss: 94.43447" ... "Epoch: 200 Loss: 3.114503").
TUTORIAL_LINEAR_LOG = np.array(
    [94.43447, 77.64619, 63.87258, 52.57226, 43.30109, 35.69468, 29.45408, 24.33403, 20.13331, 16.68685,
     13.8592, 11.53925, 9.635837, 8.074168, 6.792887, 5.741646, 4.879141, 4.171486, 3.590877, 3.114503]
)  # fmt: skip


def run_preset(name: str, backend: str):
    """Run a preset to its own epoch count; (its loss per epoch, all log lines, the trainer)."""
    trainer = trainer_on(PRESETS[name], backend)
    lines = []
    for snapshot in trainer.run(until_epoch=PRESETS[name].training.epochs, snapshot_interval=0.0):
        lines.extend(snapshot.log_lines)
    assert snapshot.status == FINISHED
    return trainer.loss_history.train.copy(), lines, trainer


@pytest.fixture(scope="module")
def linear_runs():
    return {backend: run_preset("linear", backend) for backend in BACKENDS}


@pytest.fixture(scope="module")
def sine_runs():
    return {backend: run_preset("sine", backend) for backend in BACKENDS}


# --- linear -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_preset_shows_the_tutorials_decay(linear_runs, backend):
    losses, lines, _ = linear_runs[backend]
    assert len(losses) == 200
    logged = losses[9::10]  # epochs 10, 20, ..., 200
    assert logged[0] == pytest.approx(96.09, abs=0.01)  # the tutorial's draw gave 94.43
    assert logged[-1] == pytest.approx(3.04, abs=0.01)  # ... and 3.11
    ratios = logged[1:] / logged[:-1]
    tutorial_ratios = TUTORIAL_LINEAR_LOG[1:] / TUTORIAL_LINEAR_LOG[:-1]
    assert ratios[0] == pytest.approx(0.82, abs=0.005)
    assert np.all((ratios > 0.81) & (ratios < 0.87))
    np.testing.assert_allclose(ratios, tutorial_ratios, atol=0.01)
    # Gradient descent on a convex loss with a small step never goes up.
    assert np.all(np.diff(losses) < 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_preset_logs_every_ten_epochs_like_the_tutorial(linear_runs, backend):
    losses, lines, _ = linear_runs[backend]
    assert len(lines) == 20
    assert lines[0] == format_log_line(10, losses[9]) == f"Epoch: 10 Loss: {losses[9]:.7g}"
    assert lines[0].startswith("Epoch: 10 Loss: 96.09")
    assert lines[-1].startswith("Epoch: 200 Loss: 3.04")
    assert [int(line.split()[1]) for line in lines] == list(range(10, 201, 10))


def test_linear_preset_gives_identical_numbers_on_both_backends(linear_runs):
    numpy_losses, numpy_lines, numpy_trainer = linear_runs["numpy"]
    torch_losses, torch_lines, torch_trainer = linear_runs["torch"]
    assert_log_lines(torch_lines, [parse_log_line(line) for line in numpy_lines])  # a 7th digit may round apart
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-12, atol=0)
    for name, value in numpy_trainer.backend.parameters().items():
        np.testing.assert_allclose(value, torch_trainer.backend.parameters()[name], rtol=1e-12, atol=1e-15)


def test_linear_preset_is_the_tutorials_set_up():
    experiment = PRESETS["linear"]
    trainer = trainer_on(experiment, "numpy")
    data = trainer.dataset
    assert data.n_train == 50  # sample_n(50) of the 100 points
    assert data.n_inputs == data.n_outputs == 1
    assert trainer.parameter_count == 2  # one weight and one bias: nn_linear(1, 1)
    # scale(): the model sees x and y with mean 0 and sd 1 (n − 1)
    for values in (data.x_train, data.y_train):
        assert np.mean(values) == pytest.approx(0.0, abs=1e-12)
        assert np.std(values, ddof=1) == pytest.approx(1.0, rel=1e-12)
    assert experiment.training.loss == "sse" and experiment.training.optimizer == "gd"
    assert experiment.training.learning_rate == 1e-4 and experiment.training.epochs == 200


# --- sine --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_sine_preset_learns_down_to_the_noise_floor(sine_runs, backend):
    losses, lines, trainer = sine_runs[backend]
    assert len(losses) == 100
    at_10, at_20, at_30, at_100 = losses[[9, 19, 29, 99]]
    assert at_100 <= at_10 / 4
    assert at_100 <= 1.6
    assert at_10 == pytest.approx(7.4, abs=0.5)
    assert at_20 == pytest.approx(4.1, abs=0.5)
    assert at_30 == pytest.approx(1.4, abs=0.3)
    assert at_100 > 0.5  # noise sd 1: an MSE far below 1 would mean fitting the noise
    train_metrics, _ = trainer.metrics()
    assert train_metrics.mse == pytest.approx(at_100, rel=0.05)  # unstandardised: model units are original units
    assert train_metrics.r2 > 0.85


def test_sine_preset_gives_the_same_numbers_on_both_backends(sine_runs):
    np.testing.assert_allclose(sine_runs["numpy"][0], sine_runs["torch"][0], rtol=1e-8, atol=0)
    assert_log_lines(sine_runs["torch"][1], [parse_log_line(line) for line in sine_runs["numpy"][1]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_straight_line_cannot_fit_the_sine(backend):
    losses, _, trainer = run_preset("sine-linear", backend)
    assert losses[-1] > 2.0  # the noise floor is 1
    # ... and it is the model, not the training: the best straight line is no better.
    x, y = trainer.dataset.x_train_raw[:, 0], trainer.dataset.y_train_raw[:, 0]
    design = np.column_stack([x, np.ones_like(x)])
    best_line, *_ = np.linalg.lstsq(design, y, rcond=None)
    best_mse = np.mean((y - design @ best_line) ** 2)
    assert best_mse > 2.0
    assert losses[-1] == pytest.approx(best_mse, rel=0.05)


# --- any CSV of a noisy line ------------------------------------------------------------------------


def write_noisy_line(path, slope, intercept, x_low, x_high, noise_sd, n, seed, header=True):
    rng = np.random.default_rng(seed)
    x = rng.uniform(x_low, x_high, n)
    y = slope * x + intercept + rng.normal(0, noise_sd, n)
    lines = ["x,y"] if header else []
    lines += [f"{float(a)!r},{float(b)!r}" for a, b in zip(x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return x, y


def least_squares_mse(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([x, np.ones_like(x)])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.mean((y - design @ coefficients) ** 2))


LINES = [
    # slope, intercept, x range, noise sd, points, seed, standardise, loss, learning rate, epochs
    pytest.param(2.0, 3.0, -10.0, 10.0, 2.0, 100, 1, True, "mse", 0.1, 300, id="tutorial-line-standardised"),
    pytest.param(-0.7, 40.0, 100.0, 160.0, 5.0, 60, 2, True, "sse", 0.005, 300, id="far-from-origin-sse"),
    pytest.param(3.5, -1.0, -2.0, 2.0, 0.5, 40, 3, False, "mse", 0.1, 600, id="raw-units"),
    pytest.param(0.0, 5.0, 0.0, 1.0, 0.1, 30, 4, True, "mse", 0.2, 300, id="flat-line"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("slope", "intercept", "x_low", "x_high", "noise_sd", "n", "seed", "standardize", "loss", "rate", "epochs"), LINES
)
def test_gradient_descent_on_a_csv_line_reaches_least_squares(
    tmp_path, backend, slope, intercept, x_low, x_high, noise_sd, n, seed, standardize, loss, rate, epochs
):
    path = tmp_path / "line.csv"
    x, y = write_noisy_line(path, slope, intercept, x_low, x_high, noise_sd, n, seed)
    experiment = Experiment(
        data=DataSpec(generator="csv", csv_path=str(path), standardize=standardize),
        model=ModelSpec(hidden=()),
        training=TrainingSpec(backend=backend, loss=loss, optimizer="gd", learning_rate=rate, epochs=epochs),
    )
    trainer = trainer_on(experiment, backend)
    assert trainer.dataset.n_train == n
    train_epochs(trainer, epochs)
    train_metrics, test_metrics = trainer.metrics()
    best = least_squares_mse(x, y)
    assert test_metrics is None
    assert best * (1 - 1e-9) <= train_metrics.mse <= 1.01 * best  # no line beats least squares
    # the same fit in the metric everyone can check by hand
    prediction = trainer.dataset.scaler.y_from_model(trainer.backend.predict(trainer.dataset.x_train))[:, 0]
    assert np.mean((y - prediction) ** 2) == pytest.approx(train_metrics.mse, rel=1e-12)


def test_the_csv_line_fit_is_the_same_on_both_backends(tmp_path):
    path = tmp_path / "line.csv"
    write_noisy_line(path, 2.0, 3.0, -10.0, 10.0, 2.0, 80, 7, header=False)
    experiment = Experiment(
        data=DataSpec(generator="csv", csv_path=str(path), standardize=True),
        model=ModelSpec(hidden=()),
        training=TrainingSpec(loss="mse", optimizer="gd", learning_rate=0.1, epochs=100),
    )
    numpy_losses = train_epochs(trainer_on(experiment, "numpy"), 100)
    torch_losses = train_epochs(trainer_on(experiment, "torch"), 100)
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-10, atol=0)


# --- the tutorial's hand gradient --------------------------------------------------------------------


@pytest.mark.parametrize("steps", [0, 3])
def test_numpy_gradient_is_the_tutorials_formula(steps):
    """d/dw Σ(y − Xw)² = −2Xᵀ(y − Xw), with X = [1, x] and w = (intercept, slope), starting at w = (1, 1)."""
    experiment = PRESETS["line-manual"]
    assert experiment.model.hidden == () and experiment.model.init == "constant"
    trainer = trainer_on(experiment, "numpy")
    for _ in range(steps):
        trainer.step()
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    parameters = trainer.backend.parameters()
    if steps == 0:
        assert parameters["W1"][0, 0] == 1.0 and parameters["b1"][0] == 1.0

    design = np.column_stack([np.ones(len(x)), x[:, 0]])  # the tutorial's cbind(1, x)
    w = np.array([parameters["b1"][0], parameters["W1"][0, 0]])
    expected = -2.0 * design.T @ (y[:, 0] - design @ w)

    gradients = trainer.backend.gradients(x, y)
    assert gradients["b1"].shape == (1,) and gradients["W1"].shape == (1, 1)
    np.testing.assert_allclose([gradients["b1"][0], gradients["W1"][0, 0]], expected, rtol=1e-12)
    torch_gradients = trainer_on(experiment, "torch").backend.gradients(x, y) if steps == 0 else None
    if torch_gradients is not None:  # the tutorial's second half: autograd gives the same
        np.testing.assert_allclose([torch_gradients["b1"][0], torch_gradients["W1"][0, 0]], expected, rtol=1e-12)


def test_one_gradient_step_is_the_tutorials_gradient_step():
    """gradient_step(lr, w, g) = w − lr·g, and step() returns the loss before the update."""
    experiment = PRESETS["line-manual"]
    trainer = trainer_on(experiment, "numpy")
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    before = trainer.backend.parameters()
    gradients = trainer.backend.gradients(x, y)
    loss = trainer.step()
    assert loss == pytest.approx(float(np.sum((y - (x @ before["W1"] + before["b1"])) ** 2)), rel=1e-12)
    rate = experiment.training.learning_rate
    after = trainer.backend.parameters()
    for name in ("W1", "b1"):
        np.testing.assert_allclose(after[name], before[name] - rate * gradients[name], rtol=1e-14)
