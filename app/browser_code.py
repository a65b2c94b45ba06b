"""The browser side of the explorer, read from the installed ``adamviz.assets`` package.

The page's script is one bundle, ``assets/adamviz.min.js``: the ES modules under ``assets/`` (entry
``explorer.js``) bundled and minified by esbuild at build time (``python tests/build_bundle.py``, which
first writes ``contract.js`` from Python's tables). Its first line names the digest of the sources it
was built from; tests/test_browser_modules.py fails while it is stale. The stylesheet is the
palette's custom properties and adamviz.css.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from functools import cache
from importlib import resources
from importlib.abc import Traversable

from .palette import css_variables

BUNDLE = "adamviz.min.js"
"""The bundle every page carries (generated; never edited by hand)."""

ENTRY = "explorer.js"
"""The module the bundle starts from: it wires the others and defines ``AdamViz.mount``."""


@cache
def asset_text(name: str) -> str:
    """The text of ``assets/NAME`` (cached: the files never change while a process runs)."""
    return resources.files("adamviz.assets").joinpath(name).read_text(encoding="utf-8")


def _module_files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for item in folder.iterdir():
        if item.is_dir() and not item.name.startswith(("_", ".")):
            found += _module_files(item, f"{prefix}{item.name}/")
        elif item.name.endswith(".js") and item.name != BUNDLE:
            found.append((prefix + item.name, item))
    return found


def module_sources() -> str:
    """Every browser module (path and text, in path order): what the bundle's digest covers."""
    files = sorted(_module_files(resources.files("adamviz.assets")), key=lambda pair: pair[0])
    return "".join(f"// {path}\n{item.read_text(encoding='utf-8')}\n" for path, item in files)


def bundle_header(sources: str) -> str:
    """The bundle's first line for ``sources``: it names what the bundle was built from."""
    return f"// adamviz.min.js from sources sha256:{hashlib.sha256(sources.encode()).hexdigest()}"


@cache
def explorer_script() -> str:
    """The bundle's script: everything ``AdamViz.mount`` needs. A bundle older than the modules (a
    developer between an edit and the next build) is still served, with a warning naming the fix."""
    header, _, body = asset_text(BUNDLE).partition("\n")
    if header != bundle_header(module_sources()):
        warnings.warn(
            "assets/adamviz.min.js is older than the modules in assets/: run `python tests/build_bundle.py`",
            stacklevel=2,
        )
    return body


def stylesheet() -> str:
    """The explorer's CSS: the palette as custom properties, adamviz.css, then the rules for Bokeh's own
    widgets (bokeh_internals.css, each class it names listed in bokeh_internals.js)."""
    css = css_variables() + asset_text("adamviz.css") + asset_text("bokeh_internals.css")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments: every page carries this sheet
    return re.sub(r"\s*\n\s*", "\n", css).strip() + "\n"
