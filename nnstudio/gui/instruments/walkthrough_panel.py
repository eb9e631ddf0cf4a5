"""The walkthrough's panel under the network diagram: its buttons, where it is, and the formulas with numbers.

Closed, it is one button ("Walk through backprop"). Open, it has Back / Next, Auto-play at a pace,
"Worst point", the stop's title and the unit in focus's formulas with the numbers substituted (or the
table of the accumulate and update stops), and torch autograd's gradient beside the backend's.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QTextBrowser, QToolButton, QVBoxLayout, QWidget

from nnstudio.core.teaching.walkthrough_text import StopText
from nnstudio.gui.instruments.instrument_support import READOUT_POINTS, text_label

PACES = (("0.5 s", 500), ("1 s", 1000), ("2 s", 2000), ("4 s", 4000))  # per stop, for Auto-play
DEFAULT_PACE = 2
PROMPT = "Click a training point in the fit plot (or the decision map), or press Worst point."


def action_button(action: QAction, icon_only: bool = False) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    if icon_only:  # the panel must fit beside the plots on a 1024×768 projector; the tooltip names it
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    return button


class WalkthroughPanel(QWidget):
    """Buttons for the walkthrough's actions, and what the current stop says."""

    def __init__(self, toggle: QAction, back: QAction, forward: QAction, worst: QAction, play: QAction) -> None:
        super().__init__()
        self.toggle_button = action_button(toggle)
        self.back_button, self.next_button = action_button(back, True), action_button(forward, True)
        self.worst_button, self.play_button = action_button(worst), action_button(play, True)
        self.pace = QComboBox()
        for label, milliseconds in PACES:
            self.pace.addItem(f"{label} a stop", milliseconds)
        self.pace.setCurrentIndex(DEFAULT_PACE)
        self.pace.setToolTip("How long Auto-play stays at each stop of the walkthrough")
        self.title = text_label("", READOUT_POINTS, "#000000", "Where the walkthrough is: the stage and the layer")
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        opening = QHBoxLayout()
        opening.setContentsMargins(0, 0, 0, 0)
        opening.addWidget(self.toggle_button)
        opening.addWidget(self.worst_button)
        opening.addStretch(1)
        controls = QHBoxLayout()  # a second row: the panel stays narrow
        controls.setContentsMargins(0, 0, 0, 0)
        for widget in (self.back_button, self.next_button, self.play_button, self.pace):
            controls.addWidget(widget)
        controls.addStretch(1)
        self.text = QTextBrowser()
        self.text.setToolTip("The unit in focus's formulas with this point's numbers (click a node to focus it)")
        self.text.setMinimumHeight(60)
        font = QFont(self.text.font())
        font.setPointSize(READOUT_POINTS)
        self.text.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(opening)
        layout.addLayout(controls)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.set_open(False)

    @property
    def pace_ms(self) -> int:
        return int(self.pace.currentData())

    def set_open(self, on: bool) -> None:
        """Closed: only the button that opens it."""
        for widget in (self.back_button, self.next_button, self.worst_button, self.play_button, self.pace):
            widget.setVisible(on)
        self.title.setVisible(on)
        self.text.setVisible(on)
        if on and not self.title.text():
            self.say("Walkthrough", PROMPT)

    def say(self, title: str, message: str) -> None:
        """A title and a plain message (waiting for a point, training, computing...)."""
        self.title.setText(html.escape(title))
        self.text.setHtml(f"<p>{html.escape(message)}</p>")

    def show_stop(self, position: str, text: StopText, footer: str) -> None:
        """A stop: "stop 3/9 · Backward, layer 2" above its rule, its lines, table and footer."""
        head, _, rule = text.title.partition(": ")
        self.title.setText(html.escape(f"{position} · {head}"))
        # pre-wrap: the formulas keep their spaces and line breaks but wrap in a narrow panel
        lines = "\n".join(text.lines)
        parts = [f"<p><i>{html.escape(rule)}</i></p>"] if rule else []
        parts.append(f"<p style='white-space:pre-wrap; margin:0'>{html.escape(lines)}</p>")
        if text.table:
            header, *rows = text.table
            cells = "".join(f"<th align='right'>&nbsp;{html.escape(cell)}&nbsp;</th>" for cell in header)
            body = "".join(
                "<tr>" + "".join(f"<td align='right'>&nbsp;{html.escape(cell)}&nbsp;</td>" for cell in row) + "</tr>"
                for row in rows
            )
            parts.append(f"<table cellspacing='0' border='1'><tr>{cells}</tr>{body}</table>")
        if footer:
            parts.append(f"<p>{html.escape(footer)}</p>")
        self.text.setHtml("".join(parts))
