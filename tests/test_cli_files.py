"""`nnstudio train --experiment FILE` and `nnstudio FILE` read .nnstudio archives and .toml files alike."""

import pytest

from nnstudio.cli import main
from nnstudio.core.engine.trainer import Trainer, format_log_line
from nnstudio.core.storage.archive import read_experiment_file
from nnstudio.core.storage.examples import example_path
from tests.core.helpers import train_epochs
from tests.portability import PRINTED, parse_log_line


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_reads_an_archive_with_its_imported_points(capsys):
    code, out, err = run_cli(capsys, "train", "--experiment", str(example_path("cars")), "--epochs", "40")
    opened = read_experiment_file(example_path("cars"))
    history = train_epochs(Trainer(opened.experiment, opened.points), 40)
    assert code == 0 and err == ""
    assert [line for line in out.splitlines() if line.startswith("Epoch")] == [
        format_log_line(epoch, history[epoch - 1]) for epoch in (10, 20, 30, 40)
    ]


def test_train_reads_a_plain_toml_file(capsys, tmp_path):
    path = tmp_path / "linear.toml"
    read_experiment_file(example_path("linear")).experiment.save(path)
    code, out, _ = run_cli(capsys, "train", "--experiment", str(path))
    assert code == 0 and parse_log_line(out.splitlines()[0]) == (10, pytest.approx(96.09053, rel=PRINTED))


def test_a_damaged_file_is_one_line_and_exit_code_2(capsys, tmp_path):
    path = tmp_path / "cut.nnstudio"
    path.write_bytes(example_path("sine").read_bytes()[:700])
    for args in (["train", "--experiment", str(path)], [str(path)]):  # `nnstudio FILE` fails before any window
        code, out, err = run_cli(capsys, *args)
        assert code == 2 and out == ""
        assert (
            err
            == "nnstudio: error: cut.nnstudio is damaged or incomplete, so it was not opened (File is not a zip file)\n"
        )
