"""The engine: data, models, two backends and the training loop. Pure Python + NumPy, no Qt."""

from nnstudio.core.errors import NNStudioError

__all__ = ["NNStudioError"]
