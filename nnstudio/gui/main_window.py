"""The main window: assembles the panels, plots, menus, instruments and the one training session.

Data flows one way. Panels emit intent (a new spec); the window turns it into a command for the
`TrainingSession`; what comes back is a frozen `RunState` after every job, and throttled
snapshots while training. A frame is drawn when news arrives, at most as often as the redraw
pacer allows (every frame of a paced run; ~30 a second at full speed), keeping only what is new,
so however fast training runs, nothing queues up. Instruments and lessons get the `AppContext`, never the window.
"""

from __future__ import annotations

import time
from dataclasses import fields

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget

from nnstudio import __version__
from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.backends.base import torch_available
from nnstudio.core.engine.classification import describe_change
from nnstudio.core.engine.experiment import DataSpec, Experiment, ModelSpec, TrainingSpec
from nnstudio.core.engine.live_changes import RESTARTING_SETTINGS, SettingsChange
from nnstudio.core.engine.losses import loss_units
from nnstudio.core.engine.trainer import DIVERGED, TRAINING, RunEnd, RunState, RunStatus, Snapshot
from nnstudio.core.teaching.overfitting import OverfittingWatch
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.app_context import AppContext
from nnstudio.gui.data_import import DataImport
from nnstudio.gui.export_actions import ExportActions
from nnstudio.gui.field_keys import FieldKeys
from nnstudio.gui.file_actions import FileActions
from nnstudio.gui.help_window import install as install_help
from nnstudio.gui.instruments import install_instruments
from nnstudio.gui.lessons import install as install_lessons
from nnstudio.gui.log_lines import LoggedEpochs, with_notes
from nnstudio.gui.map_options import MapOptions
from nnstudio.gui.pacing import RedrawPacer
from nnstudio.gui.panels.data_panel import DataPanel
from nnstudio.gui.panels.log_panel import LogPanel
from nnstudio.gui.panels.model_panel import ModelPanel
from nnstudio.gui.panels.training_panel import TrainingPanel
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.gui.plots.prediction_plots import PredictionPlots
from nnstudio.gui.session import TrainingSession
from nnstudio.gui.settings import Settings
from nnstudio.gui.status_bar import TrainingStatusBar
from nnstudio.gui.training_controls import TrainingControls

# At full speed the plots move at up to ~30 frames a second, but numbers changing that often cannot be
# read, and each change repaints its widget: the status bar and metrics change 10 times a second, the log 4.
NUMBERS_SECONDS_AT_FULL_SPEED = 0.1
LOG_SECONDS_AT_FULL_SPEED = 0.25
TUTORIAL = "Jonny Law, “Neural Networks in R” (2021)"


class MainWindow(QMainWindow):
    """The assembly: panels and plots, menus, the session, and the context every instrument gets."""

    def __init__(
        self,
        experiment: Experiment,
        path: str | None = None,
        settings: Settings | None = None,
        *,
        reopen_last: bool = False,
    ) -> None:
        """The window on the file `path` (or `experiment`); with `reopen_last` and no `path`, on the
        experiment file open when the app last closed, if it is still there."""
        super().__init__()
        self.setWindowTitle(f"nnstudio — {experiment.name}")
        self.resize(1400, 900)
        self.experiment = experiment  # what the panels show; the last RunState's copy is the truth
        # The app passes the user's settings; a window built by a script or a test keeps them in memory
        # and closes or replaces its work without asking.
        self.settings = settings or Settings()
        self._interactive = settings is not None

        self.session = TrainingSession(self)
        self.context = AppContext(self, self.session, self.settings)
        self.frame_ready = self.context.frame_ready
        self.frame: Snapshot | None = None  # the last frame drawn
        self._shown_dataset: Dataset | None = None
        self.controls = TrainingControls(self)
        self.controls.pace.remember_in(self.settings)
        self.context.pace = self.controls.pace.pace
        self._build_plots()
        self._build_panels()
        self.status = TrainingStatusBar(self)
        self.setStatusBar(self.status)
        self.context.set_message_sink(self.status.showMessage, self.redraw)
        toolbar = self.context.register(ids.TRAINING_TOOLBAR, self.controls.build_toolbar(self))
        self.addToolBar(toolbar)
        self.context.register(ids.TRAINING_CONTROLS, self.controls)
        self._build_menus()
        self._connect()
        install_instruments(self.context)
        self.lessons = install_lessons(self.context)
        self.field_keys = FieldKeys(self)  # Enter or Escape in a field: the single-key shortcuts work again

        self._pending_loss: list[tuple[np.ndarray, ...]] = []  # epochs, train, test, penalty (NaN: none)
        self._pending_log: list[str] = []
        self._logged = LoggedEpochs()  # the epoch lines shown for the run on screen
        self._clear_loss = False
        self._latest: Snapshot | None = None
        self._overfitting = OverfittingWatch()  # says once when the test loss turns up (core/teaching/overfitting.py)
        self._overfitting_note, self._overfitting_shown = "", False  # for the status bar, until the run ends
        self._pacer = RedrawPacer()  # fewer frames where drawing would slow training
        self._redraw_timer = QTimer(self)  # started by news: the next frame
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self.redraw)
        self._next_frame_at = 0.0  # perf_counter seconds: not sooner (the pacer's interval after the last frame)
        self._log_flushed_at = self._numbers_shown_at = 0.0

        self.controls.show_state(RunStatus.IDLE)
        self._restore_problems: list[str] = []
        self.settings.restore(self, self.centralWidget())  # layout, docks, theme: each behind one guard
        remembered = reopen_last and path is None
        if remembered:
            with self.settings.restoring("the experiment open last time"):
                path = self.settings.experiment_to_reopen()
        # the file's whole run, or the experiment untitled
        self.file_actions.start(experiment, path, remembered=remembered and path is not None)
        self._restore_problems = self.settings.take_problems()  # said once, when the first model is ready

    # --- building ---------------------------------------------------------------------------------

    def _build_plots(self) -> None:
        self.prediction_plots = self.context.register(ids.PLOTS, PredictionPlots())
        self.prediction_plots.follow(self.context)
        self.loss_plot = self.context.register(ids.LOSS_PLOT, LossPlot())
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.prediction_plots)
        splitter.addWidget(self.loss_plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.context.register(ids.PLOT_AREA, splitter))

    @property
    def fit_plot(self) -> FitPlot:
        return self.prediction_plots.fit_plot

    @property
    def boundary_plot(self) -> DecisionBoundaryPlot:
        return self.prediction_plots.boundary_plot

    @property
    def prediction_plot(self) -> FitPlot | DecisionBoundaryPlot:
        """The plot the prediction is drawn on: the fit, or the decision boundary for two-input classes."""
        return self.prediction_plots.current

    def _build_panels(self) -> None:
        e = self.experiment
        self.data_panel = DataPanel(e.data)
        self.model_panel = ModelPanel(e.model)
        self.training_panel = TrainingPanel(e.training)
        self.log_panel = LogPanel()
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.data_dock = self.context.add_dock("dock.data", "Data", self.data_panel, left)
        self.model_dock = self.context.add_dock("dock.model", "Model", self.model_panel, left)
        self.training_dock = self.context.add_dock("dock.training", "Training", self.training_panel, left)
        self.log_dock = self.context.add_dock("dock.log", "Log", self.log_panel, left)
        self.setTabPosition(left, QTabWidget.TabPosition.North)
        self.splitDockWidget(self.data_dock, self.log_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.data_dock, self.model_dock)
        self.tabifyDockWidget(self.model_dock, self.training_dock)
        self.training_dock.raise_()
        self.resizeDocks([self.data_dock], [390], Qt.Orientation.Horizontal)
        self.resizeDocks([self.training_dock, self.log_dock], [560, 240], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut: str | None = None, tooltip: str = "") -> QAction:
        return make_action(self, text, slot, shortcut, tooltip)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        register = self.context.register
        file_menu = register(ids.FILE_MENU, bar.addMenu("&File"))
        self.data_import = DataImport(self.context)
        self.file_actions = register(
            ids.FILE_ACTIONS, FileActions(self.context, ask_before_discarding=self._interactive)
        )
        self.export_actions = ExportActions(self.context)
        self.file_actions.build_file_menu(file_menu, self.data_import.import_csv, self.export_actions.build_menu)
        file_menu.addAction(
            self._action(
                "Save &Screenshot…", self.save_screenshot, "Ctrl+Shift+P", "Save a PNG picture of the whole window"
            )
        )
        file_menu.addSeparator()
        quit_action = self._action("&Quit", self.close, "Ctrl+Q", "Stop training and close nnstudio")
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        file_menu.addAction(quit_action)

        edit_menu = register(ids.EDIT_MENU, bar.addMenu("&Edit"))
        edit_menu.addAction(
            self._action("&Copy Log", self.log_panel.copy_all, "Ctrl+Shift+C", "Copy every log line to the clipboard")
        )
        edit_menu.addAction(self._action("C&lear Log", self.log_panel.clear, None, "Empty the log panel"))
        edit_menu.addSeparator()
        self.data_import.build_edit_actions(edit_menu)

        view_menu = register(ids.VIEW_MENU, bar.addMenu("&View"))
        for dock in (self.data_dock, self.model_dock, self.training_dock, self.log_dock):
            toggle = dock.toggleViewAction()
            toggle.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
            view_menu.addAction(toggle)
        view_menu.addSeparator()
        instruments_menu = register(ids.INSTRUMENTS_MENU, view_menu.addMenu("&Instruments"))
        instruments_menu.setToolTipsVisible(True)
        self.file_actions.build_theme_menu(view_menu)
        view_menu.addSeparator()
        self.log_scale_action = self._action("&Log-scale Loss", None, "L", "Show the loss on a logarithmic axis")
        self.log_scale_action.setCheckable(True)
        self.log_scale_action.triggered.connect(self.loss_plot.set_log_scale)
        view_menu.addAction(self.log_scale_action)
        view_menu.addAction(
            self._action(
                "&Fit Plots to Data", self.autorange_plots, "Ctrl+0", "Zoom both plots back to show all their data"
            )
        )
        self.map_options = MapOptions(self.context, self.prediction_plots)

        train_menu = register(ids.TRAIN_MENU, bar.addMenu("&Train"))
        for action in self.controls.actions():
            train_menu.addAction(action)
            self.addAction(action)
        train_menu.addSeparator()
        speed_menu = train_menu.addMenu("Spee&d")
        speed_menu.setToolTipsVisible(True)
        speed_menu.addActions(self.controls.pace.actions())
        train_menu.addSeparator()
        backend_menu = train_menu.addMenu("&Backend")
        backend_menu.setToolTipsVisible(True)
        self.backend_actions = QActionGroup(self)
        usable, why_not = torch_available()
        for name, tip in (
            ("numpy", "Hand-written forward and backward pass"),
            ("torch", "torch.nn modules with autograd" if usable else why_not),
        ):
            action = self._action(name, lambda n=name: self.switch_backend(n), None, tip)
            action.setCheckable(True)
            action.setEnabled(name == "numpy" or usable)
            self.backend_actions.addAction(action)
            backend_menu.addAction(action)

        help_menu = register(ids.HELP_MENU, bar.addMenu("&Help"))
        self.help = install_help(self.context)  # F1: the glossary and every keyboard shortcut
        help_menu.addAction(
            self._action("&About nnstudio", self.show_about, None, "Version, and the tutorial nnstudio grew from")
        )

    def _connect(self) -> None:
        self.session.snapshot_ready.connect(self._on_snapshot)
        self.session.run_replaced.connect(self._on_run_replaced)
        self.session.state_changed.connect(self._on_state_changed)
        self.session.settings_changed.connect(self._on_settings_changed)
        self.session.failed.connect(self._on_failed)
        self.session.notice.connect(lambda text: self.status.showMessage(text, 20000))
        self.controls.play_pause_requested.connect(self.play_pause)
        self.controls.step_requested.connect(self.step)
        self.controls.run_to_requested.connect(self.run_to)
        self.controls.reset_requested.connect(self.reset)
        self.controls.new_weights_requested.connect(self.new_weights)
        self.data_panel.spec_changed.connect(self._on_data_changed)
        self.data_panel.import_requested.connect(self.data_import.import_csv)
        self.model_panel.spec_changed.connect(self._on_model_changed)
        self.model_panel.preset_chosen.connect(self.load_preset)
        self.training_panel.spec_changed.connect(self._on_training_changed)
        self.controls.pace.pace_changed.connect(self._set_pace)
        self.training_panel.stop_below_changed.connect(self._set_stop_below)
        self.loss_plot.log_scale_changed.connect(self.log_scale_action.setChecked)

    # --- training controls ------------------------------------------------------------------------

    @property
    def state(self) -> RunState | None:
        """The run as the last job left it."""
        return self.session.state

    def play_pause(self) -> None:
        self.context.play_pause()

    def step(self, count: int = 1) -> None:
        self.context.step(count)

    def run_to(self, epoch: int) -> None:
        self.context.run_to(epoch)

    def reset(self) -> None:
        self.session.reset()

    def new_weights(self) -> None:
        self.session.new_weights()

    def switch_backend(self, name: str) -> None:
        if not self._offered_branch({"backend": name}):
            self.session.switch_backend(name)

    def _set_pace(self, epochs_per_second: float | None) -> None:
        self.context.pace = epochs_per_second

    def _set_stop_below(self, value) -> None:
        self.context.stop_below = value

    # --- changes from the panels ------------------------------------------------------------------

    def _on_data_changed(self, spec: DataSpec) -> None:
        self.session.use_data(spec)

    def _on_model_changed(self, spec: ModelSpec) -> None:
        self.session.use_model(spec)

    def _on_training_changed(self, spec: TrainingSpec) -> None:
        # Compared with the panel's last spec, not the run's: the worker drops what equals the run's settings.
        old = self.experiment.training
        changes = {f.name: getattr(spec, f.name) for f in fields(spec) if getattr(spec, f.name) != getattr(old, f.name)}
        self.experiment = self.experiment.with_training(**{k: v for k, v in changes.items()})
        if not changes or self._offered_branch(changes):
            return
        backend = changes.pop("backend", None)
        if changes:
            self.session.update_training(**changes)
        if backend is not None:
            self.session.switch_backend(backend)

    def _offered_branch(self, changes: dict) -> bool:
        """Looking at the past, settings that keep the weights offer to branch from there (the timeline asks)."""
        timeline = self.context.find(ids.TIMELINE)
        if timeline is None or RESTARTING_SETTINGS & changes.keys():
            return False
        return timeline.offer_branch(changes, declined=self._show_run_settings)

    def _show_run_settings(self) -> None:
        """Put the panels and the backend menu back to the settings the run really has."""
        state = self.session.state
        if state is None:
            return
        self.experiment = state.experiment
        self.training_panel.set_spec(state.experiment.training)
        for action in self.backend_actions.actions():
            action.setChecked(action.text() == state.backend)

    def load_preset(self, name: str) -> None:
        self.file_actions.open_preset(name)  # asks first when there are unsaved changes

    # --- what comes back from the session ---------------------------------------------------------

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        """Only collect here; the redraw timer draws (so a burst of snapshots costs one redraw)."""
        if snapshot.full_history:
            self._pending_loss.clear()
            self._clear_loss = True
            self._overfitting = OverfittingWatch(already_told=self._overfitting.told_epoch)
        if len(snapshot.new_epochs):
            penalty = snapshot.new_penalty if len(snapshot.new_penalty) else np.full(len(snapshot.new_epochs), np.nan)
            self._pending_loss.append((snapshot.new_epochs, snapshot.new_train_loss, snapshot.new_test_loss, penalty))
        notes = [(change.epoch, f"— {change.text}") for change in snapshot.settings_changes]
        overfitting = self._overfitting.update(snapshot.new_epochs, snapshot.new_train_loss, snapshot.new_test_loss)
        if overfitting is not None:
            notes.append((overfitting.epoch, f"— {overfitting.message} {overfitting.advice}"))
            self._overfitting_note = overfitting.headline
        self._pending_log.extend(with_notes(snapshot, notes, self._logged.new_entries(snapshot)))
        self._latest = snapshot
        if not self._redraw_timer.isActive():
            self._redraw_timer.start(max(0, round(1000 * (self._next_frame_at - time.perf_counter()))))

    def redraw(self) -> None:
        """Draw what is new (the redraw timer calls it when news has come; `draw_now` at once)."""
        if self._latest is None:
            return
        snapshot, self._latest = self._latest, None
        full_speed = snapshot.status == TRAINING and not snapshot.waiting  # a paced run leaves the GIL free
        if self._clear_loss:
            self.loss_plot.clear()
            self._clear_loss = False
        if self._pending_loss:
            epochs, train, test, penalty = (np.concatenate(parts) for parts in zip(*self._pending_loss, strict=True))
            self._pending_loss.clear()
            self.loss_plot.append(epochs, train, test, penalty)
        now = time.perf_counter()
        if self._pending_log and (not full_speed or now - self._log_flushed_at >= LOG_SECONDS_AT_FULL_SPEED):
            self.log_panel.append_lines(self._pending_log)
            self._pending_log = []
            self._log_flushed_at = now
        self.frame = snapshot
        self.frame_ready.emit(snapshot)
        self.prediction_plot.set_prediction(snapshot.prediction)
        if not full_speed or now - self._numbers_shown_at >= NUMBERS_SECONDS_AT_FULL_SPEED:
            self.loss_plot.set_metrics(snapshot.train_metrics, snapshot.test_metrics, snapshot.epoch)
            self.status.show_snapshot(snapshot)
            self._numbers_shown_at = now
        if snapshot.status == DIVERGED:
            self.log_panel.append_lines([f"— {snapshot.message}"])  # the status bar shows it in red
        elif snapshot.status not in (TRAINING, RunEnd.CHANGED) and snapshot.message:
            self.status.showMessage(snapshot.message, 8000)
        self._show_overfitting(snapshot)
        self._next_frame_at = time.perf_counter() + self._pacer.next_interval_ms(training=full_speed) / 1000

    def _show_overfitting(self, snapshot: Snapshot) -> None:
        """Say it when it is found, and again before the run's last message, so that it is read."""
        note = self._overfitting_note
        if not note or (snapshot.status == TRAINING and self._overfitting_shown):
            return
        if snapshot.status == TRAINING:
            self.status.showMessage(note, 15000)
            self._overfitting_shown = True
            return
        ended = snapshot.message if snapshot.status not in (DIVERGED, RunEnd.CHANGED) else ""
        self.status.showMessage(f"{note} {ended}".strip(), 15000)
        self._overfitting_note, self._overfitting_shown = "", False

    def _on_run_replaced(self, state: RunState) -> None:
        shown, new = self._shown_dataset, state.dataset
        extra = ""
        if shown is not None and (shown.is_classification, shown.n_classes) != (new.is_classification, new.n_classes):
            extra = _task_message(self.experiment, state.experiment, new)  # the data chose a new loss
        self._shown_dataset = state.dataset
        self.experiment = state.experiment
        e = self.experiment
        for panel, spec in ((self.data_panel, e.data), (self.model_panel, e.model), (self.training_panel, e.training)):
            panel.set_spec(spec)
        self.model_panel.set_io(state.dataset.n_model_inputs, state.dataset.n_outputs)
        self.data_panel.set_dataset(state.dataset)
        self.data_panel.set_imported_rows(None if state.points is None else len(state.points[0]))
        self.training_panel.set_dataset(state.dataset)
        self.prediction_plots.show_dataset(state.dataset)
        self.controls.target_epoch.setValue(e.training.epochs)
        self.controls.pace.set_target(e.training.epochs)
        for action in self.backend_actions.actions():
            action.setChecked(action.text() == state.backend)
        problems, self._restore_problems = self._restore_problems, []  # told once, with the first model
        message = state.message + extra
        if problems:
            message += f" {len(problems)} remembered setting(s) could not be used: defaults instead (see the Log)."
        self._pending_log.append(f"— {message}")  # after any log lines still waiting to be drawn
        self._pending_log.extend(f"   not restored: {problem}" for problem in problems)
        self.status.showMessage(message, 20000 if problems else 8000)

    def _on_settings_changed(self, change: SettingsChange) -> None:
        """A run took on new settings and trains on: say so (the log says when), show the backend it uses now."""
        self.status.showMessage(change.text, 8000)
        backend = change.after.backend
        for action in self.backend_actions.actions():
            action.setChecked(action.text() == backend)
        if self.training_panel.spec().backend != backend:  # switched from the menu: the Training tab follows
            self.experiment = self.experiment.with_training(backend=backend)
            self.training_panel.set_spec(self.experiment.training)

    def _on_state_changed(self, state: RunState) -> None:
        self.controls.show_state(state.status)
        self.status.show_state(state.status, state.diverged_message)
        loss = state.experiment.training.loss  # which loss, in whose units: said wherever a loss is shown
        units = loss_units(loss, state.experiment.data.standardize)
        self.status.set_loss(loss, units)
        self.loss_plot.set_loss(loss, units)

    def _on_failed(self, message: str) -> None:
        # The trainer and its data are untouched; put the panels back to what is really in use.
        state = self.session.state
        e = self.experiment = state.experiment if state is not None else self.experiment
        for panel, spec in ((self.data_panel, e.data), (self.model_panel, e.model), (self.training_panel, e.training)):
            panel.set_spec(spec)
        self.status.showMessage(message, 15000)
        QMessageBox.warning(self, "nnstudio", message)

    # --- files and dialogs ------------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        """The experiment file in use (None: untitled)."""
        return self.file_actions.path

    def open_experiment(self) -> None:
        self.file_actions.open()

    def open_path(self, path: str) -> None:
        self.file_actions.open_path(path)

    def save_experiment_as(self) -> None:
        self.file_actions.save_as()

    def save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "nnstudio.png", "PNG images (*.png)")
        if path and not self.grab().save(path, "PNG"):
            self._on_failed(f"cannot write {path}")

    def autorange_plots(self) -> None:
        self.prediction_plot.auto_range()
        self.loss_plot.auto_range()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About nnstudio",
            f"<h3>nnstudio {__version__}</h3><p>Watch a neural network learn, one step at a time, "
            f"with a hand-written NumPy backend and PyTorch side by side.</p>"
            f"<p>It grew from the tutorial {TUTORIAL}.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.file_actions.close_requested():  # unsaved changes: cancelled, or saving first
            event.ignore()
            return
        self._redraw_timer.stop()
        if self.session.is_running:  # e.g. importing torch, which cannot be interrupted: wait for it, visibly
            self.status.showMessage("Closing: waiting for the worker to finish its job…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.session.shutdown()
            finally:
                QApplication.restoreOverrideCursor()
        else:
            self.session.shutdown()
        event.accept()


def _task_message(before: Experiment, after: Experiment, dataset: Dataset) -> str:
    """A sentence saying which loss and output new data brought, e.g. for two classes; "" when none changed."""
    if not describe_change(before, after):
        return ""
    what = f"{dataset.n_classes} classes" if dataset.is_classification else "numbers to fit"
    return f" Now the {after.training.loss} loss and output activation {after.model.output_activation}, for {what}."
