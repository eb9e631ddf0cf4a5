"""The main window: assembles the panels, plots, menus, instruments and the one training session.

Data flows one way. Panels emit intent (a new spec); the window turns it into a command for the
`TrainingSession`; what comes back is a frozen `RunState` after every job, and throttled
snapshots while training. A frame is drawn when news arrives, at most as often as the redraw
pacer allows (gui/frame_drawer.py), so however fast training runs, nothing queues up.
Instruments and lessons get the `AppContext`, never the window.
"""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QSplitter, QTabWidget

from nnstudio.core.datasets.data import Dataset
from nnstudio.core.engine.classification import describe_change
from nnstudio.core.engine.experiment import DataSpec, Experiment, ModelSpec, TrainingSpec
from nnstudio.core.engine.live_changes import RESTARTING_SETTINGS, SettingsChange
from nnstudio.core.engine.losses import loss_units
from nnstudio.core.engine.trainer import RunState, RunStatus, Snapshot
from nnstudio.gui import app_context as ids
from nnstudio.gui.app_context import AppContext
from nnstudio.gui.field_keys import FieldKeys
from nnstudio.gui.frame_drawer import FrameDrawer
from nnstudio.gui.instruments import install_instruments
from nnstudio.gui.lessons import install as install_lessons
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
from nnstudio.gui.window_menus import WindowMenus


class MainWindow(WindowMenus, QMainWindow):
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
        self._shown_dataset: Dataset | None = None
        self.controls = TrainingControls(self)
        self.controls.pace.remember_in(self.settings)
        self.context.pace = self.controls.pace.pace
        self._build_plots()
        self._build_panels()
        self.status = TrainingStatusBar(self)
        self.setStatusBar(self.status)
        self.frame_drawer = FrameDrawer(
            self,
            self.frame_ready,
            self.loss_plot,
            lambda: self.prediction_plot,
            self.log_panel,
            self.status,
            self.context.readable_numbers,
        )
        self.context.set_message_sink(self.status.showMessage, self.redraw, self.frame_drawer.seconds_between_frames)
        toolbar = self.context.register(ids.TRAINING_TOOLBAR, self.controls.build_toolbar(self))
        self.addToolBar(toolbar)
        self.context.register(ids.TRAINING_CONTROLS, self.controls)
        self._build_menus()
        self._connect()
        install_instruments(self.context)
        self.lessons = install_lessons(self.context)
        self.field_keys = FieldKeys(self)  # Enter or Escape in a field: the single-key shortcuts work again

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

    def _connect(self) -> None:
        self.session.snapshot_ready.connect(self.frame_drawer.on_snapshot)
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

    @property
    def frame(self) -> Snapshot | None:
        """The last frame drawn."""
        return self.frame_drawer.frame

    def redraw(self) -> None:
        """Draw what is new now, not at the next frame."""
        self.frame_drawer.redraw()

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
        message = state.message + extra
        if not message:
            return  # a load another one replaces at once (the first start's model, before the lesson's page)
        problems, self._restore_problems = self._restore_problems, []  # told once, with the first model
        if problems:
            message += f" {len(problems)} remembered setting(s) could not be used: defaults instead (see the Log)."
        self.frame_drawer.log_later([f"— {message}", *(f"   not restored: {problem}" for problem in problems)])
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

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.file_actions.close_requested():  # unsaved changes: cancelled, or saving first
            event.ignore()
            return
        self.frame_drawer.stop()
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
