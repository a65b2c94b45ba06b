"""``ExplorerReport``: what a page tells a server about its state — a Bokeh ``DataModel`` with one typed
property per browser setting (from :func:`adamviz.app.settings.browser_spec`) and the iteration.

The page writes it when a setting changes and when it pauses (never per frame); a served explorer
reads it back for its Export button (:meth:`adamviz.app.explorer.AdamExplorer.current_settings`). It is
the only model a server syncs. A DataModel is BokehJS's public way to carry typed properties defined in
Python: no hidden widget, no compiled extension.
"""

from __future__ import annotations

from typing import Any

from bokeh.core.properties import Bool, Float, Int, List, String
from bokeh.model import DataModel

from .settings import browser_spec


def _property(entry: dict[str, Any]) -> Any:
    """The Bokeh property for one setting's table entry (default: the setting's)."""
    if entry["kind"] == "bool":
        return Bool(default=entry["default"])
    if entry["kind"] == "choices":
        return List(String, default=list(entry["default"]))
    if entry["kind"] == "choice":
        return String(default=entry["default"])
    return (Int if entry["integer"] else Float)(default=entry["default"])


ExplorerReport = type(
    "ExplorerReport",
    (DataModel,),
    {
        "__doc__": "A page's settings and paused iteration (``reported`` once the page has written them).",
        "__module__": __name__,
        # Bokeh looks for a JavaScript extension in the top-level package of a model's view module, and
        # `adamviz` is a namespace package (no __file__): a "bokeh." module says there is none to bundle
        # (BokehJS makes a DataModel's type from its definition in the document).
        "__view_module__": "bokeh.adamviz",
        "reported": Bool(default=False),
        "iteration": Int(default=0),
        **{name: _property(entry) for name, entry in browser_spec().items()},
    },
)


def reported_values(report: Any) -> dict[str, Any] | None:
    """The settings and iteration ``report`` holds, or None before the page wrote it."""
    if not report.reported:
        return None
    return {name: getattr(report, name) for name in (*browser_spec(), "iteration")}
