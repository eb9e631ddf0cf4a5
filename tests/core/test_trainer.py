"""The training loop: steps and epochs, the run() generator, stopping, divergence, rewinding, metrics."""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest

from nnstudio.core.engine import history as history_module
from nnstudio.core.engine import run_loop
from nnstudio.core.engine.backends.base import TrainingState
from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
from nnstudio.core.engine.history import StateHistory
from nnstudio.core.engine.losses import describe_loss, loss_units
from nnstudio.core.engine.presets import PRESETS
from nnstudio.core.engine.run_state import NewsReceipt
from nnstudio.core.engine.trainer import (
    DIVERGED,
    FINISHED,
    STOPPED,
    TARGET_REACHED,
    TRAINING,
    CancelToken,
    Trainer,
    fit_metrics,
    format_log_line,
)
from nnstudio.core.errors import NNStudioError
from tests.core.helpers import max_relative_difference, record_batches, step_losses, train_epochs, trainer_on

BACKENDS = ("numpy", "torch")

SMALL = Experiment(
    name="small",
    data=DataSpec(generator="sine", n_points=50, x_min=-3.0, x_max=3.0, noise_sd=0.5, seed=3),
    model=ModelSpec(hidden=(LayerSpec(8, "tanh"),)),
    training=TrainingSpec(loss="mse", optimizer="adam", learning_rate=0.02, epochs=100, seed=1),
)


def exhaust(generator):
    """Drive a run() generator with next(); (every snapshot yielded, the return value)."""
    snapshots = []
    while True:
        try:
            snapshots.append(next(generator))
        except StopIteration as stop:
            return snapshots, stop.value


def assert_same_weights(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> None:
    assert sorted(first) == sorted(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


# --- one step -------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_batch_step_is_one_optimiser_step_and_one_epoch(backend):
    trainer = trainer_on(SMALL, backend)
    before = trainer.backend.parameters()
    loss = trainer.step()
    state = trainer.backend.state()
    assert state.optimizer_steps == 1
    assert trainer.step_count == 1 and trainer.epoch == 1 and trainer.batch_in_epoch == 0
    assert len(trainer.loss_history) == 1 and trainer.loss_history.train[0] == loss
    assert trainer.last_step_loss == loss
    assert max_relative_difference(before, state.parameters) > 0
    # the loss is the one before the update, on all the training points
    reference = trainer_on(SMALL, backend)
    assert loss == pytest.approx(reference.backend.loss(reference.dataset.x_train, reference.dataset.y_train), 1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("n_points", "batch_size", "batches"), [(50, 16, 4), (50, 25, 2), (50, 1, 50), (50, 50, 1)])
def test_mini_batch_epoch_ends_after_ceil_n_over_batch_steps(backend, n_points, batch_size, batches):
    experiment = SMALL.with_data(n_points=n_points).with_training(batch_size=batch_size)
    trainer = trainer_on(experiment, backend)
    assert trainer.batches_per_epoch() == batches == math.ceil(n_points / batch_size)
    for step in range(1, batches):
        trainer.step()
        assert (trainer.epoch, trainer.batch_in_epoch, trainer.step_count) == (0, step, step)
        assert trainer.backend.state().optimizer_steps == step
        assert len(trainer.loss_history) == 0
    trainer.step()
    assert (trainer.epoch, trainer.batch_in_epoch, trainer.step_count) == (1, 0, batches)
    assert len(trainer.loss_history) == 1


def test_a_batch_larger_than_the_data_is_full_batch():
    trainer = trainer_on(SMALL.with_training(batch_size=500), "numpy")
    seen = record_batches(trainer)
    trainer.step()
    assert trainer.epoch == 1 and seen == [None]


@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_epoch_loss_of_mini_batches(loss):
    """SSE: the epoch's loss is the sum of its batches'; MSE: their mean, weighted by batch size."""
    trainer = trainer_on(SMALL.with_training(loss=loss, batch_size=16), "numpy")
    seen = record_batches(trainer)
    losses = step_losses(trainer, 4)
    sizes = [len(rows) for rows in seen]
    assert sizes == [16, 16, 16, 2]
    weights = [1.0] * 4 if loss == "sse" else [size / 50 for size in sizes]
    expected = sum(weight * value for weight, value in zip(weights, losses, strict=True))
    assert trainer.loss_history.train[0] == pytest.approx(expected, rel=1e-14)
    # and each batch's loss really is the loss on those rows, before the update
    replay = trainer_on(SMALL.with_training(loss=loss, batch_size=16), "numpy")
    data = replay.dataset
    assert losses[0] == pytest.approx(replay.backend.loss(data.x_train[seen[0]], data.y_train[seen[0]]), rel=1e-14)


def test_each_epoch_visits_every_point_once_in_a_new_seeded_order():
    trainer = trainer_on(SMALL.with_training(batch_size=16), "numpy")
    seen = record_batches(trainer)
    step_losses(trainer, 12)  # three epochs
    orders = [np.concatenate(seen[epoch * 4 : epoch * 4 + 4]) for epoch in range(3)]
    for order in orders:
        assert sorted(order) == list(range(50))
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], np.arange(50))  # shuffled, not in x order

    again = trainer_on(SMALL.with_training(batch_size=16), "numpy")
    seen_again = record_batches(again)
    step_losses(again, 12)
    for first, second in zip(seen, seen_again, strict=True):
        np.testing.assert_array_equal(first, second)


def test_the_shuffle_follows_the_training_seed():
    """Constant initial weights, so only the shuffle differs between the seeds."""
    constant = SMALL.with_model(init="constant", init_constant=0.1)
    full = [step_losses(trainer_on(constant.with_training(seed=seed), "numpy"), 6) for seed in (1, 2)]
    np.testing.assert_array_equal(full[0], full[1])  # full batch: the seed changes nothing
    batched = [step_losses(trainer_on(constant.with_training(seed=s, batch_size=10), "numpy"), 6) for s in (1, 2, 1)]
    assert not np.array_equal(batched[0], batched[1])
    np.testing.assert_array_equal(batched[0], batched[2])


# --- run() as a generator -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_yields_snapshots_with_only_the_new_loss_points(backend):
    trainer = trainer_on(SMALL.with_training(log_every=10), backend)
    snapshots, returned = exhaust(trainer.run(until_epoch=35, snapshot_interval=0.0))
    assert len(snapshots) >= 2
    assert returned is snapshots[-1]
    assert [s.status for s in snapshots[:-1]] == [TRAINING] * (len(snapshots) - 1)
    assert returned.status == FINISHED and returned.message == "Reached epoch 35."
    np.testing.assert_array_equal(np.concatenate([s.new_train_loss for s in snapshots]), trainer.loss_history.train)
    np.testing.assert_array_equal(np.concatenate([s.new_epochs for s in snapshots]), np.arange(1, 36))
    assert all(np.isnan(np.concatenate([s.new_test_loss for s in snapshots])))  # no test set
    assert [s.epoch for s in snapshots] == sorted(s.epoch for s in snapshots)
    assert returned.epoch == trainer.epoch == 35 and returned.step == 35
    assert returned.prediction.shape == (len(trainer.dataset.x_grid_raw), 1)
    assert returned.backend == backend

    lines = [line for s in snapshots for line in s.log_lines]
    history = trainer.loss_history.train
    assert lines == [format_log_line(epoch, history[epoch - 1]) for epoch in (10, 20, 30)]
    assert lines[0] == f"Epoch: 10 Loss: {history[9]:.7g}"
    assert lines[0].startswith("Epoch: 10 Loss: ")


def test_a_long_snapshot_interval_gives_one_final_snapshot_with_everything():
    trainer = trainer_on(SMALL, "numpy")
    snapshots, returned = exhaust(trainer.run(until_epoch=20, snapshot_interval=1e9))
    assert snapshots == [returned]
    np.testing.assert_array_equal(returned.new_train_loss, trainer.loss_history.train)
    assert len(returned.new_train_loss) == 20
    # a second run goes on from epoch 20 and sends only its own epochs
    _, second = exhaust(trainer.run(until_epoch=25, snapshot_interval=1e9))
    np.testing.assert_array_equal(second.new_epochs, [21, 22, 23, 24, 25])


def test_snapshots_carry_metrics_and_parameters_when_asked():
    trainer = trainer_on(PRESETS["sine-tanh-deep"], "numpy")
    _, final = exhaust(trainer.run(until_epoch=3, snapshot_interval=1e9, with_parameters=True))
    assert sorted(final.parameters) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert_same_weights(final.parameters, trainer.backend.parameters())
    assert final.train_metrics is not None and final.test_metrics is not None
    assert np.all(np.isfinite(final.new_test_loss)) and len(final.new_test_loss) == 3
    final.parameters["W1"][:] = 0  # a copy: changing it does not touch the network
    assert np.any(trainer.backend.parameters()["W1"] != 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cancelled_token_ends_a_run_between_steps(backend):
    trainer = trainer_on(SMALL, backend)
    cancel = CancelToken()
    run = trainer.run(until_epoch=10_000, snapshot_interval=0.0, cancel=cancel)
    first = next(run)
    assert first.status == TRAINING
    cancel.cancel()
    last = next(run)
    assert last.status == STOPPED
    assert last.message == f"Paused at epoch {trainer.epoch}."
    assert trainer.epoch == first.epoch  # not one more step after the request
    with pytest.raises(StopIteration):
        next(run)
    # the token was that run's only: the next run trains again
    _, final = exhaust(trainer.run(max_steps=5, snapshot_interval=1e9))
    assert final.status == FINISHED and trainer.epoch == first.epoch + 5


def test_a_token_cancelled_before_the_run_begins_stops_it_at_once():
    trainer = trainer_on(SMALL, "numpy")
    cancel = CancelToken()
    run = trainer.run(until_epoch=100, cancel=cancel)
    cancel.cancel()
    snapshots, final = exhaust(run)
    assert snapshots == [final] and final.status == STOPPED and trainer.step_count == 0


def test_a_cancelled_token_does_not_stop_a_later_run():
    """A stop request is its run's: cancelling after the run ended leaves the next run untouched."""
    trainer = trainer_on(SMALL, "numpy")
    cancel = CancelToken()
    exhaust(trainer.run(max_steps=3, cancel=cancel))
    cancel.cancel()  # too late for that run (the window's Pause racing the end of a run)
    trainer.reset()
    _, final = exhaust(trainer.run(max_steps=4))
    assert final.status == FINISHED and trainer.step_count == 4


def test_a_snapshot_changes_nothing_and_a_report_marks_its_points_sent():
    trainer = trainer_on(SMALL, "numpy")
    exhaust(trainer.run(max_steps=3, snapshot_interval=1e9))
    for _ in range(2):
        trainer.step()
    first, second = trainer.snapshot(), trainer.snapshot()
    assert list(first.new_epochs) == list(second.new_epochs) == [4, 5]
    assert list(trainer.report().new_epochs) == [4, 5]
    assert len(trainer.report().new_epochs) == 0


def test_rewind_undo_and_restore_set_the_same_counters():
    trainer = trainer_on(SMALL, "numpy")
    trainer.push_checkpoint()
    exhaust(trainer.run(max_steps=4, snapshot_interval=1e9))
    assert trainer.undo()
    assert (trainer.epoch, trainer.step_count, trainer.batch_in_epoch, len(trainer.loss_history)) == (0, 0, 0, 0)
    assert math.isnan(trainer.last_step_loss)
    exhaust(trainer.run(max_steps=4, snapshot_interval=1e9))
    assert trainer.rewind(0) == 0
    assert (trainer.epoch, trainer.step_count, trainer.batch_in_epoch, trainer.diverged_message) == (0, 0, 0, "")
    assert len(trainer.loss_history) == 0 and trainer.reported == 0


def test_stop_below_ends_at_the_first_epoch_under_the_target():
    trainer = trainer_on(PRESETS["sine"], "numpy")
    _, final = exhaust(trainer.run(until_epoch=100, stop_below=3.0, snapshot_interval=1e9))
    history = trainer.loss_history.train
    assert final.status == TARGET_REACHED
    assert history[-1] < 3.0 and np.all(history[:-1] >= 3.0)
    assert final.message == f"The loss fell below 3 at epoch {trainer.epoch}."
    assert 10 < trainer.epoch < 100


def test_until_epoch_and_max_steps():
    trainer = trainer_on(SMALL.with_training(batch_size=16), "numpy")
    _, final = exhaust(trainer.run(until_epoch=3, snapshot_interval=1e9))
    assert final.status == FINISHED and trainer.epoch == 3 and trainer.step_count == 12
    _, final = exhaust(trainer.run(max_steps=6, snapshot_interval=1e9))
    assert final.status == FINISHED and final.message == "Made 6 step(s)."
    assert trainer.step_count == 18 and trainer.epoch == 4 and trainer.batch_in_epoch == 2
    _, final = exhaust(trainer.run(until_epoch=4, snapshot_interval=1e9))  # already there: no step
    assert final.status == FINISHED and trainer.step_count == 18


class FakeClock:
    """The trainer's clock in a test: steps take no time, and waiting moves the clock on (no real sleep)."""

    def __init__(self, monkeypatch) -> None:
        self.now = 100.0
        self.waits = []
        monkeypatch.setattr(run_loop, "time", self)

    def perf_counter(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)
        return False


def paced_run(monkeypatch, trainer, epochs_per_second, **goals):
    """A paced run on the fake clock: (its snapshots, the clock)."""
    clock = FakeClock(monkeypatch)
    cancel = CancelToken()
    cancel.wait = clock.wait
    snapshots, _ = exhaust(
        trainer.run(epochs_per_second=epochs_per_second, paced_interval=1 / 60, cancel=cancel, **goals)
    )
    return snapshots, clock


def test_full_speed_news_goes_out_as_often_as_the_window_asks_after_each_snapshot(monkeypatch):
    """The window passes a function (its time between frames): asked at the start and after each
    snapshot, so that the trainer sends no news the window would not draw."""
    trainer = Trainer(PRESETS["sine"])
    clock = FakeClock(monkeypatch)
    train_one_step = trainer.step

    def a_millisecond_step() -> float:
        clock.now += 0.001
        return train_one_step()

    monkeypatch.setattr(trainer, "step", a_millisecond_step)
    asked = []

    def seconds_between_frames() -> float:
        asked.append(trainer.epoch)
        return 0.01 if len(asked) <= 3 else 0.05  # the window's frames became dearer

    snapshots, final = exhaust(trainer.run(max_steps=300, snapshot_interval=seconds_between_frames))
    assert [snapshot.epoch for snapshot in snapshots[:-1]] == [10, 20, 30, 80, 130, 180, 230, 280]
    assert asked == [0, 10, 20, 30, 80, 130, 180, 230, 280] and final.epoch == 300


def test_full_speed_news_keeps_its_grid_when_one_goes_out_late(monkeypatch):
    """A snapshot sent late (a long step; in the window, the GUI thread holding the GIL when it was due) does
    not put the next one off: news stays on a grid of intervals, as many a second as the window draws."""
    trainer = Trainer(PRESETS["sine"])
    clock = FakeClock(monkeypatch)
    train_one_step = trainer.step

    def a_step() -> float:
        clock.now += 0.005 if trainer.step_count == 19 else 0.001  # the 20th step takes 5 ms, the others 1
        return train_one_step()

    monkeypatch.setattr(trainer, "step", a_step)
    snapshots, _ = exhaust(trainer.run(max_steps=40, snapshot_interval=0.01))
    # News due every 10 ms: at 10 ms (epoch 10), at 20 ms (sent at 24 ms, after epoch 20), then at 30 ms
    # (epoch 26), not 10 ms after the late one (epoch 30).
    assert [snapshot.epoch for snapshot in snapshots[:-1]] == [10, 20, 26, 36]


def test_full_speed_news_waits_until_the_window_has_taken_the_last(monkeypatch):
    """A window busy for a while (a first paint on a slow machine) gets one snapshot with everything new
    when it is free, not a queue of them sent on the grid that it would only read to throw away."""
    clock = FakeClock(monkeypatch)

    def trainer_with_steps_of_a_millisecond() -> Trainer:
        trainer = Trainer(PRESETS["sine"])
        train_one_step = trainer.step

        def a_step() -> float:
            clock.now += 0.001
            return train_one_step()

        monkeypatch.setattr(trainer, "step", a_step)
        return trainer

    receipt = NewsReceipt()
    run = trainer_with_steps_of_a_millisecond().run(max_steps=100, snapshot_interval=0.01, news_receipt=receipt)
    first = next(run)
    assert first.epoch == 10 and not receipt.taken
    last = next(run)  # nothing taken: no news until the run's end, which is always sent
    assert last.status == FINISHED and last.epoch == 100
    np.testing.assert_array_equal(last.new_epochs, np.arange(11, 101))  # every epoch since the first news

    receipt, epochs = NewsReceipt(), []
    for snapshot in trainer_with_steps_of_a_millisecond().run(
        max_steps=100, snapshot_interval=0.01, news_receipt=receipt
    ):
        epochs.append(snapshot.epoch)
        if snapshot.epoch < 50:
            receipt.take()  # taken at once up to epoch 50, then the window is busy
    assert epochs == [10, 20, 30, 40, 50, 100]


def test_a_slow_pace_sends_every_epoch_on_its_own_as_it_happens(monkeypatch):
    trainer = trainer_on(SMALL, "numpy")  # full batch: a step is an epoch
    snapshots, clock = paced_run(monkeypatch, trainer, 20.0, until_epoch=10)
    news = snapshots[:-1]
    assert [list(s.new_epochs) for s in news] == [[epoch] for epoch in range(1, 10)]
    assert all(s.waiting for s in news) and not snapshots[-1].waiting  # paced: training leaves the CPU free
    assert list(snapshots[-1].new_epochs) == [10] and snapshots[-1].status == FINISHED
    assert clock.waits == pytest.approx([1 / 20] * 9)  # one wait between epochs, each 1/20 s long
    assert clock.now - 100.0 == pytest.approx(9 / 20)


def test_a_fast_pace_sends_a_frame_of_epochs_sixty_times_a_second(monkeypatch):
    trainer = trainer_on(SMALL, "numpy")
    snapshots, clock = paced_run(monkeypatch, trainer, 600.0, until_epoch=600)
    counts = [len(s.new_epochs) for s in snapshots]
    assert sum(counts) == 600 and trainer.epoch == 600
    assert set(counts[1:-1]) == {10}  # 600 epochs a second in frames of 1/60 s: ten epochs each
    assert clock.now - 100.0 == pytest.approx(1.0, abs=1 / 60)


def test_the_pace_counts_epochs_and_spreads_the_mini_batches_evenly(monkeypatch):
    trainer = trainer_on(SMALL.with_training(batch_size=10), "numpy")  # 50 training points: 5 steps an epoch
    assert trainer.batches_per_epoch() == 5
    snapshots, clock = paced_run(monkeypatch, trainer, 4.0, until_epoch=3)
    assert trainer.step_count == 15 and [s.step for s in snapshots[:-1]] == list(range(1, 15))
    assert clock.waits == pytest.approx([1 / 20] * 14)  # 4 epochs a second = 20 steps a second


def test_a_paced_wait_ends_at_once_when_the_run_is_cancelled():
    """Pause is instant at any pace: the worker waits on its cancel token, never in an uninterruptible sleep."""
    trainer = trainer_on(SMALL, "numpy")
    cancel = CancelToken()
    woken = []  # what each wait returned: True when the token woke it
    waiting = threading.Event()

    def wait(seconds):
        waiting.set()
        woken.append(CancelToken.wait(cancel, seconds))
        return woken[-1]

    cancel.wait = wait
    run = trainer.run(until_epoch=10, epochs_per_second=1e-4, cancel=cancel)  # the next epoch in 10⁴ s
    first = next(run)
    assert first.epoch == 1 and first.waiting
    finished = []
    worker = threading.Thread(target=lambda: finished.append(exhaust(run)))
    worker.start()
    assert waiting.wait(timeout=60)
    cancel.cancel()
    worker.join(timeout=60)
    assert not worker.is_alive() and woken[-1] is True  # the cancel itself ended the wait
    ((_, final),) = finished
    assert final.status == STOPPED and trainer.epoch == 1


def test_a_new_pace_applies_during_the_run(monkeypatch):
    """The window's speed control acts at once: the run asks for its pace before every step."""
    trainer = trainer_on(SMALL, "numpy")
    snapshots, clock = paced_run(monkeypatch, trainer, lambda: 2.0 if trainer.epoch < 3 else 600.0, until_epoch=63)
    counts = [len(s.new_epochs) for s in snapshots]
    assert counts[:3] == [1, 1, 1]  # epochs 1-3 at 2 a second...
    assert max(counts[3:]) == 10 and counts[3:].count(10) >= 4  # ...then 600 a second: 10 a frame
    assert clock.now - 100.0 == pytest.approx(1.0 + 0.1, abs=1 / 60)  # 1 s to epoch 3, 0.1 s for 60 more


# --- divergence -------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("optimizer", "learning_rate"), [("gd", 1e6), ("momentum", 1e3)])
def test_a_huge_learning_rate_diverges_with_a_helpful_message(backend, optimizer, learning_rate):
    experiment = PRESETS["sine"].with_training(optimizer=optimizer, learning_rate=learning_rate)
    trainer = trainer_on(experiment, backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy (overflow, invalid value) anywhere
        snapshots, final = exhaust(trainer.run(until_epoch=1000, snapshot_interval=0.0))
        assert final.status == DIVERGED
        # the epoch whose loss passed 10⁴ × the first (it is in the history), or whose step's loss was not finite
        bad_epoch = trainer.epoch if math.isfinite(trainer.last_step_loss) else trainer.epoch + 1
        assert np.all(np.isfinite(trainer.loss_history.train))
        assert final.message.startswith(f"Diverged at epoch {bad_epoch}: the loss became ")
        assert f"The learning rate {learning_rate:g} is too large: try a smaller one" in final.message
        assert bad_epoch < 20
        assert final.train_metrics is not None  # computed from inf/NaN predictions without a warning
        with pytest.raises(NNStudioError, match="diverged"):
            trainer.step()
        # another run() reports the same at once, and Reset clears it
        _, again = exhaust(trainer.run(until_epoch=1000))
        assert again.status == DIVERGED and again.message == final.message
    first_loss = trainer.loss_history.train[0]
    trainer.reset()
    assert trainer.diverged_message == ""
    assert trainer.step() == first_loss  # the same initial weights, so the same first step


# --- reset, new weights, rewind ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_reset_restores_the_exact_initial_weights(backend):
    trainer = trainer_on(SMALL.with_training(batch_size=16), backend)
    initial = trainer.backend.parameters()
    first_run = step_losses(trainer, 30)
    assert max_relative_difference(initial, trainer.backend.parameters()) > 1e-3
    trainer.reset()
    assert_same_weights(trainer.backend.parameters(), initial)
    assert trainer.backend.state().optimizer_steps == 0 and trainer.backend.state().optimizer_buffers == {}
    assert (trainer.epoch, trainer.step_count, len(trainer.loss_history)) == (0, 0, 0)
    np.testing.assert_array_equal(step_losses(trainer, 30), first_run)  # a rerun compares fairly


def test_new_weights_draws_other_weights_from_the_seed():
    trainer = trainer_on(SMALL, "numpy")
    initial = trainer.backend.parameters()
    step_losses(trainer, 5)
    trainer.new_weights(seed=42)
    fresh = trainer.backend.parameters()
    assert max_relative_difference(initial, fresh) > 0.1
    assert trainer.experiment.training.seed == 42
    assert (trainer.epoch, len(trainer.loss_history)) == (0, 0)
    assert_same_weights(fresh, trainer_on(SMALL.with_training(seed=42), "numpy").backend.parameters())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_rewind_restores_recorded_weights_and_replays_the_same_future(backend, batch_size):
    trainer = trainer_on(SMALL.with_training(batch_size=batch_size), backend)
    weights_at = {0: trainer.backend.parameters()}
    for epoch in range(1, 61):
        _, final = exhaust(trainer.run(until_epoch=epoch, snapshot_interval=1e9))
        weights_at[epoch] = trainer.backend.parameters()
    original_history = trainer.loss_history.train.copy()

    assert trainer.rewind(40) == 40
    assert trainer.epoch == 40 and len(trainer.loss_history) == 40
    assert_same_weights(trainer.backend.parameters(), weights_at[40])
    train_epochs(trainer, 60)
    np.testing.assert_array_equal(trainer.loss_history.train, original_history)  # Adam's memory came back too
    assert_same_weights(trainer.backend.parameters(), weights_at[60])

    assert trainer.rewind(0) == 0
    assert_same_weights(trainer.backend.parameters(), weights_at[0])
    assert len(trainer.loss_history) == 0


def test_rewind_goes_to_the_latest_recorded_epoch_when_thinned():
    trainer = trainer_on(SMALL, "numpy")
    trainer.state_history = StateHistory(budget_bytes=1)  # room for only MIN_STATES states
    trainer.state_history.record(0, trainer.backend.state())
    train_epochs(trainer, 100)
    stride = trainer.state_history.stride
    assert stride > 1
    assert trainer.rewind(50) == (50 // stride) * stride
    assert trainer.rewind(10_000) <= trainer.epoch


def test_rewind_then_train_branches_a_new_history():
    trainer = trainer_on(SMALL, "numpy")
    train_epochs(trainer, 30)
    trainer.rewind(10)
    trainer.update_training(learning_rate=0.001)
    train_epochs(trainer, 30)
    assert trainer.state_history.epochs[-1] == 30 and len(trainer.loss_history) == 30
    assert np.all(np.diff(trainer.loss_history.epochs) == 1)


# --- the state history ------------------------------------------------------------------------------


def test_state_history_stays_within_its_budget_on_a_long_run():
    tiny = SMALL.with_data(n_points=20).with_model(hidden=(LayerSpec(2, "tanh"),))
    trainer = trainer_on(tiny, "numpy")
    weights_only = trainer.backend.state().nbytes()
    trainer.step()
    per_state = trainer.backend.state().nbytes()
    assert per_state == 3 * weights_only  # Adam keeps m and v beside the weights; epoch 0 has neither
    trainer.reset()
    budget = 100 * per_state  # room for 100 states with Adam's memory
    trainer.state_history = StateHistory(budget_bytes=budget)
    trainer.state_history.record(0, trainer.backend.state())
    train_epochs(trainer, 5000)

    history = trainer.state_history
    epochs = np.array(history.epochs)
    assert len(history) <= 100
    assert sum(history.at_or_before(e)[1].nbytes() for e in epochs) <= budget
    assert history.stride == 64  # 5000 / 64 = 78 records fit in 100; 5000 / 32 would not
    assert epochs[0] == 0 and epochs[-1] == 4992
    assert np.all(np.diff(epochs) == history.stride)  # evenly thinned, no gaps
    # each record is the network as it was at that epoch
    recorded_epoch, state = history.at_or_before(4999)
    assert recorded_epoch == 4992


def test_state_history_default_budget_caps_the_number_of_states():
    trainer = trainer_on(SMALL.with_data(n_points=20).with_model(hidden=(LayerSpec(2, "tanh"),)), "numpy")
    train_epochs(trainer, 5000)
    history = trainer.state_history
    assert len(history) <= history_module.MAX_STATES
    epochs = np.array(history.epochs)
    assert np.all(np.diff(epochs) == history.stride) and epochs[0] == 0
    assert epochs[-1] > 5000 - history.stride


def test_state_history_thins_in_place():
    history = StateHistory(budget_bytes=16 * 8)
    for epoch in range(0, 41):
        history.record(epoch, TrainingState({"W1": np.full((1,), float(epoch))}))
    assert len(history) == 11 and history.stride == 4
    assert history.epochs == list(range(0, 41, 4))
    epoch, state = history.at_or_before(23)
    assert epoch == 20 and state.parameters["W1"][0] == 20.0
    state.parameters["W1"][0] = -1.0  # a copy
    assert history.at_or_before(23)[1].parameters["W1"][0] == 20.0
    with pytest.raises(IndexError):
        StateHistory().at_or_before(3)


# --- changing settings mid-run ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_update_learning_rate_keeps_the_weights_and_uses_the_new_rate(backend):
    experiment = SMALL.with_training(optimizer="gd", learning_rate=0.01)
    trainer = trainer_on(experiment, backend)
    step_losses(trainer, 10)
    before = trainer.backend.state()
    trainer.update_training(learning_rate=0.3)
    after = trainer.backend.state()
    assert_same_weights(after.parameters, before.parameters)
    assert after.optimizer_steps == before.optimizer_steps == 10
    assert trainer.experiment.training.learning_rate == 0.3 and trainer.epoch == 10

    gradients = trainer.backend.gradients(trainer.dataset.x_train, trainer.dataset.y_train)
    trainer.step()
    for name, value in trainer.backend.parameters().items():
        np.testing.assert_allclose(value, before.parameters[name] - 0.3 * gradients[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_update_learning_rate_keeps_adams_memory(backend):
    trainer = trainer_on(SMALL, backend)
    step_losses(trainer, 10)
    before = trainer.backend.state()
    trainer.update_training(learning_rate=0.001)
    after = trainer.backend.state()
    assert after.optimizer_steps == 10
    for kind in ("exp_avg", "exp_avg_sq"):
        assert_same_weights(after.optimizer_buffers[kind], before.optimizer_buffers[kind])


def test_changing_optimiser_starts_its_memory_afresh_and_a_new_seed_new_weights():
    trainer = trainer_on(SMALL, "numpy")
    step_losses(trainer, 10)
    weights = trainer.backend.parameters()
    trainer.update_training(optimizer="momentum")
    state = trainer.backend.state()
    assert_same_weights(state.parameters, weights)
    assert state.optimizer_steps == 0 and state.optimizer_buffers == {}
    trainer.step()
    assert sorted(trainer.backend.state().optimizer_buffers) == ["momentum_buffer"]
    trainer.update_training(seed=7)
    fresh = trainer_on(SMALL.with_training(seed=7), "numpy")
    assert_same_weights(trainer.backend.parameters(), fresh.backend.parameters())
    assert trainer.epoch == 0


def test_switch_backend_keeps_the_history():
    trainer = trainer_on(SMALL, "numpy")
    train_epochs(trainer, 5)
    trainer.switch_backend("torch")
    train_epochs(trainer, 10)
    assert trainer.backend.name == "torch" and trainer.epoch == 10
    np.testing.assert_array_equal(trainer.loss_history.epochs, np.arange(1, 11))


# --- float32 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_trains_close_to_float64(backend):
    experiment = PRESETS["sine"].with_training(dtype="float32")
    trainer = trainer_on(experiment, backend)
    losses32 = train_epochs(trainer, 30)
    losses64 = train_epochs(trainer_on(PRESETS["sine"], backend), 30)
    np.testing.assert_allclose(losses32, losses64, rtol=1e-3)
    parameters = trainer.backend.parameters()
    assert all(value.dtype == np.float64 for value in parameters.values())  # the boundary is always float64
    assert trainer.backend.predict(trainer.dataset.x_grid).dtype == np.float64
    # ... but the arithmetic inside really is float32: values are float32-representable
    for value in parameters.values():
        np.testing.assert_array_equal(value, value.astype(np.float32).astype(np.float64))
    for per in trainer.backend.state().optimizer_buffers.values():
        for value in per.values():
            np.testing.assert_array_equal(value, value.astype(np.float32).astype(np.float64))


def test_float32_backends_agree_loosely_and_switch():
    experiment = PRESETS["sine"].with_training(dtype="float32")
    numpy_losses = train_epochs(trainer_on(experiment, "numpy"), 30)
    torch_losses = train_epochs(trainer_on(experiment, "torch"), 30)
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-4)
    trainer = trainer_on(experiment, "numpy")
    train_epochs(trainer, 10)
    trainer.switch_backend("torch")
    np.testing.assert_allclose(train_epochs(trainer, 30), numpy_losses, rtol=1e-4)


# --- metrics ------------------------------------------------------------------------------------------


def test_metrics_are_in_original_units():
    # the linear preset, with a test split and a learning rate that lets it converge in 100 epochs
    experiment = PRESETS["linear"].with_data(test_fraction=0.2).with_training(learning_rate=0.01)
    trainer = trainer_on(experiment, "numpy")
    train_epochs(trainer, 100)
    train, test = trainer.metrics()
    data = trainer.dataset
    for metrics, x, y in ((train, data.x_train, data.y_train_raw), (test, data.x_test, data.y_test_raw)):
        prediction = data.scaler.y_from_model(trainer.backend.predict(x))
        mse = np.mean((y - prediction) ** 2)
        assert metrics.mse == pytest.approx(mse, rel=1e-12)
        assert metrics.rmse == pytest.approx(np.sqrt(mse), rel=1e-12)
        ss_res, ss_tot = np.sum((y - prediction) ** 2), np.sum((y - y.mean()) ** 2)
        assert metrics.r2 == pytest.approx(1 - ss_res / ss_tot, rel=1e-12)
    # converged: the least-squares line's error, a few units² (noise sd 2), while the loss the
    # model sees is in standardised units (sd of y ≈ 12), about 144 times smaller per point
    x_raw, y_raw = data.x_train_raw[:, 0], data.y_train_raw[:, 0]
    best_mse = np.mean((y_raw - np.polyval(np.polyfit(x_raw, y_raw, 1), x_raw)) ** 2)
    assert train.mse == pytest.approx(best_mse, rel=1e-6)
    assert train.mse > 1.0 and train.mse < 8.0  # about the noise variance, 2² = 4
    assert test.mse > 1.0 and test.mse < 8.0
    assert trainer.loss_history.train[-1] / data.n_train == pytest.approx(train.mse / data.scaler.y_sd**2, rel=1e-6)
    assert train.r2 > 0.95
    snapshot = trainer.snapshot()
    assert snapshot.train_metrics.mse == train.mse and snapshot.test_metrics.mse == test.mse


def test_no_test_set_means_no_test_metrics():
    trainer = trainer_on(SMALL, "numpy")
    train, test = trainer.metrics()
    assert test is None and train is not None


def test_fit_metrics_by_hand():
    y = np.array([[1.0], [2.0], [3.0], [4.0]])
    perfect = fit_metrics(y.copy(), y)
    assert (perfect.mse, perfect.rmse, perfect.r2) == (0.0, 0.0, 1.0)
    mean_only = fit_metrics(np.full_like(y, 2.5), y)
    assert mean_only.mse == pytest.approx(1.25) and mean_only.r2 == pytest.approx(0.0)
    off_by_two = fit_metrics(y + 2.0, y)
    assert (off_by_two.mse, off_by_two.rmse) == (4.0, 2.0)
    assert off_by_two.r2 == pytest.approx(1 - 16.0 / 5.0)
    assert math.isnan(fit_metrics(np.zeros((3, 1)), np.ones((3, 1))).r2)  # y without spread: R² undefined
    assert fit_metrics(np.zeros((0, 1)), np.zeros((0, 1))) is None


def test_a_snapshot_carries_the_epoch_loss_the_log_shows_and_says_how_many_batches_make_an_epoch():
    trainer = Trainer(SMALL.with_training(batch_size=16))  # 50 points: 4 batches per epoch
    first = trainer.snapshot()
    assert math.isnan(first.epoch_loss) and first.batches_per_epoch == 4
    for _ in range(6):  # one epoch and a half
        trainer.step()
    snapshot = trainer.snapshot()
    assert snapshot.epoch == 1 and snapshot.epoch_loss == trainer.loss_history.train[-1]
    assert snapshot.last_step_loss != snapshot.epoch_loss  # a batch's loss is not the epoch's
    assert Trainer(SMALL).snapshot().batches_per_epoch == 1


def test_a_loss_says_whose_units_it_is_in():
    assert loss_units("mse", standardized=True) == "standardised units"
    assert loss_units("sse", standardized=False) == "original units"
    assert loss_units("bce", standardized=True) == ""  # a classification loss has no units
    assert describe_loss("sse", True) == "sse, standardised units" and describe_loss("cross_entropy", False) == (
        "cross_entropy"
    )
