"""Files the app writes and reads back: `.nnstudio` archives, exports, scripts, shipped resources and examples.

It may import the engine and the datasets, never teaching.
"""
