"""``adamviz export --preview PNG``: the picture a blog post's link card shows (1200 × 630, the size
Open Graph and most sites use), taken of the exported explorer itself in headless Chromium.

It needs a browser: Playwright (``pip install adamviz[preview]``) and a Chromium — the system's
(``chromium`` on the PATH, e.g. Debian's) or Playwright's own. Without them it says so and writes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from adamviz.record.files import write_atomically

from .export import explorer_html
from .settings import ExplorerSettings

PREVIEW_SIZE = (1200, 630)


def write_preview(path: str | Path, settings: ExplorerSettings) -> Path:
    """Render ``settings``' explorer (inline, offline) and save a PNG screenshot of it at ``path``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise ValueError("--preview needs Playwright and Chromium: pip install 'adamviz[preview]'") from None
    # a link card shows the heading and the plots, not the controls
    values = {name: value for name, value in settings.param.values().items() if name != "name"}
    shown = ExplorerSettings(**{**values, "controls": [], "lecture": False})
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "preview.html"
        page_file.write_text(explorer_html(shown, resources="inline"), encoding="utf-8")
        # in a thread of its own: Playwright's sync API refuses a thread with a running event loop
        # (a notebook, a test session)
        with ThreadPoolExecutor(max_workers=1) as worker:
            image = worker.submit(_screenshot, page_file, settings.opening_iteration).result()
    return write_atomically(path, image)


def open_offline(playwright: Any, page_file: Path, size: tuple[int, int], query: str = "") -> Any:
    """A page of headless Chromium (the system's ``chromium`` when on the PATH, else Playwright's) at
    ``size``, showing ``page_file`` with the network cut off, once its explorer is mounted."""
    chromium = shutil.which("chromium")
    launch = {"executable_path": chromium} if chromium else {}
    browser = playwright.chromium.launch(args=["--no-sandbox", "--disable-gpu"], **launch)
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(page_file.as_uri() + query)
    page.wait_for_function("window.adamviz !== undefined", timeout=30_000)
    return page


def _screenshot(page_file: Path, iteration: int) -> bytes:
    """A PNG of ``page_file`` at PREVIEW_SIZE, shown at ``iteration``, with the network cut off."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            page = open_offline(playwright, page_file, PREVIEW_SIZE)
            page.evaluate("(i) => window.adamviz.set({iteration: i})", iteration)
            return page.screenshot(type="png")
    except Error as error:
        raise ValueError(f"--preview could not run Chromium: {str(error).splitlines()[0]}") from None
