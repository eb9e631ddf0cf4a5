"""The main window: assembles the panels, plots, menus and the one training session.

Data flows one way. Panels emit intent (a new spec); the window turns it into a job for the
`TrainingSession`; the session's snapshots come back and are drawn by a ~30 Hz timer, which
keeps only what is new, so however fast training runs, nothing queues up.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from nnstudio import __version__
from nnstudio.core.datasets.data import Dataset, prepare
from nnstudio.core.engine.backends.base import torch_available
from nnstudio.core.engine.classification import describe_change, fit_to_data
from nnstudio.core.engine.experiment import DataSpec, Experiment, ModelSpec, TrainingSpec
from nnstudio.core.engine.trainer import DIVERGED, TRAINING, Snapshot, Trainer
from nnstudio.core.storage.archive import points_to_keep
from nnstudio.gui.data_import import DataImport
from nnstudio.gui.export_actions import ExportActions
from nnstudio.gui.file_actions import FileActions
from nnstudio.gui.instruments import install_instruments
from nnstudio.gui.lessons import install as install_lessons
from nnstudio.gui.pacing import RedrawPacer
from nnstudio.gui.panels.data_panel import DataPanel
from nnstudio.gui.panels.log_panel import LogPanel
from nnstudio.gui.panels.model_panel import ModelPanel
from nnstudio.gui.panels.training_panel import TrainingPanel
from nnstudio.gui.plots.boundary_plot import DecisionBoundaryPlot
from nnstudio.gui.plots.fit_plot import FitPlot
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.gui.settings import Settings
from nnstudio.gui.status_bar import TrainingStatusBar
from nnstudio.gui.training_controls import TrainingControls
from nnstudio.gui.worker import TrainingSession

REDRAW_HZ = 30
TUTORIAL = "Jonny Law, “Neural Networks in R” (2021)"


class MainWindow(QMainWindow):
    """Instruments subscribe to `frame_ready` (the latest snapshot, at most ~30 times a second) and to
    the session's `trainer_changed`; they add themselves with `add_instrument_dock()`."""

    frame_ready = Signal(object)  # Snapshot, with parameters, once per redraw

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
        self.experiment = experiment  # what the panels show; the trainer's copy is the truth
        # The app passes the user's settings; a window built by a script or a test keeps them in memory
        # and closes or replaces its work without asking.
        self.settings = settings or Settings()
        self._interactive = settings is not None
        self.speed: float | None = None  # steps per second, None = full speed
        self.stop_below: float | None = None

        self.session = TrainingSession(self)
        self._shown_dataset: Dataset | None = None
        self.controls = TrainingControls(self)
        self._build_plots()
        self._build_panels()
        self.status = TrainingStatusBar(self)
        self.setStatusBar(self.status)
        self.addToolBar(self.controls.build_toolbar(self))
        self._build_menus()
        self._connect()
        self.instrument_docks: list[QDockWidget] = []
        install_instruments(self)
        self.lessons = install_lessons(self)

        self._pending_loss: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_log: list[str] = []
        self._clear_loss = False
        self._latest: Snapshot | None = None
        self._pacer = RedrawPacer(fastest_hz=REDRAW_HZ)  # fewer frames where drawing would slow training
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(1000 // REDRAW_HZ)
        self._redraw_timer.timeout.connect(self.redraw)
        self._redraw_timer.start()

        self.controls.show_state("idle")
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
        self.fit_plot = FitPlot()
        self.boundary_plot = DecisionBoundaryPlot()  # replaces the fit plot when the data has two inputs
        self.prediction_plots = QStackedWidget()
        self.prediction_plots.addWidget(self.fit_plot)
        self.prediction_plots.addWidget(self.boundary_plot)
        self.loss_plot = LossPlot()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.prediction_plots)
        splitter.addWidget(self.loss_plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_"))
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_panels(self) -> None:
        e = self.experiment
        self.data_panel = DataPanel(e.data)
        self.model_panel = ModelPanel(e.model)
        self.training_panel = TrainingPanel(e.training)
        self.log_panel = LogPanel()
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.data_dock = self._dock("Data", self.data_panel, left)
        self.model_dock = self._dock("Model", self.model_panel, left)
        self.training_dock = self._dock("Training", self.training_panel, left)
        self.log_dock = self._dock("Log", self.log_panel, left)
        self.setTabPosition(left, QTabWidget.TabPosition.North)
        self.splitDockWidget(self.data_dock, self.log_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.data_dock, self.model_dock)
        self.tabifyDockWidget(self.model_dock, self.training_dock)
        self.training_dock.raise_()
        self.resizeDocks([self.data_dock], [390], Qt.Orientation.Horizontal)
        self.resizeDocks([self.training_dock, self.log_dock], [560, 240], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut: str | None = None, tooltip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tooltip or text.replace("&", ""))
        action.setStatusTip(tooltip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.data_import = DataImport(self)
        self.file_actions = FileActions(self, self.settings, ask_before_discarding=self._interactive)
        self.export_actions = ExportActions(self)
        self.file_actions.build_file_menu(file_menu, self.export_actions.build_menu)
        file_menu.addAction(
            self._action(
                "Save &Screenshot…", self.save_screenshot, "Ctrl+Shift+P", "Save a PNG picture of the whole window"
            )
        )
        file_menu.addSeparator()
        quit_action = self._action("&Quit", self.close, "Ctrl+Q", "Stop training and close nnstudio")
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        file_menu.addAction(quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(
            self._action("&Copy Log", self.log_panel.copy_all, "Ctrl+Shift+C", "Copy every log line to the clipboard")
        )
        edit_menu.addAction(self._action("C&lear Log", self.log_panel.clear, None, "Empty the log panel"))
        edit_menu.addSeparator()
        self.data_import.build_edit_actions(edit_menu)

        view_menu = bar.addMenu("&View")
        for dock in (self.data_dock, self.model_dock, self.training_dock, self.log_dock):
            toggle = dock.toggleViewAction()
            toggle.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
            view_menu.addAction(toggle)
        view_menu.addSeparator()
        self.instruments_menu = view_menu.addMenu("&Instruments")
        self.instruments_menu.setToolTipsVisible(True)
        self.file_actions.build_theme_menu(view_menu)
        view_menu.addSeparator()
        self.view_menu = view_menu
        self.log_scale_action = self._action(
            "&Log-scale Loss", self.loss_plot.set_log_scale, "L", "Show the loss on a logarithmic axis"
        )
        self.log_scale_action.setCheckable(True)
        view_menu.addAction(self.log_scale_action)
        view_menu.addAction(
            self._action(
                "&Fit Plots to Data", self.autorange_plots, "Ctrl+0", "Zoom both plots back to show all their data"
            )
        )

        train_menu = bar.addMenu("&Train")
        for action in self.controls.actions():
            train_menu.addAction(action)
            self.addAction(action)
        train_menu.addSeparator()
        backend_menu = train_menu.addMenu("&Backend")
        backend_menu.setToolTipsVisible(True)
        self.backend_actions = QActionGroup(self)
        usable, why_not = torch_available()
        for name, tip in (
            ("numpy", "Hand-written forward and backward pass"),
            ("torch", "torch.nn modules with autograd" if usable else why_not),
        ):
            action = self._action(name, lambda _=False, n=name: self.switch_backend(n), None, tip)
            action.setCheckable(True)
            action.setEnabled(name == "numpy" or usable)
            self.backend_actions.addAction(action)
            backend_menu.addAction(action)

        help_menu = bar.addMenu("&Help")
        self.help_menu = help_menu
        help_menu.addAction(
            self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1", "List every keyboard shortcut")
        )
        help_menu.addAction(
            self._action("&About nnstudio", self.show_about, None, "Version, and the tutorial nnstudio grew from")
        )

    def _connect(self) -> None:
        self.session.snapshot_ready.connect(self._on_snapshot)
        self.session.trainer_changed.connect(self._on_trainer_changed)
        self.session.state_changed.connect(self._on_state_changed)
        self.session.failed.connect(self._on_failed)
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
        self.training_panel.speed_changed.connect(self._set_speed)
        self.training_panel.stop_below_changed.connect(self._set_stop_below)
        self.loss_plot.log_scale_changed.connect(self.log_scale_action.setChecked)

    # --- training controls ------------------------------------------------------------------------

    @property
    def trainer(self) -> Trainer | None:
        return self.session.trainer

    def _goals(self, **goals) -> dict:
        return {"steps_per_second": self.speed, "stop_below": self.stop_below, "with_parameters": True, **goals}

    def play_pause(self) -> None:
        if self.session.state == TRAINING:
            self.session.pause()
        elif self.trainer is not None:
            target = self.trainer.training.epochs
            self.session.run(**self._goals(until_epoch=target if self.trainer.epoch < target else None))

    def step(self, count: int = 1) -> None:
        if self.session.state != TRAINING:
            self.session.run(checkpoint=True, **self._goals(max_steps=count, stop_below=None))

    def run_to(self, epoch: int) -> None:
        if self.session.state != TRAINING:
            self.session.run(**self._goals(until_epoch=epoch))

    def reset(self) -> None:
        self.session.change(_reset, "Reset: back to the same initial weights.")

    def new_weights(self) -> None:
        self.session.change(_new_weights, "New initial weights drawn from the next seed.")

    def switch_backend(self, name: str) -> None:
        if self.trainer is not None and self.trainer.backend.name != name:
            self.session.change(
                lambda t: t.switch_backend(name),
                f"Switched to the {name} backend: same weights and optimiser state, so the loss continues.",
            )

    def _set_speed(self, steps_per_second) -> None:
        self.speed = steps_per_second

    def _set_stop_below(self, value) -> None:
        self.stop_below = value

    # --- changes from the panels ------------------------------------------------------------------

    def _on_data_changed(self, spec: DataSpec) -> None:
        self.use_data(spec)

    def use_data(self, spec: DataSpec, points=None, message: str = "New data: the model was re-initialised.") -> None:
        """Train on new data; imported points are given, or kept while the spec names the same source."""
        fallback = self.experiment
        self.session.change(
            lambda t: _trainer_for_data(
                replace(t.experiment if t else fallback, data=spec),
                points if points is not None else points_to_keep(t, spec),
            ),
            message,
        )

    def _on_model_changed(self, spec: ModelSpec) -> None:
        fallback = self.experiment
        self.session.change(
            lambda t: (
                Trainer(replace(t.experiment, model=spec), t.points, t.dataset)
                if t
                else Trainer(replace(fallback, model=spec))
            ),
            "New model: its weights were re-initialised.",
        )

    def _on_training_changed(self, spec: TrainingSpec) -> None:
        old = self.trainer.training if self.trainer is not None else self.experiment.training
        changes = {f.name: getattr(spec, f.name) for f in fields(spec) if getattr(spec, f.name) != getattr(old, f.name)}
        if not changes:
            return
        backend = changes.pop("backend", None)
        if changes:
            names = ", ".join(name.replace("_", " ") for name in changes)
            kept = "new initial weights" if "seed" in changes else "weights kept"
            self.session.change(lambda t: t.update_training(**changes), f"Changed {names} ({kept}).")
        if backend is not None:
            self.switch_backend(backend)

    def load_preset(self, name: str) -> None:
        self.file_actions.open_preset(name)  # asks first when there are unsaved changes

    # --- what comes back from the session ---------------------------------------------------------

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        """Only collect here; the redraw timer draws (so a burst of snapshots costs one redraw)."""
        if snapshot.full_history:
            self._pending_loss.clear()
            self._clear_loss = True
        if len(snapshot.new_epochs):
            self._pending_loss.append((snapshot.new_epochs, snapshot.new_train_loss, snapshot.new_test_loss))
        self._pending_log.extend(snapshot.log_lines)
        self._latest = snapshot

    def redraw(self) -> None:
        if self._latest is None:
            return
        snapshot, self._latest = self._latest, None
        if self._clear_loss:
            self.loss_plot.clear()
            self._clear_loss = False
        if self._pending_loss:
            epochs, train, test = (np.concatenate(parts) for parts in zip(*self._pending_loss, strict=True))
            self._pending_loss.clear()
            self.loss_plot.append(epochs, train, test)
        if self._pending_log:
            self.log_panel.append_lines(self._pending_log)
            self._pending_log = []
        self.frame_ready.emit(snapshot)
        self.prediction_plot.set_prediction(snapshot.prediction)
        self.loss_plot.set_metrics(snapshot.train_metrics, snapshot.test_metrics)
        self.status.show_snapshot(snapshot)
        if snapshot.status == DIVERGED:
            self.log_panel.append_lines([f"— {snapshot.message}"])  # the status bar shows it in red
        elif snapshot.status not in (TRAINING, "changed") and snapshot.message:
            self.status.showMessage(snapshot.message, 8000)
        full_speed = snapshot.status == TRAINING and self.speed is None  # slow motion leaves the GIL free
        self._redraw_timer.setInterval(self._pacer.next_interval_ms(training=full_speed))

    def _on_trainer_changed(self, trainer: Trainer, message: str) -> None:
        shown, new = self._shown_dataset, trainer.dataset
        if shown is not None and (shown.is_classification, shown.n_classes) != (new.is_classification, new.n_classes):
            message += _task_message(self.experiment, trainer.experiment, new)  # the data chose a new loss
        self._shown_dataset = trainer.dataset
        self.experiment = trainer.experiment
        e = self.experiment
        for panel, spec in ((self.data_panel, e.data), (self.model_panel, e.model), (self.training_panel, e.training)):
            panel.set_spec(spec)
        self.model_panel.set_io(trainer.dataset.n_inputs, trainer.dataset.n_outputs)
        self.data_panel.set_dataset(trainer.dataset)
        self.data_panel.set_imported_rows(None if trainer.points is None else len(trainer.points[0]))
        self.training_panel.set_dataset(trainer.dataset)
        self._show_dataset(trainer.dataset)
        self.controls.target_epoch.setValue(e.training.epochs)
        for action in self.backend_actions.actions():
            action.setChecked(action.text() == trainer.backend.name)
        problems, self._restore_problems = self._restore_problems, []  # told once, with the first model
        if problems:
            message += f" {len(problems)} remembered setting(s) could not be used: defaults instead (see the Log)."
        self._pending_log.append(f"— {message}")  # after any log lines still waiting to be drawn
        self._pending_log.extend(f"   not restored: {problem}" for problem in problems)
        self.status.showMessage(message, 20000 if problems else 8000)

    @property
    def prediction_plot(self) -> FitPlot | DecisionBoundaryPlot:
        """The plot the prediction is drawn on: the fit, or the decision boundary for two-input classes."""
        return self.boundary_plot if self.prediction_plots.currentWidget() is self.boundary_plot else self.fit_plot

    def _show_dataset(self, dataset: Dataset) -> None:
        # The fit plot always gets the data, so whatever draws on it (the timeline) finds a matching grid.
        self.fit_plot.set_dataset(dataset)
        if dataset.grid_shape is not None:
            self.boundary_plot.set_dataset(dataset)
            self.prediction_plots.setCurrentWidget(self.boundary_plot)
        else:
            self.prediction_plots.setCurrentWidget(self.fit_plot)

    def _on_state_changed(self, state: str) -> None:
        self.controls.show_state(state)
        detail = self.trainer.diverged_message if state == DIVERGED and self.trainer else ""
        self.status.show_state(state, detail)

    def _on_failed(self, message: str) -> None:
        # The trainer and its data are untouched; put the panels back to what is really in use.
        e = self.experiment
        for panel, spec in ((self.data_panel, e.data), (self.model_panel, e.model), (self.training_panel, e.training)):
            panel.set_spec(spec)
        self.status.showMessage(message, 15000)
        QMessageBox.warning(self, "nnstudio", message)

    # --- instruments ------------------------------------------------------------------------------

    def add_instrument_dock(self, title: str, widget: QWidget, shortcut: str | None, tooltip: str) -> QDockWidget:
        """Add an instrument as a dock on the right (tabbed with the others), hidden until asked for."""
        dock = self._dock(title, widget, Qt.DockWidgetArea.RightDockWidgetArea)
        if self.instrument_docks:
            self.tabifyDockWidget(self.instrument_docks[-1], dock)
        self.instrument_docks.append(dock)
        dock.hide()
        toggle = dock.toggleViewAction()
        toggle.setToolTip(tooltip)
        toggle.setStatusTip(tooltip)
        if shortcut:
            toggle.setShortcut(QKeySequence(shortcut))
        self.instruments_menu.addAction(toggle)
        return dock

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

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{a.shortcut().toString()}</b></td><td>{a.text().replace('&', '')}</td></tr>"
            for a in self.findChildren(QAction)
            if not a.shortcut().isEmpty()
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding='4'>{rows}</table>")

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
        self.session.shutdown()
        event.accept()


def _trainer_for_data(experiment: Experiment, points=None) -> Trainer:
    """A trainer on new data, with a loss and output that fit it (bce for two classes, mse for numbers...)."""
    dataset = prepare(experiment.data, points)
    return Trainer(fit_to_data(experiment, dataset), points, dataset)


def _task_message(before: Experiment, after: Experiment, dataset: Dataset) -> str:
    """A sentence saying which loss and output new data brought, e.g. for two classes; "" when none changed."""
    if not describe_change(before, after):
        return ""
    what = f"{dataset.n_classes} classes" if dataset.is_classification else "numbers to fit"
    return f" Now the {after.training.loss} loss and output activation {after.model.output_activation}, for {what}."


def _reset(trainer: Trainer) -> Trainer:
    trainer.reset()
    return trainer


def _new_weights(trainer: Trainer) -> Trainer:
    trainer.new_weights((trainer.training.seed + 1) % 2**32)
    return trainer
