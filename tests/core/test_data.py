"""Data: the toy generators, subsampling, R-style standardisation, the seeded split, and CSV import."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.datasets.data import GENERATORS, GRID_POINTS, Scaler, generate, load_csv, parse_csv, prepare
from nnstudio.core.engine.experiment import DataSpec
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.errors import NNStudioError

# --- generators --------------------------------------------------------------------------------------


def test_the_tutorials_line():
    spec = DataSpec(generator="line", n_points=100, x_min=-10.0, x_max=10.0, noise_sd=2.0, seed=1)
    x, y = generate(spec)
    assert x.shape == y.shape == (100,)
    assert x[0] == -10.0 and x[-1] == 10.0
    np.testing.assert_allclose(np.diff(x), 20.0 / 99, rtol=1e-12)  # evenly spaced
    residual = y - (2.0 * x + 3.0)
    assert abs(np.mean(residual)) < 0.6  # noise is centred on the line (sd of the mean: 0.2)
    assert np.std(residual, ddof=1) == pytest.approx(2.0, rel=0.2)
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(2.0, abs=0.1)
    assert intercept == pytest.approx(3.0, abs=0.6)


def test_the_linear_preset_uses_that_line():
    spec = PRESETS["linear"].data
    assert (spec.generator, spec.n_points, spec.x_min, spec.x_max, spec.noise_sd) == ("line", 100, -10.0, 10.0, 2.0)


TRUE_VALUES = {
    # generator: [(x, f(x)), ...], worked out by hand
    "line": [(0.0, 3.0), (1.0, 5.0), (-2.5, -2.0)],
    "sine": [(0.0, 0.0), (np.pi / 2, 4.0), (-np.pi / 2, -4.0)],
    "cubic": [(0.0, 0.0), (2.0, -1.2), (-3.0, 0.3)],
    "step": [(-1.0, -2.0), (0.0, -2.0), (0.5, 2.0)],
    "abs": [(-3.0, 3.0), (0.0, 0.0), (2.5, 2.5)],
    "bump": [(0.0, 4.0), (2.0, 4.0 * np.exp(-2.0)), (-1.0, 4.0 * np.exp(-0.5))],
}


def test_every_generator_is_checked_here():
    assert sorted(TRUE_VALUES) == sorted(GENERATORS)
    assert {"line", "sine", "cubic", "step", "abs", "bump"} <= set(GENERATORS)


@pytest.mark.parametrize("name", sorted(TRUE_VALUES))
def test_each_generator_knows_its_true_function(name):
    x, expected = np.array(TRUE_VALUES[name]).T
    np.testing.assert_allclose(GENERATORS[name].true_function(x), expected, rtol=1e-12, atol=1e-12)
    assert GENERATORS[name].formula  # shown next to the plot


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_without_noise_the_points_lie_on_the_true_function(name):
    spec = DataSpec(generator=name, n_points=37, x_min=-4.0, x_max=3.0, noise_sd=0.0, seed=5)
    x, y = generate(spec)
    np.testing.assert_array_equal(x, np.linspace(-4.0, 3.0, 37))
    np.testing.assert_array_equal(y, GENERATORS[name].true_function(x))
    dataset = prepare(spec)
    assert dataset.true_function is GENERATORS[name].true_function


def test_noise_has_the_asked_sd_and_is_seeded():
    spec = DataSpec(generator="sine", n_points=5000, noise_sd=1.5, seed=3)
    x, y = generate(spec)
    noise = y - 4.0 * np.sin(x)
    assert np.std(noise) == pytest.approx(1.5, rel=0.05)
    np.testing.assert_array_equal(generate(spec)[1], y)
    assert not np.array_equal(generate(DataSpec(generator="sine", n_points=5000, noise_sd=1.5, seed=4))[1], y)


def test_prepared_arrays_are_two_dimensional_and_the_grid_spans_the_range():
    dataset = prepare(DataSpec(generator="cubic", n_points=30, x_min=-2.0, x_max=4.0))
    assert dataset.x_train.shape == (30, 1) and dataset.y_train.shape == (30, 1)
    assert dataset.n_inputs == dataset.n_outputs == 1
    assert dataset.x_grid_raw.shape == (GRID_POINTS, 1)
    assert dataset.x_grid_raw[0, 0] == -2.0 and dataset.x_grid_raw[-1, 0] == 4.0


# --- subsample ---------------------------------------------------------------------------------------


def test_subsample_keeps_that_many_of_the_original_points():
    spec = DataSpec(generator="line", n_points=100, x_min=-10.0, x_max=10.0, noise_sd=2.0, seed=1, subsample=50)
    dataset = prepare(spec)
    x_all, y_all = generate(spec)
    assert dataset.n_train == 50
    x, y = dataset.x_train_raw[:, 0], dataset.y_train_raw[:, 0]
    assert len(set(x)) == 50  # drawn without replacement
    rows = np.searchsorted(x_all, x)
    np.testing.assert_array_equal(x_all[rows], x)  # each kept x is an original x...
    np.testing.assert_array_equal(y_all[rows], y)  # ... with its own y


def test_subsample_is_seeded():
    spec = DataSpec(generator="sine", n_points=100, seed=7, subsample=20)
    first, again = prepare(spec), prepare(spec)
    np.testing.assert_array_equal(first.x_train_raw, again.x_train_raw)
    other = prepare(DataSpec(generator="sine", n_points=100, seed=8, subsample=20))
    assert not np.array_equal(first.x_train_raw, other.x_train_raw)


def test_subsample_larger_than_the_data_is_an_error():
    with pytest.raises(NNStudioError, match=r"cannot keep 40 of only 30 points \(data.subsample\)"):
        prepare(DataSpec(generator="sine", n_points=30, subsample=40))


# --- standardise ----------------------------------------------------------------------------------


def test_standardise_is_rs_scale_fitted_on_the_training_points_only():
    spec = DataSpec(generator="line", n_points=80, x_min=0.0, x_max=50.0, noise_sd=3.0, standardize=True,
                    test_fraction=0.25, seed=2)  # fmt: skip
    dataset = prepare(spec)
    x_raw, y_raw = dataset.x_train_raw[:, 0], dataset.y_train_raw[:, 0]
    scaler = dataset.scaler
    assert scaler.x_mean == pytest.approx(np.mean(x_raw), rel=1e-14)
    assert scaler.x_sd == pytest.approx(np.std(x_raw, ddof=1), rel=1e-14)  # n − 1, as R's sd()
    assert scaler.y_mean == pytest.approx(np.mean(y_raw), rel=1e-14)
    assert scaler.y_sd == pytest.approx(np.std(y_raw, ddof=1), rel=1e-14)
    for values in (dataset.x_train, dataset.y_train):
        assert np.mean(values) == pytest.approx(0.0, abs=1e-12)
        assert np.std(values, ddof=1) == pytest.approx(1.0, rel=1e-12)
        assert np.std(values, ddof=0) < 1.0  # sd with n would give exactly 1
    # the test points use the training points' scale, so they are not exactly centred
    all_points_mean = np.mean(np.concatenate([x_raw, dataset.x_test_raw[:, 0]]))
    assert scaler.x_mean != pytest.approx(all_points_mean, abs=1e-9)
    np.testing.assert_allclose(dataset.x_test, (dataset.x_test_raw - scaler.x_mean) / scaler.x_sd, rtol=1e-14)


def test_standardised_predictions_are_undone_into_original_units():
    scaler = Scaler(x_mean=3.0, x_sd=2.0, y_mean=-10.0, y_sd=4.0)
    y = np.array([[-14.0], [-10.0], [2.0]])
    np.testing.assert_array_equal(scaler.y_to_model(y), [[-1.0], [0.0], [3.0]])
    np.testing.assert_array_equal(scaler.y_from_model(scaler.y_to_model(y)), y)
    np.testing.assert_array_equal(scaler.x_to_model(np.array([[5.0]])), [[1.0]])


def test_without_standardise_the_model_sees_the_raw_numbers():
    dataset = prepare(DataSpec(generator="sine", n_points=20))
    assert dataset.scaler == Scaler()
    np.testing.assert_array_equal(dataset.x_train, dataset.x_train_raw)
    np.testing.assert_array_equal(dataset.y_train, dataset.y_train_raw)


def test_a_constant_column_is_only_centred():
    scaler = Scaler.fit(np.array([[2.0], [2.0], [2.0]]), np.array([[1.0], [2.0], [3.0]]))
    assert (scaler.x_mean, scaler.x_sd) == (2.0, 1.0)
    assert (scaler.y_mean, scaler.y_sd) == (2.0, 1.0)


# --- the seeded split --------------------------------------------------------------------------------


def split_of(spec: DataSpec):
    dataset = prepare(spec)
    return set(dataset.x_train_raw[:, 0]), set(dataset.x_test_raw[:, 0]), dataset


@pytest.mark.parametrize(("n_points", "fraction", "n_test"), [(40, 0.25, 10), (50, 0.3, 15), (30, 0.0, 0), (7, 0.5, 4)])
def test_split_sizes_are_disjoint_and_cover_every_point(n_points, fraction, n_test):
    spec = DataSpec(generator="abs", n_points=n_points, test_fraction=fraction, seed=11)
    train, test, dataset = split_of(spec)
    assert dataset.n_test == len(test) == n_test
    assert dataset.n_train == len(train) == n_points - n_test
    assert not train & test
    assert train | test == set(np.linspace(-5.0, 5.0, n_points))
    assert np.all(np.diff(dataset.x_train_raw[:, 0]) > 0)  # kept in x order, for plotting
    x_all, y_all = generate(spec)
    for x, y in zip(dataset.x_test_raw[:, 0], dataset.y_test_raw[:, 0], strict=True):
        assert y == y_all[np.searchsorted(x_all, x)]  # each test point keeps its own y


def test_split_is_seeded():
    spec = DataSpec(generator="sine", n_points=60, test_fraction=0.3, seed=5)
    assert split_of(spec)[:2] == split_of(spec)[:2]
    assert split_of(spec)[1] != split_of(DataSpec(generator="sine", n_points=60, test_fraction=0.3, seed=6))[1]


def test_a_split_that_leaves_one_training_point_is_an_error():
    with pytest.raises(NNStudioError, match="only 1 training points would be left"):
        prepare(DataSpec(generator="sine", n_points=2, test_fraction=0.5))


# --- CSV import: what works ------------------------------------------------------------------------


def test_csv_header_is_detected():
    x, y = parse_csv("x,y\n1,2\n3,4.5\n")
    np.testing.assert_array_equal(x, [1.0, 3.0])
    np.testing.assert_array_equal(y, [2.0, 4.5])
    x, y = parse_csv("1,2\n3,4.5\n-1e3,7\n")  # no header: the first row is data
    np.testing.assert_array_equal(x, [1.0, 3.0, -1000.0])


def test_csv_header_can_be_forced_either_way():
    np.testing.assert_array_equal(parse_csv("5,6\n1,2\n3,4\n", header=True)[0], [1.0, 3.0])
    with pytest.raises(NNStudioError, match=r"^line 1, column 1: 'x' is not a number$"):
        parse_csv("x,y\n1,2\n3,4\n", header=False)


def test_csv_columns_can_be_chosen():
    text = "a,b,c\n1,2,3\n4,5,6\n"
    x, y = parse_csv(text, x_column=2, y_column=0)
    np.testing.assert_array_equal(x, [3.0, 6.0])
    np.testing.assert_array_equal(y, [1.0, 4.0])
    x, y = parse_csv(text)  # default: the first two
    np.testing.assert_array_equal(y, [2.0, 5.0])


@pytest.mark.parametrize("separator", [";", "\t", ","])
def test_csv_separators(separator):
    text = separator.join(["x", "y"]) + "\n" + "\n".join(separator.join([str(i), str(i * 1.5)]) for i in range(5))
    x, y = parse_csv(text)
    np.testing.assert_array_equal(x, np.arange(5.0))
    np.testing.assert_array_equal(y, np.arange(5.0) * 1.5)


def test_csv_blank_lines_spaces_quotes_and_crlf_are_fine():
    x, y = parse_csv('x,y\r\n\r\n 1 , 2\r\n"3","4"\r\n\r\n')
    np.testing.assert_array_equal(x, [1.0, 3.0])
    np.testing.assert_array_equal(y, [2.0, 4.0])


def test_csv_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffx;y\n1;2\n3;4\n".encode())
    x, y = load_csv(path)
    np.testing.assert_array_equal(x, [1.0, 3.0])


def test_a_csv_dataset_has_no_true_function_and_its_grid_spans_the_data(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n-2,1\n0,3\n6,2\n", encoding="utf-8")
    dataset = prepare(DataSpec(generator="csv", csv_path=str(path)))
    assert dataset.true_function is None
    np.testing.assert_array_equal(dataset.x_train_raw[:, 0], [-2.0, 0.0, 6.0])
    assert dataset.x_grid_raw[0, 0] == -2.0 and dataset.x_grid_raw[-1, 0] == 6.0


def test_imported_points_can_be_passed_in_directly():
    spec = DataSpec(generator="csv", csv_path="not-read.csv", standardize=True)
    dataset = prepare(spec, points=(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 9.0])))
    np.testing.assert_array_equal(dataset.y_train_raw[:, 0], [2.0, 4.0, 9.0])
    assert dataset.scaler.y_mean == 5.0


# --- CSV import: every error names its line (and column) -------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "line 1: the file is empty", id="empty"),
        pytest.param("\n \n\n", "line 1: the file is empty", id="only-blank-lines"),
        pytest.param("x,y\n1,2\n3,abc\n", "line 3, column 2: 'abc' is not a number", id="non-numeric"),
        pytest.param("1,2\n3,4\n,5\n", "line 3, column 1: '' is not a number", id="empty-cell"),
        pytest.param("1,2\nnan,3\n", "line 2, column 1: 'nan' is not a finite number", id="nan"),
        pytest.param("1,2\n3,4\n5,inf\n", "line 3, column 2: 'inf' is not a finite number", id="inf"),
        pytest.param("x;y\n1;2\n3;-Infinity\n", "line 3, column 2: '-Infinity' is not a finite number", id="-inf"),
        pytest.param("x,y\n1,2\n", "line 3: at least 2 rows of numbers are needed", id="one-row-after-header"),
        pytest.param("1,2\n", "line 2: at least 2 rows of numbers are needed", id="one-row"),
        pytest.param("x,y\n", "line 2: at least 2 rows of numbers are needed", id="header-only"),
        pytest.param("x,y\n\n\n1,2\n", "line 5: at least 2 rows of numbers are needed", id="one-row-after-blanks"),
        pytest.param("1,2\n3,4,5\n6,7\n", "line 2: 3 columns, but the first row has 2", id="ragged-long"),
        pytest.param("1,2,3\n4,5,6\n\n7,8\n", "line 4: 2 columns, but the first row has 3", id="ragged-short"),
        pytest.param("a\n1\n2\n", "line 2: column 2 was asked for but the row has only 1 column(s)", id="one-column"),
        pytest.param("x,y\n1,2\n3,4\n\n\n5,x\n", "line 6, column 2: 'x' is not a number", id="after-blank-lines"),
        pytest.param("1,2\n3\x004\n", "line 1: this is a binary file, not CSV text", id="binary"),
    ],
)
def test_csv_errors_name_the_line_and_column(text, message):
    with pytest.raises(NNStudioError) as caught:
        parse_csv(text)
    assert str(caught.value) == message


def test_csv_missing_column_names_the_line_and_the_column():
    with pytest.raises(NNStudioError) as caught:
        parse_csv("x,y,z\n1,2,3\n4,5,6\n", x_column=0, y_column=3)
    assert str(caught.value) == "line 2: column 4 was asked for but the row has only 3 column(s)"


def test_csv_errors_in_chosen_columns_name_that_column():
    with pytest.raises(NNStudioError) as caught:
        parse_csv("1,2,3\n4,5,six\n", x_column=2, y_column=0)
    assert str(caught.value) == "line 2, column 3: 'six' is not a number"


def test_csv_file_errors_also_name_the_file(tmp_path):
    path = tmp_path / "measurements.csv"
    path.write_text("x,y\n1,2\n3,4\n5,oops\n", encoding="utf-8")
    with pytest.raises(NNStudioError) as caught:
        load_csv(path)
    assert str(caught.value) == "measurements.csv, line 4, column 2: 'oops' is not a number"


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b"x,y\n1,2\n3,\xff4\n", 3),
        ("x,y\n1,2\n3,4\n5,caf\u00e9\n".encode("latin-1"), 4),
    ],
)
def test_csv_that_is_not_utf8_names_the_line(tmp_path, raw, line):
    path = tmp_path / "legacy.csv"
    path.write_bytes(raw)
    with pytest.raises(NNStudioError) as caught:
        load_csv(path)
    assert str(caught.value) == f"legacy.csv, line {line}: not UTF-8 text (save the file as UTF-8 CSV)"


def test_csv_that_does_not_exist(tmp_path):
    with pytest.raises(NNStudioError, match=r"^cannot read .*nowhere\.csv: No such file or directory$"):
        load_csv(tmp_path / "nowhere.csv")


def test_prepare_reports_csv_errors_too(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(NNStudioError, match=r"^empty\.csv, line 1: the file is empty$"):
        prepare(DataSpec(generator="csv", csv_path=str(path)))
