"""The engine: the experiment, the built-in ones, models, losses, two backends and the training loop.

It may import `nnstudio.core.datasets` and the shared leaves (errors, files, saving), never storage or
teaching (the import-linter layers contract in pyproject.toml).
"""
