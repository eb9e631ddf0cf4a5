"""`nnstudio record`: a run written as a film, the same every time, and every refusal made before training."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import nnstudio.core.teaching.film_recording as film_recording
from nnstudio.cli import main
from nnstudio.core.storage import film_files

SMALL = ["--preset", "sine", "--seconds", "2", "--fps", "5", "--size", "320x200"]


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def frames_of(path) -> tuple[list[np.ndarray], list[int]]:
    with Image.open(path) as image:
        assert image.size == (320, 200)
        frames, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB"), dtype=np.int16))
            durations.append(image.info["duration"])
    return frames, durations


def test_record_writes_the_whole_run_as_a_gif_and_the_same_one_again(tmp_path, capsys):
    film = tmp_path / "run.gif"
    code, out, err = run_cli(capsys, "record", *SMALL, "-o", str(film))
    assert code == 0
    assert out == f"Wrote {film}: 10 frames, epochs 0 to 100, 2 s at 5 frames a second, 320x200\n"
    assert err.startswith("nnstudio record: training 100 epochs…\n") and err.count("\n") == 3  # progress, no flood
    frames, durations = frames_of(film)
    assert len(frames) == 2 * 5 and sum(durations) == 2000
    first, last = frames[0], frames[-1]
    changed = np.any(first != last, axis=2)
    assert changed.mean() > 0.01  # the fit (and the epoch written on top) moved from the first epoch to the last
    assert all(np.any(a != b) for a, b in zip(frames, frames[1:], strict=False))  # every frame is a new moment
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]

    again = tmp_path / "again.gif"
    code, out, _ = run_cli(capsys, "record", *SMALL, "-o", str(again), "--json")
    assert code == 0 and again.read_bytes() == film.read_bytes()  # deterministic: the same command, the same film
    summary = json.loads(out)
    assert summary["type"] == "record" and summary["frames"] == 10 and summary["format"] == "GIF"
    assert (summary["first_epoch"], summary["last_epoch"], summary["diverged"]) == (0, 100, False)


@pytest.mark.parametrize(
    "output, extra, message",
    [
        ("run.png", [], "a film is a .gif, .webp or .mp4 file, not 'run.png'"),
        ("missing/run.gif", [], "the folder {folder}/missing does not exist"),
        ("run.mp4", [], "MP4 needs imageio and imageio-ffmpeg: pip install 'nnstudio[film]'"),
        ("run.gif", ["--fps", "60"], "a GIF shows at most 50 frames a second"),
        ("run.gif", ["--view", "boundary"], "the boundary view is for two-input classification data"),
        ("run.gif", ["--size", "10x10"], "a film's frames are from 160x100"),
    ],
)
def test_refusals_come_in_one_line_before_any_training(tmp_path, capsys, monkeypatch, output, extra, message):
    monkeypatch.setattr(film_files, "mp4_available", lambda: False)  # as without the `film` extra

    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(film_recording, "record_while_training", no_training)
    code, out, err = run_cli(capsys, "record", *SMALL, *extra, "-o", str(tmp_path / output))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("nnstudio") and message.format(folder=tmp_path) in err
    assert list(tmp_path.iterdir()) == []


def test_record_writes_mp4_when_its_extra_is_installed(tmp_path, capsys):
    pytest.importorskip("imageio_ffmpeg")
    pytest.importorskip("imageio")
    film = tmp_path / "run.mp4"
    code, _, _ = run_cli(capsys, "record", *SMALL, "-o", str(film))
    assert code == 0 and film.read_bytes()[4:8] == b"ftyp"
