"""File ▸ Export: the plots (PNG, SVG), the trained weights (.npz, .pt), the loss history (CSV), the
experiment as a standalone Python script (NumPy or PyTorch), and the run as a film (gui/film/).

Everything that reads the trainer is copied in the worker (`session.read`) and written
here, on the GUI thread, atomically; a failure is reported and changes nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph.exporters as exporters
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from nnstudio.core.engine.experiment import write_atomically
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import export
from nnstudio.gui import app_context as ids
from nnstudio.gui.actions import make_action
from nnstudio.gui.film import export_dialog as film_dialog

if TYPE_CHECKING:
    from nnstudio.gui.app_context import AppContext


class ExportActions(QObject):
    """The Export submenu and what each entry writes."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(context.host)
        self.context = context
        self.window = context.host  # the dialogs' parent

    def build_menu(self, menu: QMenu) -> None:
        add = self._add
        tip = "The plot of the prediction on screen (the fit, or the decision map)"
        add(menu, "&Fit Plot as PNG…", lambda: self.export_plot("fit", "png"), f"{tip}, as a picture")
        add(menu, "Fit Plot as S&VG…", lambda: self.export_plot("fit", "svg"), f"{tip}, as vectors")
        add(menu, "&Loss Plot as PNG…", lambda: self.export_plot("loss", "png"), "The loss per epoch, as a picture")
        add(menu, "Loss Plot as SV&G…", lambda: self.export_plot("loss", "svg"), "The loss per epoch, as vectors")
        menu.addSeparator()
        add(menu, "&Weights (NumPy .npz)…", self.export_weights, "W1, b1, … as NumPy arrays, with the activations")
        add(menu, "PyTorch &state_dict (.pt)…", self.export_state_dict, "Loads into the matching nn.Sequential")
        add(menu, "Loss &History (CSV)…", self.export_loss_history, "epoch, train_loss, test_loss per epoch")
        menu.addSeparator()
        add(menu, "Python Script (&NumPy)…", lambda: self.export_script("numpy"), _SCRIPT_TIP["numpy"])
        add(menu, "Python Script (&PyTorch)…", lambda: self.export_script("torch"), _SCRIPT_TIP["torch"])
        menu.addSeparator()
        menu.addAction(make_action(menu, "&Animation…", self.export_animation, tooltip=film_dialog.menu_tooltip()))

    def _add(self, menu: QMenu, text: str, slot: Callable[[], None], tooltip: str) -> QAction:
        action = menu.addAction(text)
        action.setToolTip(tooltip)
        action.setStatusTip(tooltip)
        action.triggered.connect(lambda _checked=False: slot())  # the slots take a path, not `checked`
        return action

    # --- plots ------------------------------------------------------------------------------------

    def export_plot(self, which: str, kind: str, path: str | None = None) -> bool:
        """Write the prediction plot on screen ("fit": the fit, or the decision map for two-input classes)
        or the loss plot as PNG or SVG (pyqtgraph's exporters); True when written."""
        name = f"{self._stem()}-{which}.{kind}"
        path = path or self._ask_path(f"Export the {which} plot", name, f"{kind.upper()} (*.{kind})")
        if not path:
            return False
        widget = self.context.get(ids.PLOTS).current if which == "fit" else self.context.get(ids.LOSS_PLOT)
        return self._write(path, lambda: plot_bytes(widget.plot_widget.getPlotItem(), kind))

    def export_animation(self) -> None:
        """The run so far as a film (GIF, WebP, MP4): a dialog with its settings and a progress bar."""
        if self.context.state is not None:
            film_dialog.show_animation_dialog(self.context)

    # --- what the trainer knows -------------------------------------------------------------------

    def export_weights(self, path: str | None = None) -> None:
        self._export("Export the weights", "-weights.npz", "NumPy arrays (*.npz)", export.save_weights_npz, path)

    def export_state_dict(self, path: str | None = None) -> None:
        self._export("Export a PyTorch state_dict", ".pt", "PyTorch state_dict (*.pt)", export.save_state_dict, path)

    def export_loss_history(self, path: str | None = None) -> None:
        self._export("Export the loss history", "-loss.csv", "CSV (*.csv)", export.save_loss_csv, path)

    def export_script(self, flavour: str, path: str | None = None) -> None:
        self._export(
            f"Export a {'NumPy' if flavour == 'numpy' else 'PyTorch'} training script",
            f"_{flavour}.py",
            "Python scripts (*.py)",
            lambda results, target: export.save_script(results, target, flavour),
            path,
        )

    def _export(self, title: str, suffix: str, filters: str, write, path: str | None) -> None:
        path = path or self._ask_path(title, self._stem() + suffix, filters)
        if not path or self.context.state is None:
            return

        def deliver(results: export.Results) -> None:
            self._write(path, lambda: write(results, path), already_written=True)

        self.context.session.read(export.capture, deliver)

    def _write(self, path: str, make, already_written: bool = False) -> bool:
        try:
            content = make()
            if not already_written:
                write_atomically(Path(path), content)
        except NNStudioError as error:
            self._warn(str(error))
            return False
        self.context.show_message(f"Exported {path}.", 8000)
        return True

    # --- seams for tests: the dialogs -------------------------------------------------------------

    def _stem(self) -> str:
        path = self.context.get(ids.FILE_ACTIONS).path
        return Path(path).stem if path else self.context.state.experiment.name

    def _ask_path(self, title: str, name: str, filters: str) -> str:
        path = self.context.get(ids.FILE_ACTIONS).path
        folder = Path(path).parent if path else Path.cwd()
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(folder / name), filters)
        return path

    def _warn(self, message: str) -> None:
        QMessageBox.warning(self.window, "Cannot export", message)


_SCRIPT_TIP = {
    "numpy": "A standalone script: the data, the model, the forward and backward pass by hand; "
    "it trains and prints the same log",
    "torch": "A standalone script: nn.Sequential, autograd and torch.optim; it trains and prints the same log",
}


def plot_bytes(plot_item, kind: str) -> bytes:
    """A plot as PNG or SVG bytes, through pyqtgraph's exporters, as it looks on screen.

    (The PNG keeps the plot's size on screen: pyqtgraph scales the axes of a larger export but not
    the legend, which then looks lost. For a larger picture, enlarge the window, or export SVG.)
    """
    if kind == "svg":
        with _closed_paths_spelled_out():
            return exporters.SVGExporter(plot_item).export(toBytes=True)
    image = exporters.ImageExporter(plot_item).export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise NNStudioError("the plot could not be drawn as a PNG picture")
    buffer.close()
    return bytes(data.data())


@contextmanager
def _closed_paths_spelled_out():
    """Work around pyqtgraph 0.14's SVG exporter, which cannot read Qt's closed paths ("M0,0 L5,0 L5,5 Z" —
    pyqtgraph issue #3495): each "Z" becomes a line back to where its subpath began, the same shape."""
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def correct(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            path.setAttribute("d", spell_out_closed_paths(path.getAttribute("d")))
        return original(node, defs, item, options)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def spell_out_closed_paths(d: str) -> str:
    """ "M1,2 L3,4 Z" → "M1,2 L3,4 L1,2": SVG path data with every close command written as a line."""
    tokens, start = [], None
    for token in d.split():
        closes = token[-1] in "Zz"
        token = token.rstrip("Zz")
        if token:
            tokens.append(token)
            if token[0] == "M":
                start = token[1:]
        if closes and start is not None:
            tokens.append("L" + start)
    return " ".join(tokens)
