"""The README's table of keys is the window's: every shortcut an action defines is in it, and nothing else."""

import re

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from nnstudio.core.engine.presets import preset
from tests.readme import section, table_rows


def readme_keys() -> set[str]:
    """The keys of the table under "Using it in a class", with `Ctrl+1 … Ctrl+5` spelled out."""
    keys = set()
    for cells in table_rows(section("Using it in a class")):
        for key in cells[0].split(", "):
            spelled = re.fullmatch(r"(\w+\+)(\d) … \1(\d)", key)
            if spelled:
                keys |= {f"{spelled[1]}{n}" for n in range(int(spelled[2]), int(spelled[3]) + 1)}
            else:
                keys.add(key)
    return keys


def test_the_readme_lists_every_shortcut_of_the_window(qtbot, make_window):
    window = make_window(preset("sine"))
    for dock in window.context.instrument_docks:  # their views, and the views' actions, are built when first shown
        dock.show()
    QApplication.processEvents()
    defined = {
        shortcut.toString(QKeySequence.SequenceFormat.PortableText)
        for action in window.findChildren(QAction)
        for shortcut in action.shortcuts()
    }
    for dock in window.context.instrument_docks:
        dock.hide()
    # the instruments computed their first pictures in the thread pool: let them finish
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=120000)
    assert {"Space", "Ctrl+1", "Ctrl+5", "Ctrl+Shift+S", "Del", "Ctrl+Q"} <= defined
    assert readme_keys() == defined
