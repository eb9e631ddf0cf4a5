"""What a film of a run is made from: the prediction (and, for the diagram, the weights) at each frame's epoch,
and the whole run's loss per epoch.

Two ways to get it: `record_while_training` trains a new run and keeps each frame's epoch exactly as it passes
(`nnstudio record`); `record_from_history` reads a run that already happened from the moments its trainer
kept (the window's File ▸ Export ▸ Animation…). Both give the same `FilmRecording`, which the GUI side
paints frame by frame; nothing here knows about Qt or files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.core.engine.prediction import prediction_with_parameters
from nnstudio.core.teaching.film_plan import FilmSettings, frame_epochs, frame_indices

if TYPE_CHECKING:
    from nnstudio.core.datasets.data import Dataset
    from nnstudio.core.engine.model import DenseLayer
    from nnstudio.core.engine.trainer import Trainer


@dataclass(frozen=True, eq=False)
class FilmFrame:
    """One moment of the run: its epoch, the prediction on the dataset's grid, and the weights (diagram only)."""

    epoch: int
    prediction: np.ndarray  # as Trainer.prediction_on_grid() gives it: original units, or class probabilities
    parameters: dict[str, np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class FilmRecording:
    """Everything the frames show, copied: the GUI side paints it while the run goes on or is gone."""

    title: str
    dataset: Dataset
    layers: tuple[DenseLayer, ...]
    loss_epochs: np.ndarray  # the whole run's loss record (what the loss plot draws)
    train_loss: np.ndarray
    test_loss: np.ndarray  # NaN without a test set
    frames: tuple[FilmFrame, ...]
    message: str = ""  # why the run ended before its last epoch (it diverged), said on the last frame

    @property
    def last_epoch(self) -> int:
        return self.frames[-1].epoch if self.frames else 0

    def losses_at(self, epoch: int) -> tuple[float, float]:
        """The (train, test) loss logged for `epoch`, as the log and the loss plot show it; NaN before epoch 1."""
        index = int(np.searchsorted(self.loss_epochs, epoch))
        if index < len(self.loss_epochs) and self.loss_epochs[index] == epoch:
            return float(self.train_loss[index]), float(self.test_loss[index])
        return float("nan"), float("nan")


def record_while_training(
    trainer: Trainer, settings: FilmSettings, progress: Callable[[int, int], None] | None = None
) -> FilmRecording:
    """Train `trainer` to its experiment's epochs, keeping a frame at each planned epoch (and at a divergence).

    `progress(epoch, last_epoch)` is called after each frame. Ctrl+C (KeyboardInterrupt) stops it between steps.
    """
    last = max(trainer.training.epochs, trainer.epoch)
    planned = frame_epochs(range(trainer.epoch, last + 1), settings.frames_wanted)
    keep_weights = settings.view == "diagram"
    frames: list[FilmFrame] = []
    for epoch in planned:
        while trainer.epoch < epoch and not trainer.diverged_message:
            trainer.step()
        parameters = trainer.backend.parameters() if keep_weights else None
        frame = FilmFrame(trainer.epoch, trainer.prediction_on_grid(), parameters)
        if frames and frames[-1].epoch == frame.epoch:  # diverged within the epoch after the last frame
            frames[-1] = frame
        else:
            frames.append(frame)
        if progress is not None:
            progress(trainer.epoch, last)
        if trainer.diverged_message:
            break
    return _recording(trainer, frames, trainer.diverged_message)


def record_from_history(trainer: Trainer, settings: FilmSettings) -> FilmRecording:
    """The run so far, from the moments its trainer kept (`state_history`, thinned evenly on long runs) and now.

    Only reads: the trainer is left as it was. Called in the training session's worker, where the trainer lives.
    """
    epochs = trainer.state_history.epochs
    weights = list(trainer.state_history.recorded_parameters())
    if not epochs or epochs[-1] < trainer.epoch:
        epochs.append(trainer.epoch)
        weights.append(trainer.backend.parameters())
    keep_weights = settings.view == "diagram"
    frames = []
    for index in frame_indices(len(epochs), settings.frames_wanted):
        prediction = prediction_with_parameters(trainer.layers, weights[index], trainer.dataset, trainer.training.loss)
        frames.append(FilmFrame(epochs[index], prediction, weights[index] if keep_weights else None))
    return _recording(trainer, frames, trainer.diverged_message)


def _recording(trainer: Trainer, frames: list[FilmFrame], message: str) -> FilmRecording:
    history = trainer.loss_history.to_arrays()
    return FilmRecording(
        title=trainer.experiment.name,
        dataset=trainer.dataset,
        layers=tuple(trainer.layers),
        loss_epochs=history["epochs"],
        train_loss=history["train"],
        test_loss=history["test"],
        frames=tuple(frames),
        message=message,
    )
