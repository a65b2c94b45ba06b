"""``adamviz export clip.mp4|clip.webm|clip.gif``: the explorer playing, as a video or a looping GIF.

Frame by frame and deterministic: the exported page (inline, offline, its controls hidden) is opened in
headless Chromium at the clip's size; for each frame the page is set to the frame's iteration and,
once it has repainted, photographed. The same command gives the same frames, pixel for pixel. Frames
go to PyAV (FFmpeg's libraries, shipped in its wheels: H.264 for .mp4, VP9 for .webm) or Pillow (a
GIF with one palette for the whole clip, each frame storing only the rectangle that changed).

It needs the ``preview`` extra (Playwright, PyAV) and a Chromium: the system's or Playwright's own.
"""

from __future__ import annotations

import io
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from adamviz.record.files import write_atomically

from .export import explorer_html
from .preview import open_offline
from .settings import ExplorerSettings

CLIP_FORMATS = {".mp4": "H.264 video", ".webm": "VP9 video", ".gif": "looping GIF"}
"""What a clip can be, by its file's extension."""

OTHER_MEDIA = (
    ".mov",
    ".mkv",
    ".avi",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".ogv",
    ".apng",
    ".png",
    ".webp",
    ".jpg",
    ".jpeg",
)
"""Names that ask for a picture or a video adamviz does not write (any other name is a page)."""

DEFAULT_SIZE = (1280, 720)
LARGEST = (3840, 2160)
SMALLEST = (320, 180)
FPS_RANGE = (1, 60)
DEFAULT_FPS = {".mp4": 20, ".webm": 20, ".gif": 12}
"""Frames a second unless --fps says: the page's own 20 iterations a second for video; 12 for a GIF,
which stores every changed pixel of every frame (a gliding window changes most of each plot): 10 s at
1280x720 stays under 5 MB."""

# H.264 and VP9 at a constant quality: the plots are flat colour and thin lines (little to code), and
# one thread each so that the same frames always make the same file
VIDEO = {
    ".mp4": ("mp4", "libx264", {"crf": "30", "preset": "slow", "tune": "animation", "threads": "1"}),
    ".webm": (
        "webm",
        "libvpx-vp9",
        {"crf": "42", "b": "0", "deadline": "good", "cpu-used": "4", "threads": "1"},
    ),
}


SMOOTH_STEPS = 4
"""Frames an iteration with ``--smooth`` (the window gliding a quarter of an iteration a frame)."""


@dataclass(frozen=True)
class Clip:
    """What to film: iterations ``start``..``end`` (both drawn), ``fps`` frames a second, a frame
    ``size`` (width, height) in CSS pixels; ``slide``: a lecture slide (1-based) or None; ``steps``:
    frames an iteration (1, or SMOOTH_STEPS where the window glides)."""

    start: int
    end: int
    fps: int
    size: tuple[int, int]
    slide: int | None = None
    steps: int = 1

    @property
    def frames(self) -> int:
        return (self.end - self.start) * self.steps + 1

    def positions(self) -> Iterator[tuple[int, float]]:
        """Each frame's (iteration, fraction of the way to the next)."""
        for k in range(self.frames):
            yield self.start + k // self.steps, (k % self.steps) / self.steps


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` → (1280, 720); anything else, or a size outside 320×180 … 3840×2160, is refused."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"--size must be WIDTHxHEIGHT, e.g. 1280x720; got {text!r}")
    width, height = (int(part) for part in parts)
    if not (SMALLEST[0] <= width <= LARGEST[0] and SMALLEST[1] <= height <= LARGEST[1]):
        raise ValueError(
            f"--size must be within {SMALLEST[0]}x{SMALLEST[1]} and {LARGEST[0]}x{LARGEST[1]}; got {width}x{height}"
        )
    return width, height


def check_clip(
    path: str | Path,
    settings: ExplorerSettings,
    *,
    start: int | None = None,
    end: int | None = None,
    fps: int = 20,
    size: tuple[int, int] = DEFAULT_SIZE,
    slide: int | None = None,
) -> Clip:
    """The clip these arguments ask for, or a ValueError naming the first thing wrong (nothing is
    rendered or written before every argument is checked)."""
    suffix = Path(path).suffix.lower()
    if suffix not in CLIP_FORMATS:
        known = ", ".join(CLIP_FORMATS)
        raise ValueError(f"a clip is {known}; got {Path(path).name!r}")
    last = settings.iterations - 1
    start = 0 if start is None else start
    end = last if end is None else end
    if not 0 <= start <= last:
        raise ValueError(f"--from must be an iteration in [0, {last}]; got {start}")
    if not start < end <= last:
        raise ValueError(
            f"--to must be an iteration in [{start + 1}, {last}] (after --from {start}); got {end}"
        )
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        raise ValueError(f"--fps must be an integer in [{FPS_RANGE[0]}, {FPS_RANGE[1]}]; got {fps}")
    if suffix in VIDEO and (size[0] % 2 or size[1] % 2):
        raise ValueError(
            f"--size of a {suffix} video must be even in both directions; got {size[0]}x{size[1]}"
        )
    if slide is not None:
        from .text import DECK

        if not settings.lecture:
            raise ValueError("--slide goes with --lecture")
        if not 1 <= slide <= len(DECK):
            raise ValueError(f"--slide must be in [1, {len(DECK)}]; got {slide}")
    # smooth scroll glides the window between iterations (not the many-parameters view, nor the whole history)
    glides = settings.smooth and settings.window > 0 and settings.view != "population"
    return Clip(start, end, fps, size, slide, SMOOTH_STEPS if glides else 1)


def write_clip(
    path: str | Path, settings: ExplorerSettings, clip: Clip, progress: TextIO | None = None
) -> Path:
    """Film ``clip`` — as :func:`check_clip` made it for ``path`` and ``settings`` — of ``settings``'
    explorer and write it to ``path`` (atomically: a failure leaves whatever stood there).
    ``progress``: where the progress bar goes (default: stderr)."""
    progress = sys.stderr if progress is None else progress
    _require("playwright.sync_api", "Playwright")
    _require("av", "PyAV")
    values = {name: value for name, value in settings.param.values().items() if name != "name"}
    # the figures and their readouts; no controls (nothing in a clip can be clicked), no autoplay
    shown = ExplorerSettings(**{**values, "controls": [], "autoplay": False})
    suffix = Path(path).suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "clip.html"
        page_file.write_text(explorer_html(shown, resources="inline"), encoding="utf-8")
        # in a thread of its own: Playwright's sync API refuses a thread with a running event loop
        with ThreadPoolExecutor(max_workers=1) as worker:
            data = worker.submit(_film, page_file, clip, suffix, _ProgressBar(clip.frames, progress)).result()
    return write_atomically(path, data)


def _require(module: str, name: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise ValueError(f"a clip needs {name} and Chromium: pip install 'adamviz[preview]'") from None


def _film(page_file: Path, clip: Clip, suffix: str, progress: _ProgressBar) -> bytes:
    with _Camera(page_file, clip) as camera:
        frames = camera.frames(progress)
        if suffix != ".gif":
            return _encode_video(frames, clip, suffix)
        # the palette from the first and the last frame: the axes, the ink and every colour a line takes
        return _encode_gif(frames, clip.fps, _palette([camera.shoot(clip.start), camera.shoot(clip.end)]))


SHOOT = """async ([iteration, fraction, glides]) => {
  await window.adamviz.set({ iteration }); // resolves once every figure on screen has repainted
  if (glides) {
    // the window a fraction of the way to the next iteration, as smooth scroll glides it while playing
    window.AdamViz.instances[0].state.advance(0, fraction);
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  }
}"""
"""The page at a frame's position: its iteration, then (smooth scroll) the window a fraction further."""


class _Camera:
    """The exported page in headless Chromium at the clip's size, the network cut off: ``shoot(i)`` is
    the page at iteration i, photographed once every figure on screen has repainted."""

    def __init__(self, page_file: Path, clip: Clip):
        self.page_file, self.clip = page_file, clip

    def __enter__(self) -> _Camera:
        from playwright.sync_api import Error, sync_playwright

        self.playwright = sync_playwright().start()
        try:
            query = "" if self.clip.slide is None else f"?slide={self.clip.slide}"
            self.page = open_offline(self.playwright, self.page_file, self.clip.size, query)
            _fit(self.page, self.clip.size[1])
        except Error as error:
            self.playwright.stop()
            raise ValueError(
                f"a clip needs Chromium (the system's `chromium` or Playwright's): {error}"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.playwright.stop()

    def shoot(self, iteration: int, fraction: float = 0.0) -> Any:
        from PIL import Image

        self.page.evaluate(SHOOT, [iteration, fraction, self.clip.steps > 1])
        return Image.open(io.BytesIO(self.page.screenshot(type="png"))).convert("RGB")

    def frames(self, progress: _ProgressBar) -> Iterator[Any]:
        try:
            for iteration, fraction in self.clip.positions():
                yield self.shoot(iteration, fraction)
                progress.tick()
        finally:
            progress.done()


READABLE_PLOTS = 240  # px: the least a card's two plots are shortened to, to fit the frame


def _fit(page: Any, height: int) -> None:
    """Shorten the plots (the `height` setting, down to READABLE_PLOTS) until the page fits the frame:
    a clip shows whole cards, their iteration axis included. A frame too small for that (cards in two
    rows) shows what fits: fewer scenarios, a wider frame or --no-header make room."""
    for _ in range(3):  # a shorter plot can rewrap nothing else: one or two rounds settle it
        over = page.evaluate("document.documentElement.scrollHeight") - height
        current = page.evaluate("window.adamviz.state().params.height")
        wanted = max(min(READABLE_PLOTS, current), current - over)
        if over <= 0 or wanted == current:
            return
        page.evaluate("(h) => window.adamviz.set({height: h})", wanted)


def _encode_video(frames: Iterator[Any], clip: Clip, suffix: str) -> bytes:
    import av

    container_format, codec, options = VIDEO[suffix]
    out = io.BytesIO()
    # bitexact: no encoder version or random identifiers in the file, so the same frames give the same bytes
    with av.open(out, mode="w", format=container_format, options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=Fraction(clip.fps), options=options)
        stream.width, stream.height = clip.size
        stream.pix_fmt = "yuv420p"
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _palette(samples: list[Any]) -> Any:
    """One 256-colour palette for a whole clip, from sample frames stacked."""
    from PIL import Image

    width, height = samples[0].size
    sheet = Image.new("RGB", (width, height * len(samples)))
    for k, image in enumerate(samples):
        sheet.paste(image, (0, k * height))
    return sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)


def _encode_gif(frames: Iterator[Any], fps: int, palette: Any) -> bytes:
    """Each frame mapped to the clip's one palette without dithering (flat colours stay flat, and a
    pixel that did not change keeps its index); Pillow stores each frame as the rectangle that differs
    from the one before."""
    from PIL import Image

    mapped = (image.quantize(palette=palette, dither=Image.Dither.NONE) for image in frames)
    first = next(mapped)
    out = io.BytesIO()
    first.save(out, format="GIF", save_all=True, append_images=mapped, duration=round(1000 / fps), loop=0)
    return out.getvalue()


class _ProgressBar:
    """Frames done and time left, on one line of ``out`` rewritten in place (nothing when ``out`` is None)."""

    def __init__(self, total: int, out: TextIO | None, clock: Callable[[], float] = time.monotonic):
        self.total, self.out, self.clock = total, out, clock
        self.count, self.started, self.shown = 0, clock(), -math.inf

    def tick(self) -> None:
        self.count += 1
        now = self.clock()
        # a few updates a second (a log file gets a line per update, not per frame)
        if self.out is None or (now - self.shown < 0.25 and self.count < self.total):
            return
        self.shown = now
        elapsed = now - self.started
        left = elapsed / self.count * (self.total - self.count)
        filled = math.floor(24 * self.count / self.total)
        self.out.write(
            f"\r[{'#' * filled}{'.' * (24 - filled)}] frame {self.count}/{self.total}, {left:.0f} s left "
        )
        self.out.flush()

    def done(self) -> None:
        if self.out is not None and self.count:
            self.out.write("\n")
            self.out.flush()
