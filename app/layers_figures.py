"""The Layers view as Bokeh models: every recorded group of a training run at a glance.

Three figures on one time axis (the run's steps): the learning rate each param group stepped with;
a heatmap of r_t's p50, one row per group in model order, on a log colour scale with its bar; and the
r_t band (p10–p90, p50) of the group under the pointer. assets/views/layers.js fills them from the
loaded run (the same numbers as :func:`adamviz.record.summary`) and says what they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from bokeh.models import (
    Column,
    ColumnDataSource,
    Div,
    FixedTicker,
    LayoutDOM,
    LogColorMapper,
    Range1d,
    Span,
)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from . import text
from .palette import PLOT
from .plots import SLOT, canvas_figure, colour_bar, compact_log_labels, view_header

INK = PLOT["ink"]
HEAT_COLOURS = Viridis256[::4]
"""The heatmap's 64 colours: smooth enough over a run's few decades of r_t."""
NAME_BORDER = 170
"""Pixels left of every plot for the groups' names (the three plots share their left edge)."""


@dataclass
class LayersModels:
    """The models of the Layers view that the page updates."""

    layout: LayoutDOM
    figures: list[Any]
    heat_plot: Any
    heat: ColumnDataSource
    mapper: LogColorMapper
    rows: Range1d
    names: FixedTicker
    bar_ticks: FixedTicker
    band_label: Any
    group_axis: Any
    marks: ColumnDataSource
    rates: ColumnDataSource
    rate_range: Range1d
    band: ColumnDataSource
    band_median: ColumnDataSource
    band_range: Range1d
    x_range: Range1d
    cursors: list[Span]
    findings: Div
    readout: Div

    def browser_models(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _plot(height: int, x_range: Range1d, **options: Any) -> figure:
    return canvas_figure(height, 56, x_range=x_range, min_width=300, **options)


def _cursor() -> Span:
    return Span(location=0, dimension="height", line_color=INK, line_alpha=0.5, line_width=1)


def layers_view(height: int, visible: bool) -> LayersModels:
    """The Layers view: its header, findings, readout and three figures (the page sizes the heatmap to
    the run's number of groups)."""
    x_range = Range1d(0, 1)
    cursors = [_cursor() for _ in range(3)]

    rate_range = Range1d(0, 1)
    rate_plot = _plot(110, x_range, y_range=rate_range)
    rate_plot.yaxis.axis_label = text.LAYERS["rate_axis"]
    rate_plot.xaxis.visible = False
    rate_plot.yaxis.formatter = compact_log_labels()  # 0.003, not 3.000e-3
    rate_plot.yaxis.ticker.desired_num_ticks = 3
    rates = ColumnDataSource({"xs": [], "ys": [], "dash": []})
    rate_plot.multi_line("xs", "ys", source=rates, line_color=INK, line_width=1.5, line_dash="dash")

    rows = Range1d(0.5, -0.5)  # the first group at the top
    heat_plot = _plot(max(160, height), x_range, y_range=rows)
    mapper = LogColorMapper(palette=HEAT_COLOURS, low=1e-3, high=1, nan_color="rgba(0,0,0,0)")
    # one transparent cell until the page has a run (its class is what the page's images are made of)
    heat = ColumnDataSource(
        {"image": [np.full((1, 1), np.nan)], "x": [0.0], "y": [-0.5], "dw": [1.0], "dh": [1.0]}
    )
    heat_plot.image("image", x="x", y="y", dw="dw", dh="dh", source=heat, color_mapper=mapper)
    # frozen groups' rows outlined; the row under the pointer, or the last opened, outlined too
    marks = ColumnDataSource({"x": [], "y": [], "width": [], "colour": [], "dash": []})
    heat_plot.rect(
        "x",
        "y",
        "width",
        0.9,
        source=marks,
        fill_color=None,
        line_color="colour",
        line_dash="dash",
        line_width=2,
    )
    names = FixedTicker(ticks=[])
    heat_plot.yaxis.ticker = names
    heat_plot.yaxis.major_label_text_font_size = "11px"
    heat_plot.ygrid.visible = False
    heat_plot.xaxis.axis_label = text.LAYERS["step_axis"]
    bar_ticks = FixedTicker(ticks=[])  # 1-2-5 ticks over the run's range (the page sets them)
    colour_bar(heat_plot, mapper, text.LAYERS["colour_bar"], ticker=bar_ticks, formatter=compact_log_labels())

    band_range = Range1d(1e-3, 1)
    band_plot = _plot(150, x_range, y_range=band_range, y_axis_type="log")
    band_plot.yaxis.axis_label = text.LAYERS["band_axis"]
    band_plot.xaxis.visible = False
    band = ColumnDataSource({"x": [], "y": []})
    band_plot.patch("x", "y", source=band, fill_color=PLOT["m_hat"], fill_alpha=0.25, line_color=None)
    band_median = ColumnDataSource({"x": [], "y": []})
    band_plot.line("x", "y", source=band_median, line_color=PLOT["m_hat"], line_width=2)
    band_plot.title.text = " "  # the page names the group whose band it shows
    band_plot.title.text_font_size = "11px"
    band_plot.title.text_font_style = "normal"
    band_label = band_plot.title

    for plot, cursor in zip((rate_plot, heat_plot, band_plot), cursors, strict=True):
        plot.add_layout(cursor)
        plot.min_border_left = NAME_BORDER
        plot.min_border_right = 90  # the colour bar's width, kept on all three: one time axis
    header = view_header(text.LAYERS["title"], text.LAYERS["text"])
    findings = Div(text=SLOT, sizing_mode="stretch_width", css_classes=["av-layers-findings"])
    readout = Div(text=SLOT, css_classes=["av-readout-box"], sizing_mode="stretch_width")
    layout = Column(
        header,
        findings,
        readout,
        rate_plot,
        heat_plot,
        band_plot,
        css_classes=["av-layers"],
        sizing_mode="stretch_width",
        visible=visible,
    )
    return LayersModels(
        layout=layout,
        figures=[rate_plot, heat_plot, band_plot],
        heat_plot=heat_plot,
        heat=heat,
        mapper=mapper,
        rows=rows,
        names=names,
        bar_ticks=bar_ticks,
        band_label=band_label,
        group_axis=heat_plot.yaxis[0],
        marks=marks,
        rates=rates,
        rate_range=rate_range,
        band=band,
        band_median=band_median,
        band_range=band_range,
        x_range=x_range,
        cursors=cursors,
        findings=findings,
        readout=readout,
    )
