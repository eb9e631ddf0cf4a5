"""The settings file is hostile too: each typed accessor gives a value of its type (or the default),
forgets what it cannot use and says so once; a settings file that is a pipe or huge is never opened.

The Hypothesis suite mutates the bytes of a settings file the app itself wrote, and puts values of
every kind under every key; whatever it holds, the accessors and the window's restore never raise.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter

from nnstudio.gui.pacing import AUTO, FULL, PACES
from nnstudio.gui.settings import MAX_RECENT, MAX_SETTINGS_BYTES, Settings, user_settings_path
from nnstudio.gui.themes import THEMES, apply_theme
from tests.hostile import hostile_settings, scaled
from tests.portability import needs_dev_zero

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")


def settings_from(tmp_path: Path, text: str | bytes, name: str = "settings.ini") -> Settings:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return Settings.at(path)


def stored_text(settings: Settings) -> str:
    settings.sync()
    return Path(settings.file_name).read_text("utf-8", "replace")


def plain_window() -> tuple[QMainWindow, QSplitter]:
    window = QMainWindow()
    splitter = QSplitter()
    splitter.addWidget(QLabel("a"))
    splitter.addWidget(QLabel("b"))
    window.setCentralWidget(splitter)
    return window, splitter


# --- each accessor, by hand ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, problem",
    [
        ("light, dark", "found ['light', 'dark']"),  # QSettings reads a comma as a list
        ("blue", "found 'blue'"),
        ("@Size(1 2)", "found PySide6.QtCore.QSize"),
        ("@ByteArray(dark)", "found PySide6.QtCore.QByteArray"),
        ("", "found ''"),
    ],
)
def test_a_theme_that_is_not_one_is_the_system_theme_said_once_and_forgotten(qapp, tmp_path, value, problem):
    settings = settings_from(tmp_path, f"[view]\ntheme={value}\n")
    assert settings.theme() == "system" and settings.theme() == "system"
    assert settings.problems == [settings.problems[0]] and settings.problems[0].startswith("the theme: expected one")
    assert problem in settings.problems[0]
    assert "theme" not in stored_text(settings)  # forgotten: the next start is quiet
    assert Settings.at(tmp_path / "settings.ini").theme() == "system"


@pytest.mark.parametrize("value", ["fast", "0", "-5", "7", "nan", "inf", "1e400", "20, 30", "@Size(1 2)", ""])
def test_a_speed_that_is_not_one_is_forgotten_and_said_once(qapp, tmp_path, value):
    settings = settings_from(tmp_path, f"[view]\ntraining_speed={value}\n")
    assert settings.pace() is None and settings.pace() is None  # the window then starts at the default speed
    assert len(settings.problems) == 1 and settings.problems[0].startswith("the training speed: expected auto, full")
    assert "training_speed" not in stored_text(settings)


@pytest.mark.parametrize(("value", "pace"), [("auto", AUTO), ("full", FULL), ("50", 50.0), ("0.5e1", 5.0)])
def test_a_remembered_speed_reads_back(qapp, tmp_path, value, pace):
    settings = settings_from(tmp_path, f"[view]\ntraining_speed={value}\n")
    assert settings.pace() == pace and not settings.problems


@pytest.mark.parametrize("value", ["abc", "-1", "1e9", "99999", "true", "2, 3", "@Size(1 2)", "٣"])
def test_a_lesson_page_that_is_not_a_page_number_is_the_first(qapp, tmp_path, value):
    lesson = tmp_path / "lesson.toml"
    lesson.write_text("title = 'x'\n")
    settings = settings_from(tmp_path, f"[lessons]\npath={lesson}\npage={value}\n")
    assert settings.lesson_position() == (str(lesson), 0)
    assert len(settings.problems) == 1 and settings.problems[0].startswith("the lesson page last read")


def test_a_good_lesson_position_reads_back_quietly(qapp, tmp_path):
    lesson = tmp_path / "lesson.toml"
    lesson.write_text("title = 'x'\n")
    settings = Settings.at(tmp_path / "settings.ini")
    settings.set_lesson_position(lesson, 3)
    settings.sync()
    again = Settings.at(tmp_path / "settings.ini")
    assert again.lesson_position() == (str(lesson), 3) and again.problems == []


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda tmp: tmp / "gone.toml", "is no longer there"),
        (lambda tmp: tmp, "is not a regular file"),
        pytest.param(lambda tmp: Path("/dev/zero"), "is not a regular file", marks=needs_dev_zero),
        (lambda tmp: "x" * 5000, "no file name"),
        (lambda tmp: "a, b", "a list"),
    ],
)
def test_a_remembered_lesson_that_is_no_regular_file_is_not_opened(qapp, tmp_path, make, problem):
    settings = settings_from(tmp_path, f"[lessons]\npath={make(tmp_path)}\n")
    assert settings.lesson_position() == (None, 0)
    assert len(settings.problems) == 1 and problem in settings.problems[0], settings.problems
    assert "path" not in stored_text(settings)


@FIFO
def test_a_named_pipe_as_the_remembered_lesson_or_experiment_is_never_opened(qapp, tmp_path):
    pipe = tmp_path / "pipe.nnstudio"
    os.mkfifo(pipe)
    settings = settings_from(tmp_path, f"[lessons]\npath={pipe}\n[files]\nlast_experiment={pipe}\n")
    assert settings.lesson_position() == (None, 0) and settings.experiment_to_reopen() is None  # no hang
    assert len(settings.problems) == 2 and all("not a regular file" in p for p in settings.problems)


def test_the_experiment_to_reopen_is_a_regular_file_or_nothing(qapp, tmp_path):
    kept = tmp_path / "kept.nnstudio"
    kept.write_bytes(b"x")
    assert settings_from(tmp_path, f"[files]\nlast_experiment={kept}\n", "a.ini").experiment_to_reopen() == str(kept)
    moved = settings_from(tmp_path, f"[files]\nlast_experiment={tmp_path / 'moved.nnstudio'}\n", "b.ini")
    assert moved.experiment_to_reopen() is None and moved.problems == []  # moved away since: nothing to say
    folder = settings_from(tmp_path, f"[files]\nlast_experiment={tmp_path}\n", "c.ini")
    assert folder.experiment_to_reopen() is None and "not a regular file" in folder.problems[0]
    listed = settings_from(tmp_path, "[files]\nlast_experiment=a, b\n", "d.ini")
    assert listed.experiment_to_reopen() is None and "a list" in listed.problems[0]


def test_recent_files_keep_only_file_names_once_and_at_most_ten(qapp, tmp_path):
    names = ", ".join(f"/f{n}.nnstudio" for n in [*range(12), 3])
    assert settings_from(tmp_path, f"[files]\nrecent={names}\n", "a.ini").recent_files() == [
        f"/f{n}.nnstudio" for n in range(MAX_RECENT)
    ]
    one = settings_from(tmp_path, "[files]\nrecent=/only.nnstudio\n", "b.ini")
    assert one.recent_files() == ["/only.nnstudio"] and one.problems == []
    odd = settings_from(tmp_path, "[files]\nrecent=@Size(1 2)\n", "c.ini")
    assert odd.recent_files() == [] and "not a list" in odd.problems[0]
    mixed = Settings()
    mixed._set("files/recent", ["/a", 3, None, "", "/b"])
    assert mixed.recent_files() == ["/a", "/b"] and "left out" in mixed.problems[0]


@pytest.mark.parametrize("value", ["maybe", "1, 2", "@Size(1 2)"])
def test_whether_lessons_were_offered_is_true_false_or_not_yet(qapp, tmp_path, value):
    settings = settings_from(tmp_path, f"[lessons]\noffered={value}\n")
    assert settings.lessons_offered() is False and len(settings.problems) == 1
    for stored, expected in (("true", True), ("false", False), ("TRUE", True)):
        assert settings_from(tmp_path, f"[lessons]\noffered={stored}\n", f"{stored}.ini").lessons_offered() is expected


@pytest.mark.parametrize(
    "geometry, restored",
    [
        ("hello", False),
        ("@ByteArray(garbage)", False),
        ("@Size(100 100)", False),
        ("a, b", False),
    ],
)
def test_a_window_layout_qt_cannot_read_is_left_alone_and_said_once(qapp, tmp_path, geometry, restored):
    settings = settings_from(tmp_path, f"[window]\ngeometry={geometry}\nstate=@ByteArray(xx)\n")
    window, splitter = plain_window()
    assert settings.restore_window(window, splitter) is restored
    assert len(settings.problems) == 1 and settings.problems[0].startswith("the window's size and position")
    assert "geometry" not in stored_text(settings)


def test_a_saved_layout_comes_back_without_a_word(qapp, tmp_path):
    window, splitter = plain_window()
    window.resize(640, 480)
    splitter.setSizes([100, 300])
    settings = Settings.at(tmp_path / "settings.ini")
    settings.save_window(window, splitter)
    settings.sync()
    again, again_splitter = plain_window()
    restored = Settings.at(tmp_path / "settings.ini")
    assert restored.restore_window(again, again_splitter) and restored.problems == []
    assert again.size() == window.size()


# --- the settings file itself ----------------------------------------------------------------------------


@FIFO
def test_a_settings_file_that_is_a_named_pipe_is_never_opened(qapp, tmp_path):
    pipe = tmp_path / "settings.ini"
    os.mkfifo(pipe)
    settings = Settings.at(pipe)  # QSettings would block here for ever, waiting for a writer
    assert settings.file_name is None and "is not a regular file" in settings.problems[0]
    settings.set_theme("dark")  # kept in memory for this session
    assert settings.theme() == "dark"


def test_a_huge_settings_file_is_never_read(qapp, tmp_path):
    huge = tmp_path / "settings.ini"
    huge.write_bytes(b"[view]\ntheme=dark\n" + b"x" * MAX_SETTINGS_BYTES)
    settings = Settings.at(huge)
    assert settings.file_name is None and settings.theme() == "system"
    assert "MB, far larger than nnstudio writes" in settings.problems[0]
    if Path("/dev/zero").exists():
        (tmp_path / "zero.ini").symlink_to("/dev/zero")
        assert "not a regular file" in Settings.at(tmp_path / "zero.ini").problems[0]


def test_the_users_settings_file_is_where_qsettings_keeps_it(qapp, tmp_path):
    probe = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnstudio-test-probe", "probe")
    original = str(Path(probe.fileName()).parent.parent)
    expected = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnstudio", "nnstudio").fileName()
    assert str(user_settings_path()) == expected
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    try:
        assert user_settings_path() == tmp_path / "nnstudio" / "nnstudio.ini"
    finally:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, original)


def test_the_guard_catches_and_logs_what_the_checks_missed(qapp, caplog):
    settings = Settings()
    with settings.restoring("the moon"):
        raise RecursionError("too deep")
    assert settings.problems == ["the moon: RecursionError: too deep"]
    assert "could not restore the moon" in caplog.text and "RecursionError" in caplog.text
    assert settings.take_problems() == ["the moon: RecursionError: too deep"] and settings.problems == []


# --- Hypothesis: the bytes of the settings file ----------------------------------------------------------

KEYS = {
    "view": ["theme"],
    "files": ["recent", "last_experiment"],
    "lessons": ["path", "page", "offered"],
    "window": ["geometry", "state", "plots_splitter"],
}
VALUES = st.one_of(
    st.sampled_from(
        [
            "light, dark",
            "dark",
            "@Size(1 2)",
            "@Rect(0 0 99999 99999)",
            "@Point(-5 7)",
            "@ByteArray(\\0\\0\\0\\x1)",
            "@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x3fxx)",
            "@Variant(\\0\\0\\0\\n\\0\\0\\0\\0\\x2)",
            "@Invalid()",
            "/dev/zero",
            "/",
            "\\0",
            '"quoted, comma"',
            "true",
            "-1",
            "1e999",
            "9" * 400,
            "x" * 5000,
        ]
    ),
    st.text(max_size=20),
    st.integers().map(str),
)
_names = itertools.count()


@st.composite
def settings_bytes(draw, seed: bytes) -> bytes:
    raw = bytearray(seed if draw(st.booleans()) else draw(st.binary(max_size=300)))
    for _ in range(draw(st.integers(0, 4))):  # values of every kind under every key
        section = draw(st.sampled_from(sorted(KEYS)))
        key = draw(st.sampled_from(KEYS[section]))
        raw += f"\n[{section}]\n{key}={draw(VALUES)}\n".encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["flip", "insert", "delete"]))
        if kind == "flip" and at < len(raw):
            raw[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = draw(st.sampled_from([b",", b"\n", b"=", b"[", b"\\", b"@", b"\0", b"\xff", b'"']))
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 20))]
    return bytes(raw)


def written_by_the_app(folder: Path) -> bytes:
    """A settings file as the app writes it: every key, the window's layout included."""
    lesson = folder / "lesson.toml"
    lesson.write_text("title = 'x'\n")
    settings = Settings.at(folder / "seed.ini")
    window, splitter = plain_window()
    settings.save_window(window, splitter)
    settings.set_theme("dark")
    settings.add_recent_file(folder / "a.nnstudio")
    settings.add_recent_file(folder / "b, c.nnstudio")
    settings.set_last_experiment(folder / "a.nnstudio")
    settings.set_lesson_position(lesson, 2)
    settings.set_lessons_offered()
    settings.set_pace(50.0)
    settings.sync()
    return (folder / "seed.ini").read_bytes()


def read_everything(settings: Settings) -> None:
    """Every accessor gives its type; restoring a window never raises and never needs the guard."""
    assert settings.theme() in THEMES
    recent = settings.recent_files()
    assert isinstance(recent, list) and len(recent) <= MAX_RECENT and all(isinstance(r, str) and r for r in recent)
    last = settings.last_experiment()
    assert last is None or isinstance(last, str)
    reopen = settings.experiment_to_reopen()
    assert reopen is None or Path(reopen).is_file()
    path, page = settings.lesson_position()
    assert (path is None or Path(path).is_file()) and type(page) is int and page >= 0
    assert type(settings.lessons_offered()) is bool
    assert settings.pace() in (None, AUTO, FULL, *PACES[:-1])
    window, splitter = plain_window()
    settings.restore(window, splitter)
    assert all(isinstance(problem, str) and problem for problem in settings.problems)
    # The typed accessors are deep enough: nothing reached the guard (it would name an exception).
    assert not any("Error:" in problem for problem in settings.problems), settings.problems


@scaled
def test_any_bytes_in_the_settings_file_read_as_values_of_the_right_type(qapp, tmp_path, scale):
    seed = written_by_the_app(tmp_path)

    @hostile_settings(150, scale)
    @given(settings_bytes(seed))
    @example(seed)
    @example(b"[view]\ntheme=light, dark\n")
    @example(b"\xef\xbb\xbf[lessons]\npage=\xff\xfe\n")
    def check(raw):
        path = tmp_path / f"s{next(_names)}.ini"  # a new name each time: Qt caches what it read per file
        path.write_bytes(raw)
        try:
            read_everything(Settings.at(path))
            read_everything(Settings.at(path))  # and again, after it forgot what it could not use
        finally:
            apply_theme("system")

    check()


def test_settings_that_were_already_wrong_are_quiet_the_second_time(qapp, tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text("[view]\ntheme=light, dark\n[lessons]\npage=abc\noffered=maybe\n[window]\ngeometry=x\n")
    first = Settings.at(path)
    read_everything(first)
    assert len(first.problems) == 4
    first.sync()
    del first
    second = Settings.at(tmp_path / "settings.ini")
    read_everything(second)
    assert second.problems == []
