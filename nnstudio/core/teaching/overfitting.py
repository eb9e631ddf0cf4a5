"""Overfitting, pointed out: the test loss turns up while the training loss keeps falling.

The rule (the early-stopping rule of thumb, with margins so that noise is not a trend): at epoch e,
with the test loss lowest at epoch b so far,

- the test loss fell before it turned: its lowest is at least 5 % below the first epoch's;
- it has not been lower for PATIENCE (50) epochs: e − b ≥ 50;
- it has risen: the mean of the last 10 epochs' test loss is at least 10 % above the lowest, and
  by at least 5 % of what it had fallen (a nearly perfect classifier growing a little more sure of
  itself moves a tiny loss by 10 %: true, but not worth stopping a class for);
- and the training loss kept falling meanwhile: at least 5 % below its value at epoch b.

Then the network is learning its training points' noise rather than the curve behind them. The
watch says so once per run. Without a test set there is nothing to watch. Nothing here knows Qt.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

PATIENCE = 50  # epochs since the test loss was lowest
RECENT = 10  # epochs averaged for "the test loss now": one noisy epoch is not a trend
RISE = 0.10  # the recent test loss is this much above its lowest
FALL = 0.05  # the training loss is this much below its value then (and the test loss fell this much first)
REGAINED = 0.05  # the rise is at least this share of the test loss's fall


@dataclass(frozen=True)
class Overfitting:
    """When the rule fired, and the numbers that made it fire."""

    epoch: int
    best_epoch: int  # the test loss was lowest here...
    best_test_loss: float
    test_loss: float  # ...and is this now (the mean of the last RECENT epochs)
    train_loss_then: float  # the training loss at best_epoch...
    train_loss: float  # ...and now

    @property
    def message(self) -> str:
        """'Epoch 105: the test loss has risen for 50 epochs (0.762 → 1.05) while the training loss fell …'"""
        return (
            f"Epoch {self.epoch}: the test loss has risen for {self.epoch - self.best_epoch} epochs "
            f"({self.best_test_loss:.3g} → {self.test_loss:.3g}) while the training loss fell "
            f"({self.train_loss_then:.3g} → {self.train_loss:.3g}) — the network is overfitting."
        )

    @property
    def headline(self) -> str:
        """The same, with the word that matters first (a status bar may cut the end off)."""
        return (
            f"Overfitting: the test loss has risen since epoch {self.best_epoch} "
            f"({self.best_test_loss:.3g} → {self.test_loss:.3g}) while the training loss fell."
        )

    @property
    def advice(self) -> str:
        return (
            f"It is learning the noise of its training points, not the curve behind them. The test loss was "
            f"lowest at epoch {self.best_epoch}: the timeline can take you back there."
        )

    def to_dict(self) -> dict:
        return {
            "epoch": self.epoch,
            "best_epoch": self.best_epoch,
            "best_test_loss": self.best_test_loss,
            "test_loss": self.test_loss,
            "train_loss_then": self.train_loss_then,
            "train_loss": self.train_loss,
        }


class OverfittingWatch:
    """Feed it each epoch's losses as they come; `update` returns the moment the rule first fires.

    A window that redraws a run from its whole history (after a backend switch, say) starts a new
    watch with `already_told`, the epoch it has told about: replayed up to there, the same moment is
    not told twice. If the history replayed does not reach it (Reset, a rewind), it is news again.
    """

    def __init__(self, already_told: int | None = None) -> None:
        self.found: Overfitting | None = None
        self._already_told = already_told
        self._first_test = math.nan
        self._best = (math.inf, 0, math.nan)  # (test loss, epoch, training loss then)
        self._recent: deque[float] = deque(maxlen=RECENT)

    @property
    def told_epoch(self) -> int | None:
        """The epoch of the moment found (told, or known from before), if any."""
        return self.found.epoch if self.found is not None else None

    def update(self, epochs, train_loss, test_loss) -> Overfitting | None:
        """New epochs' (training, test) losses in order; the Overfitting the first time the rule holds."""
        if self.found is not None:
            return None
        if not np.isfinite(test_loss).any():  # no test set (or nothing new): nothing to watch
            epochs = train_loss = test_loss = ()
        for epoch, train, test in zip(epochs, train_loss, test_loss, strict=True):
            found = self._see(int(epoch), float(train), float(test))
            if found is not None:
                self.found = found
                return None if found.epoch == self._already_told else found
        self._already_told = None  # the history so far does not reach the moment told: it is news again
        return None

    def _see(self, epoch: int, train: float, test: float) -> Overfitting | None:
        if not (math.isfinite(test) and math.isfinite(train)):
            return None
        if math.isnan(self._first_test):
            self._first_test = test
        self._recent.append(test)
        best_test, best_epoch, train_then = self._best
        if test < best_test:
            self._best = (test, epoch, train)
            return None
        recent = sum(self._recent) / len(self._recent)
        turned = best_test <= self._first_test * (1 - FALL)
        rose = recent >= best_test * (1 + RISE) and recent - best_test >= REGAINED * (self._first_test - best_test)
        rose = rose and epoch - best_epoch >= PATIENCE
        if turned and rose and train <= train_then * (1 - FALL):
            return Overfitting(epoch, best_epoch, best_test, recent, train_then, train)
        return None


def find_overfitting(epochs, train_loss, test_loss) -> Overfitting | None:
    """The first epoch of a whole history at which the rule holds (None: never, or no test set)."""
    return OverfittingWatch().update(np.asarray(epochs), np.asarray(train_loss), np.asarray(test_loss))
