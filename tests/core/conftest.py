"""Hypothesis profiles for the core tests: modest by default so CI stays fast.

Choose another with HYPOTHESIS_PROFILE=thorough (many more random networks) or =dev.

torch computes the tests' tiny networks on one thread: with its default of one thread per core,
the parity tests run six times slower when another process is busy on the same (2-core)
machine, as the threads wait for each other. One thread changes no result the tests check.
"""

import os
import sys

from hypothesis import HealthCheck, settings

os.environ.setdefault("OMP_NUM_THREADS", "1")  # read when torch is first imported
if "torch" in sys.modules:  # already imported by another test module
    sys.modules["torch"].set_num_threads(1)

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=30, deadline=None, print_blob=True)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
