"""`nnstudio train --data FILE --input-columns a,b,c --target-column y`: columns by name or number, and the
refusals of columns that cannot be (one line on stderr, exit 2)."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.storage.examples import EXAMPLES_FOLDER
from tests.test_cli import run_cli

MTCARS, IRIS = EXAMPLES_FOLDER / "mtcars.csv", EXAMPLES_FOLDER / "iris.csv"


def summary(out: str) -> dict:
    return json.loads(out.splitlines()[-1])


def test_columns_by_name_and_by_number_train_the_same(capsys):
    common = ("--hidden", "none", "--standardize", "--epochs", "40", "--json")
    code, by_name, err = run_cli(
        capsys, "train", "--csv", str(MTCARS), "--input-columns", "wt,hp,disp,qsec", "--target-column", "mpg", *common
    )
    assert code == 0 and err == ""
    code, by_number, _ = run_cli(
        capsys, "train", "--data", str(MTCARS), "--input-columns", "7,5,4,8", "--target-column", "2", *common
    )
    assert code == 0 and summary(by_name) == {
        **summary(by_number),
        "seconds": summary(by_name)["seconds"],
        "steps_per_second": summary(by_name)["steps_per_second"],
    }
    assert summary(by_name)["train_r2"] > 0.5


def test_iris_by_names_trains_three_classes(capsys):
    code, out, _ = run_cli(
        capsys, "train", "--data", str(IRIS), "--label-column", "class",
        "--input-columns", "sepal_length,sepal_width,petal_length,petal_width",
        "--hidden", "8", "--activation", "tanh", "--standardize", "--epochs", "100", "--lr", "0.05", "--json",
    )  # fmt: skip
    assert code == 0 and summary(out)["classes"] == 3 and summary(out)["train_accuracy"] >= 0.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--input-columns", "wt,weight", "--target-column", "mpg"),
            "--input-columns 'weight': mtcars.csv has no such",
        ),
        (("--input-columns", "wt,hp", "--target-column", "nope"), "--target-column 'nope': mtcars.csv has no such"),
        (("--input-columns", "wt,mpg", "--target-column", "mpg"), "--target-column mpg is also an input column"),
        (("--input-columns", "model,wt", "--target-column", "mpg"), "line 2, column 1: 'Mazda RX4' is not a number"),
        (("--input-columns", "wt,wt", "--target-column", "mpg"), "--input-columns names a column twice"),
        (("--input-columns", "wt,hp", "--target-column", "mpg", "--label-column", "am"), "exclude each other"),
        (("--input-columns", "wt,hp"), "--input-columns needs --target-column"),
    ],
)
def test_impossible_columns_are_refused_in_one_line(capsys, args, message):
    code, out, err = run_cli(capsys, "train", "--data", str(MTCARS), *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
