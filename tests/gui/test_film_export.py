"""File ▸ Export ▸ Animation…: the current run as a film, painted in slices while the window stays usable."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnstudio.core.engine.presets import preset
from nnstudio.core.storage import film_files
from nnstudio.gui.film import export_dialog
from nnstudio.gui.film.export_dialog import ANIMATION_DIALOG
from tests.gui.driving import trained

SINE = preset("sine").with_training(epochs=12)


def animation_action(window):
    file_menu = window.menuBar().actions()[0].menu()
    export_menu = next(a.menu() for a in file_menu.actions() if a.menu() and a.text() == "&Export")
    return next(a for a in export_menu.actions() if a.text() == "&Animation…")


def open_dialog(window):
    animation_action(window).trigger()
    return window.context.get(ANIMATION_DIALOG)


def small(dialog, seconds=1.0, fps=5):
    dialog.seconds_spin.setValue(seconds)
    dialog.fps_spin.setValue(fps)
    dialog.width_spin.setValue(320)
    dialog.height_spin.setValue(200)


def test_the_dialog_films_the_current_run_from_its_history(qtbot, make_window, tmp_path):
    window = make_window(SINE)
    trained(qtbot, window, 12)
    action = animation_action(window)
    assert "GIF, WebP or MP4" in action.toolTip()
    dialog = open_dialog(window)
    qtbot.waitUntil(dialog.isVisible)
    small(dialog)
    assert dialog.summary.text() == "5 frames, from epoch 0 to epoch 12 (the run so far)."
    path = tmp_path / "run.gif"
    painted = []
    assert dialog.export_to(str(tmp_path / "run"))  # the format's suffix is added
    dialog.job.progressed.connect(lambda done, total: painted.append((done, total)))
    qtbot.waitUntil(lambda: not dialog.is_exporting, timeout=30000)
    assert dialog.written == str(path) and not dialog.isVisible()
    assert painted[-1] == (5, 5) and len(painted) >= 2  # painted in slices, the window answering in between
    with Image.open(path) as film:
        assert film.size == (320, 200) and film.n_frames == 5
        frames = []
        for index in range(film.n_frames):
            film.seek(index)
            frames.append(np.asarray(film.convert("RGB"), dtype=np.int16))
    assert np.any(frames[0] != frames[-1], axis=2).mean() > 0.01  # epoch 0 and epoch 12 differ
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]
    assert window.session.state.epoch == 12  # reading the history changed nothing


def test_cancel_stops_the_export_and_leaves_no_file(qtbot, make_window, tmp_path):
    window = make_window(SINE)
    trained(qtbot, window, 12)
    dialog = open_dialog(window)
    small(dialog, seconds=4, fps=20)  # 13 frames (every epoch recorded)
    for when in ("progressed", "writing"):  # while painting, and as the file is about to be encoded
        assert dialog.export_to(str(tmp_path / "run.webp"))
        getattr(dialog.job, when).connect(lambda *_: dialog.reject())  # Cancel
        with qtbot.waitSignal(dialog.job.cancelled, timeout=20000):
            pass
        assert not dialog.is_exporting and dialog.isVisible() and dialog.cancel_button.text() == "Close"
    window.session.shutdown()  # waits for the encoding thread, which writes nothing once cancelled
    assert list(tmp_path.iterdir()) == []


def test_refusals_are_said_in_the_dialog_and_mp4_says_what_to_install(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(film_files, "mp4_available", lambda: False)
    monkeypatch.setattr(export_dialog, "mp4_available", lambda: False)
    window = make_window(SINE)
    assert "pip install 'nnstudio[film]'" in export_dialog.menu_tooltip()
    dialog = open_dialog(window)
    mp4 = dialog.format_combo.model().item(dialog.format_combo.findData("MP4"))
    assert not mp4.isEnabled() and "pip install 'nnstudio[film]'" in mp4.toolTip()
    boundary = dialog.view_combo.model().item(dialog.view_combo.findData("boundary"))
    assert not boundary.isEnabled()  # the sine is a fit, not a decision map
    for path, said in (
        (tmp_path / "run.png", "a film is a .gif, .webp or .mp4 file"),
        (tmp_path / "missing" / "run.gif", "does not exist"),
        (tmp_path / "run.mp4", "MP4 needs imageio and imageio-ffmpeg"),
    ):
        assert not dialog.export_to(str(path))
        assert said in dialog.error.text() and not dialog.error.isHidden()
    assert list(tmp_path.iterdir()) == [] and dialog.job is None
