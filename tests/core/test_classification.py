"""Classification: the 2-D generators, labelled CSV files, bce and cross-entropy against torch, both
backends step for step, the gradient check, accuracy and confusion matrices, and the presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnstudio.core.datasets.class_generators import (
    CIRCLE_INSIDE,
    CIRCLE_RING,
    CLASSIFICATION_GENERATORS,
    generate_classes,
)
from nnstudio.core.datasets.data import GRID_SIDE, load_labelled_csv, parse_labelled_csv, prepare
from nnstudio.core.engine.backends.numpy_backend import sigmoid
from nnstudio.core.engine.classification import (
    ClassificationMetrics,
    check_task,
    class_probabilities,
    classification_metrics,
    confusion_matrix,
    fit_to_data,
)
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.gradcheck import check_trainer
from nnstudio.core.engine.losses import CLASSIFICATION_LOSSES, LOSSES, REGRESSION_LOSSES, softmax
from nnstudio.core.engine.prediction import prediction_with_parameters
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer, format_log_line
from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.formulas import LOSS_GRADIENTS, layer_formulas
from nnstudio.core.teaching.inspector import inspect_step
from tests.core.helpers import max_relative_difference, relative_difference, step_losses, train_epochs, trainer_on

GRADIENT_TOLERANCE = 1e-9
LOSS_TOLERANCE = 1e-8

BINARY = Experiment(
    name="binary",
    data=DataSpec(generator="circle", n_points=120, noise_sd=0.3, seed=5, test_fraction=0.25),
    model=ModelSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "relu")), output_activation="sigmoid"),
    training=TrainingSpec(loss="bce", optimizer="adam", learning_rate=0.02, seed=3),
)
MULTICLASS = Experiment(
    name="multiclass",
    data=DataSpec(generator="spiral", classes=4, n_points=160, noise_sd=0.2, seed=6, test_fraction=0.2),
    model=ModelSpec(hidden=(LayerSpec(10, "tanh"),)),
    training=TrainingSpec(loss="cross_entropy", optimizer="adam", learning_rate=0.02, seed=4),
)


# --- generators ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLASSIFICATION_GENERATORS))
def test_generators_give_two_inputs_and_class_numbers_reproducibly(name):
    classes = CLASSIFICATION_GENERATORS[name].fixed_classes or 3
    x, labels = generate_classes(name, 90, classes, 0.2, seed=11)
    assert x.shape == (90, 2) and labels.shape == (90,)
    assert set(np.unique(labels)) == set(range(classes))
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 9
    again, again_labels = generate_classes(name, 90, classes, 0.2, seed=11)
    np.testing.assert_array_equal(x, again)
    np.testing.assert_array_equal(labels, again_labels)
    other, _ = generate_classes(name, 90, classes, 0.2, seed=12)
    assert not np.array_equal(x, other)


def test_circle_without_noise_puts_class_0_in_the_disc_and_class_1_in_the_ring():
    x, labels = generate_classes("circle", 400, 2, 0.0, seed=1)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.all(radius[labels == 0] <= CIRCLE_INSIDE)
    assert np.all((radius[labels == 1] >= CIRCLE_RING[0]) & (radius[labels == 1] <= CIRCLE_RING[1]))
    assert np.sum(labels == 0) == np.sum(labels == 1) == 200


def test_xor_without_noise_is_the_sign_rule_and_keeps_off_the_axes():
    x, labels = generate_classes("xor", 500, 2, 0.0, seed=2)
    np.testing.assert_array_equal(labels, (x[:, 0] * x[:, 1] > 0).astype(float))
    assert np.abs(x).min() >= 0.3
    assert 0.35 < labels.mean() < 0.65


def test_gaussians_sit_round_their_centres_and_spiral_arms_wind_out():
    x, labels = generate_classes("gaussians", 2000, 2, 0.0, seed=3)
    centre_0, centre_1 = x[labels == 0].mean(axis=0), x[labels == 1].mean(axis=0)
    np.testing.assert_allclose(centre_0, 3 / np.sqrt(2) * np.ones(2), atol=0.15)
    np.testing.assert_allclose(centre_1, -3 / np.sqrt(2) * np.ones(2), atol=0.15)
    spiral, arms = generate_classes("spiral", 300, 3, 0.0, seed=4)
    for arm in range(3):
        radius = np.hypot(*spiral[arms == arm].T)
        assert np.all(np.diff(radius) > 0) and radius[0] == 0.0 and radius[-1] < 5.0


def test_noise_moves_the_points_by_its_sd():
    clean, _ = generate_classes("spiral", 600, 2, 0.0, seed=5)
    noisy, _ = generate_classes("spiral", 600, 2, 0.5, seed=5)
    assert np.std(noisy - clean) == pytest.approx(0.5, rel=0.1)


# --- specs -----------------------------------------------------------------------------------------------


def test_spec_knows_its_task_and_refuses_impossible_class_settings():
    assert DataSpec(generator="circle").task == "classification"
    assert DataSpec(generator="sine").task == "regression"
    assert DataSpec(generator="csv", csv_path="a.csv").task == "regression"
    assert DataSpec(generator="csv", csv_path="a.csv", csv_label_column=2).task == "classification"
    with pytest.raises(NNStudioError, match="data.classes must be 2 for the circle generator"):
        DataSpec(generator="circle", classes=3)
    with pytest.raises(NNStudioError, match="data.classes is only for"):
        DataSpec(generator="sine", classes=3)
    with pytest.raises(NNStudioError, match="data.classes must be a whole number from 2 to 8"):
        DataSpec(generator="spiral", classes=9)
    # input columns without labels: numbers to fit from them, the target (csv_y_column) not among them
    assert DataSpec(generator="csv", csv_path="a.csv", csv_input_columns=(0, 2)).task == "regression"
    with pytest.raises(NNStudioError, match="csv_y_column .1. is the target: it must not be one of the input"):
        DataSpec(generator="csv", csv_path="a.csv", csv_input_columns=(0, 1))
    with pytest.raises(NNStudioError, match="must not be one of the input columns"):
        DataSpec(generator="csv", csv_path="a.csv", csv_label_column=1)
    with pytest.raises(NNStudioError, match="csv_input_columns must be different columns"):
        DataSpec(generator="csv", csv_path="a.csv", csv_label_column=3, csv_input_columns=(1, 1))


def test_classification_settings_round_trip_through_toml_and_regression_files_do_not_change():
    experiment = Experiment(
        data=DataSpec(generator="csv", csv_path="points.csv", csv_label_column=0, csv_input_columns=(2, 1)),
        model=ModelSpec(output_activation="sigmoid"),
        training=TrainingSpec(loss="bce"),
    )
    text = experiment.to_toml()
    assert "csv_label_column = 0" in text
    assert Experiment.from_toml(text) == experiment
    assert Experiment.from_toml(PRESETS["spiral"].to_toml()) == PRESETS["spiral"]
    regression = Experiment().to_toml()
    assert (
        "classes" not in regression and "csv_label_column" not in regression and "csv_input_columns" not in regression
    )


# --- datasets ---------------------------------------------------------------------------------------------


def test_a_classification_dataset_keeps_labels_as_class_numbers_and_scales_only_x():
    spec = DataSpec(generator="gaussians", classes=3, n_points=150, noise_sd=0.5, seed=2, test_fraction=0.2)
    data = prepare(replace_spec(spec, standardize=True))
    assert data.is_classification and data.n_classes == 3 and data.n_outputs == 3 and data.n_inputs == 2
    assert (data.n_train, data.n_test) == (120, 30)
    assert data.y_train_raw.shape == (120, 1) and data.y_test_raw.shape == (30, 1)
    assert set(np.unique(np.vstack([data.y_train_raw, data.y_test_raw]))) == {0.0, 1.0, 2.0}
    np.testing.assert_array_equal(data.y_train, data.y_train_raw)  # labels are never standardised
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.x_train.std(axis=0, ddof=1), 1.0, rtol=1e-12)
    assert data.true_function is None
    assert prepare(PRESETS["circle"].data).n_outputs == 1  # two classes: one output, P(class 1)


def test_the_prediction_grid_covers_every_point_with_a_margin():
    data = prepare(PRESETS["circle"].data)
    assert data.grid_shape == (GRID_SIDE, GRID_SIDE)
    assert data.x_grid_raw.shape == (GRID_SIDE**2, 2)
    x1, x2 = data.grid_axes
    points = np.vstack([data.x_train_raw, data.x_test_raw])
    assert x1[0] < points[:, 0].min() and x1[-1] > points[:, 0].max()
    assert x2[0] < points[:, 1].min() and x2[-1] > points[:, 1].max()
    assert np.all(np.diff(x1) > 0) and np.all(np.diff(x2) > 0)
    # row-major: row i has x₂ = x2[i], column j has x₁ = x1[j]
    grid = data.x_grid_raw.reshape(GRID_SIDE, GRID_SIDE, 2)
    np.testing.assert_array_equal(grid[5, :, 0], x1)
    np.testing.assert_array_equal(grid[:, 7, 1], x2)


def test_a_training_set_missing_a_class_is_refused():
    with pytest.raises(NNStudioError, match="no point of class"):
        prepare(DataSpec(generator="spiral", classes=8, n_points=16, test_fraction=0.9))


# --- labelled CSV ------------------------------------------------------------------------------------------


def test_a_labelled_csv_reads_two_inputs_and_the_labels():
    x, labels = parse_labelled_csv("a;b;class\n0.5;1;0\n2;-1;1\n3;4;2.0\n", (0, 1), 2)
    np.testing.assert_array_equal(x, [[0.5, 1.0], [2.0, -1.0], [3.0, 4.0]])
    np.testing.assert_array_equal(labels, [0, 1, 2])
    x, labels = parse_labelled_csv("1,7,0,9\n0,8,1,9\n", (3, 1), 0)  # columns in any order
    np.testing.assert_array_equal(x, [[9.0, 7.0], [9.0, 8.0]])
    np.testing.assert_array_equal(labels, [1, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y\n1,2,0\n3,4,1.5\n", "line 3, column 3: '1.5' is not a class label"),
        ("x1,x2,y\n1,2,0\n3,4,-1\n", "line 3, column 3: '-1' is not a class label"),
        ("1,2,0\n3,4,cat\n5,6,1\n", "line 2, column 3: 'cat' is not a class label"),
        ("x1,x2,y\n1,2,9\n3,4,1\n", "line 2, column 3: class 9 is too large"),
        (
            "x1,x2,y\n1,2,1\n3,4,1\n5,6,1\n",
            "lines 2–4, column 3: every label is 1: a classifier needs at least 2 classes",
        ),
        ("x1,x2,y\n1,2,0\n3,4,2\n", "column 3: no point has class 1"),
        ("x1,x2,y\n1,oops,0\n3,4,1\n", "line 2, column 2: 'oops' is not a number"),
        ("x1,x2\n1,2\n3,4\n", "line 2: column 3 was asked for but the row has only 2 column"),
    ],
)
def test_labelled_csv_problems_name_their_line_and_column(text, message):
    with pytest.raises(NNStudioError) as error:
        parse_labelled_csv(text, (0, 1), 2)
    assert message in str(error.value)


def test_a_labelled_csv_file_trains_and_its_errors_name_the_file(tmp_path):
    path = tmp_path / "moons.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    labels = (x[:, 0] > 0).astype(int)
    path.write_text("label,x1,x2\n" + "".join(f"{c},{a},{b}\n" for (a, b), c in zip(x, labels, strict=True)))
    spec = DataSpec(generator="csv", csv_path=str(path), csv_label_column=0, csv_input_columns=(1, 2))
    data = prepare(spec)
    assert data.n_classes == 2 and data.n_train == 40
    np.testing.assert_array_equal(data.x_train_raw, x)
    np.testing.assert_array_equal(data.y_train_raw[:, 0], labels)
    broken = tmp_path / "broken.csv"
    broken.write_text("label,x1,x2\n0,1,2\nyes,3,4\n")
    with pytest.raises(NNStudioError, match=r"^broken\.csv, line 3, column 1: 'yes' is not a class label"):
        load_labelled_csv(broken, (1, 2), 0)


# --- losses against torch ------------------------------------------------------------------------------------


def torch_loss_and_gradient(function, prediction: np.ndarray, target) -> tuple[float, np.ndarray]:
    tensor = torch.tensor(prediction, dtype=torch.float64, requires_grad=True)
    loss = function(tensor, target)
    loss.backward()
    return loss.item(), tensor.grad.numpy()


def test_binary_cross_entropy_is_torchs_bceloss_even_at_zero_and_one():
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 1, 200), 10 ** rng.uniform(-17, -1, 50), 1 - 10 ** rng.uniform(-17, -1, 50)])
    p = np.concatenate([p, [0.0, 1.0, 0.0, 1.0, 0.5]]).reshape(-1, 1)
    y = np.concatenate([rng.integers(0, 2, 300), [1, 0, 0, 1, 1]]).astype(float).reshape(-1, 1)
    value, gradient = torch_loss_and_gradient(torch.nn.BCELoss(), p, torch.tensor(y))
    assert LOSSES["bce"].value(p, y) == pytest.approx(value, rel=1e-12)
    assert relative_difference(LOSSES["bce"].gradient(p, y), gradient) <= 1e-12
    assert np.isfinite(LOSSES["bce"].value(np.array([[0.0]]), np.array([[1.0]])))  # ln 0 is clamped at −100
    assert LOSSES["bce"].value(np.array([[0.0]]), np.array([[1.0]])) == 100.0


def test_cross_entropy_is_torchs_crossentropyloss_and_its_gradient_is_softmax_minus_onehot():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(60, 4)) * 6
    labels = rng.integers(0, 4, 60)
    y = labels.astype(float).reshape(-1, 1)
    value, gradient = torch_loss_and_gradient(torch.nn.CrossEntropyLoss(), z, torch.tensor(labels))
    assert LOSSES["cross_entropy"].value(z, y) == pytest.approx(value, rel=1e-12)
    ours = LOSSES["cross_entropy"].gradient(z, y)
    assert relative_difference(ours, gradient) <= 1e-12
    # dL/dz = (softmax(z) − onehot(y)) / N
    np.testing.assert_allclose(ours, (softmax(z) - np.eye(4)[labels]) / 60, rtol=0, atol=1e-17)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, rtol=1e-15)
    assert np.all(np.isfinite(softmax(np.array([[1000.0, 0.0, -1000.0]]))))  # no overflow


def test_sigmoid_and_bce_together_give_prediction_minus_target_over_n():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(30, 1))
    y = rng.integers(0, 2, (30, 1)).astype(float)
    p = sigmoid(z)
    chained = LOSSES["bce"].gradient(p, y) * p * (1 - p)  # dL/dŷ ⊙ σ'(z)
    np.testing.assert_allclose(chained, (p - y) / 30, rtol=1e-12)


def test_every_loss_says_what_it_is_for_and_has_its_formulas():
    assert REGRESSION_LOSSES == ("sse", "mse") and CLASSIFICATION_LOSSES == ("bce", "cross_entropy")
    assert LOSSES["bce"].averaged and LOSSES["cross_entropy"].averaged
    assert (LOSSES["bce"].output_activation, LOSSES["cross_entropy"].output_activation) == ("sigmoid", "identity")
    for name in CLASSIFICATION_LOSSES:
        assert "ln" in LOSSES[name].formula and name in LOSS_GRADIENTS
    trainer = Trainer(MULTICLASS)
    last = layer_formulas(trainer.layers[-1], len(trainer.layers), "cross_entropy", "adam")
    assert "(softmax(z) − onehot(y)) / N" in last.backward[1]
    assert not any("(y − ŷ)" in line for line in last.backward)  # the regression closed form does not apply


# --- the two backends ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("experiment", [BINARY, MULTICLASS], ids=["bce", "cross_entropy"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_gradients_agree_with_autograd_and_finite_differences(experiment, optimizer):
    trainer = Trainer(experiment.with_training(optimizer=optimizer, learning_rate=0.05))
    step_losses(trainer, 7)  # away from the initial weights
    check = check_trainer(trainer)
    assert check.max_rel_diff_manual_vs_autograd <= GRADIENT_TOLERANCE
    assert check.max_rel_diff_manual_vs_finite_diff <= 1e-5
    data = trainer.dataset
    torch_gradients = trainer_on(experiment, "torch")
    torch_gradients.backend.load_state(trainer.backend.state())
    assert (
        max_relative_difference(
            trainer.backend.gradients(data.x_train, data.y_train),
            torch_gradients.backend.gradients(data.x_train, data.y_train),
        )
        <= GRADIENT_TOLERANCE
    )


@pytest.mark.parametrize("experiment", [BINARY, MULTICLASS], ids=["bce", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [None, 16, 7])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_fifty_steps_give_the_same_losses_on_both_backends(experiment, batch_size, optimizer):
    changed = experiment.with_training(optimizer=optimizer, batch_size=batch_size, learning_rate=0.05)
    numpy_losses = step_losses(trainer_on(changed, "numpy"), 50)
    torch_trainer = trainer_on(changed, "torch")
    torch_losses = step_losses(torch_trainer, 50)
    assert np.all(np.isfinite(numpy_losses))
    assert relative_difference(numpy_losses, torch_losses) <= LOSS_TOLERANCE
    assert len(set(numpy_losses)) > 40  # the weights move: the steps are not all alike


@pytest.mark.parametrize("experiment", [BINARY, MULTICLASS], ids=["bce", "cross_entropy"])
@pytest.mark.parametrize("first", ["numpy", "torch"])
def test_switching_backend_mid_run_continues_the_same_run(experiment, first):
    changed = experiment.with_training(batch_size=20)
    reference = step_losses(trainer_on(changed, first), 50)
    trainer = trainer_on(changed, first)
    before = step_losses(trainer, 23)
    trainer.switch_backend("torch" if first == "numpy" else "numpy")
    after = step_losses(trainer, 27)
    assert relative_difference(np.concatenate([before, after]), reference) <= LOSS_TOLERANCE


def test_float32_runs_stay_close_to_float64():
    single = step_losses(Trainer(BINARY.with_training(dtype="float32")), 20)
    double = step_losses(Trainer(BINARY), 20)
    assert relative_difference(single, double) < 1e-4


# --- trainer: probabilities, metrics, checks -----------------------------------------------------------------


def test_prediction_on_grid_is_class_probabilities():
    for experiment, classes in ((BINARY, 2), (MULTICLASS, 4)):
        trainer = Trainer(experiment)
        probabilities = trainer.prediction_on_grid()
        assert probabilities.shape == (GRID_SIDE**2, classes)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
        assert np.all((probabilities >= 0) & (probabilities <= 1))
    outputs = trainer.backend.predict(trainer.dataset.x_grid)
    np.testing.assert_allclose(trainer.prediction_on_grid(), softmax(outputs), rtol=1e-14)
    binary = Trainer(BINARY)
    p = binary.backend.predict(binary.dataset.x_grid)[:, 0]
    np.testing.assert_array_equal(binary.prediction_on_grid()[:, 1], p)  # column 1: P(class 1) = the sigmoid output


def test_a_recorded_moment_predicts_what_the_trainer_predicted_then():
    """The timeline redraws a past epoch from its recorded weights: the same curve the trainer drew then."""
    standardised = Experiment(
        data=DataSpec(generator="sine", n_points=40, noise_sd=0.3, standardize=True, seed=2),
        model=ModelSpec(hidden=(LayerSpec(6, "tanh"),)),
        training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.05, seed=1),
    )
    for experiment in (standardised, BINARY, MULTICLASS):
        trainer = Trainer(experiment)
        train_epochs(trainer, 3)
        parameters = {name: value.copy() for name, value in trainer.backend.parameters().items()}
        then = trainer.prediction_on_grid()
        train_epochs(trainer, 6)  # the model moves on; the recorded weights stay
        recalled = prediction_with_parameters(trainer.layers, parameters, trainer.dataset, experiment.training.loss)
        np.testing.assert_allclose(recalled, then, rtol=1e-12, atol=1e-14)
        assert not np.allclose(trainer.prediction_on_grid(), then)


def test_snapshots_carry_accuracy_and_confusion_for_train_and_test():
    trainer = Trainer(MULTICLASS)
    train_epochs(trainer, 30)
    snapshot = trainer.snapshot()
    data = trainer.dataset
    for metrics, x, y in (
        (snapshot.train_metrics, data.x_train, data.y_train_raw),
        (snapshot.test_metrics, data.x_test, data.y_test_raw),
    ):
        assert isinstance(metrics, ClassificationMetrics)
        predicted = np.argmax(softmax(trainer.backend.predict(x)), axis=1)
        assert metrics.accuracy == np.mean(predicted == y[:, 0])
        assert metrics.confusion.shape == (4, 4) and metrics.confusion.sum() == len(y) == metrics.n_points
        np.testing.assert_array_equal(metrics.confusion.sum(axis=1), np.bincount(y[:, 0].astype(int), minlength=4))
        assert metrics.errors == len(y) - np.trace(metrics.confusion)
        assert np.isnan(metrics.mse)  # the regression names read as "not available"
    assert snapshot.log_lines == () or snapshot.log_lines[0].startswith("Epoch: ")
    assert format_log_line(10, trainer.loss_history.train[9]) == f"Epoch: 10 Loss: {trainer.loss_history.train[9]:.7g}"


def test_confusion_matrix_and_accuracy_count_a_diverged_prediction_as_wrong():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [np.nan, np.nan]])
    labels = np.array([[0], [1], [1], [0]])
    metrics = classification_metrics(probabilities, labels, 2)
    assert metrics.accuracy == 0.5 and metrics.errors == 2
    np.testing.assert_array_equal(metrics.confusion, [[1, 0], [1, 1]])
    np.testing.assert_array_equal(confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], 3), [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
    assert classification_metrics(np.zeros((0, 2)), np.zeros((0, 1)), 2) is None
    np.testing.assert_array_equal(class_probabilities(np.array([[0.25]]), "bce"), [[0.75, 0.25]])


@pytest.mark.parametrize(
    ("experiment", "message"),
    [
        (PRESETS["sine"].with_training(loss="bce"), "the bce loss is for class labels, but this data is numbers"),
        (PRESETS["circle"].with_training(loss="mse"), "the mse loss does not fit 2 classes: use bce"),
        (PRESETS["circle"].with_training(loss="cross_entropy"), "cross_entropy is for 3 or more classes"),
        (PRESETS["spiral"].with_training(loss="bce"), "the bce loss does not fit 3 classes: use cross_entropy"),
        (
            PRESETS["circle"].with_model(output_activation="identity"),
            "bce loss needs model.output_activation = 'sigmoid'",
        ),
        (PRESETS["spiral"].with_model(output_activation="sigmoid"), "needs model.output_activation = 'identity'"),
    ],
)
def test_a_loss_that_does_not_fit_the_data_is_a_clear_error(experiment, message):
    with pytest.raises(NNStudioError, match=message):
        Trainer(experiment)


def test_changing_to_an_unfitting_loss_mid_run_changes_nothing():
    trainer = Trainer(BINARY)
    step_losses(trainer, 3)
    before = trainer.backend.state()
    with pytest.raises(NNStudioError, match="mse"):
        trainer.update_training(loss="mse")
    assert trainer.training.loss == "bce"
    after = trainer.backend.state()
    for name in before.parameters:
        np.testing.assert_array_equal(before.parameters[name], after.parameters[name])
    trainer.update_training(learning_rate=0.001)  # a fitting change still works
    assert trainer.training.learning_rate == 0.001


def test_fit_to_data_picks_the_loss_and_output_the_data_needs():
    circle, spiral, sine = (prepare(PRESETS[name].data) for name in ("circle", "spiral", "sine"))
    to_binary = fit_to_data(PRESETS["sine"].with_data(**PRESETS["circle"].data.__dict__), circle)
    assert (to_binary.training.loss, to_binary.model.output_activation) == ("bce", "sigmoid")
    check_task(to_binary, circle)
    to_multi = fit_to_data(PRESETS["circle"], spiral)
    assert (to_multi.training.loss, to_multi.model.output_activation) == ("cross_entropy", "identity")
    back = fit_to_data(PRESETS["circle"], sine)
    assert (back.training.loss, back.model.output_activation) == ("mse", "identity")
    assert fit_to_data(PRESETS["sine"], sine) is PRESETS["sine"]  # nothing to change
    kept = fit_to_data(PRESETS["sine"].with_training(loss="sse"), sine)
    assert kept.training.loss == "sse"
    with pytest.raises(NNStudioError):
        check_task(fit_to_data(PRESETS["circle"].with_training(loss="mse"), circle, keep_loss=True), circle)


def test_the_step_inspector_takes_a_classification_step_apart():
    trainer = Trainer(MULTICLASS.with_training(batch_size=32))
    inspection = inspect_step(trainer, max_finite_difference_entries=200)
    assert inspection.max_rel_diff_manual_vs_autograd <= GRADIENT_TOLERANCE
    assert inspection.layers[-1].forward.outputs.shape == (32, 4)
    assert inspection.loss_formula == LOSSES["cross_entropy"].formula


# --- presets ------------------------------------------------------------------------------------------------


def test_the_tutorial_presets_still_come_first():
    assert list(PRESETS)[:4] == ["linear", "sine", "sine-linear", "line-manual"]
    names = list(PRESETS)
    assert {"circle", "xor", "spiral", "two-gaussians"} <= set(names)
    assert min(names.index(n) for n in ("circle", "xor", "spiral", "two-gaussians")) > names.index("cubic-overfit")


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_circle_and_xor_reach_95_percent_test_accuracy_with_the_same_numbers_on_both_backends(name):
    experiment = PRESETS[name]
    assert all(layer.activation == "tanh" and layer.units <= 8 for layer in experiment.model.hidden)
    assert experiment.training.optimizer == "adam" and experiment.data.test_fraction > 0
    trainers = [trainer_on(experiment, backend) for backend in ("numpy", "torch")]
    histories = [train_epochs(trainer, experiment.training.epochs) for trainer in trainers]
    assert relative_difference(*histories) <= LOSS_TOLERANCE
    for trainer in trainers:
        train, test = trainer.metrics()
        assert test.n_points == trainer.dataset.n_test >= 100
        assert test.accuracy >= 0.95 and train.accuracy >= 0.95
    assert trainers[0].metrics()[1].accuracy == trainers[1].metrics()[1].accuracy
    np.testing.assert_array_equal(trainers[0].metrics()[1].confusion, trainers[1].metrics()[1].confusion)


@pytest.mark.parametrize(("name", "classes", "accuracy"), [("spiral", 3, 0.9), ("two-gaussians", 2, 0.95)])
def test_spiral_and_two_gaussians_learn_their_classes(name, classes, accuracy):
    experiment = PRESETS[name]
    trainer = Trainer(experiment)
    train_epochs(trainer, experiment.training.epochs)
    assert trainer.dataset.n_classes == classes
    assert trainer.metrics()[1].accuracy >= accuracy


def replace_spec(spec: DataSpec, **changes) -> DataSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def test_a_diverged_binary_network_gives_a_nan_loss_on_both_backends_not_an_error():
    from nnstudio.core.engine.backends.torch_backend import LOSS_FUNCTIONS

    prediction = np.array([[0.3], [np.nan]])
    y = np.array([[1.0], [0.0]])
    assert np.isnan(LOSSES["bce"].value(prediction, y))
    tensor = torch.tensor(prediction, requires_grad=True)
    loss = LOSS_FUNCTIONS["bce"](tensor, torch.tensor(y))
    loss.backward()
    assert torch.isnan(loss) and torch.isnan(tensor.grad).all()
