"""Reading a file off the GUI thread: a core reader's steps in a superqt worker, cancellable between steps.

The core readers (`csv_table.read_csv_steps` and friends) are generators that yield the share done
between chunks and return what they read. `BackgroundRead` runs one in a worker thread and reports
on the GUI thread: `progressed(share)`, then `returned(value)` or `failed(message)`, one sentence
for the user. `cancel()` asks the worker to stop at its next step; nothing it read is reported.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Generator

from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from nnstudio.core.errors import NNStudioError


class BackgroundRead(QObject):
    """At most one read at a time; a new `start` cancels the one before."""

    progressed = Signal(float)  # the share done, 0…1
    returned = Signal(object)  # what the reader returned
    failed = Signal(str)  # why it could not read, for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = None

    @property
    def is_running(self) -> bool:
        return self._worker is not None

    def start(self, steps: Callable[..., Generator[float, None, object]], *arguments) -> None:
        self.cancel()
        worker = create_worker(steps, *arguments, _start_thread=False, _ignore_errors=True)
        for signal, slot in self._connections(worker):
            signal.connect(slot)
        self._worker = worker
        worker.start()

    def cancel(self) -> None:
        """Stop the worker between two steps; it reports nothing more."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.quit()
            for signal, slot in self._connections(worker):
                signal.disconnect(slot)

    def _connections(self, worker) -> list:
        return [
            (worker.yielded, self._on_yielded),
            (worker.returned, self._on_returned),
            (worker.errored, self._on_errored),
        ]

    def _on_yielded(self, share: float) -> None:
        if self._worker is not None:  # not the last report of a cancelled read
            self.progressed.emit(share)

    def _on_returned(self, value: object) -> None:
        if self._worker is not None:
            self._worker = None
            self.returned.emit(value)

    def _on_errored(self, error: Exception) -> None:
        if self._worker is None:
            return
        self._worker = None
        if isinstance(error, NNStudioError):
            self.failed.emit(str(error))
        elif isinstance(error, MemoryError):
            self.failed.emit("there is not enough memory to read this file")
        else:  # a bug: say so rather than crash, and keep the details for a report
            traceback.print_exception(error)
            self.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")
