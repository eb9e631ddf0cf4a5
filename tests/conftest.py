"""Shared test set-up: Qt renders offscreen, and no test may leave a thread running."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the long hostile-input and stress runs")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    marker = pytest.mark.skip(reason="long run: use --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(marker)
