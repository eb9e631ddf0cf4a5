"""Driving the real window from a test: wait for the worker, train a few epochs, look inside, catch a signal."""


def wait_idle(qtbot, window, timeout=30000):
    """Until the run exists and no job is running or queued; then draw the last frame."""
    qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=timeout)
    window.redraw()


def trained(qtbot, window, epochs):
    """Run to `epochs` (or until training stops by itself) and wait for the frame."""
    window.run_to(epochs)
    wait_idle(qtbot, window)


def trainer_of(window):
    """The session's trainer, for white-box checks in tests only, and only while no job runs or waits
    (the worker is its only other user). The app itself never reads it: it keeps the last RunState."""
    assert not window.session.is_running, "a test may look at the trainer only while the session is idle"
    return window.session._trainer


def registered(window, name):
    """An instrument (or the lessons) as the window's context registered it."""
    return window.context.get(name)


def emitted(qtbot, signal, action):
    """Run `action` and return the one value `signal` carried."""
    with qtbot.waitSignal(signal, timeout=1000) as blocker:
        action()
    return blocker.args[0]
