"""The example experiment files shipped in resources/examples/, and how they are made.

Regenerate them after a change to the presets or the file format with

    python -m nnstudio.core.storage.examples

(tests/core/test_examples.py fails, saying so, when a shipped file no longer matches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.core.datasets.data import load_spec_csv
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.storage.archive import SUFFIX, ExperimentFile, capture, save
from nnstudio.core.storage.resources import resource_path

EXAMPLES_FOLDER = resource_path("examples")

# R's `cars` data set (Ezekiel 1930): speed (mph) and stopping distance (ft) of 50 cars in the 1920s.
CARS_SPEED = [4, 4, 7, 7, 8, 9, 10, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15]
CARS_SPEED += [15, 16, 16, 17, 17, 17, 18, 18, 18, 18, 19, 19, 19, 20, 20, 20, 20, 20, 22, 23, 24, 24, 24, 24, 25]
CARS_DIST = [2, 10, 4, 22, 16, 10, 18, 26, 34, 17, 28, 14, 20, 24, 28, 26, 34, 34, 46, 26, 36, 60, 80, 20, 26]
CARS_DIST += [54, 32, 40, 32, 40, 50, 42, 56, 76, 84, 36, 46, 68, 32, 48, 52, 56, 64, 66, 54, 70, 92, 93, 120, 85]

CARS = Experiment(
    name="cars",
    description=(
        "Imported data: R's cars data set, the stopping distance (ft) of 50 cars against their speed (mph), "
        "measured in the 1920s. Standardised, with a small tanh network; the points travel inside the file."
    ),
    data=DataSpec(
        generator="csv",
        csv_path="cars.csv",
        csv_header=True,
        standardize=True,
        seed=0,
        csv_x_name="speed",
        csv_y_name="dist",
    ),
    model=ModelSpec(hidden=(LayerSpec(8, "tanh"),)),
    training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.05, epochs=300, seed=0),
)

# Two real data sets in the public domain, shipped as the CSV files they are read from (typed in from R's
# `datasets` package and checked against its column means):
# R's `mtcars` (Henderson & Velleman 1981, from Motor Trend 1974): 32 cars, mpg from weight, horsepower,
# displacement and quarter-mile time; and Fisher's iris (1936; R's `iris`): 150 flowers, 50 of each of
# three species, from their sepal and petal lengths and widths.
MTCARS = Experiment(
    name="mtcars",
    description=(
        "Real data with four inputs: R's mtcars (Motor Trend, 1974), the fuel use of 32 cars (mpg) from their "
        "weight wt, horsepower hp, displacement disp and quarter-mile time qsec. One linear layer on "
        "standardised inputs is linear regression: Adam finds what R's lm(mpg ~ wt + hp + disp + qsec) finds."
    ),
    data=DataSpec(
        generator="csv",
        csv_path="mtcars.csv",
        csv_header=True,
        csv_input_columns=(6, 4, 3, 7),
        csv_y_column=1,
        csv_input_names=("wt", "hp", "disp", "qsec"),
        csv_y_name="mpg",
        standardize=True,
    ),
    model=ModelSpec(hidden=()),
    training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.05, epochs=500, seed=0),
)
IRIS = Experiment(
    name="iris",
    description=(
        "Real data with four inputs and three classes: Fisher's iris (1936), 150 flowers of the species setosa (0), "
        "versicolor (1) and virginica (2), from their sepal and petal lengths and widths (cm). A 4-8-3 tanh "
        "network, a fifth of the flowers held out for testing."
    ),
    data=DataSpec(
        generator="csv",
        csv_path="iris.csv",
        csv_header=True,
        csv_input_columns=(0, 1, 2, 3),
        csv_label_column=5,
        csv_input_names=("sepal_length", "sepal_width", "petal_length", "petal_width"),
        csv_y_name="class",
        standardize=True,
        test_fraction=0.2,
    ),
    model=ModelSpec(hidden=(LayerSpec(8, "tanh"),)),
    training=TrainingSpec(loss="cross_entropy", optimizer="adam", learning_rate=0.05, epochs=200, seed=0),
)


@dataclass(frozen=True)
class Example:
    summary: str
    build: Callable[[], ExperimentFile]


def _untrained(name: str) -> Callable[[], ExperimentFile]:
    return lambda: capture(Trainer(preset(name)))


def _trained(experiment: Experiment, epochs: int, points=None) -> Callable[[], ExperimentFile]:
    def build() -> ExperimentFile:
        trainer = Trainer(experiment, points)
        for _ in trainer.run(until_epoch=epochs, snapshot_interval=1e9):
            pass
        return capture(trainer)

    return build


def _cars() -> ExperimentFile:
    points = (np.array(CARS_SPEED, dtype=np.float64), np.array(CARS_DIST, dtype=np.float64))
    return capture(Trainer(CARS, points))


def _shipped_csv(experiment: Experiment) -> Callable[[], ExperimentFile]:
    """An experiment on a CSV file of the examples folder; its points travel inside the experiment file."""
    return lambda: capture(Trainer(experiment, load_spec_csv(experiment.data, EXAMPLES_FOLDER)))


EXAMPLES: dict[str, Example] = {
    "linear": Example("the noisy line, fitted by one linear layer", _untrained("linear")),
    "sine": Example("the sine, fitted by a 1-64-1 ReLU network with Adam", _untrained("sine")),
    "sine-linear": Example("a straight line cannot fit a sine", _untrained("sine-linear")),
    "line-manual": Example("the line trained from w = (1, 1) on raw points", _untrained("line-manual")),
    "sine-tanh-deep": Example("a deeper tanh network, mini-batches, a test split", _untrained("sine-tanh-deep")),
    "step-relu": Example("a ReLU network approximates a jump", _untrained("step-relu")),
    "bump-momentum": Example("SGD with momentum on a Gaussian bump", _untrained("bump-momentum")),
    "sine-trained": Example(
        "the sine, already trained for 100 epochs: open it and carry on", _trained(preset("sine"), 100)
    ),
    "cars": Example("imported data (R's cars) that travels inside the file", _cars),
    "mtcars": Example("real data, four inputs: the fuel use of 32 cars (R's mtcars)", _shipped_csv(MTCARS)),
    "iris": Example("real data, four inputs, three classes: Fisher's iris flowers", _shipped_csv(IRIS)),
}
SHIPPED_CSV_FILES = ("cars.csv", "mtcars.csv", "iris.csv")  # mtcars.csv and iris.csv are written by hand


def example_path(name: str) -> Path:
    return EXAMPLES_FOLDER / f"{name}{SUFFIX}"


def shipped_examples() -> list[Path]:
    """The example files present, in the order of EXAMPLES (for the File ▸ Open Example menu)."""
    return [example_path(name) for name in EXAMPLES if example_path(name).is_file()]


def write_examples(folder: Path = EXAMPLES_FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, example in EXAMPLES.items():
        path = folder / f"{name}{SUFFIX}"
        save(example.build(), path)
        written.append(path)
    csv_lines = ["speed,dist", *(f"{s},{d}" for s, d in zip(CARS_SPEED, CARS_DIST, strict=True))]
    (folder / "cars.csv").write_text("\n".join(csv_lines) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":
    for written in write_examples():
        print(written)
