"""What the training session's jobs do: the work, and the changes they make to the trainer.

The functions here run in a worker thread (one of Qt's pool, one job at a time: the only place
the trainer is used); the dataclasses carry a job there and its end back. A job ends with one
`JobEnd`: the trainer to use from now on and the `RunState` copied from it in the worker, so the
GUI thread never has to read the trainer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace

from nnstudio.core.datasets.data import prepare
from nnstudio.core.engine.classification import fit_to_data
from nnstudio.core.engine.experiment import DataSpec
from nnstudio.core.engine.hand_edit import set_parameter
from nnstudio.core.engine.live_changes import RESTARTING_SETTINGS, LiveChanges, describe_changes
from nnstudio.core.engine.run_state import NewsReceipt
from nnstudio.core.engine.trainer import TRAINING, CancelToken, RunEnd, RunState, RunStatus, Snapshot, Trainer
from nnstudio.core.storage.archive import points_to_keep

Apply = Callable[[Trainer | None], "Trainer | None"]


class Unchanged:
    """What a change returns when there was nothing to change (e.g. switching to the backend in use)."""


UNCHANGED = Unchanged()


@dataclass(frozen=True)
class Changed:
    """What a change returns when the worker words its message (e.g. which epoch Back went to)."""

    trainer: Trainer
    message: str


@dataclass
class Job:
    """One unit of work for the worker; `status` is what the window shows while it runs."""

    status: RunStatus
    deliver: Callable[[object], None] | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    generation: int = 0  # the run's generation when the job began


@dataclass
class Run(Job):
    goals: dict = field(default_factory=dict)
    checkpoint: bool = False  # remember the moment before the run, so Back can return to it
    to_target: bool = False  # until the experiment's epochs, if not yet reached (decided in the worker)
    live: LiveChanges = field(default_factory=LiveChanges)  # settings changed while it trains
    news: NewsReceipt = field(default_factory=NewsReceipt)  # the GUI thread takes each snapshot: then the next


@dataclass
class Change(Job):
    apply: Apply | None = None
    message: str = ""
    needs_trainer: bool = True  # False: it builds a trainer of its own (loading)


@dataclass
class Read(Job):
    read: Callable[[Trainer], object] | None = None


@dataclass
class Inspect(Read):
    """A read that makes a step: its result is (inspection, snapshot for the plots)."""


@dataclass(frozen=True)
class Notice:
    """A sentence for the status bar about what a job does, sent while it runs (e.g. where Play will stop)."""

    text: str


@dataclass(frozen=True)
class JobEnd:
    """What a job hands back to the GUI thread when it is done."""

    trainer: Trainer | None
    state: RunState | None  # the run when the job ended (None: there is no trainer yet)
    snapshot: Snapshot | None = None
    result: object = None
    notice: str = ""  # why the job did nothing, said after the state it leaves is shown


def resting_status(trainer: Trainer) -> RunStatus:
    if trainer.diverged_message:
        return RunStatus.DIVERGED
    return RunStatus.IDLE if trainer.step_count == 0 else RunStatus.PAUSED


def work(trainer: Trainer | None, job: Job) -> Generator[object, None, None]:
    """One job, in the worker thread: snapshots while it trains, then one `JobEnd`."""
    if isinstance(job, Run):
        yield from _train(trainer, job)
    elif isinstance(job, Change):
        yield _changed(trainer, job)
    elif isinstance(job, Inspect):
        steps = trainer.step_count
        inspection, snapshot = job.read(trainer)
        yield _end(trainer, job, trainer.step_count != steps, snapshot=snapshot, result=inspection)
    else:
        yield _end(trainer, job, False, result=job.read(trainer))


def _end(trainer: Trainer | None, job: Job, changed: bool, message: str = "", **extra) -> JobEnd:
    """The job's end, with the run's state copied here, where the trainer lives."""
    if trainer is None:
        return JobEnd(None, None)
    state = trainer.run_state(resting_status(trainer), job.generation + int(changed), message)
    return JobEnd(trainer, state, **extra)


def _changed(trainer: Trainer | None, job: Change) -> JobEnd:
    outcome = job.apply(trainer)
    if isinstance(outcome, Unchanged):
        return _end(trainer, job, False)
    message = job.message
    if isinstance(outcome, Changed):
        outcome, message = outcome.trainer, outcome.message
    changed = outcome or trainer
    status = RunEnd.DIVERGED if changed.diverged_message else RunEnd.CHANGED
    snapshot = changed.report(status, message, full_history=True)  # no weights: views take the state's
    return _end(changed, job, True, message, snapshot=snapshot, result=message)


def _train(trainer: Trainer, job: Run) -> Generator[object, None, None]:
    steps, settings = trainer.step_count, trainer.training
    goals = dict(job.goals)
    past_target = job.to_target and trainer.epoch >= trainer.training.epochs
    if job.to_target:  # decided here, where the epoch is known for sure (jobs before it may have trained)
        goals["until_epoch"] = next_stop(trainer.epoch, trainer.training.epochs)
    why_not = why_no_training(trainer, goals)
    if why_not:
        late = trainer.change_settings(**job.live.close())  # a change posted while it waited is still taken
        if late is not None:
            yield replace(trainer.report(RunEnd.CHANGED), settings_changes=(late,))
        yield _end(trainer, job, late is not None, notice=why_not)
        return
    if past_target:
        target = trainer.training.epochs
        yield Notice(f"Training past the target ({target} epochs): next stop at epoch {goals['until_epoch']}.")
    if job.checkpoint:
        trainer.push_checkpoint()
    last = None
    if not trainer.diverged_message:
        for snapshot in trainer.run(cancel=job.cancel, live=job.live, news_receipt=job.news, **goals):
            if snapshot.status == TRAINING:
                yield snapshot
            else:
                last = snapshot
    late = trainer.change_settings(**job.live.close())  # posted as the run ended: still this run's
    if late is not None:
        last = last or trainer.report(RunEnd.CHANGED)
        last = replace(last, settings_changes=(*last.settings_changes, late))
    if last is not None:
        yield last
    yield _end(trainer, job, trainer.step_count != steps or trainer.training != settings)


def next_stop(epoch: int, target: int) -> int:
    """Where Play stops: the target, and once it is reached the next multiple of it (target 100: 200, 300…)."""
    return target if epoch < target else (epoch // target + 1) * target


def why_no_training(trainer: Trainer, goals: dict) -> str:
    """Why a run with these goals would not make a single step, and what to do ("" when it would train)."""
    if trainer.diverged_message:
        return (
            "Training has diverged: Reset (R) starts again from the same initial weights; "
            "a smaller learning rate (Training tab) keeps it from diverging."
        )
    until = goals.get("until_epoch")
    if until is not None and trainer.epoch >= until:
        where = f"at epoch {until}" if trainer.epoch == until else f"at epoch {trainer.epoch}, past epoch {until}"
        return (
            f"Already {where}: nothing to train. Choose a later epoch to run to "
            "(or drag the timeline to look back at an earlier one)."
        )
    stop_below, history = goals.get("stop_below"), trainer.loss_history.train
    if stop_below is not None and len(history) and history[-1] < stop_below:
        return (
            f"The loss ({history[-1]:.4g}) is already below the early stop ({stop_below:g}): untick "
            '"Stop when loss <" in the Training tab, or lower it, to train on.'
        )
    return ""


def reset_run(trainer: Trainer) -> Trainer:
    trainer.reset()
    return trainer


def draw_new_weights(trainer: Trainer) -> Trainer:
    trainer.new_weights((trainer.training.seed + 1) % 2**32)
    return trainer


def switched(trainer: Trainer, name: str) -> Trainer | Unchanged:
    if trainer.backend.name == name:
        return UNCHANGED
    trainer.switch_backend(name)
    return trainer


def updated(trainer: Trainer, changes: dict) -> Trainer | Changed | Unchanged:
    """New training settings between runs: the weights are kept, unless the seed is new (new weights)."""
    if RESTARTING_SETTINGS & changes.keys():
        changes = {name: value for name, value in changes.items() if getattr(trainer.training, name) != value}
        if not changes:
            return UNCHANGED
        trainer.update_training(**changes)
        return trainer
    change = trainer.change_settings(**changes)
    return UNCHANGED if change is None else Changed(trainer, change.text)


def branched(trainer: Trainer, epoch: int, changes: dict, note: str = "") -> Changed:
    """Back to the recorded moment at or before `epoch`, with new training settings from there on."""
    recorded = trainer.rewind(epoch)
    change = trainer.change_settings(**changes)
    what = f": {describe_changes(change.before, change.after)}" if change is not None else ""
    message = f"Branched at epoch {recorded}{what}"
    return Changed(trainer, f"{message}; {note}" if note else f"{message}.")


def trainer_for_data(trainer: Trainer, spec: DataSpec, points) -> Trainer:
    experiment = replace(trainer.experiment, data=spec)
    points = points if points is not None else points_to_keep(trainer, spec)
    dataset = prepare(experiment.data, points)
    return Trainer(fit_to_data(experiment, dataset), points, dataset)


def rewound(trainer: Trainer, epoch: int) -> Trainer:
    trainer.rewind(epoch)
    return trainer


def set_by_hand(trainer: Trainer, name: str, index: tuple[int, ...], value: float, note: str) -> Changed:
    """One weight or bias set to `value` (Back undoes it); `note` ends the message."""
    return Changed(trainer, set_parameter(trainer, name, index, value) + note)


def go_back(trainer: Trainer) -> Changed | Unchanged:
    """Back: undo the last Step if there is a checkpoint, else return to the previous recorded epoch."""
    if trainer.undo():
        return Changed(trainer, "Back: the last step or hand edit was undone.")
    if trainer.step_count == 0:
        return UNCHANGED
    target = trainer.epoch - 1 if trainer.batch_in_epoch == 0 else trainer.epoch
    epoch = trainer.rewind(max(0, target))
    return Changed(trainer, f"Back: to the recorded epoch {epoch}.")
