"""The served explorer: ``panel serve app/main.py`` (or ``adamviz serve``).

A fresh ``AdamExplorer`` per session; importing this module outside a server does nothing.
"""

from __future__ import annotations

import panel as pn

from adamviz.app.explorer import AdamExplorer


def create_app(lecture: bool = False) -> pn.viewable.Viewable:
    """One session's page."""
    pn.state.curdoc.title = "adamviz — Adam's adaptive learning rates"
    return pn.Column(
        AdamExplorer(lecture=lecture), sizing_mode="stretch_width", styles={"padding": "8px 16px"}
    )


if pn.state.served:
    create_app().servable(title="adamviz")
