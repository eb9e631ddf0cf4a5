"""The small box that opens over the network diagram to set one weight or bias by hand.

It names the entry (W1[1,3], b1[2]) and shows its value, every digit; Enter sets what was typed,
Escape or a click elsewhere leaves everything as it was. A value that is not a usable weight (not
a number, not finite, beyond ±1e6) is refused in words inside the box, which stays open.
It is a popup, a window of its own: the main window's keys (Space, B, …) do not reach it while it is open.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from nnstudio.core.engine.hand_edit import parse_hand_value
from nnstudio.core.engine.model import entry_name
from nnstudio.core.errors import NNStudioError
from nnstudio.gui.instruments.instrument_support import NEGATIVE_COLOUR, format_value

HINT = "Enter: set it · Escape: leave it"


class WeightEditor(QFrame):
    """One entry's value, to type over; `value_entered` when Enter is pressed on a usable number."""

    value_entered = Signal(str, object, float)  # parameter name (W1, b2…), 0-based index tuple, the new value

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.Box)
        self.parameter, self.index = "", ()
        self.name = QLabel()
        self.field = QLineEdit()
        self.field.setMinimumWidth(160)
        self.setMaximumWidth(360)  # a refusal wraps under the field rather than widening the box off the screen
        self.field.setToolTip("The new value; Enter sets it (Back, B, undoes it), Escape leaves it as it was")
        self.field.returnPressed.connect(self._apply)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {NEGATIVE_COLOUR}")
        self.message.hide()
        hint = QLabel(HINT)
        hint.setEnabled(False)  # drawn greyed: a note, not a control
        row = QHBoxLayout()
        row.addWidget(self.name)
        row.addWidget(self.field, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(hint)

    def open(self, parameter: str, index: tuple[int, ...], value: float, at: QPoint) -> None:
        """Show the entry `parameter`[`index`] with its `value`, its top-left corner near `at` (global)."""
        self.parameter, self.index = parameter, tuple(index)
        self.name.setText(f"<b>{entry_name(parameter, self.index)}</b> =")
        self.field.setText(format_value(value))
        self.field.selectAll()
        self.message.clear()
        self.message.hide()
        self.adjustSize()
        self.move(at + QPoint(12, 12))
        self._keep_on_screen()
        self.show()
        self.field.setFocus(Qt.FocusReason.PopupFocusReason)

    def _apply(self) -> None:
        try:
            value = parse_hand_value(self.field.text())
        except NNStudioError as error:  # nothing changes: say why, and let the student type again
            self.message.setText(f"{str(error)[0].upper()}{str(error)[1:]}.")
            self.message.show()
            self.adjustSize()
            self._keep_on_screen()
            self.field.selectAll()
            return
        self.close()
        self.value_entered.emit(self.parameter, self.index, value)

    def _keep_on_screen(self) -> None:
        """Move in, so that the whole box stays on the screen it opens on (near the right edge too)."""
        corner = self.pos()
        screen = QGuiApplication.screenAt(corner) or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        x = min(max(corner.x(), area.left()), area.right() - self.width())
        y = min(max(corner.y(), area.top()), area.bottom() - self.height())
        self.move(x, y)
