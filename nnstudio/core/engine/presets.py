"""Built-in experiments: the lessons' (after Jonny Law's tutorial, in its order), then others worth showing a class.

Their descriptions are tooltips a student reads: they say what the experiment shows, not where it came from."""

from __future__ import annotations

from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.errors import NNStudioError

_LINE = DataSpec(generator="line", n_points=100, x_min=-10.0, x_max=10.0, noise_sd=2.0, seed=1)
_SINE = DataSpec(generator="sine", n_points=100, x_min=-5.0, x_max=5.0, noise_sd=1.0, seed=2)
_LINEAR_MODEL = ModelSpec(hidden=())

# A declarative table: the entries look alike because each spells out one whole experiment, as a file would.
PRESETS: dict[str, Experiment] = {
    "linear": Experiment(
        name="linear",
        description=(
            "The noisy line: 50 of 100 noisy points of y = 2x + 3, x and y standardised, "
            "one linear layer, sum-of-squares loss, gradient descent with lr 1e-4."
        ),
        data=DataSpec(**{**_LINE.__dict__, "subsample": 50, "standardize": True}),
        model=_LINEAR_MODEL,
        training=TrainingSpec(loss="sse", optimizer="gd", learning_rate=1e-4, epochs=200, seed=2),
    ),
    "sine": Experiment(
        name="sine",
        description="4·sin(x) fitted by a 1-64-1 ReLU network with Adam (lr 0.1).",
        data=_SINE,
        model=ModelSpec(hidden=(LayerSpec(64, "relu"),)),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.1, epochs=100, seed=0),
    ),
    "sine-linear": Experiment(
        name="sine-linear",
        description="A straight line on the sine data: it cannot fit, whatever the training.",
        data=_SINE,
        model=_LINEAR_MODEL,
        training=TrainingSpec(loss="mse", optimizer="gd", learning_rate=0.01, epochs=200, seed=2),
    ),
    "line-manual": Experiment(
        name="line-manual",
        description=(
            "The line trained from w = (1, 1): all 100 raw (not standardised) points, "
            "gradient descent on the sum of squares."
        ),
        data=_LINE,
        model=ModelSpec(hidden=(), init="constant", init_constant=1.0),
        training=TrainingSpec(loss="sse", optimizer="gd", learning_rate=1e-5, epochs=200),
    ),
    "sine-tanh-deep": Experiment(
        name="sine-tanh-deep",
        description="A deeper tanh network (1-32-32-1) on the sine, with mini-batches and a test split.",
        data=DataSpec(**{**_SINE.__dict__, "n_points": 200, "test_fraction": 0.2}),
        model=ModelSpec(hidden=(LayerSpec(32, "tanh"), LayerSpec(32, "tanh")), init="xavier_uniform"),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.01, epochs=300, batch_size=32),
    ),
    "step-relu": Experiment(
        name="step-relu",
        description="A jump is hard for a smooth fit: a ReLU net approximates a step function.",
        data=DataSpec(generator="step", n_points=200, x_min=-3.0, x_max=3.0, noise_sd=0.3, seed=4),
        model=ModelSpec(hidden=(LayerSpec(32, "relu"), LayerSpec(32, "relu"))),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.01, epochs=400),
    ),
    "bump-momentum": Experiment(
        name="bump-momentum",
        description="A Gaussian bump with tanh units and SGD with momentum: slower, smoother learning.",
        data=DataSpec(generator="bump", n_points=100, x_min=-4.0, x_max=4.0, noise_sd=0.3, seed=5),
        model=ModelSpec(hidden=(LayerSpec(16, "tanh"),)),
        training=TrainingSpec(loss="mse", optimizer="momentum", learning_rate=0.05, epochs=500),
    ),
    "sine-overfit": Experiment(
        name="sine-overfit",
        description=(
            "Overfitting: 20 noisy points of the sine to learn from and 20 held out to test, with a "
            "1-64-64-1 tanh network (Adam, lr 0.003). The training loss falls towards 0 while the test "
            "loss, lowest near epoch 50, turns up: the network learns the noise."
        ),
        data=DataSpec(**{**_SINE.__dict__, "n_points": 40, "test_fraction": 0.5}),
        model=ModelSpec(hidden=(LayerSpec(64, "tanh"), LayerSpec(64, "tanh"))),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.003, epochs=1000),
    ),
    "cubic-overfit": Experiment(
        name="cubic-overfit",
        description="Few noisy points of a cubic and a wide network: watch the test loss turn up.",
        data=DataSpec(generator="cubic", n_points=30, x_min=-4.0, x_max=4.0, noise_sd=1.5, seed=6, test_fraction=0.3),
        model=ModelSpec(hidden=(LayerSpec(128, "relu"), LayerSpec(128, "relu"))),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.01, epochs=1500),
    ),
    # --- regression on two inputs: TensorFlow Playground's surfaces, drawn as a heat map ---
    "plane": Experiment(
        name="plane",
        description=(
            "Two inputs, one number: the Playground's plane y = (x₁ + x₂)/10 with 10 % noise. "
            "A 2-4-1 tanh network (Adam, lr 0.03, batches of 10) tilts its heat map to match the points."
        ),
        data=DataSpec(generator="plane", n_points=400, noise_sd=0.1, seed=1, test_fraction=0.25),
        model=ModelSpec(hidden=(LayerSpec(4, "tanh"),)),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.03, epochs=100, batch_size=10),
    ),
    "multi-gaussian": Experiment(
        name="multi-gaussian",
        description=(
            "Two inputs, one number: the Playground's six bumps of +1 and −1 on a chequerboard. "
            "A 2-16-16-1 tanh network (Adam, lr 0.01, batches of 25) raises and sinks its heat map to fit them."
        ),
        data=DataSpec(generator="multi-gaussian", n_points=500, noise_sd=0.0, seed=2, test_fraction=0.2),
        model=ModelSpec(hidden=(LayerSpec(16, "tanh"), LayerSpec(16, "tanh"))),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.01, epochs=500, batch_size=25),
    ),
    # --- classification: two inputs, classes to tell apart, a decision boundary to watch ---
    "circle": Experiment(
        name="circle",
        description=(
            "Classes: a disc inside a ring. A 2-8-1 tanh network with a sigmoid output and binary "
            "cross-entropy bends its boundary into a circle (Adam, lr 0.03)."
        ),
        data=DataSpec(generator="circle", n_points=400, noise_sd=0.3, seed=1, test_fraction=0.25),
        model=ModelSpec(hidden=(LayerSpec(8, "tanh"),), output_activation="sigmoid"),
        training=TrainingSpec(loss="bce", optimizer="adam", learning_rate=0.03, epochs=300),
    ),
    "xor": Experiment(
        name="xor",
        description=(
            "Classes: XOR of the signs of x₁ and x₂, which no straight line separates. "
            "A 2-8-8-1 tanh network with a sigmoid output learns the four quadrants (Adam, lr 0.03)."
        ),
        data=DataSpec(generator="xor", n_points=400, noise_sd=0.3, seed=2, test_fraction=0.25),
        model=ModelSpec(hidden=(LayerSpec(8, "tanh"), LayerSpec(8, "tanh")), output_activation="sigmoid"),
        training=TrainingSpec(loss="bce", optimizer="adam", learning_rate=0.03, epochs=300),
    ),
    "spiral": Experiment(
        name="spiral",
        description=(
            "Three classes on three spiral arms: a 2-16-16-3 tanh network, one output (logit) per class, "
            "softmax and cross-entropy (Adam, lr 0.01)."
        ),
        data=DataSpec(generator="spiral", classes=3, n_points=450, noise_sd=0.2, seed=3, test_fraction=0.2),
        model=ModelSpec(hidden=(LayerSpec(16, "tanh"), LayerSpec(16, "tanh"))),
        training=TrainingSpec(loss="cross_entropy", optimizer="adam", learning_rate=0.01, epochs=500),
    ),
    "two-gaussians": Experiment(
        name="two-gaussians",
        description=(
            "Two Gaussian blobs and logistic regression: no hidden layer, one sigmoid output, "
            "so the boundary is a straight line."
        ),
        data=DataSpec(generator="gaussians", n_points=200, noise_sd=0.8, seed=4, test_fraction=0.25),
        model=ModelSpec(hidden=(), output_activation="sigmoid"),
        training=TrainingSpec(loss="bce", optimizer="adam", learning_rate=0.05, epochs=200),
    ),
}

DEFAULT_PRESET = "sine"


def preset(name: str) -> Experiment:
    """The built-in experiment `name` (see PRESETS; `nnstudio presets` lists them)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise NNStudioError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}") from None
