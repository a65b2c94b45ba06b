"""The browser-side files in assets/, read from the installed package."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def asset_text(name: str) -> str:
    """The text of ``assets/NAME`` (cached: the files never change while a process runs)."""
    return resources.files("adamviz.assets").joinpath(name).read_text(encoding="utf-8")


def engine_source() -> str:
    """engine.js, explorer.js and lecture.js: everything ``AdamViz.mount`` needs, as one script."""
    return "\n".join(asset_text(name) for name in ("engine.js", "explorer.js", "lecture.js"))
