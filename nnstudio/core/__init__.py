"""The engine: data, models, two backends and the training loop. Pure Python + NumPy, no Qt.

What a script or a notebook needs is importable from here::

    from nnstudio.core import Trainer, preset

    trainer = Trainer(preset("linear"))            # the tutorial's line, fitted by one linear layer
    for snapshot in trainer.run(until_epoch=20):   # trains, yielding progress now and then
        for line in snapshot.log_lines:
            print(line)                            # Epoch: 10 Loss: 96.09053 ...

- the experiment: `Experiment` = `DataSpec` + `ModelSpec` (of `LayerSpec`) + `TrainingSpec`, changed with
  `experiment.with_data(...)`, `.with_model(...)`, `.with_training(...)`; the built-in ones: `preset(name)`,
  `PRESETS`;
- training: `Trainer(experiment)` — `step()`, `run(until_epoch=...)`, `loss_history`, `metrics()`,
  `backend.parameters()`; `format_log_line` writes the tutorial's log line;
- files: `load_trainer(path)` / `save_trainer(trainer, path)` for `.nnstudio` files (a `.toml` path holds the
  settings only), `read_experiment_file(path)` for what a file holds without training it;
- the gradient check: `check_trainer(trainer)` — by hand, by autograd and by finite differences;
- `NNStudioError`: every problem with the input, with a message a student understands.

Names are imported when first used, so `import nnstudio.core` stays cheap (and never imports torch or Qt).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nnstudio.core.errors import NNStudioError

# name → the module that defines it
_LAZY = {
    "Experiment": "nnstudio.core.engine.experiment",
    "DataSpec": "nnstudio.core.engine.experiment",
    "ModelSpec": "nnstudio.core.engine.experiment",
    "LayerSpec": "nnstudio.core.engine.experiment",
    "TrainingSpec": "nnstudio.core.engine.experiment",
    "PRESETS": "nnstudio.core.engine.presets",
    "preset": "nnstudio.core.engine.presets",
    "Trainer": "nnstudio.core.engine.trainer",
    "format_log_line": "nnstudio.core.engine.trainer",
    "ExperimentFile": "nnstudio.core.storage.archive",
    "read_experiment_file": "nnstudio.core.storage.archive",
    "load_trainer": "nnstudio.core.storage.archive",
    "save_trainer": "nnstudio.core.storage.archive",
    "GradientCheck": "nnstudio.core.engine.gradcheck",
    "check_trainer": "nnstudio.core.engine.gradcheck",
}

__all__ = [  # written out, so that linters and editors see the names too; the same as NNStudioError + _LAZY
    "NNStudioError",
    "Experiment",
    "DataSpec",
    "ModelSpec",
    "LayerSpec",
    "TrainingSpec",
    "PRESETS",
    "preset",
    "Trainer",
    "format_log_line",
    "ExperimentFile",
    "read_experiment_file",
    "load_trainer",
    "save_trainer",
    "GradientCheck",
    "check_trainer",
]

if TYPE_CHECKING:
    from nnstudio.core.engine.experiment import DataSpec, Experiment, LayerSpec, ModelSpec, TrainingSpec
    from nnstudio.core.engine.gradcheck import GradientCheck, check_trainer
    from nnstudio.core.engine.presets import PRESETS, preset
    from nnstudio.core.engine.trainer import Trainer, format_log_line
    from nnstudio.core.storage.archive import ExperimentFile, load_trainer, read_experiment_file, save_trainer


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562); anything else is a submodule or an error."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # the next use is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
