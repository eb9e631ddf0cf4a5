"""What the data, model and training panels share: a form that shows one frozen spec and emits a new one.

A panel shows a spec (`set_spec`, which never emits) and, when the user edits a widget, reads a new
spec back from its widgets, checks it and emits `spec_changed` only when it differs. A spec that
does not validate is shown as a red line and not emitted. The panel never builds anything itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.gui.panels.widgets import ExactFloats, show_error


class SpecEditor(QWidget):
    """The skeleton: build the widgets, connect them, show the first spec; edits come back as new specs.

    A subclass builds its widgets (including `self.error_label`) in `_build`, connects their edits to
    `_on_edited` in `_connect`, puts a spec into them in `_show_spec` and reads one back in
    `_spec_from_widgets` (raising NNStudioError for values that do not fit together).
    """

    spec_changed = Signal(object)  # the new, validated spec
    error_label: QLabel

    def __init__(self, spec: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._updating = False  # True while set_spec fills the widgets: their signals are not edits
        self._exact = ExactFloats()
        self._build()
        self._connect()
        self.set_spec(spec)

    def spec(self) -> Any:
        return self._spec

    def set_spec(self, spec: Any) -> None:
        """Show `spec` without emitting anything; clears any error shown."""
        self._spec = spec
        self._updating = True
        try:
            self._show_spec(spec)
        finally:
            self._updating = False
        self._update_enabled()
        show_error(self.error_label, "")
        self._spec_shown()

    # --- for the subclasses -----------------------------------------------------------------------

    def _build(self) -> None:
        raise NotImplementedError

    def _connect(self) -> None:
        raise NotImplementedError

    def _show_spec(self, spec: Any) -> None:
        raise NotImplementedError

    def _spec_from_widgets(self) -> Any:
        raise NotImplementedError

    def _update_enabled(self) -> None:
        """Enable the controls that apply to the values shown (e.g. momentum only for momentum)."""

    def _spec_shown(self) -> None:
        """The spec in use has changed (shown or edited): update what is derived from it."""

    def _on_edited(self, *_) -> None:
        if self._updating:
            return
        self._update_enabled()
        try:
            spec = self._spec_from_widgets()
        except NNStudioError as error:
            show_error(self.error_label, str(error))
            return
        show_error(self.error_label, "")
        if spec != self._spec:
            self._spec = spec
            self._spec_shown()
            self.spec_changed.emit(spec)
