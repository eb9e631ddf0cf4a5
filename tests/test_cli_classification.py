"""The command line with classes: presets and labelled CSV files, accuracy in the summary, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import Trainer


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def reference(experiment):
    trainer = Trainer(experiment)
    for _ in trainer.run(until_epoch=experiment.training.epochs, snapshot_interval=1e9):
        pass
    return trainer


@pytest.fixture
def labelled_csv(tmp_path):
    """Two noisy blobs as x1, x2, label; a header line and semicolons."""
    rng = np.random.default_rng(7)
    labels = np.repeat([0, 1], 40)
    x = rng.normal(size=(80, 2)) + np.where(labels[:, None] == 1, 2.5, -2.5)
    path = tmp_path / "blobs.csv"
    path.write_text("a;b;class\n" + "".join(f"{a};{b};{c}\n" for (a, b), c in zip(x, labels, strict=True)))
    return path


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_the_circle_preset_logs_like_any_run_and_reports_accuracy(capsys, backend):
    code, out, err = run_cli(capsys, "train", "--preset", "circle", "--backend", backend)
    assert code == 0 and err == ""
    lines = out.splitlines()
    expected = reference(PRESETS["circle"].with_training(backend=backend))
    log = [line for line in lines if line.startswith("Epoch: ")]
    assert log[-1] == f"Epoch: 300 Loss: {expected.loss_history.train[-1]:.7g}"
    assert len(log) == 30
    train, test = expected.metrics()
    assert lines[-1].endswith(f"train accuracy {100 * train.accuracy:.1f} %, test accuracy {100 * test.accuracy:.1f} %")


def test_the_json_summary_gains_accuracy_and_confusion_and_keeps_its_keys(capsys):
    code, out, _ = run_cli(capsys, "train", "--preset", "xor", "--json", "--epochs", "150")
    objects = [json.loads(line) for line in out.splitlines()]
    summary = objects[-1]
    assert code == 0
    expected = reference(PRESETS["xor"].with_training(epochs=150))
    train, test = expected.metrics()
    assert summary["train_accuracy"] == train.accuracy and summary["test_accuracy"] == test.accuracy
    assert summary["test_confusion"] == test.confusion.tolist()
    assert summary["loss"] == "bce" and summary["classes"] == 2
    for key in ("final_loss", "train_mse", "train_r2", "test_mse", "epochs", "backend", "diverged"):
        assert key in summary  # the regression keys stay (as null), so readers of the summary keep working
    assert summary["train_mse"] is None and summary["final_loss"] == objects[-2]["loss"]


def test_numpy_and_torch_print_identical_logs_for_three_classes(capsys):
    _, numpy_out, _ = run_cli(capsys, "train", "--preset", "spiral", "--epochs", "60")
    _, torch_out, _ = run_cli(capsys, "train", "--preset", "spiral", "--epochs", "60", "--backend", "torch")

    def log(out):
        return [line for line in out.splitlines() if line.startswith("Epoch")]

    assert log(numpy_out) == log(torch_out) and len(log(numpy_out)) == 6


def test_a_labelled_csv_trains_with_bce_chosen_for_its_two_classes(capsys, labelled_csv):
    code, out, err = run_cli(
        capsys, "train", "--data", str(labelled_csv), "--label-column", "3", "--epochs", "40", "--json"
    )
    assert code == 0 and err == ""
    summary = json.loads(out.splitlines()[-1])
    assert summary["loss"] == "bce" and summary["classes"] == 2 and summary["train_accuracy"] >= 0.95
    # the same file with its columns named explicitly, and an explicit loss
    code, out, _ = run_cli(
        capsys,
        "train",
        "--data",
        str(labelled_csv),
        "--label-column",
        "3",
        "--input-columns",
        "2,1",
        "--loss",
        "bce",
        "--epochs",
        "40",
        "--json",
    )
    assert code == 0 and json.loads(out.splitlines()[-1])["train_accuracy"] >= 0.95


def test_gradcheck_accepts_the_new_losses_and_data(capsys, labelled_csv):
    code, out, _ = run_cli(capsys, "gradcheck", "--preset", "spiral", "--json")
    result = json.loads(out)
    assert code == 0
    assert result["max_rel_diff_manual_vs_autograd"] <= 1e-9
    assert result["max_rel_diff_manual_vs_finite_diff"] <= 1e-5
    assert set(result["parameters"]) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert result["parameters"]["W3"]["shape"] == [16, 3]  # one output per class
    code, out, _ = run_cli(capsys, "gradcheck", "--data", str(labelled_csv), "--label-column", "3", "--loss", "bce")
    assert code == 0 and "manual vs autograd" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--preset", "sine", "--loss", "bce"), "the bce loss is for class labels, but this data is numbers to fit"),
        (("--preset", "circle", "--loss", "mse"), "the mse loss does not fit 2 classes: use bce"),
        (("--preset", "circle", "--loss", "cross_entropy"), "cross_entropy is for 3 or more classes"),
        (("--preset", "spiral", "--loss", "bce"), "the bce loss does not fit 3 classes: use cross_entropy"),
        (
            (
                "--label-column",
                "3",
            ),
            "--label-column, --target-column and --input-columns describe a CSV file: give it with --data",
        ),
        (
            ("--data", "{csv}", "--input-columns", "1,2"),
            "--input-columns needs --target-column (the numbers to predict) or --label-column",
        ),
        (("--data", "{csv}", "--label-column", "2"), "--label-column 2 is also an input column"),
        (("--data", "{csv}", "--label-column", "0"), "--label-column counts from 1"),
        (
            ("--data", "{csv}", "--label-column", "3", "--input-columns", "1"),
            "--input-columns must be two or more columns",
        ),
        (("--data", "{bad}", "--label-column", "3"), "bad.csv, line 3, column 3: '0.5' is not a class label"),
        (("--data", "{one}", "--label-column", "3"), "one.csv, lines 2–3, column 3: every label is 1"),
        (
            (
                "--loss",
                "hinge",
            ),
            "invalid choice: 'hinge'",
        ),
    ],
)
def test_bad_combinations_are_one_line_on_stderr_and_exit_2(capsys, tmp_path, labelled_csv, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,0\n3,4,0.5\n")
    one = tmp_path / "one.csv"
    one.write_text("x1,x2,y\n1,2,1\n3,4,1\n")
    files = {"csv": labelled_csv, "bad": bad, "one": one}
    args = [arg.format(**files) for arg in args]
    if "invalid choice" in message:  # argparse's own check
        with pytest.raises(SystemExit) as caught:
            main(["train", *args])
        code, err = caught.value.code, capsys.readouterr().err
    else:
        code, _, err = run_cli(capsys, "train", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
