"""Clips (issue "A clip for the slides and the post"): `adamviz export clip.mp4|clip.webm|clip.gif`
films the explorer frame by frame in headless Chromium — one iteration a frame — and encodes it with
PyAV (H.264, VP9) or Pillow (GIF). Each format is decoded back: its frame count and size, frames that
move, and a second run giving the same file byte for byte. Bad arguments get one line and exit 2, with
nothing rendered or written."""

from __future__ import annotations

import base64
import itertools
import sys

import av
import numpy as np
import pytest
from PIL import Image

from adamviz.app.cli import main
from adamviz.app.text import DECK

from browser_helpers import open_explorer, open_more, state

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


def test_smooth_scroll_films_quarter_iterations(tmp_path):
    """With --smooth each iteration is 4 frames, the window gliding a quarter of an iteration a frame:
    60..62 is 2 × 4 + 1 frames, each different from the one before (the glide moves every stem; the
    window glides once it is full, from iteration 39)."""
    out = tmp_path / "smooth.gif"
    assert (
        main(
            ["export", str(out), "--smooth", "--from", "60", "--to", "62", "--size", "960x540", "--no-header"]
        )
        == 0
    )
    frames = decoded(out)
    assert len(frames) == 9
    assert all((a != b).any() for a, b in itertools.pairwise(frames))


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
        (["clip.gif", "--lecture", "--slide", "99"], f"--slide must be in [1, {len(DECK)}]; got 99"),
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


RECORD = """async (options) => {
  const blob = await window.adamviz.record(options);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return { type: blob.type, data: btoa(text) };
}"""


@pytest.mark.alone  # MediaRecorder keeps real time: under a second worker's load it dropped a frame
def test_the_page_records_what_it_shows(page, static_url, tmp_path):
    """`record({from, to, fps})` in the page: iterations 40..49 as 10 frames of a WebM, each composed
    from the cards as they stand (canvases, words, keys) — the readout changes every frame — at the
    cards' size on the page; a bad range is refused, naming it."""
    open_explorer(page, static_url)
    got = page.evaluate(RECORD, {"from": 40, "to": 49, "fps": 10})
    assert got["type"] == "video/webm"
    clip = tmp_path / "page.webm"
    clip.write_bytes(base64.b64decode(got["data"]))
    frames = decoded(clip)
    assert len(frames) == 10
    width = page.evaluate(
        """() => { const e = window.AdamViz.instances[0]; const el = (m) => window.AdamViz.bokeh.elementOf(m);
           const boxes = e.models.cards.filter((c) => c.shows !== null).map((c) => el(c.layout).getBoundingClientRect());
           return Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left)); }"""
    )
    assert abs(frames[0].shape[1] - width) <= 2  # rounded to an even width for the encoder
    assert all((a != b).any() for a, b in itertools.pairwise(frames))
    # not a blank page: the cards' ink (dark text, grey lollipops, coloured lines) is there
    assert (frames[-1].mean(axis=2) < 128).mean() > 0.002
    assert state(page)["iteration"] == 49
    message = page.evaluate("(o) => window.adamviz.record(o).catch((e) => e.message)", {"from": 5, "to": 2})
    assert message == "to must be an iteration in [6, 199]; got 2"


def test_the_record_toggle_saves_what_played(page, static_url, tmp_path):
    open_explorer(page, static_url)
    open_more(page)
    toggle = page.locator(".av-record button")
    toggle.click()
    page.evaluate("window.adamviz.play()")
    page.wait_for_timeout(1000)
    with page.expect_download() as download:
        toggle.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "adamviz-cards.webm"
    frames = decoded(saved)
    assert len(frames) >= 10 and any((a != b).any() for a, b in itertools.pairwise(frames))
