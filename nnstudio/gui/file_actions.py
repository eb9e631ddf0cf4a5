"""The window's files: New, Open, Save, recent files, and unsaved changes.

`FileActions` keeps the document: the experiment file in use (`path`, None when untitled) and
whether the work has changed since it was opened or saved (`dirty`: the session's generation
moved on — any change to the run and any training, a step of the inspector included). A preset,
an example or a lesson's set-up opens clean, like a template: replacing or closing it never asks while
it is unchanged or only trained as it came (Play gives the very same run again), though the title marks
a trained run unsaved and Save keeps it. A changed setting, imported data or a weight set by hand is
work, and is asked about.
Before the work is replaced or the window closes with unsaved changes, it asks. Files are read and checked
here, before anything changes; the trainer is built and read only in the worker
(`session.load`, `session.read`), like every other use of it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.presets import DEFAULT_PRESET, preset
from nnstudio.core.engine.trainer import RunState, RunStatus, Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import archive
from nnstudio.core.storage.examples import shipped_examples
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.themes import THEMES, apply_theme

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext

EXPERIMENT_SUFFIXES = (archive.SUFFIX, ".toml")
OPEN_FILTER = "Experiments (*.nnstudio *.toml);;nnstudio files (*.nnstudio);;Settings only (*.toml);;All files (*)"
SAVE_FILTER = "nnstudio experiment (*.nnstudio);;Settings only, no weights or data (*.toml)"
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class FileActions(QObject):
    """The File menu's document actions for one window, and the document they act on."""

    def __init__(self, context: AppContext, ask_before_discarding: bool = True) -> None:
        super().__init__(context.host)
        self.context = context
        self.window = context.host  # its title shows the document; dialogs sit on it
        self.session = context.session
        self.settings = context.settings
        # A window built by a script or a test (the offscreen snapshot) never stops to ask.
        self.ask_before_discarding = ask_before_discarding
        self.path: str | None = None
        self.dirty = False
        self._clean_generation = -1  # the session's generation the file on disk holds
        self._template: object = None  # the experiment an untitled document was opened with (a template)
        self._name = ""  # the experiment's name
        self._close_confirmed = False
        self.session.state_changed.connect(self._on_state_changed)

    # --- menus ------------------------------------------------------------------------------------

    def build_file_menu(
        self, menu: QMenu, import_csv: Callable[[], None], export_menu_builder: Callable[[QMenu], None]
    ) -> None:
        def add(text, slot, shortcut=None, tip=""):
            action = make_action(self.window, text, slot, shortcut, tip)
            menu.addAction(action)
            return action

        menu.setToolTipsVisible(True)
        add("&New", self.new, "Ctrl+N", f"A new experiment (the {DEFAULT_PRESET} preset), untitled")
        add("&Open…", self.open, "Ctrl+O", "Open an experiment file (.nnstudio, or settings only: .toml)")
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = menu.addMenu("Open E&xample")
        self.examples_menu.setToolTipsVisible(True)
        for path in shipped_examples():
            action = self.examples_menu.addAction(path.stem)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=str(path): self.open_path(p, remember=False))
        menu.addSeparator()
        self.context.register(
            ids.SAVE_ACTION,
            add("&Save", self.save, "Ctrl+S", "Save the experiment, its data, weights and history (.nnstudio)"),
        )
        add("Save &As…", self.save_as, "Ctrl+Shift+S", "Save to a new file (.nnstudio; .toml keeps settings only)")
        menu.addSeparator()
        add("&Import CSV…", import_csv, "Ctrl+I", "Train on a CSV file: pick its columns by name in a preview")
        export_menu_builder(menu.addMenu("&Export"))
        self.file_menu = menu

    def build_theme_menu(self, menu: QMenu) -> None:
        themes = menu.addMenu("&Theme")
        self.theme_actions = QActionGroup(self)
        for name, text in THEMES.items():
            action = themes.addAction(text)
            action.setCheckable(True)
            action.setChecked(name == self.settings.theme())
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions.addAction(action)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number % 10} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("&Clear Recent Files")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(self.settings.clear_recent_files)

    # --- starting and closing ---------------------------------------------------------------------

    def start(self, experiment: Experiment, path: str | None, remembered: bool = False) -> None:
        """Open `path` if given (the whole run, for an .nnstudio file), else `experiment`, untitled.

        A `remembered` path (the file open last time) that cannot be read is noted with the other
        settings that could not be restored, not put in a dialog before the window opens."""
        if path is not None:
            try:
                content = archive.read_experiment_file(path)
            except (NNStudioError, MemoryError) as error:  # the window opens anyway, with the experiment given
                if remembered:
                    self.settings.note_problem("the experiment open last time", _reason(error, path))
                else:
                    self._warn("Cannot open the experiment", _reason(error, path))
            else:
                self._load(content.make_trainer, path, _opened_message(content, path))
                return
        self._load(lambda: Trainer(experiment), None, f"Opened {experiment.name}: ready to train (Space).")

    def close_requested(self) -> bool:
        """Whether the window may close now; with unsaved changes, ask first (Save closes after saving)."""
        if not self._close_confirmed and self._worth_asking():
            answer = self._ask_unsaved()
            if answer == CANCEL:
                return False
            if answer == SAVE:
                self.save(then=self._close_after_saving)
                return False
        self.settings.set_last_experiment(self.path)
        self.settings.save_window(self.window, self.window.centralWidget())
        self.settings.sync()
        return True

    def _close_after_saving(self) -> None:
        self._close_confirmed = True
        QTimer.singleShot(0, self.window.close)

    def confirm_then(self, action: Callable[[], None]) -> None:
        """Run `action` (which replaces the work) once unsaved changes are saved or given up."""
        if not self._worth_asking():
            action()
            return
        answer = self._ask_unsaved()
        if answer == DISCARD:
            action()
        elif answer == SAVE:
            self.save(then=action)

    # --- opening ----------------------------------------------------------------------------------

    def new(self) -> None:
        self.confirm_then(
            lambda: self._load(
                lambda: Trainer(preset(DEFAULT_PRESET)), None, f"New experiment: the {DEFAULT_PRESET} preset, untitled."
            )
        )

    def open(self) -> None:
        path = self._ask_open_path()
        if path:
            self.open_path(path)

    def open_path(self, path: str, remember: bool = True) -> None:
        """Check the file first (a bad one changes nothing), then ask about unsaved work, then open it."""
        try:
            content = archive.read_experiment_file(path)
        except (NNStudioError, MemoryError) as error:
            if not Path(path).exists():
                self.settings.remove_recent_file(str(path))
            self._warn("Cannot open the experiment", _reason(error, path))
            return
        self.confirm_then(
            lambda: self._load(content.make_trainer, path if remember else None, _opened_message(content, path))
        )

    def open_experiment(self, experiment: Experiment, message: str) -> None:
        """Load `experiment` as new, untitled work (asking first about unsaved changes)."""
        self.confirm_then(lambda: self._load(lambda: Trainer(experiment), None, message))

    def open_preset(self, name: str) -> None:
        try:
            experiment = preset(name)
        except NNStudioError as error:
            self._warn("Cannot load the preset", str(error))
            return
        self.confirm_then(lambda: self._load(lambda: Trainer(experiment), None, f"Loaded the {name} preset."))

    def _load(self, make: Callable[[], Trainer], path: str | None, message: str) -> None:
        """Build the new trainer in the worker; the document changes when (and if) it arrives."""
        self.session.load(make, message, on_loaded=lambda state: self._on_loaded(state, path))

    def _on_loaded(self, state: RunState, path: str | None) -> None:
        self.path, self._clean_generation, self.dirty = path, state.generation, False
        self._template = state.experiment if path is None else None
        if self.path is not None:
            self.settings.add_recent_file(self.path)
            self.settings.set_last_experiment(self.path)

    def _on_state_changed(self, state: RunState) -> None:
        self._name = state.experiment.name
        # Training makes the work unsaved from its first step; any job that changed the run does too.
        # (A state older than the document, from before it was opened, changes nothing.)
        if state.generation > self._clean_generation or state.status == RunStatus.TRAINING:
            self.dirty = True
        self.update_title()

    def _worth_asking(self) -> bool:
        """Unsaved work that Play cannot give back: not a template trained as it came (its settings
        unchanged, nothing set by hand), whose very same run the same keys make again."""
        if not self.dirty or not self.ask_before_discarding:
            return False
        state = self.session.state
        reproducible = (
            self._template is not None
            and state is not None
            and state.experiment == self._template
            and not self.session.edited_by_hand
        )
        return not reproducible

    def update_title(self) -> None:
        shown = Path(self.path).name if self.path else self._name
        self.window.setWindowTitle(f"nnstudio — {shown}[*]")
        self.window.setWindowModified(self.dirty)

    # --- saving -----------------------------------------------------------------------------------

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save to the open .nnstudio file; an untitled or settings-only (.toml) document asks where."""
        if self.path and Path(self.path).suffix.lower() == archive.SUFFIX:
            self.save_to(self.path, then)
        else:
            self.save_as(then)

    def save_as(self, then: Callable[[], None] | None = None) -> None:
        path = self._ask_save_path()
        if path:
            self.save_to(path, then)

    def save_to(self, path: str, then: Callable[[], None] | None = None) -> None:
        """Pause, copy the trainer's state in the worker, write it here; `then` runs after a good save."""
        if Path(path).suffix.lower() not in EXPERIMENT_SUFFIXES:
            path += archive.SUFFIX
        if self.session.state is None:
            return
        self.session.pause()
        # The generation is read when the copy arrives: jobs run one at a time, so it is the copy's.
        self.session.read(_capture, lambda captured: self._write(*captured, self.session.generation, path, then))

    def _write(
        self,
        content: archive.ExperimentFile,
        shape: archive.RunShape,
        generation: int,
        path: str,
        then: Callable[[], None] | None,
    ) -> None:
        """Write and read back; only a file that opens again counts as saved (else: still unsaved, and a dialog)."""
        try:
            archive.save(content, path, shape)
        except NNStudioError as error:
            self._warn("Cannot save the experiment", f"{error}\n\nThe previous file, if any, is unchanged.")
            return
        except Exception as error:  # a bug: say so, keep the work marked unsaved, keep the details for a report
            traceback.print_exception(error)
            self._warn(
                "Cannot save the experiment",
                f"Unexpected error: {type(error).__name__}: {error}\n\nThe previous file, if any, is unchanged.",
            )
            return
        if Path(path).suffix.lower() == ".toml":
            self.context.show_message(
                f"Saved the settings to {path}. The weights, data and history are kept only in .nnstudio files.", 10000
            )
        else:
            self.path, self._clean_generation = path, generation
            self.dirty = self.session.generation != generation or self.session.is_training
            self.settings.add_recent_file(path)
            self.settings.set_last_experiment(path)
            self.update_title()
            self.context.show_message(f"Saved {path}.", 6000)
        if then is not None:
            then()

    # --- preferences ------------------------------------------------------------------------------

    def set_theme(self, theme: str) -> None:
        self.settings.set_theme(theme)
        apply_theme(theme)

    # --- seams for tests: the dialogs -------------------------------------------------------------

    def folder(self) -> str:
        """Where file dialogs start: the open file's folder."""
        return str(Path(self.path).parent) if self.path else ""

    def _ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open experiment", self.folder(), OPEN_FILTER)
        return path

    def _ask_save_path(self) -> str:
        stem = Path(self.path).stem if self.path else self._name
        suggestion = str(Path(self.folder() or Path.cwd()) / f"{stem}{archive.SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save experiment", suggestion, SAVE_FILTER)
        return path

    def _ask_unsaved(self) -> str:
        return unsaved_changes_box(self.window, self._document_name()).exec_answer()

    def _warn(self, title: str, message: str) -> None:
        self.context.show_message(message.splitlines()[0], 15000)
        QMessageBox.warning(self.window, title, message)

    def _document_name(self) -> str:
        return Path(self.path).name if self.path else f"“{self._name}” (untitled)"


class UnsavedChangesBox(QMessageBox):
    """Save, Don't Save, or Cancel: asked before unsaved work is replaced or closed."""

    def exec_answer(self) -> str:
        self.exec()
        clicked = self.clickedButton()
        if clicked is self.button(QMessageBox.StandardButton.Save):
            return SAVE
        if clicked is self.button(QMessageBox.StandardButton.Discard):
            return DISCARD
        return CANCEL


def unsaved_changes_box(parent: QWidget, document: str) -> UnsavedChangesBox:
    box = UnsavedChangesBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"<b>Save the changes to {document}?</b>")
    box.setInformativeText(
        "The settings, the trained weights or the loss history have changed since the experiment was "
        "opened or last saved. Without saving, the changes are lost."
    )
    box.setStandardButtons(
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    )
    box.button(QMessageBox.StandardButton.Discard).setText("Don't Save")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box


def _reason(error: Exception, path: str) -> str:
    if isinstance(error, MemoryError):  # the reader's limits are generous: this machine has less to spare
        return f"{Path(path).name}: there is not enough free memory to open it here"
    return str(error)


def _capture(trainer: Trainer) -> tuple[archive.ExperimentFile, archive.RunShape]:
    """What Save writes, and the model it must fit when read back (in the worker, where the trainer lives)."""
    return archive.capture(trainer), archive.RunShape.of(trainer)


def _opened_message(content: archive.ExperimentFile, path: str) -> str:
    name = Path(path).name
    if content.run is not None and content.run.progress.epoch > 0:
        return f"Opened {name} at epoch {content.run.progress.epoch}: carry on training (Space)."
    if content.run is None:
        return f"Opened {name} (settings only): ready to train (Space)."
    return f"Opened {name}: ready to train (Space)."
