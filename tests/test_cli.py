"""The command line is a contract: its output format, exit codes and one-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.cli import main
from tests.portability import PRINTED, assert_log_lines, parse_log_line


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_lines(out: str) -> list[dict]:
    """Each line as strict JSON (NaN and Infinity are not JSON: tools would choke on them)."""

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON output")

    return [json.loads(line, parse_constant=refuse) for line in out.splitlines()]


def test_train_linear_prints_the_tutorials_log_lines(capsys):
    code, out, err = run_cli(capsys, "train", "--preset", "linear")
    lines = out.splitlines()
    assert code == 0 and err == ""
    log = [line for line in lines if line.startswith("Epoch: ")]
    assert [line.split()[1] for line in log] == [str(e) for e in range(10, 201, 10)]
    assert parse_log_line(log[0]) == (10, pytest.approx(96.09053, rel=PRINTED))  # the README's number
    losses = [parse_log_line(line)[1] for line in log]
    ratios = np.array(losses[1:]) / np.array(losses[:-1])
    # The tutorial's log falls by ~0.82 per 10 epochs at first, slowing to ~0.87 near its minimum.
    tutorial = [
        94.43447,
        77.64619,
        63.87258,
        52.57226,
        43.30109,
        35.69468,
        29.45408,
        24.33403,
        20.13331,
        16.68685,
        13.8592,
        11.53925,
        9.635837,
        8.074168,
        6.792887,
        5.741646,
        4.879141,
        4.171486,
        3.590877,
        3.114503,
    ]
    tutorial_ratios = np.array(tutorial[1:]) / np.array(tutorial[:-1])
    assert np.max(np.abs(ratios - tutorial_ratios)) < 0.01


def test_train_json_gives_one_object_per_log_line_and_a_summary(capsys):
    code, out, _ = run_cli(capsys, "train", "--preset", "sine", "--json", "--backend", "torch")
    objects = json_lines(out)
    assert code == 0
    assert [o["type"] for o in objects] == ["epoch"] * 10 + ["summary"]
    assert [o["epoch"] for o in objects[:-1]] == list(range(10, 101, 10))
    assert list(objects[0]) == ["type", "epoch", "loss"]
    summary = objects[-1]
    for key in ("final_loss", "train_mse", "epochs", "backend", "seconds", "steps_per_second", "diverged"):
        assert key in summary
    assert summary["backend"] == "torch" and summary["epochs"] == 100 and summary["diverged"] is False
    assert summary["final_loss"] == objects[-2]["loss"]
    assert summary["final_loss"] <= 1.6 and objects[0]["loss"] >= 4 * summary["final_loss"]


def test_both_backends_print_the_same_log(capsys):
    _, numpy_out, _ = run_cli(capsys, "train", "--preset", "linear")
    _, torch_out, _ = run_cli(capsys, "train", "--preset", "linear", "--backend", "torch")
    numpy_log, torch_log = numpy_out.splitlines()[:-1], torch_out.splitlines()[:-1]
    # Two computations, equal to ~1e-15: compared as numbers, a 7th digit may round either way.
    assert len(numpy_log) == 20
    assert_log_lines(torch_log, [parse_log_line(line) for line in numpy_log])


def test_options_override_the_preset(capsys):
    code, out, _ = run_cli(
        capsys,
        "train",
        "--preset",
        "sine",
        "--hidden",
        "8,4",
        "--activation",
        "tanh",
        "--optimizer",
        "momentum",
        "--lr",
        "0.01",
        "--epochs",
        "30",
        "--batch-size",
        "16",
        "--seed",
        "7",
        "--log-every",
        "15",
        "--test-fraction",
        "0.25",
        "--json",
    )
    objects = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [o["epoch"] for o in objects[:-1]] == [15, 30]
    assert objects[-1]["steps"] == 30 * 5  # 75 training points in batches of 16
    assert "test_mse" in objects[-1]


def test_hidden_none_is_a_single_linear_layer(capsys):
    code, out, _ = run_cli(capsys, "gradcheck", "--preset", "sine", "--hidden", "none", "--json")
    assert code == 0
    assert list(json.loads(out)["parameters"]) == ["W1", "b1"]


def test_train_on_a_csv_file(capsys, tmp_path):
    x = np.linspace(0, 1, 40)
    csv = tmp_path / "line.csv"
    csv.write_text("x,y\n" + "".join(f"{a},{3 * a + 1}\n" for a in x))
    code, out, _ = run_cli(
        capsys,
        "train",
        "--data",
        str(csv),
        "--hidden",
        "none",
        "--optimizer",
        "gd",
        "--lr",
        "0.5",
        "--epochs",
        "300",
        "--json",
    )
    assert code == 0
    assert json.loads(out.splitlines()[-1])["train_mse"] < 1e-6


def test_gradcheck_json_reports_the_three_way_comparison(capsys):
    code, out, _ = run_cli(capsys, "gradcheck", "--preset", "sine", "--json")
    result = json.loads(out)
    assert code == 0
    assert set(result["parameters"]) == {"W1", "b1", "W2", "b2"}
    assert result["max_rel_diff_manual_vs_autograd"] < 1e-12
    assert result["max_rel_diff_manual_vs_finite_diff"] < 1e-6


def test_gradcheck_json_gives_the_three_gradients_in_the_parameters_shape(capsys):
    # W2 is 100×100: more entries than the finite differences take, so they are sampled (null elsewhere)
    code, out, _ = run_cli(capsys, "gradcheck", "--preset", "sine", "--hidden", "100,100", "--json")
    (result,) = json_lines(out)
    assert code == 0 and result["type"] == "gradcheck" and result["dtype"] == "float64"
    sampled = 0
    for name, check in result["parameters"].items():
        manual, autograd = np.array(check["manual"]), np.array(check["autograd"])
        finite = np.array(check["finite_difference"], dtype=float)  # null → NaN
        assert manual.shape == autograd.shape == finite.shape == tuple(check["shape"]), name
        computed = ~np.isnan(finite)
        assert computed.any(), name
        sampled += int((~computed).sum())
        np.testing.assert_allclose(autograd, manual, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(finite[computed], manual[computed], rtol=1e-4, atol=1e-7)
    assert sampled > 0 and result["parameters"]["W2"]["shape"] == [100, 100]


def test_gradcheck_refuses_float32_in_one_line(capsys):
    code, out, err = run_cli(capsys, "gradcheck", "--preset", "linear", "--dtype", "float32", "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "float64" in err and "--dtype float32" in err


def test_presets_json_is_a_typed_object_in_the_presets_order(capsys):
    code, out, _ = run_cli(capsys, "presets", "--json")
    result = json.loads(out)
    assert code == 0 and result["type"] == "presets"
    assert [p["name"] for p in result["presets"]][:3] == ["linear", "sine", "sine-linear"]
    assert all(p["description"] for p in result["presets"])


def test_gradcheck_text_names_every_parameter(capsys):
    code, out, _ = run_cli(capsys, "gradcheck", "--preset", "linear")
    assert code == 0
    assert "W1" in out and "b1" in out and "manual vs autograd" in out


def test_presets_lists_the_tutorial_first(capsys):
    code, out, _ = run_cli(capsys, "presets")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names[:3] == ["linear", "sine", "sine-linear"]


def test_divergence_is_reported_with_exit_code_1(capsys):
    code, out, _ = run_cli(capsys, "train", "--optimizer", "gd", "--lr", "1000", "--json")
    objects = json_lines(out)
    summary = objects[-1]
    assert code == 1 and summary["diverged"] is True and "learning rate" in summary["message"]
    assert summary["type"] == "summary" and {o["type"] for o in objects[:-1]} <= {"epoch"}


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["train", "--lr", "0"], "learning_rate"),
        (["train", "--lr", "-3"], "learning_rate"),
        (["train", "--lr", "abc"], "invalid float value"),
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--hidden", "64,x"], "--hidden"),
        (["train", "--hidden", "100000"], "units"),
        (["train", "--activation", "swish"], "activation"),
        (["train", "--preset", "nope"], "unknown preset"),
        (["train", "--experiment", "/no/such/file.toml"], "cannot read"),
        (["train", "--data", "/no/such/file.csv"], "cannot read"),
        (["train", "--preset", "sine", "--experiment", "x.toml"], "not allowed with"),
        (["train", "--bogus"], "unrecognized arguments"),
        (["gradcheck", "--loss", "huber"], "invalid choice"),
        (["snapshot", "-o", "x.jpg"], "PNG"),
        (["--preset", "nope"], "unknown preset"),
    ],
)
def test_bad_arguments_give_one_line_on_stderr_and_exit_2(capsys, args, fragment):
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and fragment in captured.err
    assert "Traceback" not in captured.err


def test_bad_csv_names_line_and_column(capsys, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("x,y\n1,2\n3,oops\n")
    code, _, err = run_cli(capsys, "train", "--data", str(csv))
    assert code == 2 and "line 3, column 2" in err and err.count("\n") == 1


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "nnstudio", "train", "--preset", "linear", "--epochs", "10"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert parse_log_line(result.stdout.splitlines()[0]) == (10, pytest.approx(96.09053, rel=PRINTED))


def test_train_does_not_import_qt_or_torch_unless_asked():
    code = (
        "import sys; from nnstudio.cli import main; main(['train', '--epochs', '10']); "
        "print(sorted(m for m in ('torch', 'PySide6') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines()[-1] == "[]"


# --- experiment files, options and the output ----------------------------------------------------

EXPERIMENT_WITH_CSV = """\
name = "from a csv"
[data]
generator = "csv"
csv_path = "points.csv"
[model]
hidden = []
[training]
epochs = 20
"""


def write_points(path):
    x = np.linspace(0, 1, 30)
    path.write_text("x,y\n" + "".join(f"{a},{3 * a + 1}\n" for a in x))


def test_an_experiment_file_with_a_byte_order_mark_trains(capsys, tmp_path):
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\n[training]\nepochs = 10\n')  # as Notepad saves UTF-8
    code, out, err = run_cli(capsys, "train", "--experiment", str(path))
    assert code == 0 and err == "" and out.splitlines()[0].startswith("Epoch: 10 Loss: ")


def test_a_relative_csv_path_is_read_from_the_experiment_files_folder(capsys, tmp_path, monkeypatch):
    from nnstudio.core.storage.archive import read_experiment_file

    (tmp_path / "course").mkdir()
    write_points(tmp_path / "course" / "points.csv")
    (tmp_path / "course" / "fit.toml").write_text(EXPERIMENT_WITH_CSV)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # no points.csv here
    code, out, err = run_cli(capsys, "train", "--experiment", "../course/fit.toml")
    assert code == 0 and err == "" and out.startswith("Epoch: 10 Loss: ")
    trainer = read_experiment_file("../course/fit.toml").make_trainer()  # the window's File ▸ Open
    np.testing.assert_allclose(trainer.points[1], 3 * np.linspace(0, 1, 30) + 1, rtol=1e-12)
    assert trainer.experiment.data.csv_path == "points.csv"  # the file's own words, not rewritten


def test_a_missing_csv_beside_the_experiment_file_is_named(capsys, tmp_path):
    (tmp_path / "fit.toml").write_text(EXPERIMENT_WITH_CSV)
    code, out, err = run_cli(capsys, "train", "--experiment", str(tmp_path / "fit.toml"))
    assert code == 2 and out == ""
    assert err == f"nnstudio: error: fit.toml: cannot read {tmp_path / 'points.csv'}: No such file or directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label-column", "99999999999999999999"], "--label-column must be at most 10001, got 99999999999999999999"),
        (["--label-column", "3", "--input-columns", "1,99999999999999999999"], "got 99999999999999999999"),
        (["--label-column", "3", "--input-columns", "0,2"], "--input-columns counts from 1 (the first column), got 0"),
    ],
)
def test_a_column_number_is_reported_as_typed(capsys, tmp_path, args, message):
    path = tmp_path / "classes.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n")
    code, _, err = run_cli(capsys, "train", "--data", str(path), *args)
    assert code == 2 and err.count("\n") == 1 and message in err


def nnstudio(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", [["train", "--epochs", "20"], ["train", "--epochs", "20", "--json"], ["presets"]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(command):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "nnstudio", *command], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert result.returncode == 2
    assert result.stderr == "nnstudio: error: cannot write the output: No space left on device\n"


@pytest.mark.skipif(sys.platform == "win32", reason="a shell pipeline into head")
def test_a_reader_that_stops_early_is_not_an_error():
    command = f"{sys.executable} -m nnstudio train --epochs 1000000 --log-every 1 | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stdout.startswith("Epoch: 1 Loss: ") and result.stdout.count("\n") == 1
    assert result.stderr == "" and result.returncode == 0


def test_a_snapshot_prints_nothing_but_its_picture(tmp_path):
    picture = tmp_path / "s.png"
    result = nnstudio("snapshot", "--preset", "sine", "--epochs", "3", "--size", "640x400", "-o", str(picture))
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""  # no propagateSizeHints() lines
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [path.name for path in tmp_path.iterdir()] == ["s.png"]


def test_a_snapshot_into_a_missing_folder_is_refused_before_any_window(tmp_path):
    picture = tmp_path / "no" / "s.png"
    code = (
        "import sys; from nnstudio.cli import main; "
        f"code = main(['snapshot', '--preset', 'sine', '-o', {str(picture)!r}]); "
        "print(code, 'nnstudio.gui.main_window' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout == "2 False\n"
    assert result.stderr == f"nnstudio: error: cannot write {picture}: the folder {picture.parent} does not exist\n"
