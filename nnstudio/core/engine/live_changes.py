"""Training settings changed while a run trains: posted from another thread, applied between two steps.

As in TensorFlow Playground, a class changes the learning rate (optimiser, momentum, batch size,
backend…) while the network learns, and sees the loss curve bend at that point. The window posts
the new settings to the running run's `LiveChanges`; the trainer takes them before its next step
(`Trainer.change_settings`), so the run goes on, and reports each one as a `SettingsChange` with
the snapshot that follows. Nothing here knows about Qt.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from typing import Any

from nnstudio.core.engine.experiment import TrainingSpec

# Settings that cannot change under a running model: a new seed means new initial weights.
RESTARTING_SETTINGS = frozenset({"seed"})

SETTING_NAMES = {
    "learning_rate": "learning rate",
    "optimizer": "optimiser",
    "batch_size": "batch size",
    "epochs": "target epochs",
    "log_every": "log every",
    "regularization": "regularisation",
    "regularization_rate": "regularisation rate",
}


def setting_value(name: str, value: Any) -> str:
    """A setting's value as the Training tab shows it: 0.01, adam, full batch, 32."""
    if name == "batch_size" and value is None:
        return "full batch"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_changes(before: TrainingSpec, after: TrainingSpec) -> str:
    """'learning rate 0.1 → 0.01, optimiser adam → gd' (empty when nothing changed)."""
    parts = []
    for field in fields(TrainingSpec):
        old, new = getattr(before, field.name), getattr(after, field.name)
        if old != new:
            name = SETTING_NAMES.get(field.name, field.name.replace("_", " "))
            parts.append(f"{name} {setting_value(field.name, old)} → {setting_value(field.name, new)}")
    return ", ".join(parts)


def consequences(
    before: TrainingSpec, after: TrainingSpec, started: bool = True, epoch_restarted: bool = False
) -> tuple[str, ...]:
    """What else the change does to a run that has `started`, in words (empty: only the setting changed)."""
    notes = []
    if after.optimizer != before.optimizer:
        if started:
            notes.append("the new optimiser's memory starts empty")
    elif after.backend != before.backend:
        notes.append("same weights and optimiser state")
    if epoch_restarted:
        notes.append("the epoch starts again from its first mini-batch")
    return tuple(notes)


@dataclass(frozen=True)
class SettingsChange:
    """Settings that took effect between two steps of a run."""

    epoch: int  # completed epochs when it took effect
    step: int  # steps made before it: step `step + 1` is the first with the new settings
    before: TrainingSpec
    after: TrainingSpec
    notes: tuple[str, ...] = ()  # what else it did: an optimiser's memory emptied, an epoch begun again

    @property
    def text(self) -> str:
        """'Epoch 12: learning rate 0.1 → 0.01 (from step 13 on).' ('Changed: …' before the first step)."""
        what = describe_changes(self.before, self.after)
        extra = "".join(f"; {note}" for note in self.notes)
        if self.step == 0:
            return f"Changed: {what}{extra}."
        return f"Epoch {self.epoch}: {what} (from step {self.step + 1} on{extra})."


class LiveChanges:
    """The mailbox of one run: settings posted from any thread, taken by the trainer between steps.

    Settings posted before the trainer takes them are merged (the latest value of each wins), so a
    burst of edits costs one change. `close()` takes what is left and refuses later posts: the run
    is over, and the caller changes the settings some other way.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, Any] = {}
        self._closed = False

    def post(self, **settings: Any) -> bool:
        """Ask for `settings` at the next step; False when the run has already ended."""
        with self._lock:
            if self._closed:
                return False
            self._settings.update(settings)
            return True

    @property
    def pending(self) -> bool:
        return bool(self._settings)  # a read without the lock: at worst the change waits one step

    def take(self) -> dict[str, Any]:
        """The settings posted since the last take (empty: none)."""
        with self._lock:
            settings, self._settings = self._settings, {}
            return settings

    def close(self) -> dict[str, Any]:
        """The settings still waiting; from now on `post()` refuses."""
        with self._lock:
            self._closed = True
            settings, self._settings = self._settings, {}
            return settings
