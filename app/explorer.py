"""``AdamExplorer``: the explorer as a Panel component, for notebooks, ``panel serve`` and templates."""

from __future__ import annotations

import io

import panel as pn
import param

from .export import explorer_html
from .figures import build_explorer
from .report import reported_values
from .settings import ExplorerSettings, settings_from_report


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

    def current_settings(self) -> ExplorerSettings:
        """What the page shows now (as its last report said), validated; the initial settings before that
        (and for any setting a report leaves out)."""
        values = reported_values(self._models.report)
        if values is None:
            return self.settings
        return settings_from_report(values, self.settings)

    def export_file(self) -> io.BytesIO:
        """The current state as a self-contained HTML file (the Export button's download)."""
        return io.BytesIO(explorer_html(self.current_settings(), resources="inline").encode("utf-8"))

    def __panel__(self) -> pn.viewable.Viewable:
        download = pn.widgets.FileDownload(
            callback=self.export_file,
            filename="adamviz.html",
            label="⤓ Export as HTML",
            width=170,
            css_classes=["av-export"],
        )
        return pn.Column(
            pn.pane.Bokeh(self._models.layout, sizing_mode="stretch_width"),
            download,
            sizing_mode="stretch_width",
        )
