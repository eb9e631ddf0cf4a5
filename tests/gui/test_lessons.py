"""The lessons panel: every page of every shipped lesson sets the app up exactly as it says."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from nnstudio.core.engine.presets import preset
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons
from nnstudio.gui.lessons import INSTRUMENT_DOCKS
from nnstudio.gui.settings import Settings
from tests.gui.driving import registered, trainer_of, wait_idle

PAGES = [
    pytest.param(path, index, id=f"{path.stem}-page{index + 1}")
    for path in shipped_lessons()
    for index, page in enumerate(load_lesson(path).pages)
    if page.setup is not None
]


@pytest.mark.parametrize("path, index", PAGES)
def test_set_up_produces_the_state_the_page_describes(qtbot, make_window, path, index):
    window = make_window(preset("bump-momentum"))
    lessons = window.lessons
    lessons.panel.set_lesson(load_lesson(path))
    lessons.show()
    lessons.panel.show_page(index)
    page = lessons.panel.page
    lessons.panel.setup_button.click()
    expected = page.setup.experiment()
    qtbot.waitUntil(lambda: window.state.experiment == expected, timeout=30000)
    wait_idle(qtbot, window)
    assert window.experiment == expected and trainer_of(window).epoch == 0
    assert window.training_panel.spec() == expected.training and window.data_panel.spec() == expected.data
    assert trainer_of(window).backend.name == expected.training.backend
    if page.setup.instrument in INSTRUMENT_DOCKS:
        dock = window.context.get(INSTRUMENT_DOCKS[page.setup.instrument])
        qtbot.waitUntil(dock.isVisible, timeout=5000)
    if page.expect is not None and not page.expect.diverges:
        window.run_to(page.expect.epochs)
        wait_idle(qtbot, window)
        losses = window.loss_plot.train_values()
        assert len(losses) == page.expect.epochs
        if page.expect.loss_below is not None:
            assert losses[-1] < page.expect.loss_below


def test_next_and_back_walk_the_pages_and_the_position_is_remembered(qtbot, make_window):
    window = make_window(preset("sine"))
    panel = window.lessons.panel
    panel.set_lesson(load_lesson(shipped_lessons()[0]))
    assert not panel.back_button.isEnabled()
    panel.next_button.click()
    panel.next_button.click()
    assert panel.page_index == 2 and "gradient" in panel.title.text().lower()
    assert window.settings.lesson_position() == (str(shipped_lessons()[0]), 2)
    panel.back_button.click()
    assert panel.page_index == 1
    for _ in range(20):
        panel.next_button.click()
    assert panel.page_index == len(panel.lesson.pages) - 1 and not panel.next_button.isEnabled()


def test_the_panel_reopens_where_the_user_was(qtbot, tmp_path):
    from nnstudio.gui.main_window import MainWindow

    settings = Settings.at(tmp_path / "settings.ini")
    settings.set_lesson_position(shipped_lessons()[1], 2)
    window = MainWindow(preset("sine"), settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=20000)
    assert window.lessons.panel.lesson.path == shipped_lessons()[1] and window.lessons.panel.page_index == 2
    window.session.shutdown()


def test_lessons_are_offered_once_on_first_start(qtbot, tmp_path):
    from nnstudio.gui.main_window import MainWindow

    settings = Settings.at(tmp_path / "settings.ini")
    window = MainWindow(preset("sine"), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=20000)
    window.lessons.offer_on_first_start()
    assert window.lessons.dock.isVisible() and settings.lessons_offered()
    window.lessons.dock.hide()
    window.lessons.offer_on_first_start()
    assert not window.lessons.dock.isVisible()
    window.session.shutdown()


def first_start(qtbot, tmp_path, monkeypatch, argv):
    """`nnstudio ARGS` on a first start (no settings file): the window run_app builds, once its jobs are done."""
    from PySide6.QtWidgets import QApplication

    from nnstudio import cli
    from nnstudio.gui.main_window import MainWindow

    built = []
    monkeypatch.setattr(Settings, "for_user", classmethod(lambda cls: cls.at(tmp_path / "first" / "nnstudio.ini")))
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)  # return at once: the test looks at the window
    monkeypatch.setattr(MainWindow, "show", lambda self: built.append(self) or QWidget.show(self))
    assert cli.main(argv) == 0
    window = built[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.state is not None and not window.session.is_running, timeout=30000)
    return window


def test_the_first_start_shows_the_first_page_set_up(qtbot, tmp_path, monkeypatch):
    window = first_start(qtbot, tmp_path, monkeypatch, [])
    panel = window.lessons.panel
    first = load_lesson(shipped_lessons()[0]).pages[0]
    assert panel.lesson.path == shipped_lessons()[0] and panel.page_index == 0 and window.lessons.dock.isVisible()
    qtbot.waitUntil(lambda: window.state.experiment == first.setup.experiment(), timeout=30000)
    assert len(window.state.dataset.x_train) == 50 and "50 points" in first.text  # what page 1 describes
    assert not window.file_actions.dirty and window.status.currentMessage().startswith(f"Lesson: {first.title}")
    window.redraw()
    # The log tells of the page set up, not of the model the window opened with a moment before it.
    assert [line for line in window.log_panel.lines() if line.startswith("—")] == [
        f"— {window.status.currentMessage()}"
    ]
    window.session.shutdown()


@pytest.mark.parametrize("argv", [["--preset", "sine-linear"], ["EXAMPLE"]])
def test_a_file_or_preset_asked_for_on_the_first_start_wins_over_the_first_page(qtbot, tmp_path, monkeypatch, argv):
    from nnstudio.core.storage.examples import example_path

    argv = [str(example_path("sine")) if a == "EXAMPLE" else a for a in argv]
    window = first_start(qtbot, tmp_path, monkeypatch, argv)
    assert window.lessons.dock.isVisible()  # offered all the same
    assert window.state.experiment.name == "sine-linear" if "--preset" in argv else window.path == argv[0]
    window.session.shutdown()


def test_a_bad_lesson_file_gives_a_message_and_keeps_the_current_lesson(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(preset("sine"))
    before = window.lessons.panel.lesson
    bad = tmp_path / "bad.toml"
    bad.write_text("title = 'x'\n[[pages]]\ntitle = 'a'\n")
    warnings = []
    monkeypatch.setattr("nnstudio.gui.lessons.warn", lambda *args: warnings.append(args[2]))
    window.lessons.open_path(str(bad))
    assert warnings and "page 1" in warnings[0] and "text" in warnings[0]
    assert window.lessons.panel.lesson is before


def test_help_and_file_menus_reach_the_lessons_and_every_control_has_a_tooltip(qtbot, make_window):
    window = make_window(preset("sine"))
    help_texts = [a.text() for a in window.context.menu("menu.help").actions()]
    assert help_texts[0] == "&Lessons" and window.lessons.show_action.shortcut().toString() == "F2"
    file_texts = [a.text() for a in window.file_actions.file_menu.actions()]
    assert "Open &Lesson…" in file_texts and file_texts.index("Open &Lesson…") < file_texts.index("&Save")
    buttons = window.lessons.panel.findChildren(QAbstractButton)
    assert buttons and all(b.toolTip() for b in buttons)


def test_a_page_opens_its_instrument_on_the_tab_it_names(qtbot, make_window):
    """Lesson 1 page 3: the inspector opens on its backward phase, scrolled to the three gradients."""
    window = make_window(preset("sine"))
    window.resize(1024, 768)
    lesson = load_lesson(shipped_lessons()[0])
    index = next(i for i, page in enumerate(lesson.pages) if page.setup is not None and page.setup.tab)
    assert lesson.pages[index].setup.tab == "gradients" and "Inspect step (I)" in lesson.pages[index].text
    window.lessons.panel.set_lesson(lesson)
    window.lessons.show()
    window.lessons.panel.show_page(index)
    inspector = registered(window, "step_inspector")
    shown = []
    inspector.shown.connect(shown.append)
    window.lessons.panel.setup_button.click()
    qtbot.waitUntil(lambda: bool(shown) and window.state.experiment.name == "linear", timeout=30000)
    wait_idle(qtbot, window)
    panel = inspector.panel
    page = panel.pages["backward"]
    table = panel.tensor_table("gradient.W")
    qtbot.waitUntil(lambda: page.verticalScrollBar().value() > 0, timeout=5000)  # scrolled down to them
    assert panel.phase == "backward" and inspector.dock.isVisible() and table.isVisible()
    top = table.mapTo(page.viewport(), table.rect().topLeft()).y()
    bottom = table.mapTo(page.viewport(), table.rect().bottomLeft()).y()
    assert 0 <= top and bottom <= page.viewport().height(), (top, bottom, page.viewport().height())
    qtbot.keyClick(window, Qt.Key.Key_I)  # what the page says: Inspect step (I), and the gradients stay in view
    qtbot.waitUntil(lambda: len(shown) >= 2 and shown[-1].stepped, timeout=30000)
    assert panel.phase == "backward"
