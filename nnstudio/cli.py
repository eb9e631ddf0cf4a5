"""The command line: a thin argparse front over the core (and the window). No logic of its own.

    nnstudio [FILE | --preset NAME]      open the window
    nnstudio train | gradcheck | presets | snapshot | export | bench | lessons ...

Bad input ends with one line on stderr and exit code 2, never a traceback.

With --json every line printed is one JSON object whose "type" says what it is: "epoch" and "summary"
(train), "gradcheck", "presets", "bench". Numbers that are not finite are null. The README documents the keys.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from nnstudio import __version__
from nnstudio.core.errors import NNStudioError
from nnstudio.record_command import add_record_options, command_record

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
COMMANDS = ("train", "gradcheck", "presets", "snapshot", "record", "export", "bench", "lessons")
EXPORT_KINDS = ("script", "weights", "state-dict", "loss-csv")
# DataSpec takes columns 0 … 10 000; the command line counts them from 1.
MAX_COLUMN_NUMBER = 10_001


def one_line(text: str) -> str:
    """`text` on one line: a path or an argument typed with a line break in it stays visible, escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line on stderr (and exit code 2)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see --help)\n")


# --- building an experiment from options --------------------------------------------------------


def _add_experiment_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help="start from a built-in experiment (see `nnstudio presets`)")
    source.add_argument("--experiment", metavar="FILE", help="start from an experiment file (.nnstudio or .toml)")
    parser.add_argument("--data", metavar="CSV", help="train on the first two columns of a CSV file (x, y)")
    parser.add_argument(
        "--label-column",
        type=int,
        metavar="N",
        help="with --data: column N (1 = the first) holds class labels 0, 1, …: a classification file",
    )
    parser.add_argument(
        "--input-columns",
        metavar="A,B",
        help="with --label-column: the two input columns (1 = the first; default 1,2)",
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
    from nnstudio.core.engine.experiment import LayerSpec
    from nnstudio.core.engine.presets import DEFAULT_PRESET, preset
    from nnstudio.core.storage.archive import read_experiment_file

    if options.experiment:
        experiment = (content or read_experiment_file(options.experiment)).experiment
    else:
        experiment = preset(options.preset or DEFAULT_PRESET)
    if options.data is None and (options.label_column is not None or options.input_columns is not None):
        raise NNStudioError("--label-column and --input-columns describe a CSV file: give it with --data")
    if options.data is not None:
        columns = _csv_columns(options)
        experiment = experiment.with_data(generator="csv", csv_path=options.data, subsample=None, **columns)
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
    return experiment.with_training(**_training_changes(options))


def _training_changes(options: argparse.Namespace) -> dict:
    """The training settings the options give (those not given are left out)."""
    training_changes = {
        "loss": options.loss,
        "optimizer": options.optimizer,
        "learning_rate": options.lr,
        "epochs": options.epochs,
        "batch_size": options.batch_size,
        "backend": options.backend,
        "seed": options.seed,
        "dtype": options.dtype,
        "log_every": options.log_every,
    }
    return {name: value for name, value in training_changes.items() if value is not None}


def _csv_columns(options: argparse.Namespace) -> dict:
    """DataSpec's classification settings for --data (columns count from 1 here, from 0 in the spec)."""
    if options.label_column is None:
        if options.input_columns is not None:
            raise NNStudioError("--input-columns needs --label-column (the column of class labels)")
        return {"classes": None, "csv_label_column": None, "csv_input_columns": None}
    inputs = None
    if options.input_columns is not None:
        try:
            inputs = tuple(int(part) for part in options.input_columns.split(","))
        except ValueError:
            inputs = ()
        if len(inputs) != 2 or not all(1 <= column <= MAX_COLUMN_NUMBER for column in inputs):
            raise NNStudioError(
                f"--input-columns must be two column numbers from 1 to {MAX_COLUMN_NUMBER} like 1,2, "
                f"got {options.input_columns!r}"
            )
        inputs = (inputs[0] - 1, inputs[1] - 1)
    if options.label_column < 1:
        raise NNStudioError(f"--label-column counts from 1 (the first column), got {options.label_column}")
    if options.label_column > MAX_COLUMN_NUMBER:  # checked here: DataSpec would name the column counted from 0
        raise NNStudioError(f"--label-column must be at most {MAX_COLUMN_NUMBER}, got {options.label_column}")
    if options.label_column - 1 in (inputs or (0, 1)):
        raise NNStudioError(f"--label-column {options.label_column} is also an input column: choose another")
    return {"classes": None, "csv_label_column": options.label_column - 1, "csv_input_columns": inputs}


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
    "input_columns": "--input-columns",
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
        for name, value in _training_changes(options).items()
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


# --- commands ----------------------------------------------------------------------------------


def _emit(options: argparse.Namespace, obj: dict, text: str) -> None:
    """One JSON object (a line that tools read; its "type" comes first) or one line of text."""
    print(json.dumps(obj) if options.json else text, flush=True)


def _json_number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def command_train(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.trainer import DIVERGED, STOPPED, CancelToken

    if options.save is not None:
        _check_save_path(options.save)  # now, not after a long run
    trainer = resume_trainer(options) if options.resume else build_trainer(options)
    experiment = trainer.experiment
    if options.save is not None:
        _check_recordable(experiment)
    start_epoch = trainer.epoch  # a resumed run prints only the epochs it trains
    final = None
    try:
        cancel = CancelToken()
        with _interrupt_stops(cancel) if options.save is not None else contextlib.nullcontext():
            for snapshot in trainer.run(until_epoch=experiment.training.epochs, snapshot_interval=0.2, cancel=cancel):
                for epoch, loss in snapshot.log_entries:
                    if epoch > start_epoch:
                        entry = {"type": "epoch", "epoch": epoch, "loss": _json_number(loss)}
                        _emit(options, entry, f"Epoch: {epoch} Loss: {loss:.7g}")
                final = snapshot
    except KeyboardInterrupt:
        print("nnstudio train: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if options.save is not None:
        _save_run(trainer, options.save, quiet=options.json)
        if final.status == STOPPED:
            print(f"nnstudio train: interrupted at epoch {trainer.epoch}; the run was saved", file=sys.stderr)
            return EXIT_INTERRUPTED
    train_metrics, test_metrics = final.train_metrics, final.test_metrics
    history = trainer.loss_history
    seconds = trainer.step_count / final.steps_per_second if final.steps_per_second else 0.0
    summary = {
        "type": "summary",
        "final_loss": _json_number(float(history.train[-1])) if len(history) else None,
        "train_mse": _json_number(train_metrics.mse) if train_metrics else None,
        "train_rmse": _json_number(train_metrics.rmse) if train_metrics else None,
        "train_r2": _json_number(train_metrics.r2) if train_metrics else None,
        "epochs": trainer.epoch,
        "steps": trainer.step_count,
        "backend": trainer.backend.name,
        "seconds": seconds,
        "steps_per_second": final.steps_per_second,
        "diverged": final.status == DIVERGED,
        "message": final.message,
    }
    if test_metrics is not None:
        summary.update(test_mse=_json_number(test_metrics.mse), test_r2=_json_number(test_metrics.r2))
    text = (
        f"{trainer.epoch} epochs on {trainer.backend.name} in {seconds:.3f} s "
        f"({final.steps_per_second:,.0f} steps/s); train MSE {train_metrics.mse:.6g}"
        + (f", test MSE {test_metrics.mse:.6g}" if test_metrics is not None else "")
    )
    if trainer.dataset.is_classification:  # accuracy instead of MSE; the regression keys stay, as null
        summary.update(
            loss=trainer.training.loss,
            classes=trainer.dataset.n_classes,
            train_accuracy=train_metrics.accuracy,
            train_confusion=train_metrics.confusion.tolist(),
        )
        if test_metrics is not None:
            summary.update(test_accuracy=test_metrics.accuracy, test_confusion=test_metrics.confusion.tolist())
        text = (
            f"{trainer.epoch} epochs on {trainer.backend.name} in {seconds:.3f} s "
            f"({final.steps_per_second:,.0f} steps/s); train accuracy {100 * train_metrics.accuracy:.1f} %"
            + (f", test accuracy {100 * test_metrics.accuracy:.1f} %" if test_metrics is not None else "")
        )
    if final.status == DIVERGED:
        if options.json:
            _emit(options, summary, "")
        else:
            print(f"nnstudio train: {final.message}", file=sys.stderr)
        return EXIT_DIVERGED
    _emit(options, summary, text)
    return EXIT_OK


def _check_save_path(path: str) -> None:
    from nnstudio.core.storage.archive import SUFFIX
    from nnstudio.core.storage.export import check_writable

    if Path(path).suffix.lower() not in (SUFFIX, ".toml"):
        raise NNStudioError(f"--save writes an experiment file: name it *{SUFFIX} (or *.toml for the settings only)")
    check_writable(path)


def _check_recordable(experiment) -> None:
    """An experiment file is UTF-8 text: a CSV file name that is not (Linux allows any bytes) cannot go in it."""
    try:
        experiment.to_toml().encode("utf-8")
    except UnicodeEncodeError:
        raise NNStudioError(
            f"the data file's name {experiment.data.csv_path!r} is not UTF-8 text, so an experiment file cannot "
            "record it: rename the file, or train without --save"
        ) from None


def _save_run(trainer, path: str, quiet: bool) -> None:
    """Save as the window's File ▸ Save does: the whole run in an .nnstudio file, the settings in a .toml."""
    from nnstudio.core.storage.archive import save_trainer

    save_trainer(trainer, path)
    if not quiet:
        print(f"Saved the run at epoch {trainer.epoch} to {one_line(path)}", flush=True)


@contextlib.contextmanager
def _interrupt_stops(cancel) -> Iterator[None]:
    """A first Ctrl+C ends the run after the current step (so that it can be saved whole); a second one stops."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread receives signals
        yield
        return

    def stop(number, frame) -> None:
        cancel.cancel()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


GRADCHECK_FLOAT32 = (
    "gradcheck always checks in float64: finite differences need its ~16 digits (float32 keeps ~7, "
    "so the three gradients would disagree for no fault of the backward pass); leave out --dtype float32"
)


def command_gradcheck(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.gradcheck import DIFFER, check_trainer

    if options.dtype == "float32":
        raise NNStudioError(GRADCHECK_FLOAT32)
    result = check_trainer(build_trainer(options))
    if options.json:
        print(json.dumps({"type": "gradcheck", "dtype": "float64", **result.to_dict()}), flush=True)
        return EXIT_OK

    def show(value: float | None) -> str:
        return "n/a (no torch)" if value is None else f"{value:.2e}"

    print(f"loss at the initial weights: {result.loss:.7g} (all three gradients in float64)")
    print(
        f"{'parameter':<10} {'shape':<10} {'max |dL/dθ|':>12} {'manual vs autograd':>20} {'manual vs finite diff':>22}"
    )
    for p in result.parameters:
        shape = "x".join(str(s) for s in p.manual.shape)
        biggest = float(abs(p.manual).max()) if p.manual.size else 0.0
        print(
            f"{p.name:<10} {shape:<10} {biggest:>12.4g} {show(p.manual_vs_autograd):>20} "
            f"{show(p.manual_vs_finite_difference):>22}"
        )
    print(
        f"largest relative difference: manual vs autograd {show(result.max_rel_diff_manual_vs_autograd)}, "
        f"manual vs finite differences {show(result.max_rel_diff_manual_vs_finite_diff)}"
    )
    print(f"{'✗' if result.verdict == DIFFER else '✓'} the gradients {result.verdict}")
    return EXIT_OK


def command_presets(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.presets import PRESETS

    if options.json:
        presets = [{"name": name, "description": e.description} for name, e in PRESETS.items()]
        print(json.dumps({"type": "presets", "presets": presets}))
        return EXIT_OK
    width = max(len(name) for name in PRESETS)
    for name, experiment in PRESETS.items():
        print(f"{name:<{width}}  {experiment.description}")
    return EXIT_OK


def command_snapshot(options: argparse.Namespace) -> int:
    from nnstudio.gui.app import render_snapshot

    epochs, options.epochs = options.epochs, None if options.epochs == 0 else options.epochs
    experiment = build_trainer(options).experiment  # checked, with a loss that fits the data
    return render_snapshot(experiment, options.output, options.size, experiment.training.epochs if epochs != 0 else 0)


def command_export(options: argparse.Namespace) -> int:
    """Write one of the window's exports from a saved run (or a settings file: its initial weights)."""
    from nnstudio.core.storage import export
    from nnstudio.core.storage.archive import read_experiment_file

    if options.backend is not None and options.kind != "script":
        raise NNStudioError("--backend chooses the script's flavour: it is only for `nnstudio export script`")
    if options.kind == "script" and Path(options.output).suffix != ".py":
        raise NNStudioError(f"a Python script is named *.py, not {Path(options.output).name!r}")
    export.check_writable(options.output)
    results = export.capture(read_experiment_file(options.experiment).make_trainer())
    flavour = options.backend or results.experiment.training.backend
    write = {
        "script": lambda results, path: export.save_script(results, path, flavour),
        "weights": export.save_weights_npz,
        "state-dict": export.save_state_dict,
        "loss-csv": export.save_loss_csv,
    }[options.kind]
    write(results, options.output)
    print(f"Wrote the {options.kind} of epoch {results.epoch} to {one_line(options.output)}")
    return EXIT_OK


def command_bench(options: argparse.Namespace) -> int:
    from nnstudio.bench import format_report, progress_to_stderr, run

    result = run(quick=options.quick, progress=None if options.json else progress_to_stderr)
    print(json.dumps({"type": "bench", **result}) if options.json else format_report(result), flush=True)
    return EXIT_OK


def command_lessons(options: argparse.Namespace) -> int:
    """`lessons check [FILE…]`: each page set up and run as a class would, one ✓/✗ line per page."""
    from nnstudio.core.teaching.lesson_check import check_page
    from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons

    paths = options.files or shipped_lessons()
    lessons = [load_lesson(path) for path in paths]  # a bad file stops everything before any training
    checked = failed = 0
    for lesson in lessons:
        print(f"{one_line(lesson.path.name)}: {lesson.title}", flush=True)
        for number, page in enumerate(lesson.pages, start=1):
            result = check_page(page, number)
            print(f"  {result.line()}", flush=True)
            checked += bool(result.runs)
            failed += not result.passed
    if failed:
        print(f"{failed} of {checked} page(s) did not do what their [expect] says")
        return EXIT_DIVERGED
    print(f"{checked} page(s) checked: each did what its [expect] says")
    return EXIT_OK


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x800, got {text!r}") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"size must be between 200x200 and 8000x8000, got {text!r}")
    return width, height


def _command_parser() -> OneLineParser:
    parser = OneLineParser(prog="nnstudio", description="Watch a neural network learn.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    train = commands.add_parser("train", help="train an experiment in the terminal")
    _add_experiment_options(train)
    train.add_argument(
        "--save",
        metavar="FILE.nnstudio",
        help="save the run at its end (also when it diverged or Ctrl+C stopped it), as the window's Save does",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --experiment FILE where it stopped (--epochs: the epoch to reach); "
        "training options change it as the Training tab does",
    )
    gradcheck = commands.add_parser("gradcheck", help="manual vs autograd vs finite-difference gradients")
    _add_experiment_options(gradcheck)
    presets = commands.add_parser("presets", help="list the built-in experiments")
    presets.add_argument("--json", action="store_true")
    snapshot = commands.add_parser("snapshot", help="train in the real window offscreen and save a PNG of it")
    _add_experiment_options(snapshot)
    snapshot.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH")
    snapshot.add_argument("-o", "--output", required=True, metavar="FILE.png")
    record = commands.add_parser("record", help="train headless and write the run as a film (GIF, WebP, MP4)")
    _add_experiment_options(record)
    add_record_options(record)
    exports = commands.add_parser("export", help="write the window's exports from a saved experiment file")
    exports.add_argument(
        "kind",
        choices=EXPORT_KINDS,
        help="a training script (.py), the weights (.npz), a PyTorch state_dict (.pt) or the loss history (.csv)",
    )
    exports.add_argument("--experiment", required=True, metavar="FILE", help="the saved run (.nnstudio or .toml)")
    exports.add_argument("-o", "--output", required=True, metavar="FILE")
    exports.add_argument("--backend", choices=("numpy", "torch"), help="the script's flavour (default: the run's)")
    bench = commands.add_parser("bench", help="measure training speed, the window's cost, start-up and memory")
    bench.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    bench.add_argument("--quick", action="store_true", help="a much shorter run (a smoke test; figures are rough)")
    lessons = commands.add_parser("lessons", help="check lesson files the way a class uses them")
    lesson_actions = lessons.add_subparsers(dest="action", metavar="check", required=True, parser_class=OneLineParser)
    check = lesson_actions.add_parser(
        "check", help="set up and run every page, and check its [expect] (exit 1 when a page does not)"
    )
    check.add_argument("files", nargs="*", metavar="FILE", help="lesson files (.toml); none: the shipped lessons")
    return parser


def _window_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="nnstudio",
        description="Open the nnstudio window. Commands: " + ", ".join(COMMANDS) + " (nnstudio COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    parser.add_argument("file", nargs="?", metavar="FILE", help="an experiment file to open (.nnstudio or .toml)")
    parser.add_argument("--preset", metavar="NAME", help="open a built-in experiment (default: sine)")
    return parser


def command_window(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.presets import DEFAULT_PRESET, preset
    from nnstudio.core.storage.archive import read_experiment_file

    if options.file and options.preset:
        raise NNStudioError("give either an experiment FILE or --preset, not both")
    # A bad file is reported here, in one line, before any window opens.
    experiment = (
        read_experiment_file(options.file).experiment if options.file else preset(options.preset or DEFAULT_PRESET)
    )
    from nnstudio.gui.app import run_app

    return run_app(experiment, path=options.file, reopen_last=not options.file and not options.preset)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            options = _command_parser().parse_args(argv)
            handler = {
                "train": command_train,
                "gradcheck": command_gradcheck,
                "presets": command_presets,
                "snapshot": command_snapshot,
                "record": lambda options: command_record(options, build_trainer),
                "export": command_export,
                "bench": command_bench,
                "lessons": command_lessons,
            }[options.command]
        else:
            options = _window_parser().parse_args(argv)
            handler = command_window
        code = handler(options)
        sys.stdout.flush()  # a full disk (`> /dev/full`) is reported here, not by Python's message at exit
        return code
    except NNStudioError as error:
        print(f"nnstudio: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:  # the estimate in core.engine.model.check_memory is rough: the last line of defence
        print("nnstudio: error: out of memory: use fewer points or a smaller network", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl+C during a long gradient check, say (train reports its own)
        print("nnstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `nnstudio train | head -1`: the reader has all it wants
        _discard_stdout()
        return EXIT_OK
    except OSError as error:  # the files nnstudio reads and writes report their own errors: this is the output
        _discard_stdout()
        reason = one_line(error.strerror or str(error))
        what = "cannot write the output" if error.filename is None else one_line(str(error.filename))
        print(f"nnstudio: error: {what}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _discard_stdout() -> None:
    """Point stdout at the null device, so that Python's flush at exit does not fail (and print) again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (a test's capture, say): nothing is flushed to it
        pass
