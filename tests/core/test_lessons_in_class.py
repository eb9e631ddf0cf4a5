"""Every shipped lesson page done as a class does it: Set up, then exactly what its text says (Play to the
target, one Inspect step, pause half way and switch the backend…), then what its text promises, in numbers.

Each page's runs are also held to its own [expect] (what `nnstudio lessons check` checks), and the
[expect] must describe the run the text asks for: as many epochs as Play or the Steps make.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.engine.gradcheck import AGREE
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.teaching.inspector import inspect_step
from nnstudio.core.teaching.lesson_check import check_lesson, judge
from nnstudio.core.teaching.lessons import LessonPage, load_lesson, shipped_lessons
from tests.core.lesson_overfitting_pages import OVERFITTING_PAGES

TUTORIAL, STANDARDISE = "01-neural-networks-in-r", "02-why-standardise"
REAL_DATA = "04-real-data"


def set_up(page: LessonPage, **changes) -> Trainer:
    """Set up, with training settings changed in the Training tab (then Reset: the initial weights)."""
    return Trainer(page.setup.experiment(changes))


def play(trainer: Trainer, until: int | None = None) -> Trainer:
    """Play (Space): trains to the target epoch, unless training stops by itself; `until`: Pause there."""
    for _ in trainer.run(until_epoch=until or trainer.training.epochs, snapshot_interval=1e9):
        pass
    return trainer


def slope_and_intercept(trainer: Trainer) -> tuple[float, float]:
    """The fitted line in the data's original units, read off the prediction as the plot draws it."""
    x = np.array([[-10.0], [10.0]])
    scaler = trainer.dataset.scaler
    low, high = scaler.y_from_model(trainer.backend.predict(scaler.x_to_model(x)))[:, 0]
    return (high - low) / 20.0, (high + low) / 2.0


def least_squares(trainer: Trainer) -> tuple[float, float]:
    x, y = trainer.dataset.x_train_raw[:, 0], trainer.dataset.y_train_raw[:, 0]
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


# --- lesson 1 -------------------------------------------------------------------------------------


def tutorial_1(page):
    trainer = set_up(page)
    assert trainer.dataset.n_train == 50 and "Here are 50 points" in page.text
    x = trainer.dataset.x_train_raw[:, 0]
    assert -10 <= x.min() and x.max() <= 10
    assert slope_and_intercept(trainer)[0] == pytest.approx(-0.9, abs=0.05)  # "slopes the wrong way"
    play(trainer)
    assert slope_and_intercept(trainer)[0] == pytest.approx(1.5, abs=0.05)  # "its slope is about 1.5"
    return [trainer]


def tutorial_2(page):
    trainer = set_up(page)
    parameters = trainer.backend.parameters()
    assert parameters["W1"][0, 0] == parameters["b1"][0] == 1.0  # "starts from w = (1, 1)"
    play(trainer)
    losses = trainer.loss_history.train
    assert losses[0] == pytest.approx(3900, rel=0.01) and losses[-1] == pytest.approx(440, rel=0.02)
    return [trainer]


def tutorial_3(page):
    trainer = set_up(page)
    inspection = inspect_step(trainer)  # Inspect step (I), once
    assert inspection.stepped and trainer.epoch == 1
    check = inspection.gradient_check
    assert check.verdict == AGREE
    assert check.max_rel_diff_manual_vs_autograd <= 1e-15  # "about sixteen digits"
    assert 1e-12 <= check.max_rel_diff_manual_vs_finite_diff <= 1e-9  # "a relative difference near 10⁻¹⁰"
    return [trainer]


def tutorial_4(page):
    trainer = play(set_up(page))
    every_ten = trainer.loss_history.train[9::10]
    ratios = every_ten[1:] / every_ten[:-1]
    assert ratios[0] == pytest.approx(0.82, abs=0.005) and np.all((ratios > 0.81) & (ratios < 0.87))
    too_large = play(set_up(page, learning_rate=0.03))  # "set the learning rate to 0.03 … Reset (R) and Play"
    losses = too_large.loss_history.train
    growth = losses[1:] / losses[:-1]
    assert np.all((growth > 3.5) & (growth < 4.0))  # "almost fourfold every epoch"
    assert too_large.epoch == 8 and losses[-1] > 10_000 * losses[0] > losses[-2]  # "at epoch 8"
    assert too_large.diverged_message.startswith("Diverged at epoch 8: ")
    return [trainer, too_large]


def tutorial_5(page):
    trainer = play(set_up(page))
    losses = trainer.loss_history.train
    assert 8.5 < losses[-1] < 9.5 and losses[0] - losses[-1] < 1.0  # "falls a little and then stops near 9"
    x, y = trainer.dataset.x_train_raw[:, 0], trainer.dataset.y_train_raw[:, 0]
    slope, intercept = least_squares(trainer)
    best = np.mean((y - (slope * x + intercept)) ** 2)
    assert losses[-1] == pytest.approx(best, rel=0.05) and abs(slope) < 0.5  # the best line is almost flat
    return [trainer]


def tutorial_6(page):
    trainer = play(set_up(page))
    losses = trainer.loss_history.train
    assert losses[29] == pytest.approx(1.4, abs=0.1)  # "by epoch 30 … about 1.4"
    assert losses[99] == pytest.approx(1.0, abs=0.1)  # "by epoch 100 … about 1"
    return [trainer]


def tutorial_7(page):
    trainer = set_up(page)
    assert trainer.backend.name == "numpy"
    play(trainer, until=trainer.training.epochs // 2)  # "pause half way"
    trainer.switch_backend("torch")  # "switch the backend to torch"
    play(trainer)  # "and press Play again"
    numpy_only = play(set_up(page))
    np.testing.assert_allclose(trainer.loss_history.train, numpy_only.loss_history.train, rtol=1e-13)
    return [trainer]


# --- lesson 2 -------------------------------------------------------------------------------------


def standardise_1(page):
    trainer = set_up(page)
    assert np.mean(trainer.dataset.x_train_raw**2) == pytest.approx(34, abs=0.5)  # "x² is 34 on average"
    play(trainer)
    losses = trainer.loss_history.train
    growth = losses[1:] / losses[:-1]
    assert np.all((growth > 2.6) & (growth < 3.0))  # "the loss almost triples at every epoch"
    assert trainer.epoch == 10 and trainer.diverged_message.startswith("Diverged at epoch 10: ")
    return [trainer]


def standardise_2(page):
    trainer = set_up(page)
    best_slope, best_intercept = least_squares(trainer)
    assert best_intercept == pytest.approx(2.85, abs=0.005)
    play(trainer, until=5)
    parameters = trainer.backend.parameters()
    assert abs(parameters["W1"][0, 0] - best_slope) < 0.005  # "the slope is found within 5 epochs"
    assert best_intercept - parameters["b1"][0] > 1.5  # ... the bias has hardly moved
    play(trainer)
    assert 0.01 < best_intercept - trainer.backend.parameters()["b1"][0] < 0.1  # "still short … after 200"
    return [trainer]


def standardise_3(page):
    trainer = play(set_up(page))
    losses = trainer.loss_history.train
    assert losses[4] == pytest.approx(losses[-1], rel=0.01)  # "the fit is found within 5 epochs"
    return [trainer]


# --- lesson 4 -------------------------------------------------------------------------------------


def real_data_1(page):
    trainer = set_up(page)
    data = trainer.dataset
    assert (data.n_train, data.n_inputs) == (32, 4) and data.input_names == ("wt", "hp", "disp", "qsec")
    assert "32 cars" in page.text and "four inputs" in page.text
    play(trainer)
    # "R² reaches 0.835, exactly what least squares gives": lm(mpg ~ wt + hp + disp + qsec)
    x = np.column_stack([np.ones(32), data.x_train])
    coefficients, *_ = np.linalg.lstsq(x, data.y_train, rcond=None)
    weights = trainer.backend.parameters()["W1"][:, 0]
    np.testing.assert_allclose(weights, coefficients[1:, 0], atol=1e-3)
    train, _ = trainer.metrics()
    assert train.r2 == pytest.approx(0.835, abs=0.001)
    assert np.argmin(weights) == 0 and np.argmax(np.abs(weights)) == 0  # "wt has the largest (negative) one"
    return [trainer]


def real_data_2(page):
    trainer = set_up(page)
    data = trainer.dataset
    assert (data.n_train + data.n_test, data.n_inputs, data.n_classes) == (150, 4, 3)
    labels = np.concatenate([data.y_train_raw[:, 0], data.y_test_raw[:, 0]])
    assert np.bincount(labels.astype(int)).tolist() == [50, 50, 50]  # "50 of each species"
    assert data.n_test == 30  # "a fifth of the flowers is held out"
    play(trainer)
    train, _ = trainer.metrics()
    assert train.accuracy > 0.95  # "over 95 % right"
    wrong = train.confusion - np.diag(np.diag(train.confusion))
    assert wrong[0].sum() == 0 and wrong[:, 0].sum() == 0  # "setosa is apart from the others"
    return [trainer]


CLASS_DOES = {
    (TUTORIAL, 1): tutorial_1,
    (TUTORIAL, 2): tutorial_2,
    (TUTORIAL, 3): tutorial_3,
    (TUTORIAL, 4): tutorial_4,
    (TUTORIAL, 5): tutorial_5,
    (TUTORIAL, 6): tutorial_6,
    (TUTORIAL, 7): tutorial_7,
    (STANDARDISE, 1): standardise_1,
    (STANDARDISE, 2): standardise_2,
    (STANDARDISE, 3): standardise_3,
    **OVERFITTING_PAGES,
    (REAL_DATA, 1): real_data_1,
    (REAL_DATA, 2): real_data_2,
}
PAGES = [
    pytest.param(path, number, id=f"{path.stem}-page{number}")
    for path in shipped_lessons()
    for number in range(1, len(load_lesson(path).pages) + 1)
]


def test_every_shipped_page_has_its_class_test():
    assert set(CLASS_DOES) == {(path.stem, number) for path, number in (p.values for p in PAGES)}


@pytest.mark.parametrize(("path", "number"), PAGES)
def test_the_page_does_what_its_text_says_when_the_class_does_what_it_asks(path, number):
    page = load_lesson(path).pages[number - 1]
    runs = CLASS_DOES[path.stem, number](page)
    expectations = [page.expect, *page.then]
    assert len(runs) == len(expectations)
    for expectation, trainer in zip(expectations, runs, strict=True):
        # the [expect] is the run the class makes: Play's target (or its Steps), with the settings it changes
        assert expectation.epochs == (trainer.epoch if expectation.epochs == 1 else trainer.training.epochs)
        assert trainer.experiment == page.setup.experiment(expectation.training).with_training(
            backend=trainer.training.backend
        )
        result = judge(expectation, trainer)
        assert result.passed, result.problems


def test_the_shipped_lessons_pass_their_own_check():
    for path in shipped_lessons():
        results = check_lesson(load_lesson(path))
        assert all(result.passed for result in results), [result.line() for result in results]
        assert all(result.runs for result in results)  # every page is checked
