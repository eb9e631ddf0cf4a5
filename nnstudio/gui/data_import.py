"""Data in: the CSV preview, Edit ▸ Paste Data, and files dropped onto the window.

Imported points go to the window as a new data spec (generator "csv", naming where they came
from) plus the points themselves, which the trainer keeps and experiment files store. A CSV is
read and shown in the preview dialog first (parsed in a worker thread, with Cancel), and nothing
changes until the chosen columns read cleanly.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from nnstudio.core.datasets.csv_preview import header_name, pasted_table
from nnstudio.core.datasets.csv_table import read_csv_text
from nnstudio.core.datasets.data import csv_points
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.archive import SUFFIX
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.csv_import_dialog import CsvImportDialog

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PASTED = "pasted data"  # DataSpec.csv_path of points pasted from the clipboard
# Up to this many characters (a few thousand rows) are parsed at once, which takes milliseconds; more go
# through the preview dialog's worker, as a file does.
PASTE_AT_ONCE_CHARS = 100_000


class DataImport(QObject):
    """Import CSV…, Paste Data and drag and drop for one window."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.window = window = context.host  # the window files are dropped on, and the dialogs' parent
        window.setAcceptDrops(True)
        # A drop on a dock or a plot that does not take files goes on up to the window (Qt passes drag
        # events to the parents that accept drops). A filter on the window alone: one on the whole
        # application would run Python, and so take the GIL from training, for every event of every widget.
        window.installEventFilter(self)

    def build_edit_actions(self, menu: QMenu) -> None:
        tip = "Train on two columns of numbers copied to the clipboard (x, y)"
        menu.addAction(make_action(self.window, "&Paste Data", self.paste_data, "Ctrl+Shift+V", tip))

    # --- CSV and paste ----------------------------------------------------------------------------------

    def import_csv(self) -> None:
        path = self._ask_csv_path()
        if path:
            self.import_csv_file(path)

    def import_csv_file(self, path: str) -> None:
        """Read the file in the preview dialog (off the GUI thread); train on the chosen columns."""
        dialog = CsvImportDialog(Path(path).name, self.window)
        dialog.read_path(path)
        if self._run_import_dialog(dialog) and dialog.points is not None:
            if dialog.classes or len(dialog.input_columns) > 1:
                self.use_columns(dialog, path)
            else:
                self.use_points(
                    dialog.points, path, dialog.x_column, dialog.y_column, dialog.header, dialog.column_titles
                )

    def use_columns(self, dialog: CsvImportDialog, source: str) -> None:
        """Train on the dialog's points from several input columns: numbers to fit, or classes."""
        x, y = (np.asarray(a, dtype=np.float64) for a in dialog.points)
        data = self.context.state.experiment.data
        target = {"csv_label_column": dialog.y_column} if dialog.classes else {"csv_y_column": dialog.y_column}
        changes = {
            "generator": "csv",
            "csv_path": source,
            "csv_header": dialog.header,
            "csv_x_name": None,
            "csv_y_name": dialog.column_titles[1],
            "classes": None,
            "csv_label_column": None,
            "csv_input_columns": dialog.input_columns,
            "csv_input_names": dialog.input_names,
            "subsample": data.subsample if data.subsample and data.subsample <= len(x) else None,
            **target,
        }
        try:
            spec = replace(data, **changes)
        except NNStudioError as error:
            self._warn("Cannot import the data", str(error))
            return
        kind = f"{len(np.unique(y))} classes" if dialog.classes else "numbers to fit"
        self.context.session.use_data(
            spec,
            (x, y),
            f"Imported {len(x)} points with {x.shape[1]} inputs ({kind}) from {Path(source).name}: "
            "the model was re-initialised.",
        )

    def paste_data(self) -> None:
        """Two columns of numbers from the clipboard (x, y), as copied from a spreadsheet or a text."""
        text = QApplication.clipboard().text()
        if not text.strip():
            self._warn("Nothing to paste", "The clipboard holds no text: copy two columns of numbers (x, y) first.")
            return
        if len(text) > PASTE_AT_ONCE_CHARS:  # a long column: parsed off the GUI thread, with progress and Cancel
            dialog = CsvImportDialog(PASTED, self.window)
            dialog.read_text(text)
            if self._run_import_dialog(dialog) and dialog.points is not None:
                self.use_points(dialog.points, PASTED, dialog.x_column, dialog.y_column, dialog.header)
            return
        try:
            table = read_csv_text(pasted_table(text))
            points = csv_points(table, 0, 1, None)
        except NNStudioError as error:
            self._warn("Cannot paste the data", f"The clipboard, {error}\n\nNothing has changed.")
            return
        titles = tuple(header_name(table, table.header_detected, column) for column in (0, 1))
        self.use_points(points, PASTED, 0, 1, None, titles)

    def use_points(
        self,
        points,
        source: str,
        x_column: int,
        y_column: int,
        header: bool | None,
        titles: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """Train on imported points: the data spec names their source (and `titles`, the columns' names,
        for the fit plot's axes); the trainer keeps the points."""
        x, y = (np.asarray(a, dtype=np.float64) for a in points)
        data = self.context.state.experiment.data
        changes = {
            "generator": "csv",
            "csv_path": source,
            "csv_x_column": x_column,
            "csv_y_column": y_column,
            "csv_header": header,
            "csv_x_name": titles[0],
            "csv_y_name": titles[1],
            "subsample": data.subsample if data.subsample and data.subsample <= len(x) else None,
        }
        names = {f.name for f in fields(data)}
        # x and a number per point, not classes: clear what a classification CSV would set
        clear = ("classes", "csv_label_column", "csv_input_columns", "csv_input_names")
        changes.update({name: None for name in clear if name in names})
        try:
            spec = replace(data, **changes)
        except NNStudioError as error:
            self._warn("Cannot import the data", str(error))
            return
        name = "the clipboard" if source == PASTED else Path(source).name
        self.context.session.use_data(
            spec, (x, y), f"Imported {len(x)} points from {name}: the model was re-initialised."
        )

    # --- drag and drop ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        path = dropped_file(event.mimeData())
        if path is None:
            return False
        event.setDropAction(event.proposedAction())
        event.accept()
        if kind == QEvent.Type.Drop:
            QTimer.singleShot(0, lambda: self.open_dropped(path))  # after the drop returns: dialogs may follow
        return True

    def open_dropped(self, path: str) -> None:
        if Path(path).suffix.lower() in CSV_SUFFIXES:
            self.import_csv_file(path)
        else:
            self.context.get(ids.FILE_ACTIONS).open_path(path)

    # --- seams for tests: the dialogs -------------------------------------------------------------

    def _ask_csv_path(self) -> str:
        filters = "CSV files (*.csv *.tsv *.txt);;All files (*)"
        folder = self.context.get(ids.FILE_ACTIONS).folder()
        path, _ = QFileDialog.getOpenFileName(self.window, "Import CSV", folder, filters)
        return path

    def _run_import_dialog(self, dialog: CsvImportDialog) -> bool:
        return dialog.exec() == CsvImportDialog.DialogCode.Accepted

    def _warn(self, title: str, message: str) -> None:
        self.context.show_message(message.splitlines()[0], 15000)
        QMessageBox.warning(self.window, title, message)


def dropped_file(mime) -> str | None:
    """The one local experiment or CSV file being dragged, else None (so other drops go on as usual)."""
    if mime is None or not mime.hasUrls():
        return None
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    if len(files) != 1:
        return None
    return files[0] if Path(files[0]).suffix.lower() in (SUFFIX, ".toml", *CSV_SUFFIXES) else None
