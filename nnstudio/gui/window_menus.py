"""The main window's menu bar: File, Edit, View, Train, Help, and the few commands only the menus give.

A part of `MainWindow` (its base class), kept apart so that the window's module stays its assembly:
the menus use the window's panels, docks, controls and file actions, built before them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio import __version__
from nnstudio.core.engine.backends.base import torch_available
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.data_import import DataImport
from nnstudio.gui.export_actions import ExportActions
from nnstudio.gui.file_actions import FileActions
from nnstudio.gui.help_window import install as install_help
from nnstudio.gui.map_options import MapOptions

TUTORIAL = "Jonny Law, “Neural Networks in R” (2021)"


class WindowMenus:
    """Builds the main window's menus (`_build_menus`) and holds the commands only they call."""

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
