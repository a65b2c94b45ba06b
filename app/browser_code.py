"""The browser side of the explorer, read from the installed ``adamviz.assets`` package.

The page's script is the modules of ``assets/`` concatenated in dependency order (each one adds its
part to one global, ``AdamViz``); the stylesheet is the palette's custom properties and adamviz.css.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

import rjsmin

from .palette import css_variables

BROWSER_MODULES = (
    "settings.js",  # the settings table from Python: validation, slider transforms, URL query
    "engine.js",  # streams and optimizers, bit for bit with adamviz.sim; no DOM
    "bokeh_internals.js",  # every use of BokehJS's private API
    "drawing.js",  # the cards: sources, decimation, ranges, readouts
    "population.js",  # the many-parameters view: percentile bands and the spread scatter
    "valley.js",  # the closed-loop view: the loss map with the paths, the bowl's panels
    "transport.js",  # play, pause, timing, and knowing when a frame has been painted
    "lecture.js",  # the slide deck and the keyboard
    "prose.js",  # links and live numbers in the text around an explorer (data-adamviz-*)
    "embeds.js",  # lite snippets: further explorers built from the first one's document
    "trace_files.js",  # reading a trace .npz, a .npy or a .csv in the page, as adamviz.record does
    "recordings.js",  # a loaded run's coordinates as cards: replayed, and as recorded
    "downloads.js",  # the view's data as CSV, its figures as PNG
    "explorer.js",  # wires the above and exposes window.adamviz
)
"""The browser modules, in the order they load."""


@cache
def asset_text(name: str) -> str:
    """The text of ``assets/NAME`` (cached: the files never change while a process runs)."""
    return resources.files("adamviz.assets").joinpath(name).read_text(encoding="utf-8")


BUNDLE = "adamviz.min.js"
"""The modules minified by esbuild (``python tests/build_bundle.py``): 30% lighter than rjsmin's
output, on every page. Its first line names the digest of the sources it was made from."""


def module_sources() -> str:
    """The browser modules, concatenated in load order."""
    return "\n".join(asset_text(name) for name in BROWSER_MODULES)


def bundle_header(sources: str) -> str:
    """The bundle's first line for ``sources``: it names what the bundle was built from."""
    return f"// adamviz.min.js from sources sha256:{hashlib.sha256(sources.encode()).hexdigest()}"


@cache
def explorer_script() -> str:
    """Every browser module, as one script: everything ``AdamViz.mount`` needs — the esbuild bundle
    when it was built from the current sources; otherwise (a developer between an edit and the next
    build) the sources with comments and blank space stripped (rjsmin): larger, never stale."""
    sources = module_sources()
    try:
        header, _, body = asset_text(BUNDLE).partition("\n")
    except FileNotFoundError:
        header, body = "", ""
    return body if header == bundle_header(sources) else rjsmin.jsmin(sources)


def stylesheet() -> str:
    """The explorer's CSS: the palette as custom properties, then adamviz.css."""
    css = css_variables() + asset_text("adamviz.css")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments: every page carries this sheet
    return re.sub(r"\s*\n\s*", "\n", css).strip() + "\n"
