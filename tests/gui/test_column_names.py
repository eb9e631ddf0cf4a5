"""Imported columns keep their names: the fit plot's axes say them, and a saved file remembers them."""

import numpy as np
from PySide6.QtWidgets import QApplication

from nnstudio.core.datasets.csv_preview import header_name
from nnstudio.core.datasets.csv_table import read_csv_text
from nnstudio.core.engine.presets import preset
from nnstudio.core.storage.archive import read_experiment_file
from nnstudio.core.storage.examples import example_path
from tests.gui.driving import wait_idle


def test_a_header_cell_becomes_one_short_printable_line():
    table = read_csv_text("speed (mph),\tstopping\x07 distance " + "x" * 80 + "\n4,2\n7,4\n")
    assert header_name(table, True, 0) == "speed (mph)"
    name = header_name(table, True, 1)
    assert name.startswith("stopping distance xxx") and len(name) == 60 and name.endswith("…")
    assert header_name(table, False, 0) is None and header_name(table, True, 5) is None


def test_imported_columns_name_the_fit_plot_s_axes(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(preset("linear"))
    assert window.fit_plot.axis_titles() == ("x", "y")
    path = tmp_path / "cars.csv"
    path.write_text("".join(["speed,<i>stopping</i> distance\n", *(f"{i},{3 * i + 1}\n" for i in range(10))]))
    importer = window.data_import

    def accept(dialog):
        qtbot.waitUntil(lambda: not dialog.is_reading, timeout=10000)
        return True

    monkeypatch.setattr(importer, "_run_import_dialog", accept)
    importer.import_csv_file(str(path))
    qtbot.waitUntil(lambda: window.state.experiment.data.generator == "csv", timeout=20000)
    wait_idle(qtbot, window)
    assert window.state.experiment.data.csv_x_name == "speed"
    assert window.fit_plot.axis_titles() == ("speed", "&lt;i&gt;stopping&lt;/i&gt; distance")  # as typed, not HTML

    window.load_preset("sine")  # other data: x and y again
    qtbot.waitUntil(lambda: window.state.experiment.name == "sine", timeout=20000)
    wait_idle(qtbot, window)
    assert window.fit_plot.axis_titles() == ("x", "y")


def test_pasted_columns_with_a_header_line_name_the_axes(qtbot, make_window):
    window = make_window(preset("linear"))
    QApplication.clipboard().setText("speed  distance\n4 2\n7   4\n8 16\n9 10\n")
    window.data_import.paste_data()
    qtbot.waitUntil(lambda: window.state.experiment.data.generator == "csv", timeout=20000)
    wait_idle(qtbot, window)
    assert window.fit_plot.axis_titles() == ("speed", "distance")
    np.testing.assert_array_equal(window.state.points[0], [4, 7, 8, 9])


def test_the_cars_example_opens_with_its_column_names(qtbot, make_window):
    assert read_experiment_file(example_path("cars")).experiment.data.csv_x_name == "speed"
    window = make_window(preset("linear"))
    window.file_actions.open_path(str(example_path("cars")), remember=False)
    qtbot.waitUntil(lambda: window.state.experiment.name == "cars", timeout=20000)
    wait_idle(qtbot, window)
    assert window.fit_plot.axis_titles() == ("speed", "dist")
