"""Driving the real window from a test: wait for the worker, train a few epochs."""


def wait_idle(qtbot, window, timeout=30000):
    """Until the trainer exists and no job is running or queued; then draw the last frame."""
    qtbot.waitUntil(lambda: window.trainer is not None and not window.session.is_running, timeout=timeout)
    window.redraw()


def trained(qtbot, window, epochs):
    """Run to `epochs` (or until training stops by itself) and wait for the frame."""
    window.run_to(epochs)
    wait_idle(qtbot, window)
