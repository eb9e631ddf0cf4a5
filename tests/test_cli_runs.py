"""`nnstudio train --save FILE` writes the run as the window's Save does; `--experiment FILE --resume`
continues it where it stopped, number for number, with training options applied as the Training tab does."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.storage.archive import read_experiment_file
from tests.core.helpers import train_epochs


def run_cli(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def log_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("Epoch: ")]


def assert_same_run(first, second) -> None:
    """Two saved runs hold the same numbers: npz keeps float64, so equal means equal to the last bit."""
    assert first.experiment == second.experiment
    assert first.run.progress == second.run.progress
    ours, theirs = first.run.state, second.run.state
    assert ours.optimizer_steps == theirs.optimizer_steps
    assert list(ours.parameters) == list(theirs.parameters)
    for name, value in ours.parameters.items():
        np.testing.assert_array_equal(value, theirs.parameters[name])
    assert ours.optimizer_buffers.keys() == theirs.optimizer_buffers.keys()
    for kind, per_parameter in ours.optimizer_buffers.items():
        assert per_parameter.keys() == theirs.optimizer_buffers[kind].keys()
        for name, value in per_parameter.items():
            np.testing.assert_array_equal(value, theirs.optimizer_buffers[kind][name])
    for name, value in first.run.loss_history.to_arrays().items():
        np.testing.assert_array_equal(value, second.run.loss_history.to_arrays()[name])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_save_then_resume_equals_one_uninterrupted_run(capsys, tmp_path, backend):
    # mini-batches of 32, a test split, Adam: optimiser memory and the shuffling must carry over
    options = ("--preset", "sine-tanh-deep", "--backend", backend, "--log-every", "5")
    code, first_out, err = run_cli(capsys, "train", *options, "--epochs", 15, "--save", tmp_path / "half.nnstudio")
    assert code == 0 and err == ""
    assert f"Saved the run at epoch 15 to {tmp_path / 'half.nnstudio'}" in first_out.splitlines()
    code, resumed_out, err = run_cli(
        capsys, "train", "--experiment", tmp_path / "half.nnstudio", "--resume", "--epochs", 30,
        "--save", tmp_path / "resumed.nnstudio",
    )  # fmt: skip
    assert code == 0 and err == ""
    code, whole_out, _ = run_cli(capsys, "train", *options, "--epochs", 30, "--save", tmp_path / "whole.nnstudio")
    assert code == 0
    assert [line.split()[1] for line in log_lines(resumed_out)] == ["20", "25", "30"]  # the count goes on
    assert log_lines(first_out) + log_lines(resumed_out) == log_lines(whole_out)
    resumed, whole = (read_experiment_file(tmp_path / name) for name in ("resumed.nnstudio", "whole.nnstudio"))
    assert resumed.run.progress.epoch == 30
    assert_same_run(resumed, whole)


def test_resume_with_another_optimiser_keeps_the_weights(capsys, tmp_path):
    saved = tmp_path / "adam.nnstudio"
    assert run_cli(capsys, "train", "--preset", "sine", "--epochs", 20, "--save", saved)[0] == 0
    code, out, err = run_cli(
        capsys, "train", "--experiment", saved, "--resume", "--optimizer", "gd", "--lr", "0.0005",
        "--epochs", 25, "--log-every", 1, "--save", tmp_path / "gd.nnstudio",
    )  # fmt: skip
    assert code == 0 and err == ""
    expected = read_experiment_file(saved).make_trainer()  # what the window's Training tab does to a live run
    expected.update_training(optimizer="gd", learning_rate=0.0005, epochs=25, log_every=1)
    history = train_epochs(expected, 25)
    assert [line.split()[1] for line in log_lines(out)] == ["21", "22", "23", "24", "25"]
    resumed = read_experiment_file(tmp_path / "gd.nnstudio")
    assert resumed.experiment.training.optimizer == "gd" and resumed.run.state.optimizer_buffers == {}
    for name, value in expected.backend.parameters().items():
        np.testing.assert_array_equal(resumed.run.state.parameters[name], value)
    np.testing.assert_array_equal(resumed.run.loss_history.train, history)
    # kept, not drawn again: the first gd epoch's loss (one full batch, before its step) is the saved weights' loss
    adam = read_experiment_file(saved).make_trainer()
    saved_loss = adam.backend.loss(adam.dataset.x_train, adam.dataset.y_train)
    assert resumed.run.loss_history.train[20] == pytest.approx(saved_loss, rel=1e-12)
    assert saved_loss < resumed.run.loss_history.train[0] / 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resume"], "name its file with --experiment"),
        (["--resume", "--experiment", "{saved}", "--hidden", "8"], "--hidden starts a new run"),
        (["--resume", "--experiment", "{saved}", "--seed", "3"], "--seed starts a new run"),
        (["--resume", "--experiment", "{saved}", "--data", "x.csv"], "--data starts a new run"),
        (["--resume", "--experiment", "{saved}"], "already at epoch 10: to train on, give a later epoch"),
        (["--resume", "--experiment", "{settings}"], "settings.toml holds settings only, no run to resume"),
        (["--resume", "--experiment", "{saved}", "--epochs", "20", "--lr", "-1"], "learning_rate"),
        (["--preset", "sine", "--save", "{folder}/no/such/folder/run.nnstudio"], "does not exist"),
        (["--preset", "sine", "--save", "{folder}/run.txt"], "name it *.nnstudio (or *.toml"),
        (["--preset", "sine", "--save", "{folder}/folder.nnstudio"], "it is a folder"),
    ],
)
def test_bad_input_is_one_line_before_any_training_and_leaves_no_file(capsys, tmp_path, args, message):
    saved, settings = tmp_path / "saved.nnstudio", tmp_path / "settings.toml"
    assert run_cli(capsys, "train", "--epochs", 10, "--save", saved)[0] == 0
    assert run_cli(capsys, "train", "--epochs", 10, "--save", settings)[0] == 0
    (tmp_path / "folder.nnstudio").mkdir()
    before = sorted(tmp_path.rglob("*"))
    names = {"saved": saved, "settings": settings, "folder": tmp_path}
    args = [arg.format(**names) for arg in args]
    code, out, err = run_cli(capsys, "train", *args, *([] if "--save" in args else ["--save", tmp_path / "new.toml"]))
    assert code == 2 and out == ""  # not one epoch trained
    assert err.count("\n") == 1 and message in err and err.startswith("nnstudio: error: ")
    assert sorted(tmp_path.rglob("*")) == before


def test_a_run_that_diverged_is_saved_too(capsys, tmp_path):
    path = tmp_path / "diverged.nnstudio"
    code, out, err = run_cli(capsys, "train", "--optimizer", "gd", "--lr", "1000", "--save", path)
    assert code == 1 and "Diverged at epoch" in err
    assert out.splitlines()[-1].startswith("Saved the run at epoch ")  # the summary went to stderr
    saved = read_experiment_file(path)
    assert saved.run.progress.diverged_message.startswith("Diverged at epoch")
    assert saved.experiment.training.learning_rate == 1000


def test_a_json_run_prints_only_json_when_it_saves(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", "--epochs", 20, "--json", "--save", tmp_path / "run.nnstudio")
    assert code == 0 and (tmp_path / "run.nnstudio").is_file()
    assert all(line.startswith("{") for line in out.splitlines())


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, which Windows does not have")
def test_ctrl_c_ends_the_run_after_a_whole_step_and_saves_it(tmp_path):
    path = tmp_path / "stopped.nnstudio"
    process = subprocess.Popen(
        [sys.executable, "-m", "nnstudio", "train", "--epochs", "10000000", "--log-every", "1", "--save", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("Epoch: 1 Loss: ")  # training has begun
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err.startswith("nnstudio train: interrupted at epoch ") and err.endswith("the run was saved\n")
    saved = read_experiment_file(path)
    epoch = saved.run.progress.epoch
    assert epoch >= 1 and f"Saved the run at epoch {epoch} to " in out
    trainer = saved.make_trainer()  # it reopens, and goes on from there
    assert trainer.epoch == epoch and len(trainer.loss_history) == epoch


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a file name that is not UTF-8 (Linux allows any bytes)"
)
def test_a_csv_name_an_experiment_file_cannot_record_is_refused_before_training(capsys, tmp_path):
    csv = os.fsdecode(bytes(tmp_path) + b"/\xff.csv")  # the command line hands Python such a name like this
    x = np.linspace(0, 1, 20)
    Path(csv).write_text("x,y\n" + "".join(f"{a},{2 * a}\n" for a in x))
    assert run_cli(capsys, "train", "--data", csv, "--epochs", 10)[0] == 0  # training alone is fine
    code, out, err = run_cli(capsys, "train", "--data", csv, "--epochs", 10, "--save", tmp_path / "run.nnstudio")
    assert code == 2 and out == "" and "is not UTF-8 text, so an experiment file cannot record it" in err
    assert not (tmp_path / "run.nnstudio").exists()
