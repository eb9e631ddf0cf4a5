"""File ▸ Export ▸ Animation…: the run so far as a film (GIF, WebP or MP4), with a progress bar and Cancel.

The dialog asks for the film's format, length, frame rate, size and view, says which epochs it will show,
and refuses what cannot be made (an unknown format, a folder that cannot be written, MP4 without its extra,
a view that does not suit the data) before anything is painted. The film itself is made by `FilmExport`.
One dialog serves the window; it is registered under ANIMATION_DIALOG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage.film_files import (
    FILM_EXTRA,
    FORMATS,
    check_film_memory,
    check_film_output,
    film_format,
    mp4_available,
)
from nnstudio.core.teaching.film_plan import (
    DEFAULT_FPS,
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    FPS_RANGE,
    HEIGHT_RANGE,
    SECONDS_RANGE,
    VIEWS,
    WIDTH_RANGE,
    FilmSettings,
    frame_indices,
    prediction_view,
)
from nnstudio.gui import app_context as ids
from nnstudio.gui.film.export_job import FilmExport
from nnstudio.gui.panels.widgets import error_label, show_error

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

ANIMATION_DIALOG = "dialog.animation"
SUFFIXES = {name: suffix for suffix, name in FORMATS.items()}  # "GIF" → ".gif"
MP4_NOTE = f"MP4 needs imageio and imageio-ffmpeg: {FILM_EXTRA}"


def menu_tooltip() -> str:
    """The menu entry's tooltip (it says what MP4 needs when that is not installed)."""
    tip = "The run so far as a film for slides: GIF, WebP or MP4, with the epoch and loss on every frame"
    return tip if mp4_available() else f"{tip}. {MP4_NOTE}"


def show_animation_dialog(context: AppContext) -> AnimationDialog:
    """Open the window's animation dialog on the run as it is now."""
    dialog = context.find(ANIMATION_DIALOG) or context.register(ANIMATION_DIALOG, AnimationDialog(context))
    dialog.open_on_current_run()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


class AnimationDialog(QDialog):
    """The film's settings, what it will hold, and the export's progress."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent or context.host)
        self.context = context
        self.job: FilmExport | None = None
        self.written: str | None = None  # the last film written
        self.setWindowTitle("Export Animation")
        self._build()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.format_combo = QComboBox()
        for name, suffix in SUFFIXES.items():
            self.format_combo.addItem(f"{name} ({suffix})", name)
        self.format_combo.setToolTip("GIF plays everywhere (slides, web pages); WebP is sharper; MP4 is smallest")
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setRange(*SECONDS_RANGE)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setValue(DEFAULT_SECONDS)
        self.seconds_spin.setToolTip("How long the film lasts: it shows the whole run in this time")
        self.fps_spin = QSpinBox()
        self.fps_spin.setRange(*FPS_RANGE)
        self.fps_spin.setValue(DEFAULT_FPS)
        self.fps_spin.setToolTip("Frames a second: length × rate moments of the run (at most those recorded)")
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, (low, high), value, what in (
            (self.width_spin, WIDTH_RANGE, DEFAULT_SIZE[0], "Width"),
            (self.height_spin, HEIGHT_RANGE, DEFAULT_SIZE[1], "Height"),
        ):
            spin.setRange(low, high)
            spin.setValue(value)
            spin.setSuffix(" px")
            spin.setToolTip(f"{what} of each frame in pixels")
        size = QHBoxLayout()
        size.addWidget(self.width_spin)
        size.addWidget(QLabel("×"))
        size.addWidget(self.height_spin)
        self.view_combo = QComboBox()
        for name, description in VIEWS.items():
            self.view_combo.addItem(name, name)
            self.view_combo.setItemData(self.view_combo.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.view_combo.setToolTip("What each frame shows")
        self.log_check = QCheckBox("Loss on a log scale")
        self.log_check.setToolTip("Draw the loss on a logarithmic axis (as the L key does in the window)")
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("Length", self.seconds_spin)
        form.addRow("Frames a second", self.fps_spin)
        form.addRow("Size", size)
        form.addRow("View", self.view_combo)
        form.addRow("", self.log_check)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = error_label()
        self.progress = QProgressBar()
        self.progress.hide()
        buttons = QDialogButtonBox()
        self.export_button = QPushButton("Export…")
        self.export_button.setDefault(True)
        self.export_button.setToolTip("Choose the file, then paint and write the film (training pauses)")
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setToolTip("Stop the export (no file is written), or close this dialog")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.cancel_button.clicked.connect(self.reject)
        for spin in (self.seconds_spin, self.fps_spin):
            spin.valueChanged.connect(self._update_summary)
        self.format_combo.currentIndexChanged.connect(self._update_summary)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)

    # --- the run it will show ---------------------------------------------------------------------

    def open_on_current_run(self) -> None:
        """As the dialog opens: no old message, the loss axis as the window shows it, the run as it is now."""
        if not self.is_exporting:
            show_error(self.error, "")
            loss_plot = self.context.find(ids.LOSS_PLOT)
            self.log_check.setChecked(bool(loss_plot is not None and loss_plot.is_log_scale()))
        self.refresh()

    def refresh(self) -> None:
        """Match the dialog to the run now: which views suit its data, MP4's availability, the summary."""
        state = self.context.state
        self._set_enabled(self.format_combo, "MP4", mp4_available(), MP4_NOTE)
        if self.format_combo.currentData() == "MP4" and not mp4_available():
            self.format_combo.setCurrentIndex(0)
        class_map = state is not None and state.dataset.grid_shape is not None
        for name in VIEWS:
            try:
                prediction_view(name, class_map)
                self._set_enabled(self.view_combo, name, True, VIEWS[name])
            except NNStudioError as error:
                self._set_enabled(self.view_combo, name, False, str(error))
        if not self.view_combo.model().item(self.view_combo.currentIndex()).isEnabled():
            self.view_combo.setCurrentIndex(0)  # "both" suits every run
        self._update_summary()

    def _set_enabled(self, combo: QComboBox, data: str, enabled: bool, tooltip: str) -> None:
        model: QStandardItemModel = combo.model()
        item = model.item(combo.findData(data))
        item.setEnabled(enabled)
        item.setToolTip(tooltip)

    def _moments(self) -> list[int]:
        """The epochs the run so far can show: its recorded moments, and now."""
        state = self.context.state
        if state is None:
            return []
        epochs = list(state.recorded_epochs)
        if not epochs or epochs[-1] < state.epoch:
            epochs.append(state.epoch)
        return epochs

    def _update_summary(self) -> None:
        moments = self._moments()
        if not moments:
            self.summary.setText("There is no run to film yet.")
            return
        wanted = max(1, round(self.seconds_spin.value() * self.fps_spin.value()))
        count = len(frame_indices(len(moments), wanted))
        text = f"{count} frames, from epoch {moments[0]} to epoch {moments[-1]} (the run so far)"
        if count < wanted:
            text += f": every moment recorded, each shown for {self.seconds_spin.value() / count:.2g} s"
        self.summary.setText(text + ".")

    # --- exporting --------------------------------------------------------------------------------

    @property
    def is_exporting(self) -> bool:
        return self.job is not None and self.job.running

    def settings(self) -> FilmSettings:
        return FilmSettings(
            seconds=self.seconds_spin.value(),
            fps=self.fps_spin.value(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            view=self.view_combo.currentData(),
            log_loss=self.log_check.isChecked(),
        )

    def _on_export_clicked(self) -> None:
        path = self._ask_path()
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        """Check everything, then make the film at `path` (a name without a suffix gets the format's);
        False, with the reason in the dialog, when it cannot be made."""
        if self.is_exporting:
            return False
        if not Path(path).suffix:
            path += SUFFIXES[self.format_combo.currentData()]
        state = self.context.state
        try:
            if state is None:
                raise NNStudioError("there is no run to film yet")
            settings = self.settings()
            film_format(path)
            prediction_view(settings.view, state.dataset.grid_shape is not None)
            check_film_memory(len(frame_indices(len(self._moments()), settings.frames_wanted)), *settings.size)
            check_film_output(path, settings.fps)
        except NNStudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.job = FilmExport(self.context, settings, path, self)
        self.job.progressed.connect(self._on_progressed)
        self.job.writing.connect(self._on_writing)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_ended)
        self._set_busy(True)
        self.job.start()
        return True

    def _ask_path(self) -> str:
        kind = self.format_combo.currentData()
        suffix = SUFFIXES[kind]
        file_path = self.context.get(ids.FILE_ACTIONS).path
        folder = Path(file_path).parent if file_path else Path.cwd()
        stem = Path(file_path).stem if file_path else self.context.state.experiment.name
        path, _ = QFileDialog.getSaveFileName(
            self, "Export an animation", str(folder / (stem + suffix)), f"{kind} (*{suffix})"
        )
        return path

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.format_combo,
            self.seconds_spin,
            self.fps_spin,
            self.width_spin,
            self.height_spin,
            self.view_combo,
            self.log_check,
            self.export_button,
        ):
            widget.setEnabled(not busy)
        self.cancel_button.setText("Cancel" if busy else "Close")
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the frames are counted
            self.progress.setFormat("reading the run…")

    def _on_progressed(self, painted: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(painted)
        self.progress.setFormat(f"painting frame %v of {total}")

    def _on_writing(self) -> None:
        self.progress.setRange(0, 0)
        self.progress.setFormat("writing the file…")

    def _on_done(self, path: str, frames: int) -> None:
        self.written = path
        self._on_ended()
        self.context.show_message(f"Exported {path}: {frames} frames.", 8000)
        self.accept()

    def _on_failed(self, message: str) -> None:
        self._on_ended()
        show_error(self.error, message)

    def _on_ended(self) -> None:
        self._set_busy(False)
        self.refresh()

    def reject(self) -> None:
        """Cancel stops an export under way (no file is written); when none runs, it closes the dialog."""
        if self.is_exporting:
            self.job.cancel()
            return
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.is_exporting:
            self.job.cancel()
        super().closeEvent(event)
