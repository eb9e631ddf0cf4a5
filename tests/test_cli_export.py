"""`nnstudio export KIND --experiment FILE -o OUT` writes the window's exports from a saved run."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.storage.archive import read_experiment_file, save
from nnstudio.core.storage.examples import example_path
from tests.core.helpers import relative_difference


def run_cli(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """sine-tanh-deep trained 25 epochs (mini-batches, a test split) and saved by `train --save`."""
    path = tmp_path_factory.mktemp("run") / "deep.nnstudio"
    assert main(["train", "--preset", "sine-tanh-deep", "--epochs", "25", "--log-every", "5", "--save", str(path)]) == 0
    return path


def run_script(path, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(path), *arguments], capture_output=True, text=True, timeout=300, cwd=path.parent
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_the_exported_script_reproduces_the_saved_runs_log(capsys, tmp_path, saved_run, backend):
    out_path = tmp_path / "deep.py"
    code, out, err = run_cli(
        capsys, "export", "script", "--experiment", saved_run, "-o", out_path, "--backend", backend
    )
    assert code == 0 and err == "" and out == f"Wrote the script of epoch 25 to {out_path}\n"
    result = run_script(out_path, "--precise")
    assert result.returncode == 0, result.stderr
    printed = {int(line.split()[1]): float(line.split()[3]) for line in result.stdout.splitlines() if "Epoch" in line}
    history = read_experiment_file(saved_run).run.loss_history.train
    assert sorted(printed) == [5, 10, 15, 20, 25]
    for epoch, loss in printed.items():
        assert relative_difference(loss, history[epoch - 1]) <= 1e-8, (epoch, loss, history[epoch - 1])


def test_the_weights_are_the_saved_runs(capsys, tmp_path, saved_run):
    assert run_cli(capsys, "export", "weights", "--experiment", saved_run, "-o", tmp_path / "w.npz")[0] == 0
    saved = read_experiment_file(saved_run).run.state.parameters
    with np.load(tmp_path / "w.npz", allow_pickle=False) as weights:
        names = ["W1", "b1", "W2", "b2", "W3", "b3", "activations", "x_mean", "x_sd", "y_mean", "y_sd"]
        assert list(weights.files) == names
        for name, value in saved.items():
            np.testing.assert_array_equal(weights[name], value)  # float64 in, float64 out: the same bits
        assert list(weights["activations"]) == ["tanh", "tanh", "identity"]


def test_the_state_dict_is_the_saved_runs(capsys, tmp_path, saved_run):
    import torch

    assert run_cli(capsys, "export", "state-dict", "--experiment", saved_run, "-o", tmp_path / "m.pt")[0] == 0
    tensors = torch.load(tmp_path / "m.pt", weights_only=True)
    saved = read_experiment_file(saved_run).run.state.parameters
    assert list(tensors) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    np.testing.assert_array_equal(tensors["2.weight"].numpy(), saved["W2"].T)  # nn.Linear keeps (outputs, inputs)
    np.testing.assert_array_equal(tensors["4.bias"].numpy(), saved["b3"])


def test_the_loss_csv_is_the_saved_history(capsys, tmp_path, saved_run):
    assert run_cli(capsys, "export", "loss-csv", "--experiment", saved_run, "-o", tmp_path / "loss.csv")[0] == 0
    table = np.loadtxt(tmp_path / "loss.csv", delimiter=",", skiprows=1)
    history = read_experiment_file(saved_run).run.loss_history
    assert (tmp_path / "loss.csv").read_text().splitlines()[0] == "epoch,train_loss,test_loss"
    np.testing.assert_array_equal(table[:, 0], np.arange(1, 26))
    np.testing.assert_allclose(table[:, 1], history.train, rtol=1e-12)
    np.testing.assert_allclose(table[:, 2], history.test, rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["weights", "--experiment", "{run}", "-o", "{folder}/w.npz", "--backend", "torch"], "only for `nnstudio"),
        (["script", "--experiment", "{run}", "-o", "{folder}/script.txt"], "named *.py, not 'script.txt'"),
        (["script", "--experiment", "{folder}/none.nnstudio", "-o", "{folder}/s.py"], "cannot read"),
        (["loss-csv", "--experiment", "{run}", "-o", "{folder}/no/such/loss.csv"], "does not exist"),
        (["weights", "--experiment", "{folder}/cut.nnstudio", "-o", "{folder}/w.npz"], "damaged or incomplete"),
        (["pictures", "--experiment", "{run}", "-o", "{folder}/w.npz"], "invalid choice"),
        (["weights", "-o", "{folder}/w.npz"], "required: --experiment"),
    ],
)
def test_bad_input_is_one_line_and_leaves_no_file(capsys, tmp_path, saved_run, args, message):
    (tmp_path / "cut.nnstudio").write_bytes(saved_run.read_bytes()[:900])
    try:
        code, out, err = run_cli(capsys, "export", *(arg.format(run=saved_run, folder=tmp_path) for arg in args))
    except SystemExit as stop:  # argparse's usage errors
        code, (out, err) = stop.code, capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("nnstudio")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cut.nnstudio"]


def test_text_in_a_shared_file_cannot_run_as_part_of_the_exported_script(capsys, tmp_path):
    cars = read_experiment_file(example_path("cars"))
    payload = "\nimport os; os.system('touch pwned')\n#"
    shared = tmp_path / "shared.nnstudio"
    save(replace(cars, experiment=cars.experiment.with_data(csv_path=payload)), shared)
    code, _, err = run_cli(capsys, "export", "script", "--experiment", shared, "-o", tmp_path / "shared.py")
    assert code == 0 and err == ""
    result = run_script(tmp_path / "shared.py", "--epochs", "10")
    assert result.returncode == 0 and result.stdout.startswith("Epoch: 10 Loss: "), result.stderr
    assert not (tmp_path / "pwned").exists()
    assert f"SOURCE = {'the imported file ' + payload!r}" in (tmp_path / "shared.py").read_text(encoding="utf-8")
