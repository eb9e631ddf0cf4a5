"""What the log prints from the session's snapshots: each epoch's line once, and notes where they happened."""

from __future__ import annotations

from nnstudio.core.engine.trainer import Snapshot


class LoggedEpochs:
    """The epoch lines the log shows for the run on screen, so that a change that re-sends the whole history
    (Back, a backend switch, a weight set by hand) does not print it all again below its own message."""

    def __init__(self) -> None:
        self._lines: dict[int, str] = {}

    def new_entries(self, snapshot: Snapshot) -> list[bool]:
        """For each of the snapshot's log lines, whether the log must print it."""
        entries = [(epoch, line) for (epoch, _), line in zip(snapshot.log_entries, snapshot.log_lines, strict=True)]
        if not snapshot.full_history:
            self._lines.update(entries)
            return [True] * len(entries)
        printed = dict(self._lines)
        self._lines = dict(entries)  # the history as it is now (shorter after Back, another run's after Open)
        wanted, same_so_far = [], True
        for epoch, line in entries:
            same_so_far = same_so_far and printed.get(epoch) == line
            wanted.append(not same_so_far)
        return wanted


def with_notes(snapshot: Snapshot, notes: list[tuple[int, str]], wanted: list[bool] | None = None) -> list[str]:
    """The snapshot's log lines (those `wanted`) with (epoch, line) notes put in where they happened (after that
    epoch's line)."""
    lines, waiting = [], sorted(notes, key=lambda note: note[0])
    wanted = wanted if wanted is not None else [True] * len(snapshot.log_entries)
    entries = zip(snapshot.log_entries, snapshot.log_lines, strict=True)
    for ((epoch, _), line), shown in zip(entries, wanted, strict=True):
        while waiting and waiting[0][0] < epoch:
            lines.append(waiting.pop(0)[1])
        if shown:
            lines.append(line)
    return lines + [line for _, line in waiting]
