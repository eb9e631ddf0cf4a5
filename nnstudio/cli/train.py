"""`nnstudio train`: train an experiment in the terminal, print its log and summary, save it if asked."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from nnstudio.cli.experiment_options import add_experiment_options, build_trainer, resume_trainer
from nnstudio.cli.output import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_OK, emit, json_number, one_line
from nnstudio.core.errors import NNStudioError


def add_parser(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train an experiment in the terminal")
    add_experiment_options(train)
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
    train.set_defaults(handler=command_train)


def command_train(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.trainer import DIVERGED, STOPPED, CancelToken, format_log_line
    from nnstudio.core.teaching.overfitting import find_overfitting

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
                penalties = snapshot.log_penalties or (None,) * len(snapshot.log_entries)
                for (epoch, loss), penalty in zip(snapshot.log_entries, penalties, strict=True):
                    if epoch > start_epoch:
                        entry = {"type": "epoch", "epoch": epoch, "loss": json_number(loss)}
                        if penalty is not None:  # the data loss stays "loss"; the weights' penalty beside it
                            entry["penalty"] = json_number(penalty)
                        emit(options, entry, format_log_line(epoch, loss, penalty))
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
        "final_loss": json_number(float(history.train[-1])) if len(history) else None,
        "penalty": json_number(trainer.backend.penalty()) if trainer.training.penalised else None,
        "train_mse": json_number(train_metrics.mse) if train_metrics else None,
        "train_rmse": json_number(train_metrics.rmse) if train_metrics else None,
        "train_r2": json_number(train_metrics.r2) if train_metrics else None,
        "epochs": trainer.epoch,
        "steps": trainer.step_count,
        "backend": trainer.backend.name,
        "seconds": seconds,
        "steps_per_second": final.steps_per_second,
        "diverged": final.status == DIVERGED,
        "message": final.message,
    }
    overfitting = None
    if test_metrics is not None:
        summary.update(test_mse=json_number(test_metrics.mse), test_r2=json_number(test_metrics.r2))
        overfitting = find_overfitting(history.epochs, history.train, history.test)
        summary["overfitting"] = None if overfitting is None else overfitting.to_dict()
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
            emit(options, summary, "")
        else:
            print(f"nnstudio train: {final.message}", file=sys.stderr)
        return EXIT_DIVERGED
    emit(options, summary, text)
    if overfitting is not None and not options.json:
        print(overfitting.message, flush=True)
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
