"""The example files in resources/examples/ open, and are what nnstudio.core.storage.examples makes today.

The files were made on one machine; the numbers made here may differ in the last bits (another CPU's BLAS
kernels round differently), so stored numbers are compared to fresh ones with a tolerance (STORED).
"""

import numpy as np
import pytest

from nnstudio.core.datasets.data import load_csv
from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.storage.archive import read_experiment_file
from nnstudio.core.storage.examples import (
    CARS_DIST,
    CARS_SPEED,
    EXAMPLES,
    EXAMPLES_FOLDER,
    SHIPPED_CSV_FILES,
    example_path,
    shipped_examples,
)
from tests.core.helpers import step_losses
from tests.portability import assert_stored_close

REGENERATE = "regenerate them with `python -m nnstudio.core.storage.examples`"


def test_every_example_is_shipped_and_nothing_else():
    assert [path.stem for path in shipped_examples()] == list(EXAMPLES), REGENERATE
    assert sorted(p.name for p in EXAMPLES_FOLDER.iterdir()) == sorted(
        [*(f"{n}.nnstudio" for n in EXAMPLES), *SHIPPED_CSV_FILES]
    )
    assert {"linear", "sine", "sine-linear"} <= set(EXAMPLES)  # the tutorial's


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_opens_and_matches_how_it_is_made(name):
    opened = read_experiment_file(example_path(name))
    made = EXAMPLES[name].build()
    assert opened.experiment == made.experiment, REGENERATE
    trainer = opened.make_trainer()
    assert trainer.epoch == made.run.progress.epoch
    for key, value in made.run.state.parameters.items():
        assert_stored_close(trainer.backend.parameters()[key], value, err_msg=REGENERATE)
    assert_stored_close(trainer.loss_history.train, made.run.loss_history.train, err_msg=REGENERATE)
    assert np.all(np.isfinite(step_losses(trainer, 3)))


@pytest.mark.parametrize("name", ["linear", "sine", "sine-linear", "line-manual", "sine-tanh-deep"])
def test_a_preset_example_trains_exactly_like_its_preset(name):
    opened = read_experiment_file(example_path(name)).make_trainer()
    assert_stored_close(step_losses(opened, 12), step_losses(Trainer(preset(name)), 12))


def test_the_trained_example_carries_on_from_epoch_100():
    trainer = read_experiment_file(example_path("sine-trained")).make_trainer()
    reference = Trainer(preset("sine"))
    expected = step_losses(reference, 110)
    assert trainer.epoch == 100 and len(trainer.state_history) == 101
    assert_stored_close(trainer.loss_history.train, reference.loss_history.train[:100])
    assert_stored_close(step_losses(trainer, 10), expected[100:])


def test_the_cars_example_holds_r_cars_data_and_its_csv_says_the_same():
    opened = read_experiment_file(example_path("cars"))
    np.testing.assert_array_equal(opened.points[0], CARS_SPEED)
    np.testing.assert_array_equal(opened.points[1], CARS_DIST)
    speed, dist = load_csv(EXAMPLES_FOLDER / "cars.csv")
    np.testing.assert_array_equal(speed, CARS_SPEED)
    np.testing.assert_array_equal(dist, CARS_DIST)
    assert len(speed) == 50 and sum(CARS_DIST) == 2149  # R: sum(cars$dist)
