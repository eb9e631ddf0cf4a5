"""Setting one weight or bias by hand, as a student does to see what that one number does to the fit.

An edit is a step of its own: the moment before it is kept as an undo checkpoint, so Back puts the
old value back exactly. Only the weight changes: the optimiser keeps its memory (momentum, Adam's
averages) and the counters stay, so training goes on from the edited network as from any other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nnstudio.core.engine.model import entry_name
from nnstudio.core.errors import NNStudioError

if TYPE_CHECKING:
    from nnstudio.core.engine.trainer import Trainer

LARGEST_HAND_VALUE = 1e6  # beyond this a value is a typing slip, not an experiment: every output would explode


def parse_hand_value(text: str) -> float:
    """The number typed for a weight; NNStudioError, in words, when it is not a usable one."""
    typed = text.strip().replace("−", "-")  # the minus sign a copied value may carry
    if typed.count(",") == 1 and "." not in typed:
        typed = typed.replace(",", ".")  # a decimal comma, as many classrooms write it
    try:
        value = float(typed)
    except ValueError:
        raise NNStudioError(f"{text.strip()!r} is not a number: type one such as 0.5 or -1.2e-3") from None
    return check_hand_value(value)


def check_hand_value(value: float) -> float:
    if not math.isfinite(value):
        raise NNStudioError(f"a weight must be a finite number, not {value}")
    if abs(value) > LARGEST_HAND_VALUE:
        raise NNStudioError(f"{value:g} is too large for a weight: keep it between -1e6 and 1e6")
    return float(value)


def set_parameter(trainer: Trainer, name: str, index: tuple[int, ...], value: float) -> str:
    """Set parameter `name` (W1, b2, …) at the 0-based `index` to `value`, remembering the moment before
    for Back; returns the log's sentence (old value, new value, the training loss now)."""
    value = check_hand_value(value)
    state = trainer.backend.state()
    if name not in state.parameters:
        raise NNStudioError(f"the network has no parameter {name}: it has {', '.join(state.parameters)}")
    array = state.parameters[name]
    index = tuple(int(i) for i in index)
    if len(index) != array.ndim or not all(0 <= i < n for i, n in zip(index, array.shape, strict=True)):
        raise NNStudioError(f"{entry_name(name, index)} is not in the network: {name} has shape {array.shape}")
    old = float(array[index])
    trainer.push_checkpoint()
    array[index] = value
    trainer.backend.load_state(state)
    data = trainer.dataset
    loss = trainer.backend.loss(data.x_train, data.y_train)
    # Short: the status bar shows it whole beside its counters, on a projector's 1024 pixels too.
    return f"Set {entry_name(name, index)} from {old:.4g} to {value:.4g} by hand (loss now {loss:.6g})."
