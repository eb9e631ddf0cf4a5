"""Two interchangeable ways to compute the same network: hand-written NumPy and PyTorch."""

from nnstudio.core.engine.backends.base import Backend, TrainingState, create_backend

__all__ = ["Backend", "TrainingState", "create_backend"]
