"""The speed control: how many epochs a second Play, Step ×10 and Run to epoch train.

A slider on a log scale (1, 2, 3, 5, 10 … 10,000 epochs a second, then full speed) in the
toolbar, the value beside it (a click: full speed, again: back), and the Train menu's Slower (-),
Faster (+), Full Speed (F) and Default Speed. Until the user picks a speed, the default follows
the run's target, so that a run to it lasts 5–10 s (`pacing.default_pace`). The choice is a view
setting, remembered in the preferences, never saved with an experiment. The worker does the
pacing (`Trainer.run(epochs_per_second=...)`); this only chooses.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSlider, QToolBar, QToolButton, QWidget

from nnstudio.gui.actions import make_action
from nnstudio.gui.pacing import AUTO, FULL, PACES, PaceChoice, default_pace, nearest_step, pace_text
from nnstudio.gui.settings import Settings

DEFAULT_CHOICE = AUTO  # a first start: the default speed for each run's target (tests choose full speed)


class PaceControl(QObject):
    """The chosen speed, its toolbar widgets and its menu actions."""

    pace_changed = Signal(object)  # epochs per second, or None for full speed

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._choice = PaceChoice(DEFAULT_CHOICE)
        self._settings: Settings | None = None
        self.slower = make_action(
            parent,
            "&Slower",
            self._choice_changed_by(self._choice.slower),
            "-",
            "Train fewer epochs a second (the speed in the toolbar). Shortcut: -",
            window_shortcut=True,
        )
        self.faster = make_action(
            parent,
            "&Faster",
            self._choice_changed_by(self._choice.faster),
            "+",
            "Train more epochs a second, up to full speed. Shortcut: +",
            window_shortcut=True,
        )
        self.full_speed = make_action(
            parent,
            "F&ull Speed",
            self._choice_changed_by(self._choice.toggle_full_speed),
            "F",
            "Train as fast as this computer can (again: back to the speed before). Shortcut: F",
            checkable=True,
            window_shortcut=True,
        )
        self.default_speed = make_action(
            parent,
            "&Default Speed",
            self._choice_changed_by(lambda: self._choice.choose(AUTO)),
            None,
            "The speed at which a run to the target epoch takes 5–10 seconds "
            f"(e.g. {default_pace(100):g} epochs a second for 100 epochs)",
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(PACES) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(4)  # ticks at 1, 10, 100, 1000, 10,000 epochs a second
        self.slider.setFixedWidth(80)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys - and + do what its arrows would
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.value_button = QToolButton()
        self.value_button.setAutoRaise(True)
        self.value_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.value_button.clicked.connect(self.full_speed.trigger)
        width = max(self.value_button.fontMetrics().horizontalAdvance(pace_text(p)) for p in PACES)
        self.value_button.setFixedWidth(width + 6)  # the toolbar must not move as the text changes
        self._show()

    # --- public -----------------------------------------------------------------------------------

    @property
    def pace(self) -> float | None:
        """Epochs per second, or None for full speed."""
        return self._choice.pace

    @property
    def choice(self) -> str | float:
        """AUTO (the default for the target), FULL, or the epochs per second chosen."""
        return self._choice.choice

    def actions(self) -> list[QAction]:
        return [self.slower, self.faster, self.full_speed, self.default_speed]

    def add_to_toolbar(self, toolbar: QToolBar) -> None:
        label = QLabel("Speed ")
        label.setToolTip("Training speed in epochs a second (keys: - slower, + faster, F full speed; Train ▸ Speed)")
        toolbar.addWidget(label)
        toolbar.addWidget(self.slider)
        toolbar.addWidget(self.value_button)

    def choose(self, choice: str | float | None) -> None:
        """AUTO, FULL (or None: full speed), or epochs per second (the nearest step is taken)."""
        if choice is None or choice == FULL:
            choice = FULL
        elif choice != AUTO:
            choice = PACES[nearest_step(float(choice))]
        self._choice_changed_by(lambda: self._choice.choose(choice))()

    def set_target(self, epochs: int) -> None:
        """The run's target epoch: the default speed follows it."""
        before = self.pace
        self._choice.target_epochs = epochs
        self._show()
        if self.pace != before:
            self.pace_changed.emit(self.pace)

    def remember_in(self, settings: Settings) -> None:
        """Start from the speed `settings` remember (if any) and remember every change there."""
        self._settings = settings
        stored = settings.pace()  # a value it cannot use is reported by the settings, and forgotten
        if stored is not None:
            self.choose(stored)

    # --- changes ------------------------------------------------------------------------------------

    def _choice_changed_by(self, change):
        def changed() -> None:
            before = self.pace
            change()
            self._show()
            if self._settings is not None:
                self._settings.set_pace(self._choice.choice)
            if self.pace != before:
                self.pace_changed.emit(self.pace)

        return changed

    def _on_slider_moved(self, index: int) -> None:
        if index != self._choice.step:
            self._choice_changed_by(lambda: self._choice.choose_step(index))()

    def _show(self) -> None:
        pace, choice = self.pace, self._choice.choice
        self.slider.blockSignals(True)
        self.slider.setValue(self._choice.step)
        self.slider.blockSignals(False)
        self.value_button.setText(pace_text(pace))
        self.full_speed.setChecked(choice == FULL)
        default = f"the default for {self._choice.target_epochs} epochs" if choice == AUTO else "chosen"
        now = f"Now: {pace_text(pace)} ({default})."
        self.slider.setToolTip(
            "Training speed in epochs a second, on a log scale: 1, 2, 3, 5, 10 … 10,000, then full speed.\n"
            f"{now} Keys: - slower, + faster, F full speed."
        )
        self.value_button.setToolTip(
            f"{now}\nClick: full speed (again: back to the speed before). Shortcut: F"
            if choice != FULL
            else f"{now}\nClick: back to the speed before. Shortcut: F"
        )
