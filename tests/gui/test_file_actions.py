"""Files in the window: save and open a run, unsaved changes, recent files, drag and drop, paste, the CSV
preview, exports, and the settings that outlive the window. Every dialog is answered by a stand-in; the
settings live in a temporary file, never the user's own."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPalette
from PySide6.QtWidgets import QApplication

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import Trainer, format_log_line
from nnstudio.core.storage.archive import load_trainer, read_experiment_file, save_trainer
from nnstudio.core.storage.examples import example_path
from nnstudio.gui import main_window as main_window_module
from nnstudio.gui.csv_import_dialog import PROBLEM_TINT, X_TINT, CsvImportDialog
from nnstudio.gui.data_import import PASTED
from nnstudio.gui.file_actions import CANCEL, DISCARD, SAVE
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.settings import Settings
from nnstudio.gui.style import configure_pyqtgraph
from nnstudio.gui.themes import apply_theme, dark_palette
from tests.core.helpers import step_losses, train_epochs
from tests.gui.driving import trainer_of, wait_idle


@pytest.fixture
def settings(tmp_path):
    return Settings.at(tmp_path / "settings" / "nnstudio.ini")


@pytest.fixture
def app_window(qtbot, settings, monkeypatch):
    """The window as the app builds it (with settings, so it asks before discarding work), its dialogs stubbed.

    `window.answers` are the replies to "Save the changes?", `window.asked` counts the questions,
    `window.warnings` collects what would have been shown in a warning box.
    """
    configure_pyqtgraph()
    windows = []
    failures = []
    monkeypatch.setattr(main_window_module.QMessageBox, "warning", lambda parent, title, text: failures.append(text))

    def make(experiment=None, path=None, size=(1200, 760), store=None):
        window = MainWindow(experiment or preset("sine"), path, store or settings)
        qtbot.addWidget(window)
        window.answers, window.asked, window.warnings, window.failures = [], [], [], failures
        files = window.file_actions

        def ask():
            window.asked.append(files.path)
            return window.answers.pop(0) if window.answers else DISCARD

        monkeypatch.setattr(files, "_ask_unsaved", ask)
        for part in (files, window.data_import):
            monkeypatch.setattr(part, "_warn", lambda title, message: window.warnings.append(message))
        if size:
            window.resize(*size)
        window.show()
        wait_idle(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.file_actions.ask_before_discarding = False
        window.session.shutdown()
    apply_theme("system")


def read(qtbot, dialog):
    """Until the preview dialog has read its file (in its worker thread)."""
    qtbot.waitUntil(lambda: not dialog.is_reading, timeout=10000)


def train(qtbot, window, epochs):
    window.run_to(epochs)
    wait_idle(qtbot, window)


def worked_on(qtbot, window, epochs):
    """Work worth asking about: a setting changed, then training (a template only trained as it came can be
    trained again the same way, so it is not asked about: tests/gui/test_unsaved_templates.py)."""
    rate = window.experiment.training.learning_rate / 2
    window.training_panel.spec_changed.emit(replace(window.experiment.training, learning_rate=rate))
    qtbot.waitUntil(lambda: window.state.experiment.training.learning_rate == rate, timeout=20000)
    train(qtbot, window, epochs)


def save_as(qtbot, window, monkeypatch, path):
    monkeypatch.setattr(window.file_actions, "_ask_save_path", lambda: str(path))
    window.file_actions.save_as()
    qtbot.waitUntil(lambda: path.exists() and not window.file_actions.dirty, timeout=20000)


def same_weights(first: Trainer, second: Trainer) -> bool:
    a, b = first.backend.parameters(), second.backend.parameters()
    return a.keys() == b.keys() and all(np.array_equal(a[name], b[name]) for name in a)


# --- save, open, unsaved changes ------------------------------------------------------------------


def test_ctrl_s_saves_the_run_and_opening_it_carries_on_with_the_same_numbers(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window(preset("sine-tanh-deep"))
    window.step(7)  # one epoch of five batches, and two batches into the next
    wait_idle(qtbot, window)
    assert window.file_actions.dirty and window.isWindowModified()
    path = tmp_path / "deep.nnstudio"
    monkeypatch.setattr(window.file_actions, "_ask_save_path", lambda: str(path))
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # untitled: Save asks where
    qtbot.waitUntil(lambda: path.exists() and not window.file_actions.dirty, timeout=20000)
    assert window.path == str(path) and window.windowTitle() == "nnstudio — deep.nnstudio[*]"
    assert not window.isWindowModified()
    assert window.settings.recent_files() == [str(path.resolve())]

    other = app_window(preset("linear"))
    other.file_actions.open_path(str(path))
    qtbot.waitUntil(lambda: other.path == str(path), timeout=20000)
    wait_idle(qtbot, other)
    assert (trainer_of(other).epoch, trainer_of(other).step_count, trainer_of(other).batch_in_epoch) == (1, 7, 2)
    assert same_weights(trainer_of(window), trainer_of(other)) and not other.file_actions.dirty
    assert other.asked == []  # nothing to lose in the other window: no question
    np.testing.assert_array_equal(other.loss_plot.train_values(), trainer_of(window).loss_history.train)
    np.testing.assert_array_equal(step_losses(trainer_of(other), 11), step_losses(trainer_of(window), 11))


def test_saving_again_writes_to_the_same_file_without_asking(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window()
    path = tmp_path / "sine.nnstudio"
    save_as(qtbot, window, monkeypatch, path)
    train(qtbot, window, 12)
    monkeypatch.setattr(window.file_actions, "_ask_save_path", lambda: pytest.fail("Save asked for a name again"))
    window.file_actions.save()
    qtbot.waitUntil(lambda: not window.file_actions.dirty, timeout=20000)
    assert load_trainer(path).epoch == 12


def test_opening_with_unsaved_changes_asks_first(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window()
    worked_on(qtbot, window, 5)
    trainer = trainer_of(window)
    linear = tmp_path / "linear.nnstudio"
    save_trainer(Trainer(preset("linear")), linear)

    window.answers.append(CANCEL)
    window.file_actions.open_path(str(linear))
    wait_idle(qtbot, window)
    assert window.asked == [None] and trainer_of(window) is trainer and window.file_actions.dirty

    first = tmp_path / "first.nnstudio"
    monkeypatch.setattr(window.file_actions, "_ask_save_path", lambda: str(first))
    window.answers.append(SAVE)  # save the work first, then open
    window.file_actions.open_path(str(linear))
    qtbot.waitUntil(lambda: window.path == str(linear), timeout=20000)
    wait_idle(qtbot, window)
    assert load_trainer(first).epoch == 5 and window.experiment.name == "linear"

    train(qtbot, window, 3)
    window.answers.append(DISCARD)
    window.file_actions.open_path(str(first))
    qtbot.waitUntil(lambda: window.path == str(first), timeout=20000)
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 5 and read_experiment_file(linear).run.progress.epoch == 0  # nothing saved
    assert window.asked == [None, None, str(linear)]


def test_a_preset_or_new_replaces_the_work_only_after_asking(qtbot, app_window):
    window = app_window(preset("linear"))
    worked_on(qtbot, window, 4)
    trainer = trainer_of(window)
    window.answers.append(CANCEL)
    window.model_panel.preset_chosen.emit("sine")
    wait_idle(qtbot, window)
    assert trainer_of(window) is trainer and window.asked == [None]
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New; answered Don't Save
    qtbot.waitUntil(lambda: trainer_of(window) is not trainer, timeout=20000)
    wait_idle(qtbot, window)
    assert window.experiment == preset("sine") and trainer_of(window).epoch == 0 and window.path is None
    assert len(window.asked) == 2 and not window.file_actions.dirty and window.windowTitle() == "nnstudio — sine[*]"


def test_closing_with_unsaved_changes_asks_and_can_save_first(qtbot, app_window, tmp_path, monkeypatch, settings):
    window = app_window()
    assert window.close() and window.asked == []  # nothing changed: it closes at once
    window = app_window()
    worked_on(qtbot, window, 3)
    window.answers.append(CANCEL)
    assert not window.close() and window.isVisible()
    path = tmp_path / "kept.nnstudio"
    monkeypatch.setattr(window.file_actions, "_ask_save_path", lambda: str(path))
    window.answers.append(SAVE)
    window.close()  # saves in the worker, then closes
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert load_trainer(path).epoch == 3
    assert settings.last_experiment() == str(path.resolve())


def test_any_change_or_training_makes_the_work_unsaved(qtbot, app_window):
    window = app_window(None, str(example_path("sine")))
    assert window.path == str(example_path("sine")) and not window.file_actions.dirty
    window.training_panel.spec_changed.emit(replace(window.experiment.training, learning_rate=0.05))
    qtbot.waitUntil(lambda: window.file_actions.dirty, timeout=20000)
    assert window.isWindowModified() and window.windowTitle() == "nnstudio — sine.nnstudio[*]"


def test_a_damaged_file_is_refused_and_the_work_stays(qtbot, app_window, tmp_path):
    window = app_window()
    train(qtbot, window, 3)
    trainer = trainer_of(window)
    damaged = tmp_path / "damaged.nnstudio"
    damaged.write_bytes(example_path("sine-trained").read_bytes()[:5000])
    window.file_actions.open_path(str(damaged))
    wait_idle(qtbot, window)
    assert window.warnings == [
        "damaged.nnstudio is damaged or incomplete, so it was not opened (File is not a zip file)"
    ]
    assert (
        window.asked == [] and trainer_of(window) is trainer and trainer_of(window).epoch == 3 and window.path is None
    )


def test_weights_that_do_not_fit_are_refused_in_the_worker_and_the_work_stays(qtbot, app_window, tmp_path):
    window = app_window()
    trainer = trainer_of(window)
    odd = tmp_path / "odd.nnstudio"
    save_trainer(Trainer(preset("sine")), odd)
    other = read_experiment_file(odd)
    other.run.state.parameters["W1"] = np.ones((1, 3))  # the file's weights, not the file's model
    from nnstudio.core.storage.archive import save

    save(other, odd)
    window.file_actions.open_path(str(odd))
    qtbot.waitUntil(lambda: bool(window.failures), timeout=20000)
    wait_idle(qtbot, window)
    assert window.failures == ["odd.nnstudio: the weights: W1 is 1×3, but the model needs 1×64"]
    assert trainer_of(window) is trainer and window.path is None and not window.file_actions.dirty


def test_recent_files_open_and_a_missing_one_is_dropped(qtbot, app_window, tmp_path, settings):
    window = app_window()
    first, second = tmp_path / "first.nnstudio", tmp_path / "second.nnstudio"
    save_trainer(Trainer(preset("linear")), first)
    save_trainer(Trainer(preset("sine-linear")), second)
    for path in (first, second):
        window.file_actions.open_path(str(path))
        qtbot.waitUntil(lambda p=path: window.path == str(p), timeout=20000)
    window.file_actions._fill_recent_menu()
    actions = window.file_actions.recent_menu.actions()
    assert [a.text() for a in actions[:2]] == ["&1 second.nnstudio", "&2 first.nnstudio"]
    actions[1].trigger()
    qtbot.waitUntil(lambda: window.path == str(first), timeout=20000)
    assert window.experiment.name == "linear"
    second.unlink()
    window.file_actions.open_path(str(second.resolve()))
    assert "cannot read" in window.warnings[-1] and settings.recent_files() == [str(first.resolve())]
    window.file_actions._fill_recent_menu()
    clear = [a for a in window.file_actions.recent_menu.actions() if a.text() == "&Clear Recent Files"][0]
    clear.trigger()
    assert settings.recent_files() == []


def test_an_example_opens_untitled_so_saving_never_overwrites_it(qtbot, app_window):
    window = app_window()
    example = [a for a in window.file_actions.examples_menu.actions() if a.text() == "sine-trained"][0]
    example.trigger()
    qtbot.waitUntil(lambda: window.state.epoch == 100, timeout=20000)
    wait_idle(qtbot, window)
    assert window.path is None and window.windowTitle() == "nnstudio — sine[*]"
    stored = read_experiment_file(example_path("sine-trained")).run.loss_history.train
    assert window.log_panel.lines()[-1] == format_log_line(100, stored[99])  # the file's log, shown again


# --- data in: drag and drop, paste, the CSV preview -----------------------------------------------


def drop(target, path) -> tuple[bool, bool]:
    """Drag `path` over `target` and drop it there; whether the enter and the drop were accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    dropped = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    if enter.isAccepted():
        QApplication.sendEvent(target, dropped)
    return enter.isAccepted(), dropped.isAccepted()  # fmt: skip


def test_dropping_an_experiment_file_on_the_plots_opens_it(qtbot, app_window):
    window = app_window()
    assert drop(window.loss_plot.plot_widget.viewport(), example_path("sine-trained")) == (True, True)
    qtbot.waitUntil(lambda: window.path == str(example_path("sine-trained")), timeout=20000)
    wait_idle(qtbot, window)
    assert trainer_of(window).epoch == 100


def test_dropping_a_csv_shows_the_preview_and_imports_the_chosen_columns(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window()
    path = tmp_path / "heights.csv"
    path.write_text("age;height;weight\n" + "".join(f"{i};{100 + 5 * i};{20 + i * i}\n" for i in range(20)))
    shown = []

    def choose_weight(dialog):
        read(qtbot, dialog)
        shown.append(dialog)
        dialog.y_combo.setCurrentIndex(2)
        return True

    monkeypatch.setattr(window.data_import, "_run_import_dialog", choose_weight)
    assert drop(window.data_panel, path) == (True, True)
    qtbot.waitUntil(lambda: window.experiment.data.generator == "csv", timeout=20000)
    wait_idle(qtbot, window)
    assert shown[0].x_combo.currentText() == "1: age" and shown[0].header
    np.testing.assert_array_equal(trainer_of(window).points[0], np.arange(20.0))
    np.testing.assert_array_equal(trainer_of(window).points[1], 20.0 + np.arange(20.0) ** 2)
    assert (window.experiment.data.csv_x_column, window.experiment.data.csv_y_column) == (0, 2)
    assert "Imported 20 points from heights.csv" in window.log_panel.lines()[-1]


def test_other_files_are_not_taken(qtbot, app_window, tmp_path):
    window = app_window()
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG")
    assert drop(window.fit_plot, picture) == (False, False)


def test_pasted_numbers_become_the_data_and_travel_with_the_file(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window()
    QApplication.clipboard().setText("speed  distance\n4 2\n7   4\n8 16\n9 10\n10 18\n")
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.experiment.data.csv_path == PASTED, timeout=20000)
    wait_idle(qtbot, window)
    np.testing.assert_array_equal(trainer_of(window).points[0], [4, 7, 8, 9, 10])
    np.testing.assert_array_equal(trainer_of(window).points[1], [2, 4, 16, 10, 18])
    assert window.data_panel.generator.currentText() == "CSV: pasted data"
    window.data_panel.test_fraction.setValue(0.4)  # the same points, split anew: still the pasted ones
    qtbot.waitUntil(lambda: window.state.dataset.n_test == 2, timeout=20000)
    wait_idle(qtbot, window)
    path = tmp_path / "pasted.nnstudio"
    save_as(qtbot, window, monkeypatch, path)
    reopened = load_trainer(path)  # no file to read the points from: they are inside
    np.testing.assert_array_equal(reopened.points[1], [2, 4, 16, 10, 18])
    assert reopened.dataset.n_test == 2


def test_a_long_paste_is_read_off_the_gui_thread_in_the_preview(qtbot, app_window, monkeypatch):
    window = app_window()
    rows = 20_000  # ~250 kB of text: more than is parsed at once
    QApplication.clipboard().setText("".join(f"{i} {0.5 * i}\n" for i in range(rows)))
    shown = []

    def accept_when_read(dialog):
        shown.append(dialog)
        assert dialog.is_reading  # paste_data returned to the event loop before the text was parsed
        qtbot.waitUntil(lambda: dialog.points is not None, timeout=30000)
        return True

    monkeypatch.setattr(window.data_import, "_run_import_dialog", accept_when_read)
    window.data_import.paste_data()
    qtbot.waitUntil(lambda: window.experiment.data.csv_path == PASTED, timeout=30000)
    wait_idle(qtbot, window)
    assert len(shown) == 1 and shown[0].source == PASTED
    np.testing.assert_array_equal(trainer_of(window).points[0][[0, -1]], [0, rows - 1])
    np.testing.assert_array_equal(trainer_of(window).points[1][[0, -1]], [0, 0.5 * (rows - 1)])


def test_pasting_something_that_is_not_two_columns_of_numbers_changes_nothing(qtbot, app_window):
    window = app_window()
    trainer = trainer_of(window)
    QApplication.clipboard().setText("1 2\n3 x\n5 6\n")
    window.data_import.paste_data()
    QApplication.clipboard().setText("   ")
    window.data_import.paste_data()
    wait_idle(qtbot, window)
    assert window.warnings[0] == "The clipboard, line 2, column 2: 'x' is not a number\n\nNothing has changed."
    assert "holds no text" in window.warnings[1]
    assert trainer_of(window) is trainer


def test_the_preview_shows_a_problem_by_line_and_column_before_anything_changes(
    qtbot, app_window, monkeypatch, tmp_path
):
    window = app_window()
    trainer = trainer_of(window)
    dialog = CsvImportDialog("three.csv", window)
    qtbot.addWidget(dialog)
    dialog.read_text("a,b,c\n1,2,x\n3,4,y\n5,6,z\n")
    read(qtbot, dialog)
    assert dialog.header and dialog.x_combo.currentText() == "1: a" and dialog.y_combo.currentText() == "2: b"
    assert dialog.problem() == "" and dialog.import_button.isEnabled()
    dialog.y_combo.setCurrentIndex(2)
    assert dialog.problem() == "Cannot import: line 2, column 3: 'x' is not a number"
    assert not dialog.import_button.isEnabled() and dialog.points is None
    assert dialog.table.item(0, 2).background().color() == PROBLEM_TINT  # the row with the problem
    dialog.y_combo.setCurrentIndex(0)
    assert dialog.problem() == "Cannot import: Choose two different columns for x and y."
    dialog.y_combo.setCurrentIndex(1)
    dialog.header_check.setChecked(False)  # the names become a row of data
    assert dialog.problem() == "Cannot import: line 1, column 1: 'a' is not a number"
    dialog.header_check.setChecked(True)
    np.testing.assert_array_equal(dialog.points[1], [2, 4, 6])
    assert dialog.table.item(0, 0).background().color() == X_TINT

    bad = "x,y\n" + "".join(f"{i},{i}\n" for i in range(20)) + "20,oops\n"
    monkeypatch.setattr(window.data_import, "_run_import_dialog", lambda d: read(qtbot, d) or shown.append(d) or True)
    shown = []
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    window.data_import.import_csv_file(str(path))  # Enter pressed on the dialog: Import is off, nothing happens
    wait_idle(qtbot, window)
    assert shown[0].problem() == "Cannot import: line 22, column 2: 'oops' is not a number"
    rows = [shown[0].table.verticalHeaderItem(r).text() for r in range(shown[0].table.rowCount())]
    assert rows[-1] == "line 22"  # the row with the problem is shown below the first rows
    assert trainer_of(window) is trainer and window.experiment.data.generator == "sine"


def test_import_csv_in_the_file_menu_and_the_data_panel_show_the_preview(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window()
    path = tmp_path / "line.csv"
    path.write_text("".join(f"{i}\t{3 * i + 1}\n" for i in range(10)))
    monkeypatch.setattr(window.data_import, "_ask_csv_path", lambda: str(path))
    seen = []
    monkeypatch.setattr(window.data_import, "_run_import_dialog", lambda d: read(qtbot, d) or seen.append(d) or True)
    qtbot.mouseClick(window.data_panel.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.experiment.data.generator == "csv", timeout=20000)
    wait_idle(qtbot, window)
    assert not seen[0].header and "10 rows, 2 columns separated by tabs" in seen[0].summary.text()
    np.testing.assert_array_equal(trainer_of(window).points[1], 3 * np.arange(10.0) + 1)
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)


# --- results out -----------------------------------------------------------------------------------


def test_the_plots_export_as_png_and_svg(qtbot, app_window, tmp_path):
    window = app_window(preset("linear"))
    train(qtbot, window, 40)
    png, svg = tmp_path / "fit.png", tmp_path / "loss.svg"
    assert window.export_actions.export_plot("fit", "png", str(png))
    assert window.export_actions.export_plot("loss", "svg", str(svg))
    image = QImage(str(png))
    drawn = window.fit_plot.plot_widget.getPlotItem().sceneBoundingRect()
    assert abs(image.width() - drawn.width()) <= 1 and abs(image.height() - drawn.height()) <= 1
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "</svg>" in text and ("<path" in text or "<polyline" in text)


def test_the_model_the_history_and_scripts_export_from_the_menu(qtbot, app_window, tmp_path, monkeypatch):
    window = app_window(preset("sine"))
    train(qtbot, window, 20)
    exports = window.export_actions
    targets = {
        exports.export_weights: tmp_path / "w.npz",
        exports.export_state_dict: tmp_path / "m.pt",
        exports.export_loss_history: tmp_path / "loss.csv",
        (lambda path: exports.export_script("torch", path)): tmp_path / "train_torch.py",
        (lambda path: exports.export_script("numpy", path)): tmp_path / "train_numpy.py",
    }
    for export_it, path in targets.items():
        export_it(str(path))
    qtbot.waitUntil(lambda: all(path.exists() for path in targets.values()), timeout=20000)
    with np.load(tmp_path / "w.npz") as weights:
        np.testing.assert_array_equal(weights["W2"], trainer_of(window).backend.parameters()["W2"])
    assert len((tmp_path / "loss.csv").read_text().splitlines()) == 21
    assert "def backward(" in (tmp_path / "train_numpy.py").read_text()
    assert "loss.backward()" in (tmp_path / "train_torch.py").read_text()
    reference = Trainer(preset("sine"))
    assert trainer_of(window).epoch == 20 and np.allclose(
        train_epochs(reference, 20), trainer_of(window).loss_history.train
    )


# --- settings that outlive the window --------------------------------------------------------------


def test_the_window_layout_is_restored_from_the_settings(qtbot, app_window, settings):
    window = app_window(size=None)
    window.resize(1000, 723)  # the default is 1400 × 900
    assert window.height() == 723
    window.centralWidget().setSizes([420, 150])
    window.log_dock.hide()
    sizes = window.centralWidget().sizes()
    assert window.close()
    assert settings.recent_files() == [] and settings.last_experiment() is None

    again = app_window(size=None)
    # (the width is not compared: the offscreen screen is 800 pixels wide, and Qt fits a restored window into it)
    assert again.height() == 723
    assert again.centralWidget().sizes() == sizes and not again.log_dock.isVisible()


def test_the_last_experiment_is_remembered_for_the_next_start(qtbot, app_window, settings, tmp_path, monkeypatch):
    window = app_window()
    path = tmp_path / "last.nnstudio"
    save_as(qtbot, window, monkeypatch, path)
    assert window.close()
    reopened = Settings.at(settings.file_name)  # read back from the file
    assert reopened.last_experiment() == str(path.resolve())
    assert reopened.recent_files() == [str(path.resolve())]
    assert reopened.experiment_to_reopen() == str(path.resolve())
    path.unlink()
    assert reopened.experiment_to_reopen() is None  # gone: the app starts on the default preset


def test_the_theme_is_a_preference_applied_at_once_and_at_the_next_start(qtbot, app_window, settings):
    app = QApplication.instance()
    light_window = app.palette().color(QPalette.ColorRole.Window)
    window = app_window()
    dark = [a for a in window.file_actions.theme_actions.actions() if a.text() == "Dark"][0]
    dark.trigger()
    assert settings.theme() == "dark"
    assert app.palette().color(QPalette.ColorRole.Window) == dark_palette().color(QPalette.ColorRole.Window)
    apply_theme("system")
    assert app.palette().color(QPalette.ColorRole.Window) == light_window
    again = app_window()  # the stored theme is applied when the window starts
    assert app.palette().color(QPalette.ColorRole.Window) == dark_palette().color(QPalette.ColorRole.Window)
    assert [a.text() for a in again.file_actions.theme_actions.actions() if a.isChecked()] == ["Dark"]


def test_the_users_settings_file_follows_qsettings_paths(tmp_path):
    probe = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnstudio-probe", "probe")
    original = probe.fileName().rsplit("/nnstudio-probe/", 1)[0]
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    try:
        user = Settings.for_user()
        assert user.file_name == str(tmp_path / "nnstudio" / "nnstudio.ini")
        user.add_recent_file(tmp_path / "a.nnstudio")
        user.sync()
        assert (tmp_path / "nnstudio" / "nnstudio.ini").is_file()
    finally:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, original)


def test_a_window_built_by_code_remembers_nothing_and_never_asks(qtbot, make_window):
    window = make_window(preset("linear"))
    window.run_to(5)
    wait_idle(qtbot, window)
    assert window.file_actions.dirty and window.settings.file_name is None
    assert window.close()  # no question, and no settings file anywhere
