"""A lesson checked the way a class uses it: each page's Set up, the run it asks for, what it expects.

For a page with an [expect]: the set-up's experiment trains `epochs` epochs from its initial weights
(what Play does up to the set-up's target, or what a number of Steps does), and what happened is
compared with the expectation. Then each [[pages.then]] run: its training settings changed first, as
the class changes them in the Training tab before pressing Reset and Play. `nnstudio lessons check`
prints one line per page; the tests hold the shipped lessons to the same checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core.engine.gradcheck import DIFFER, check_trainer
from nnstudio.core.engine.trainer import Trainer
from nnstudio.core.teaching.lessons import Lesson, LessonPage, PageExpectation, PageSetup


@dataclass(frozen=True, eq=False)
class RunResult:
    """One run of a page (its Set up, or one of its [[then]] runs) and how it measured up."""

    expectation: PageExpectation
    losses: np.ndarray  # the loss of every epoch trained
    diverged_at: int | None  # the epoch at which training stopped by itself; None: it did not
    gradient_verdict: str | None  # the gradient check at the end, when the page expects one
    problems: tuple[str, ...]  # what the page promised and did not happen, in words

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """The numbers: '200 epochs, loss 114.6 → 3.042', 'diverged at epoch 8', 'gradients agree'."""
        changed = ", ".join(f"{key} {value}" for key, value in self.expectation.training.items())
        parts = []
        if len(self.losses) == 1:
            parts.append(f"1 epoch, loss {self.losses[0]:.4g}")
        elif len(self.losses):
            parts.append(f"{len(self.losses)} epochs, loss {self.losses[0]:.4g} → {self.losses[-1]:.4g}")
        if self.diverged_at is not None:
            parts.append(f"diverged at epoch {self.diverged_at}")
        if self.gradient_verdict is not None:
            parts.append(f"gradients {self.gradient_verdict}")
        return (f"then {changed}: " if changed else "") + ", ".join(parts) + f" (expected: {wanted(self.expectation)})"


@dataclass(frozen=True, eq=False)
class PageResult:
    number: int  # 1 = the first page
    page: LessonPage
    runs: tuple[RunResult, ...]  # empty: the page expects nothing

    @property
    def passed(self) -> bool:
        return all(run.passed for run in self.runs)

    def line(self) -> str:
        """One line: ✓ or ✗, the page, its numbers, and what did not happen."""
        if not self.runs:
            return f"– page {self.number}: {self.page.title} — nothing to check (no [expect])"
        problems = [problem for run in self.runs for problem in run.problems]
        numbers = "; ".join(run.summary() for run in self.runs)
        verdict = f"✗ page {self.number}: {self.page.title} — {numbers}"
        return verdict + f" — {'; '.join(problems)}" if problems else "✓" + verdict[1:]


def wanted(expectation: PageExpectation) -> str:
    """What an expectation asks for, briefly: 'loss falls, below 4', 'diverges by epoch 8'."""
    parts = []
    if expectation.diverges:
        parts.append(f"diverges by epoch {expectation.diverges_within or expectation.epochs}")
    else:
        parts.append(f"{expectation.epochs} epoch" + ("s" if expectation.epochs > 1 else ""))
    if expectation.loss_falls:
        parts.append("loss falls")
    if expectation.loss_below is not None:
        parts.append(f"below {expectation.loss_below:g}")
    if expectation.loss_above is not None:
        parts.append(f"above {expectation.loss_above:g}")
    if expectation.gradients_agree:
        parts.append("gradients agree")
    return ", ".join(parts)


def diverged_epoch(trainer: Trainer) -> int | None:
    """The epoch at which the trainer's run diverged: the last one recorded, or the one a step failed in."""
    if not trainer.diverged_message:
        return None
    return trainer.epoch if math.isfinite(trainer.last_step_loss) else trainer.epoch + 1


def run_expectation(setup: PageSetup, expectation: PageExpectation) -> RunResult:
    """Set up (with the expectation's settings changed), train its epochs from the initial weights, and compare."""
    trainer = Trainer(setup.experiment(expectation.training))
    for _ in trainer.run(until_epoch=expectation.epochs, snapshot_interval=math.inf):
        pass
    return judge(expectation, trainer)


def judge(expectation: PageExpectation, trainer: Trainer) -> RunResult:
    """How a run that has trained (however it was driven) measures up to the expectation."""
    losses = trainer.loss_history.train.copy()
    diverged_at = diverged_epoch(trainer)
    verdict = check_trainer(trainer).verdict if expectation.gradients_agree else None
    return RunResult(expectation, losses, diverged_at, verdict, _problems(expectation, losses, diverged_at, verdict))


def _problems(
    expectation: PageExpectation, losses: np.ndarray, diverged_at: int | None, verdict: str | None
) -> tuple[str, ...]:
    problems = []
    within = expectation.diverges_within or expectation.epochs
    if expectation.diverges and diverged_at is None:
        problems.append(f"expected training to stop by itself (diverge) within {within} epochs; it did not")
    elif expectation.diverges and diverged_at > within:
        problems.append(f"expected divergence by epoch {within}")
    elif not expectation.diverges and diverged_at is not None:
        problems.append(f"expected {expectation.epochs} epochs without divergence")
    elif not expectation.diverges and len(losses) != expectation.epochs:
        problems.append(f"expected {expectation.epochs} epochs, not {len(losses)}")
    last = losses[-1] if len(losses) else math.nan
    if expectation.loss_falls and not (len(losses) > 1 and last < losses[0]):
        problems.append("expected the loss to fall")
    if expectation.loss_below is not None and not last < expectation.loss_below:
        problems.append(f"expected the last loss below {expectation.loss_below:g}")
    if expectation.loss_above is not None and not (math.isfinite(last) and last > expectation.loss_above):
        problems.append(f"expected the last loss above {expectation.loss_above:g}")
    if expectation.gradients_agree and verdict == DIFFER:
        problems.append("expected the three gradients to agree")
    return tuple(problems)


def check_page(page: LessonPage, number: int) -> PageResult:
    """Every run the page asks for: its [expect] from Set up, then each [[then]]."""
    if page.setup is None:
        return PageResult(number, page, ())
    expectations = ((page.expect,) if page.expect is not None else ()) + page.then
    return PageResult(number, page, tuple(run_expectation(page.setup, e) for e in expectations))


def check_lesson(lesson: Lesson) -> list[PageResult]:
    return [check_page(page, number) for number, page in enumerate(lesson.pages, start=1)]
