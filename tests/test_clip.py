"""Clips (issue "A clip for the slides and the post"): `adamviz export clip.mp4|clip.webm|clip.gif`
films the explorer frame by frame in headless Chromium — one iteration a frame — and encodes it with
PyAV (H.264, VP9) or Pillow (GIF). Each format is decoded back: its frame count and size, frames that
move, and a second run giving the same file byte for byte. Bad arguments get one line and exit 2, with
nothing rendered or written."""

from __future__ import annotations

import itertools
import sys

import av
import numpy as np
import pytest
from PIL import Image

from adamviz.app.cli import main

pytestmark = pytest.mark.browser  # it drives Chromium

SMALL = ["--size", "640x360", "--fps", "10", "--from", "30", "--to", "49", "--no-header"]


def decoded(path) -> list[np.ndarray]:
    """Every frame of a clip, as RGB arrays."""
    if path.suffix == ".gif":
        image = Image.open(path)
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB")))
        return frames
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".gif"])
def test_a_clip_decodes_to_its_frames_and_is_the_same_every_time(tmp_path, capsys, suffix):
    first, second = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
    assert main(["export", str(first), *SMALL]) == 0
    assert main(["export", str(second), *SMALL]) == 0
    out = capsys.readouterr()
    assert "20 frames at 10 fps" in out.out and "frame 20/20" in out.err  # the progress bar, on stderr
    frames = decoded(first)
    assert len(frames) == 20 and frames[0].shape == (360, 640, 3)
    # each frame one iteration on: the readout, the cursor and the window move every frame
    assert all((a != b).any() for a, b in itertools.pairwise(frames))
    assert first.read_bytes() == second.read_bytes()
    if suffix == ".gif":  # 100 ms a frame, looping
        image = Image.open(first)
        assert image.info["duration"] == 100 and image.info["loop"] == 0


def test_a_lecture_slide_is_filmed(tmp_path):
    out = tmp_path / "slide.gif"
    assert main(["export", str(out), "--lecture", "--slide", "3", "--to", "4", "--size", "960x540"]) == 0
    assert len(decoded(out)) == 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["clip.mov"], "a clip is .mp4, .webm, .gif; got 'clip.mov'"),
        (
            ["clip.mp4", "--from", "50", "--to", "20"],
            "--to must be an iteration in [51, 199] (after --from 50); got 20",
        ),
        (["clip.mp4", "--from", "200"], "--from must be an iteration in [0, 199]; got 200"),
        (["clip.gif", "--size", "4000x3000"], "--size must be within 320x180 and 3840x2160; got 4000x3000"),
        (["clip.gif", "--size", "wide"], "--size must be WIDTHxHEIGHT, e.g. 1280x720; got 'wide'"),
        (
            ["clip.mp4", "--size", "641x360"],
            "--size of a .mp4 video must be even in both directions; got 641x360",
        ),
        (["clip.gif", "--fps", "0"], "--fps must be an integer in [1, 60]; got 0"),
        (["clip.gif", "--slide", "2"], "--slide goes with --lecture"),
        (["clip.gif", "--lecture", "--slide", "99"], "--slide must be in [1, 16]; got 99"),
        (["page.html", "--fps", "10"], "--fps go with a clip (OUT.mp4, OUT.webm or OUT.gif)"),
        (["clip.gif", "--snippet"], "--snippet goes with a page (OUT.html), not a clip"),
    ],
)
def test_bad_clip_arguments_get_one_line_and_write_nothing(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(["export", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_clip_without_the_preview_extra_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    assert main(["export", str(tmp_path / "clip.mp4")]) == 2
    assert "a clip needs PyAV and Chromium: pip install 'adamviz[preview]'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
