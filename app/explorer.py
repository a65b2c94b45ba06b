"""``AdamExplorer``: the explorer as a Panel component, for notebooks, ``panel serve`` and templates."""

from __future__ import annotations

import panel as pn
import param

from .figures import build_explorer
from .settings import ExplorerSettings


class AdamExplorer(pn.viewable.Viewer):
    """An explorer of Adam's adaptive learning rate; display it in a notebook or serve it.

    Every instance builds its own Bokeh models: two explorers (or two browser sessions) never share
    state. The settings here are the explorer's starting point; after that the browser owns them.

    >>> AdamExplorer(beta1=0.99, seed=3)  # doctest: +SKIP
    """

    settings = param.ClassSelector(class_=ExplorerSettings, doc="Initial settings of this explorer.")

    def __init__(self, **params):
        setting_names = set(ExplorerSettings.param) - {"name"}
        initial = {k: params.pop(k) for k in list(params) if k in setting_names}
        if "settings" not in params:
            params["settings"] = ExplorerSettings(**initial)
        elif initial:
            params["settings"].param.update(**initial)
        super().__init__(**params)
        self._models = build_explorer(self.settings)

    @property
    def instance_id(self) -> str:
        """The id the browser knows this explorer by (``window.adamviz.instances[k].id``)."""
        return self._models.instance_id

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.pane.Bokeh(self._models.layout, sizing_mode="stretch_width")
