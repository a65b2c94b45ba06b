"""``adamviz export --preview PNG``: the picture a blog post's link card shows (1200 × 630, the size
Open Graph and most sites use), taken of the exported explorer itself in headless Chromium.

It needs a browser: Playwright (``pip install adamviz[preview]``) and a Chromium — the system's
(``chromium`` on the PATH, e.g. Debian's) or Playwright's own. Without them it says so and writes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .export import explorer_html
from .files import write_atomically
from .settings import ExplorerSettings

PREVIEW_SIZE = (1200, 630)


def write_preview(path: str | Path, settings: ExplorerSettings) -> Path:
    """Render ``settings``' explorer (inline, offline) and save a PNG screenshot of it at ``path``."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise ValueError("--preview needs Playwright and Chromium: pip install 'adamviz[preview]'") from None
    width, height = PREVIEW_SIZE
    # a link card shows the heading and the plots, not the controls
    values = {name: value for name, value in settings.param.values().items() if name != "name"}
    shown = ExplorerSettings(**{**values, "controls": [], "lecture": False})
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "preview.html"
        page_file.write_text(explorer_html(shown, resources="inline"), encoding="utf-8")
        try:
            with sync_playwright() as playwright:
                chromium = shutil.which("chromium")
                launch = {"executable_path": chromium} if chromium else {}
                browser = playwright.chromium.launch(args=["--no-sandbox", "--disable-gpu"], **launch)
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route(
                    "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
                )
                page.goto(page_file.as_uri())
                page.wait_for_function("window.adamviz !== undefined", timeout=30_000)
                page.evaluate("(i) => window.adamviz.set({iteration: i})", settings.iteration)
                image = page.screenshot(type="png")
                browser.close()
        except Error as error:
            raise ValueError(f"--preview could not run Chromium: {str(error).splitlines()[0]}") from None
    return write_atomically(path, image)
