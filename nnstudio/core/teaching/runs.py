"""Compare runs: keep finished runs by name, with their settings and loss curves, side by side.

A `RunRecord` is what a run leaves behind (its experiment, its loss history, how long it took);
a `RunCollection` is the table of them a class builds up while trying "gd lr 1e-4 vs adam
lr 0.1" or "numpy vs torch". Both turn into plain dicts of lists and numbers for saving.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from nnstudio.core.engine.experiment import Experiment
from nnstudio.core.engine.losses import describe_loss
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer

_COPY_SUFFIX = re.compile(r" \((\d+)\)$")  # "adam lr 0.1 (2)"


def format_number(value: float) -> str:
    """A learning rate as a person writes it: 0.1, 0.001, 1e-4, 2.5e-5."""
    text = f"{value:.6g}"
    if 0 < abs(value) < 1e-3 and "e" not in text:
        text = f"{value:.5e}"  # 0.0001 reads better as 1e-4
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}e{int(exponent)}"
    return text


def architecture(experiment: Experiment, n_inputs: int = 1, n_outputs: int = 1) -> str:
    """Layer widths and activations, e.g. "1-64-1 relu", "1-32-32-1 tanh", "1-1 linear"."""
    model = experiment.model
    widths = "-".join(str(w) for w in (n_inputs, *(h.units for h in model.hidden), n_outputs))
    activations = list(dict.fromkeys(h.activation for h in model.hidden))  # unique, in order
    text = f"{widths} {'/'.join(activations) if activations else 'linear'}"
    if model.output_activation != "identity":
        text += f" → {model.output_activation}"
    return text


def default_run_name(experiment: Experiment, backend: str | None = None, n_inputs: int = 1, n_outputs: int = 1) -> str:
    """A name that says what was tried, e.g. "adam lr 0.1 · numpy · 1-64-1 relu"."""
    training = experiment.training
    parts = [
        f"{training.optimizer} lr {format_number(training.learning_rate)}",
        backend or training.backend,
        architecture(experiment, n_inputs, n_outputs),
    ]
    if training.batch_size is not None:
        parts.append(f"batch {training.batch_size}")
    if training.dtype != "float64":
        parts.append(training.dtype)
    return " · ".join(parts)


def _final(values: np.ndarray) -> float:
    return float(values[-1]) if len(values) else math.nan


@dataclass(frozen=True, eq=False)
class RunRecord:
    """One finished (or paused) run: its settings, its loss curves and its cost."""

    name: str
    experiment: Experiment
    epochs: np.ndarray  # completed epochs, 1, 2, ...
    train_loss: np.ndarray  # per epoch, model units (as the trainer logs it)
    test_loss: np.ndarray  # per epoch; NaN without a test set
    training_seconds: float
    backend: str
    visible: bool = True  # drawn in the overlaid loss plot

    @property
    def final_train_loss(self) -> float:
        return _final(self.train_loss)

    @property
    def final_test_loss(self) -> float:
        return _final(self.test_loss)

    @property
    def loss_description(self) -> str:
        """Which loss its curves are, in whose units: "mse, standardised units" (runs compare only like with like)."""
        return describe_loss(self.experiment.training.loss, self.experiment.data.standardize)

    @classmethod
    def from_trainer(cls, name: str | None, trainer: Trainer, seconds: float) -> RunRecord:
        """Keep copies of a trainer's history (None as name: describe the configuration)."""
        history, data = trainer.loss_history, trainer.dataset
        if name is None:
            name = default_run_name(trainer.experiment, trainer.backend.name, data.n_model_inputs, data.n_outputs)
        return cls(
            name=name,
            experiment=trainer.experiment,
            epochs=history.epochs.copy(),
            train_loss=history.train.copy(),
            test_loss=history.test.copy(),
            training_seconds=float(seconds),
            backend=trainer.backend.name,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, numbers and strings (NaN stays a float: JSON and TOML both write it)."""
        return {
            "name": self.name,
            "experiment": self.experiment.to_dict(),
            "epochs": [int(e) for e in self.epochs],
            "train_loss": [float(v) for v in self.train_loss],
            "test_loss": [float(v) for v in self.test_loss],
            "training_seconds": self.training_seconds,
            "backend": self.backend,
            "visible": self.visible,
        }

    @classmethod
    def from_dict(cls, tree: dict[str, Any]) -> RunRecord:
        try:
            epochs = np.asarray(tree["epochs"], dtype=np.int64)
            train = np.asarray(tree["train_loss"], dtype=np.float64)
            test = np.asarray(tree["test_loss"], dtype=np.float64)
            if not len(epochs) == len(train) == len(test):
                raise NNStudioError("a saved run's epochs and losses have different lengths")
            return cls(
                name=str(tree["name"]),
                experiment=Experiment.from_dict(tree["experiment"]),
                epochs=epochs,
                train_loss=train,
                test_loss=test,
                training_seconds=float(tree["training_seconds"]),
                backend=str(tree["backend"]),
                visible=bool(tree.get("visible", True)),
            )
        except NNStudioError:
            raise
        except KeyError as error:
            raise NNStudioError(f"a saved run is missing its {error.args[0]!r}") from None
        except (TypeError, ValueError) as error:  # e.g. a word where a number belongs
            raise NNStudioError(f"a saved run has a value of the wrong kind: {error}") from None


@dataclass(frozen=True)
class RunRow:
    """One row of the compare-runs table."""

    name: str
    visible: bool
    optimizer: str
    learning_rate: float
    backend: str
    architecture: str
    epochs: int
    loss: str  # which loss, in whose units: "mse, standardised units"
    final_train_loss: float
    final_test_loss: float  # NaN without a test set
    training_seconds: float


# (field of RunRow, column header) in the order a table shows them
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("visible", "Show"),
    ("name", "Run"),
    ("optimizer", "Optimiser"),
    ("learning_rate", "Learning rate"),
    ("backend", "Backend"),
    ("architecture", "Network"),
    ("epochs", "Epochs"),
    ("loss", "Loss"),
    ("final_train_loss", "Train loss"),
    ("final_test_loss", "Test loss"),
    ("training_seconds", "Time (s)"),
)


class RunCollection:
    """The runs kept so far, in the order they were added, each under a unique name."""

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}

    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(list(self._runs.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._runs

    def __getitem__(self, name: str) -> RunRecord:
        try:
            return self._runs[name]
        except KeyError:
            raise NNStudioError(f"there is no run called {name!r}") from None

    @property
    def names(self) -> list[str]:
        return list(self._runs)

    def unique_name(self, name: str) -> str:
        """`name`, or the first free "name (2)", "name (3)", ... if it is taken."""
        name = name.strip()
        if not name:
            raise NNStudioError("a run needs a name")
        if name not in self._runs:
            return name
        base = _COPY_SUFFIX.sub("", name)
        number = 2
        while f"{base} ({number})" in self._runs:
            number += 1
        return f"{base} ({number})"

    def add(self, run: RunRecord) -> RunRecord:
        """Keep `run`, renamed if its name is taken; returns the run as kept."""
        kept = replace(run, name=self.unique_name(run.name))
        self._runs[kept.name] = kept
        return kept

    def remove(self, name: str) -> None:
        self[name]  # a clear error for an unknown name
        del self._runs[name]

    def clear(self) -> None:
        self._runs.clear()

    def rename(self, old: str, new: str) -> str:
        """Give run `old` the name `new` (made unique), keeping its place; returns the name given."""
        run = self[old]
        if new.strip() == old:
            return old
        name = self.unique_name(new)
        self._runs = {(name if key == old else key): value for key, value in self._runs.items()}
        self._runs[name] = replace(run, name=name)
        return name

    def set_visible(self, name: str, visible: bool) -> None:
        self._runs[name] = replace(self[name], visible=visible)

    def toggle_visible(self, name: str) -> bool:
        """Show a hidden run or hide a shown one; returns whether it is now shown."""
        visible = not self[name].visible
        self.set_visible(name, visible)
        return visible

    def visible_runs(self) -> list[RunRecord]:
        return [run for run in self._runs.values() if run.visible]

    def table(self) -> list[RunRow]:
        """One row per run for the compare-runs table (columns: TABLE_COLUMNS)."""
        rows = []
        for run in self._runs.values():
            training = run.experiment.training
            rows.append(
                RunRow(
                    name=run.name,
                    visible=run.visible,
                    optimizer=training.optimizer,
                    learning_rate=training.learning_rate,
                    backend=run.backend,
                    architecture=architecture(run.experiment),
                    epochs=int(run.epochs[-1]) if len(run.epochs) else 0,
                    loss=run.loss_description,
                    final_train_loss=run.final_train_loss,
                    final_test_loss=run.final_test_loss,
                    training_seconds=run.training_seconds,
                )
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [run.to_dict() for run in self._runs.values()]}

    @classmethod
    def from_dict(cls, tree: dict[str, Any]) -> RunCollection:
        collection = cls()
        for entry in tree.get("runs", []):
            collection.add(RunRecord.from_dict(entry))
        return collection
