"""Training points: generators, the CSV reader and its preview, and their preparation into a `Dataset`.

The lowest layer: it imports only the shared leaves (errors, files), never the engine.
"""
