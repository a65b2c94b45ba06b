"""The browser side of the explorer, read from the installed ``adamviz.assets`` package.

The page's script is the modules of ``assets/`` concatenated in dependency order (each one adds its
part to one global, ``AdamViz``); the stylesheet is the palette's custom properties and adamviz.css.
"""

from __future__ import annotations

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
    "explorer.js",  # wires the above and exposes window.adamviz
)
"""The browser modules, in the order they load."""


@cache
def asset_text(name: str) -> str:
    """The text of ``assets/NAME`` (cached: the files never change while a process runs)."""
    return resources.files("adamviz.assets").joinpath(name).read_text(encoding="utf-8")


@cache
def explorer_script() -> str:
    """Every browser module, as one script: everything ``AdamViz.mount`` needs. Comments and blank
    space are stripped (rjsmin): the modules explain themselves at length, and every page carries them."""
    return rjsmin.jsmin("\n".join(asset_text(name) for name in BROWSER_MODULES))


def stylesheet() -> str:
    """The explorer's CSS: the palette as custom properties, then adamviz.css."""
    return css_variables() + asset_text("adamviz.css")
