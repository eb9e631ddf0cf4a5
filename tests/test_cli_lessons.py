"""`nnstudio lessons check [FILE…]`: a teacher checks a lesson file the way a class would use it."""

from __future__ import annotations

import pytest

from nnstudio.cli import main
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


TEACHERS_LESSON = """\
title = "My line"

[[pages]]
title = "Play"
text = "Press Play."
[pages.setup]
preset = "linear"
[pages.expect]
epochs = 200
loss_below = {below}

[[pages]]
title = "Just words"
text = "No set-up here."

[[pages]]
title = "Too large"
text = "Set lr 0.03, Reset, Play: it diverges."
[pages.setup]
preset = "linear"
[[pages.then]]
training = {{ learning_rate = {rate} }}
epochs = 200
diverges_within = 10
"""


def test_the_shipped_lessons_pass_one_line_per_page(capsys):
    code, out, err = run_cli(capsys, "lessons", "check")
    lines = out.splitlines()
    pages = sum(len(load_lesson(path).pages) for path in shipped_lessons())
    page_lines = [line.strip() for line in lines if line.startswith("  ")]
    assert code == 0 and err == "" and len(page_lines) == pages
    assert all(line.startswith("✓ page ") for line in page_lines)
    assert f"{pages} page(s) checked: each did what its [expect] says" == lines[-1]
    assert "then learning_rate 0.03: 8 epochs, loss 114.6 → 1.263e+06, diverged at epoch 8" in out
    assert "1 epoch, loss 114.6, gradients agree (expected: 1 epoch, gradients agree)" in out


def test_a_teachers_lesson_that_holds(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(TEACHERS_LESSON.format(below=4.0, rate=0.03), encoding="utf-8")
    code, out, _ = run_cli(capsys, "lessons", "check", str(path))
    assert code == 0
    assert out.splitlines() == [
        "mine.toml: My line",
        "  ✓ page 1: Play — 200 epochs, loss 114.6 → 3.042 (expected: 200 epochs, below 4)",
        "  – page 2: Just words — nothing to check (no [expect])",
        "  ✓ page 3: Too large — then learning_rate 0.03: 8 epochs, loss 114.6 → 1.263e+06, diverged at epoch 8 "
        "(expected: diverges by epoch 10)",
        "2 page(s) checked: each did what its [expect] says",
    ]


def test_a_page_that_does_not_do_what_it_says_fails_with_exit_1(capsys, tmp_path):
    path = tmp_path / "wrong.toml"
    path.write_text(TEACHERS_LESSON.format(below=3.0, rate=0.01), encoding="utf-8")
    code, out, _ = run_cli(capsys, "lessons", "check", str(path))
    lines = out.splitlines()
    assert code == 1
    assert lines[1] == (
        "  ✗ page 1: Play — 200 epochs, loss 114.6 → 3.042 (expected: 200 epochs, below 3) — "
        "expected the last loss below 3"
    )
    assert lines[3].startswith("  ✗ page 3: Too large — then learning_rate 0.01: 200 epochs, loss 114.6 → ")
    assert lines[3].endswith("expected training to stop by itself (diverge) within 10 epochs; it did not")
    assert lines[-1] == "2 of 2 page(s) did not do what their [expect] says"


def test_a_bad_lesson_file_is_one_line_and_exit_2_before_anything_trains(capsys, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(TEACHERS_LESSON.format(below=4.0, rate=0.03), encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("format_version = 1\n" + TEACHERS_LESSON.format(below=4.0, rate=0.03), encoding="utf-8")
    code, out, err = run_cli(capsys, "lessons", "check", str(good), str(bad))
    assert code == 2 and out == ""
    assert (
        err == "nnstudio: error: bad.toml, page 3: 'then' needs format_version = 2 (the file says 1): change it to 2\n"
    )
    code, out, err = run_cli(capsys, "lessons", "check", str(tmp_path / "missing.toml"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "cannot read" in err


def test_lessons_alone_asks_for_check(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lessons"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "required: check" in err and err.count("\n") == 1
