"""The options that say which experiment to run (train, gradcheck, snapshot), and the trainer they build.

A new option for the experiment goes into `add_experiment_options` and `build_experiment` (or
`training_changes` for a training setting, which `--resume` then applies as the Training tab does).
"""

from __future__ import annotations

import argparse

from nnstudio.cli.csv_columns import csv_columns
from nnstudio.core.errors import NNStudioError


def add_experiment_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help="start from a built-in experiment (see `nnstudio presets`)")
    source.add_argument("--experiment", metavar="FILE", help="start from an experiment file (.nnstudio or .toml)")
    parser.add_argument(
        "--data", "--csv", dest="data", metavar="CSV", help="train on the first two columns of a CSV file (x, y)"
    )
    parser.add_argument(
        "--label-column",
        metavar="N|NAME",
        help="with --data: this column (1 = the first, or its header name) holds class labels 0, 1, …",
    )
    parser.add_argument(
        "--target-column",
        metavar="N|NAME",
        help="with --data: this column (number or header name) holds the numbers to predict "
        "(inputs: --input-columns, default every other column of numbers)",
    )
    parser.add_argument(
        "--input-columns",
        metavar="A,B,…",
        help="with --label-column or --target-column: the input columns, by number (1 = the first) or name "
        "(default for labels 1,2)",
    )
    parser.add_argument(
        "--features",
        metavar="LIST",
        help="the network's inputs, computed from the raw inputs (standardised after): for one input "
        "x,x^2,x^3,sin(x),cos(x); for two x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2); 'raw' = x or x1,x2 (the default)",
    )
    parser.add_argument("--hidden", metavar="64,32|none", help="hidden layer widths; 'none' = one linear layer")
    parser.add_argument("--activation", metavar="NAME", help="activation of every hidden layer")
    parser.add_argument(
        "--loss",
        choices=("sse", "mse", "bce", "cross_entropy"),
        help="sse/mse for numbers; bce for two classes, cross_entropy for three or more (default: what the data needs)",
    )
    parser.add_argument("--optimizer", choices=("gd", "momentum", "adam"))
    parser.add_argument("--lr", type=float, metavar="F", help="learning rate")
    parser.add_argument(
        "--regularization",
        choices=("none", "l1", "l2"),
        help="a penalty on the weights (not the biases) added to the loss: "
        "l1 rate·Σ|w|, l2 rate·½·Σw² (default: the experiment's, else none)",
    )
    parser.add_argument("--reg-rate", type=float, metavar="F", help="the regularisation rate (≥ 0)")
    parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument("--batch-size", type=int, metavar="N", help="mini-batch size (default: the whole set)")
    scaling = parser.add_mutually_exclusive_group()
    scaling.add_argument("--standardize", dest="standardize", action="store_true", default=None)
    scaling.add_argument("--no-standardize", dest="standardize", action="store_false")
    parser.add_argument("--test-fraction", type=float, metavar="F", help="share of points held out for testing")
    parser.add_argument("--backend", choices=("numpy", "torch"))
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the initial weights and shuffling")
    parser.add_argument("--dtype", choices=("float64", "float32"))
    parser.add_argument("--log-every", type=int, metavar="K", help="print the loss every K epochs (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON objects instead of text")


def _parse_hidden(text: str) -> list[int]:
    if text.strip().lower() == "none":
        return []
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NNStudioError(f"--hidden must be widths like 64,32 or 'none', got {text!r}") from None
    if not widths:
        raise NNStudioError("--hidden must be widths like 64,32 or 'none'")
    return widths


def build_experiment(options: argparse.Namespace, content=None):
    """The preset or file the options name (`content`: that file, if already read), with every other option on top."""
    from nnstudio.core.datasets.features import parse_features
    from nnstudio.core.engine.experiment import LayerSpec
    from nnstudio.core.engine.presets import DEFAULT_PRESET, preset
    from nnstudio.core.storage.archive import read_experiment_file

    if options.experiment:
        experiment = (content or read_experiment_file(options.experiment)).experiment
    else:
        experiment = preset(options.preset or DEFAULT_PRESET)
    columns_given = (options.label_column, options.target_column, options.input_columns)
    if options.data is None and any(given is not None for given in columns_given):
        raise NNStudioError(
            "--label-column, --target-column and --input-columns describe a CSV file: give it with --data"
        )
    if options.data is not None:
        columns = csv_columns(options)
        experiment = experiment.with_data(generator="csv", csv_path=options.data, subsample=None, **columns)
    if options.features is not None:
        raw = options.features.strip().lower() == "raw"
        experiment = experiment.with_data(features=None if raw else parse_features(options.features))
    if options.standardize is not None:
        experiment = experiment.with_data(standardize=options.standardize)
    if options.test_fraction is not None:
        experiment = experiment.with_data(test_fraction=options.test_fraction)
    hidden = experiment.model.hidden
    if options.hidden is not None:
        activation = hidden[0].activation if hidden else "relu"
        hidden = tuple(LayerSpec(width, activation) for width in _parse_hidden(options.hidden))
    if options.activation is not None:
        hidden = tuple(LayerSpec(layer.units, options.activation, layer.bias) for layer in hidden)
    experiment = experiment.with_model(hidden=hidden)
    return experiment.with_training(**training_changes(options))


def training_changes(options: argparse.Namespace) -> dict:
    """The training settings the options give (those not given are left out)."""
    given = {
        "loss": options.loss,
        "optimizer": options.optimizer,
        "learning_rate": options.lr,
        "epochs": options.epochs,
        "batch_size": options.batch_size,
        "backend": options.backend,
        "seed": options.seed,
        "dtype": options.dtype,
        "log_every": options.log_every,
        "regularization": options.regularization,
        "regularization_rate": options.reg_rate,
    }
    return {name: value for name, value in given.items() if value is not None}


def build_trainer(options: argparse.Namespace):
    """The trainer for the options; a loss not given is chosen to fit the data (e.g. bce for two classes)."""
    from nnstudio.core.datasets.data import prepare
    from nnstudio.core.engine.classification import fit_to_data
    from nnstudio.core.engine.trainer import Trainer
    from nnstudio.core.storage.archive import read_experiment_file

    content = read_experiment_file(options.experiment) if options.experiment else None
    experiment = build_experiment(options, content)
    points = _imported_points(options, content)
    dataset = prepare(experiment.data, points)
    return Trainer(fit_to_data(experiment, dataset, keep_loss=options.loss is not None), points, dataset)


def _imported_points(options: argparse.Namespace, content):
    """The file's points, unless --data names others: imported into an .nnstudio file (they travel inside it),
    or read from the CSV file its settings name (a relative path is taken from the experiment file's folder)."""
    from nnstudio.core.storage.archive import source_points

    if content is None or options.data is not None:
        return None
    if content.points is not None:
        return content.points
    try:
        return source_points(content.experiment.data, content.folder)
    except NNStudioError as error:
        raise NNStudioError(f"{content.name}: {error}") from None


# Options that choose other data, another model or new initial weights start a new run.
NEW_RUN_OPTIONS = {
    "data": "--data",
    "label_column": "--label-column",
    "target_column": "--target-column",
    "input_columns": "--input-columns",
    "features": "--features",
    "hidden": "--hidden",
    "activation": "--activation",
    "standardize": "--standardize",
    "test_fraction": "--test-fraction",
    "seed": "--seed",
}


def resume_trainer(options: argparse.Namespace):
    """The run saved in the --experiment file, where it stopped, with the training options applied
    as the window's Training tab applies them (the weights kept; a new optimiser starts afresh)."""
    from nnstudio.core.storage.archive import read_experiment_file

    if not options.experiment:
        raise NNStudioError("--resume continues a saved run: name its file with --experiment FILE.nnstudio")
    for name, flag in NEW_RUN_OPTIONS.items():
        if getattr(options, name) is not None:
            raise NNStudioError(
                f"{flag} starts a new run, but --resume continues the saved one: leave out one or the other"
            )
    content = read_experiment_file(options.experiment)
    if content.run is None:
        raise NNStudioError(f"{content.name} holds settings only, no run to resume: train it without --resume")
    trainer = content.make_trainer()
    changes = {
        name: value
        for name, value in training_changes(options).items()
        if name != "backend" and value != getattr(trainer.training, name)
    }
    if changes:
        trainer.update_training(**changes)
    if options.backend is not None and options.backend != trainer.backend.name:
        trainer.switch_backend(options.backend)
    if trainer.epoch >= trainer.training.epochs and not trainer.diverged_message:
        raise NNStudioError(
            f"the saved run is already at epoch {trainer.epoch}: to train on, give a later epoch with --epochs"
        )
    return trainer
