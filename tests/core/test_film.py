"""Films of a run, headless: which epochs become frames, how long each is shown, what is recorded, and the
file written (GIF, WebP; MP4 is refused without its extra). No Qt here: the frames are made-up pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nnstudio.core.engine.presets import preset
from nnstudio.core.engine.trainer import CancelToken, Trainer
from nnstudio.core.errors import NNStudioError
from nnstudio.core.storage import film_files
from nnstudio.core.storage.film_files import (
    FilmWriter,
    check_film_memory,
    check_film_output,
    frame_durations,
    frame_slots,
)
from nnstudio.core.teaching.film_plan import FilmSettings, frame_epochs, frame_indices, parse_size, prediction_view
from nnstudio.core.teaching.film_recording import record_from_history, record_while_training

# --- which epochs become frames ---------------------------------------------------------------------


@pytest.mark.parametrize("moments, wanted", [(101, 90), (101, 10), (1001, 300), (7, 2), (1_000_001, 150)])
def test_frames_spread_evenly_from_the_first_epoch_to_the_last(moments, wanted):
    chosen = frame_indices(moments, wanted)
    assert len(chosen) == wanted
    assert chosen[0] == 0 and chosen[-1] == moments - 1
    gaps = np.diff(chosen)
    ideal = (moments - 1) / (wanted - 1)
    assert np.all(gaps >= 1) and np.all(np.abs(gaps - ideal) <= 1)  # evenly spaced, never a repeat


def test_a_run_with_fewer_epochs_than_frames_shows_every_epoch():
    assert frame_indices(11, 90) == list(range(11))
    assert frame_indices(1, 90) == [0]  # an untrained run: one frame
    assert frame_indices(0, 90) == []
    assert frame_indices(50, 1) == [49]  # a single frame shows where the run ended


def test_frame_epochs_are_chosen_among_the_recorded_ones():
    recorded = [0, 4, 8, 12, 16, 20, 23]  # thinned every 4th, and now
    assert frame_epochs(recorded, 4) == [0, 8, 16, 23]
    assert frame_epochs(range(0, 101), 6) == [0, 20, 40, 60, 80, 100]


def test_the_settings_want_seconds_times_fps_frames_and_refuse_nonsense():
    assert FilmSettings(seconds=6, fps=15).frames_wanted == 90
    assert FilmSettings(seconds=2, fps=5, width=320, height=200).size == (320, 200)
    for bad in (
        {"seconds": 0},
        {"seconds": float("nan")},
        {"fps": 0},
        {"fps": 1000},
        {"width": 10},
        {"height": 99999},
        {"view": "movie"},
    ):
        with pytest.raises(NNStudioError):
            FilmSettings(**bad)
    assert parse_size("960X600") == (960, 600)
    with pytest.raises(NNStudioError, match="960x600"):
        parse_size("big")


def test_each_view_must_suit_the_data():
    assert prediction_view("both", has_class_map=False) == "fit"
    assert prediction_view("both", has_class_map=True) == "boundary"
    assert prediction_view("loss", has_class_map=True) is None and prediction_view("diagram", False) is None
    with pytest.raises(NNStudioError, match="boundary"):
        prediction_view("fit", has_class_map=True)
    with pytest.raises(NNStudioError, match="two-input classification"):
        prediction_view("boundary", has_class_map=False)


# --- how long each frame is shown ---------------------------------------------------------------------


@pytest.mark.parametrize("count, seconds, tick", [(90, 6, 10), (300, 10, 10), (101, 10, 10), (7, 2.5, 1), (1, 3, 10)])
def test_the_frames_last_the_films_length_in_whole_ticks(count, seconds, tick):
    durations = frame_durations(count, seconds, tick)
    assert len(durations) == count and sum(durations) == round(seconds * 1000)
    assert all(d % tick == 0 for d in durations)
    ideal = seconds * 1000 / count
    assert all(abs(d - ideal) <= tick for d in durations)


def test_a_video_repeats_frames_to_keep_its_rate():
    slots = frame_slots(101, 10, 30)
    assert len(slots) == 300 and slots[0] == 0 and slots[-1] == 100
    assert np.all(np.diff(slots) >= 0) and set(slots) == set(range(101))  # in order, every frame shown
    assert frame_slots(90, 6, 15) == list(range(90))


# --- refusals before anything is trained or drawn -----------------------------------------------------


def test_an_unknown_format_a_missing_folder_and_mp4_without_its_extra_are_refused(tmp_path, monkeypatch):
    with pytest.raises(NNStudioError, match=r"\.gif, \.webp or \.mp4.*run\.png"):
        check_film_output(tmp_path / "run.png", 15)
    with pytest.raises(NNStudioError, match="does not exist"):
        check_film_output(tmp_path / "missing" / "run.gif", 15)
    with pytest.raises(NNStudioError, match="at most 50"):
        check_film_output(tmp_path / "run.gif", 60)
    monkeypatch.setattr(film_files, "mp4_available", lambda: False)
    with pytest.raises(NNStudioError, match=r"imageio-ffmpeg: pip install 'nnstudio\[film\]'"):
        check_film_output(tmp_path / "run.mp4", 30)
    assert check_film_output(tmp_path / "run.webp", 30) == "WebP"
    assert list(tmp_path.iterdir()) == []


def test_a_film_too_big_for_memory_is_refused():
    check_film_memory(300, 960, 600)
    with pytest.raises(NNStudioError, match="shorter"):
        check_film_memory(3000, 1920, 1080)


# --- writing ------------------------------------------------------------------------------------------


def _pictures(count: int, width: int = 64, height: int = 40) -> list[np.ndarray]:
    """A bar that moves right, one column per frame, on white; its colour changes from frame to frame."""
    pictures = []
    for i in range(count):
        picture = np.full((height, width, 3), 255, dtype=np.uint8)
        picture[5:30, i : i + 8] = (0, 114 + i, 178)
        pictures.append(picture)
    return pictures


def _frames(path) -> tuple[list[np.ndarray], list[int]]:
    with Image.open(path) as image:
        frames, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
            durations.append(image.info["duration"])
    return frames, durations


@pytest.mark.parametrize("name, tick", [("run.gif", 10), ("run.webp", 1)])
def test_the_writer_keeps_every_frame_and_the_films_length(tmp_path, name, tick):
    pictures = _pictures(12)
    writer = FilmWriter(tmp_path / name, seconds=1.3, fps=10)
    writer.set_palette([pictures[0], pictures[-1]])  # as the painter does: the colours of both ends of the run
    for picture in pictures:
        writer.add(picture)
    assert writer.write() is True
    frames, durations = _frames(tmp_path / name)
    assert len(frames) == 12 and sum(durations) == 1300
    for written, painted in zip(frames, pictures, strict=True):
        assert np.abs(written.astype(int) - painted).max() <= 8  # the shared palette is close to the truth
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_cancelled_write_leaves_no_file(tmp_path):
    writer = FilmWriter(tmp_path / "run.gif", seconds=1, fps=5)
    for picture in _pictures(5):
        writer.add(picture)
    cancel = CancelToken()
    cancel.cancel()
    assert writer.write(cancel) is False
    assert list(tmp_path.iterdir()) == []


# --- what is recorded ---------------------------------------------------------------------------------


def test_training_records_each_frames_prediction_and_the_history_gives_the_same():
    """`nnstudio record` keeps the prediction as the run passes each frame's epoch; the window reads a finished
    run from its recorded weights: the same epochs give the same curves."""
    experiment = preset("sine").with_training(epochs=20)
    settings = FilmSettings(seconds=1, fps=6)
    seen = []
    trainer = Trainer(experiment)
    live = record_while_training(trainer, settings, lambda epoch, last: seen.append((epoch, last)))
    assert [frame.epoch for frame in live.frames] == [0, 4, 8, 12, 16, 20]
    assert seen[-1] == (20, 20) and len(seen) == 6
    assert trainer.epoch == 20 and live.last_epoch == 20 and live.message == ""
    assert len(live.loss_epochs) == 20 and live.losses_at(20)[0] == pytest.approx(trainer.loss_history.train[-1])
    assert np.isnan(live.losses_at(0)[0])
    assert all(frame.parameters is None for frame in live.frames)  # weights are kept for the diagram only

    recalled = record_from_history(trainer, settings)
    assert [frame.epoch for frame in recalled.frames] == [0, 4, 8, 12, 16, 20]
    for a, b in zip(live.frames, recalled.frames, strict=True):
        np.testing.assert_allclose(b.prediction, a.prediction, rtol=1e-10, atol=1e-12)
    assert not np.allclose(live.frames[0].prediction, live.frames[-1].prediction)  # the fit moved
    diagram = record_from_history(trainer, FilmSettings(seconds=1, fps=2, view="diagram"))
    assert [frame.epoch for frame in diagram.frames] == [0, 20] and diagram.frames[-1].parameters


def test_a_diverging_run_ends_its_film_where_it_diverged():
    experiment = preset("linear").with_training(learning_rate=0.03, epochs=200)
    recording = record_while_training(Trainer(experiment), FilmSettings(seconds=10, fps=10))
    assert recording.message.startswith("Diverged at epoch 8:")  # the README's example
    assert [frame.epoch for frame in recording.frames] == [0, 2, 4, 6, 8]  # every other epoch of 200, up to 8
