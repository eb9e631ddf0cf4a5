"""Settings changed while a run trains: taken before the next step, described, the same on both backends."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nnstudio.core.engine.live_changes import LiveChanges, describe_changes
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.trainer import FINISHED
from nnstudio.core.errors import NNStudioError
from tests.core.helpers import relative_difference, step_losses, trainer_on

SINE = PRESETS["sine"]
BACKENDS = ("numpy", "torch")


class PostedAtStep(LiveChanges):
    """A mailbox that is posted `settings` (as if from the window) once the trainer has made `step` steps."""

    def __init__(self, trainer, step: int, settings: dict) -> None:
        super().__init__()
        self.trainer, self.step, self.settings = trainer, step, settings

    @property
    def pending(self) -> bool:
        if self.settings and self.trainer.step_count == self.step:
            assert self.post(**self.settings)
            self.settings = {}
        return super().pending


def run_with_a_live_change(experiment, on: str, after_steps: int, steps: int, **settings):
    """A run of `steps` steps on backend `on` that is told `settings` while it trains, after `after_steps` steps."""
    trainer = trainer_on(experiment, on)
    live = PostedAtStep(trainer, after_steps, settings)
    snapshots = list(trainer.run(max_steps=steps, snapshot_interval=0.0, live=live))
    return trainer, snapshots


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_setting_posted_during_a_run_takes_effect_at_the_next_step(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    trainer, snapshots = run_with_a_live_change(SINE, backend, 5, 12, learning_rate=0.01)
    changed = [snapshot for snapshot in snapshots if snapshot.settings_changes]
    assert len(changed) == 1 and changed[0].step > 5  # reported with the next snapshot
    (change,) = changed[0].settings_changes
    assert (change.epoch, change.step, change.before.learning_rate, change.after.learning_rate) == (5, 5, 0.1, 0.01)
    assert change.text == "Epoch 5: learning rate 0.1 → 0.01 (from step 6 on)."
    assert snapshots[-1].status == FINISHED and trainer.step_count == 12  # the run went on to its goal
    # exactly the run that stopped after 5 steps, changed its rate and went on
    by_hand = trainer_on(SINE, backend)
    before = step_losses(by_hand, 5)
    by_hand.update_training(learning_rate=0.01)
    np.testing.assert_array_equal(trainer.loss_history.train, np.concatenate([before, step_losses(by_hand, 7)]))
    assert trainer.training.learning_rate == 0.01 and trainer.experiment.training.learning_rate == 0.01


def test_numpy_and_torch_agree_after_the_same_live_changes():
    pytest.importorskip("torch")
    experiment = SINE.with_training(batch_size=30, learning_rate=0.02)
    changes = {"optimizer": "momentum", "momentum": 0.8, "batch_size": 20, "learning_rate": 0.01}
    numpy_run, _ = run_with_a_live_change(experiment, "numpy", 7, 40, **changes)  # mid-epoch: 4 batches an epoch
    torch_run, _ = run_with_a_live_change(experiment, "torch", 7, 40, **changes)
    assert numpy_run.epoch == torch_run.epoch and numpy_run.training.batch_size == 20
    assert relative_difference(numpy_run.loss_history.train, torch_run.loss_history.train) < 1e-8


def test_a_backend_switched_live_continues_the_same_run():
    pytest.importorskip("torch")
    switched, snapshots = run_with_a_live_change(SINE, "numpy", 10, 30, backend="torch")
    never = trainer_on(SINE, "numpy")
    step_losses(never, 30)
    assert switched.backend.name == "torch" and snapshots[-1].backend == "torch"
    assert relative_difference(switched.loss_history.train, never.loss_history.train) < 1e-8
    (change,) = next(s for s in snapshots if s.settings_changes).settings_changes
    assert change.text == "Epoch 10: backend numpy → torch (from step 11 on; same weights and optimiser state)."


def test_a_batch_size_changed_mid_epoch_begins_the_epoch_again_and_says_so():
    experiment = SINE.with_training(batch_size=30)  # 100 points: 4 batches an epoch
    trainer, snapshots = run_with_a_live_change(experiment, "numpy", 6, 10, batch_size=50)
    (change,) = next(s for s in snapshots if s.settings_changes).settings_changes
    assert change.text == (
        "Epoch 1: batch size 30 → 50 (from step 7 on; the epoch starts again from its first mini-batch)."
    )
    assert trainer.step_count == 10 and trainer.epoch == 1 + 2  # steps 7–10: two whole epochs of 2 batches


def test_posts_merge_until_taken_and_are_refused_once_the_run_is_over():
    live = LiveChanges()
    assert live.post(learning_rate=0.05) and live.post(learning_rate=0.01, optimizer="gd")
    assert live.pending and live.take() == {"learning_rate": 0.01, "optimizer": "gd"}
    assert not live.pending and live.take() == {}
    live.post(momentum=0.5)
    assert live.close() == {"momentum": 0.5}
    assert not live.post(learning_rate=1.0) and live.take() == {}


def test_posting_from_another_thread_while_the_run_trains():
    trainer, live = trainer_on(SINE, "numpy"), LiveChanges()
    poster = threading.Thread(target=lambda: live.post(learning_rate=0.01))
    changes = []
    for snapshot in trainer.run(until_epoch=100_000, live=live):
        if not poster.is_alive() and not poster.ident:
            poster.start()  # while the run is under way
        changes.extend(snapshot.settings_changes)
        if changes:
            break
    poster.join()
    assert len(changes) == 1 and changes[0].after.learning_rate == 0.01 and 0 < changes[0].step < 100_000
    assert trainer.training.learning_rate == 0.01


def test_nothing_different_is_no_change_and_a_new_seed_is_not_a_live_change():
    trainer = trainer_on(SINE, "numpy")
    step_losses(trainer, 3)
    assert trainer.change_settings(learning_rate=0.1, optimizer="adam") is None
    with pytest.raises(NNStudioError, match="seed"):
        trainer.change_settings(seed=5)
    change = trainer.change_settings(optimizer="gd", learning_rate=0.01)
    assert change.text == (
        "Epoch 3: optimiser adam → gd, learning rate 0.1 → 0.01 "
        "(from step 4 on; the new optimiser's memory starts empty)."
    )


def test_before_the_first_step_a_change_is_just_a_change():
    trainer = trainer_on(SINE, "numpy")
    change = trainer.change_settings(optimizer="gd", batch_size=20)
    assert change.text == "Changed: optimiser adam → gd, batch size full batch → 20."
    assert describe_changes(change.after, change.after) == ""
