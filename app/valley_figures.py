"""The closed-loop view as Bokeh models: the loss map with every optimizer's path (2-D problems) and the
bowl's three panels (loss, |m̂| against |step|, |step|/η against γ̂).

Python builds the models; assets/views/valley.js fills and animates them in the page (the paths come from the
engine's copy of :func:`adamviz.sim.descend`). The coordinates' cards are the explorer's own cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from bokeh.models import (
    Column,
    ColumnDataSource,
    Div,
    LayoutDOM,
    LinearColorMapper,
    Range1d,
    Row,
    Span,
)
from bokeh.plotting import figure

from . import text
from .palette import LOSS_BANDS, PLOT
from .plots import SLOT, VIRIDIS, WRAP, canvas_figure, colour_bar, on_overlay, view_header

INK = PLOT["ink"]

MARKERS = ["circle", "square", "triangle", "diamond", "inverted_triangle", "hex"]
"""The bowl panels' dot shapes: the main optimizer's first, then each compared one's in table order."""


@dataclass
class ValleyModels:
    """The models of the closed-loop view that the page updates."""

    layout: LayoutDOM
    figures: list[Any]
    map_figure: Any
    bowl_figures: list[Any]
    heat: ColumnDataSource
    paths: ColumnDataSource
    heads: ColumnDataSource
    marks: ColumnDataSource
    map_x: Range1d
    map_y: Range1d
    losses: ColumnDataSource
    loss_cursor: Span
    loss_x: Range1d
    loss_y: Range1d
    moments: ColumnDataSource
    moment_x: Range1d
    moment_y: Range1d
    law_dots: ColumnDataSource
    curve: ColumnDataSource
    law_x: Range1d
    law_y: Range1d
    iteration_colours: LinearColorMapper
    iteration_bar_colours: LinearColorMapper
    readout: Div
    header: Div
    legend: Div
    controls: Row

    def browser_models(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _plot(height: int, **options: Any) -> figure:
    return canvas_figure(height, 56, min_width=280, **options)


def _map(height: int) -> tuple[figure, dict[str, Any]]:
    """Filled loss contours (an image the page computes), the paths, where each is now, start and minimum."""
    map_x, map_y = Range1d(-2.5, 0.5), Range1d(-1.2, 1.2)
    plot = _plot(height, x_range=map_x, y_range=map_y)
    plot.xaxis.axis_label = "x"
    plot.yaxis.axis_label = "y"
    plot.grid.visible = False
    bands = LinearColorMapper(palette=LOSS_BANDS, low=0, high=len(LOSS_BANDS))
    heat = ColumnDataSource({"image": [np.zeros((2, 2))], "x": [0.0], "y": [0.0], "dw": [1.0], "dh": [1.0]})
    plot.image(image="image", x="x", y="y", dw="dw", dh="dh", source=heat, color_mapper=bands)
    paths = ColumnDataSource({"xs": [], "ys": [], "colour": [], "dash": [], "width": []})
    moving = [
        plot.multi_line("xs", "ys", source=paths, line_color="colour", line_dash="dash", line_width="width")
    ]
    heads = ColumnDataSource({"x": [], "y": [], "colour": []})
    moving.append(
        plot.scatter("x", "y", source=heads, size=10, fill_color="colour", line_color="white", line_width=1.5)
    )
    marks = ColumnDataSource({"x": [], "y": [], "marker": [], "size": []})
    # (the start and the minimum keep their place above the paths: on the same canvas, after them)
    moving.append(
        plot.scatter(
            "x",
            "y",
            source=marks,
            marker="marker",
            size="size",
            fill_color=None,
            line_color=INK,
            line_width=2,
        )
    )
    on_overlay(moving)
    return plot, {
        "heat": heat,
        "paths": paths,
        "heads": heads,
        "marks": marks,
        "map_x": map_x,
        "map_y": map_y,
    }


def _bowl_panels(height: int) -> tuple[list[figure], dict[str, Any]]:
    """The bowl's lesson: loss per optimizer (log), |m̂| against |step|, and |step|/η against γ̂ over the
    curve 1/√(γ̂² + 1), dots coloured by iteration."""
    loss_x, loss_y = Range1d(0, 200), Range1d(1e-12, 1)
    loss = _plot(height, x_range=loss_x, y_range=loss_y, y_axis_type="log", title=text.VALLEY["loss_title"])
    loss.xaxis.axis_label = "iteration"
    loss.yaxis.axis_label = text.VALLEY["loss_axis"]
    losses = ColumnDataSource({"xs": [], "ys": [], "colour": [], "dash": [], "width": []})
    moving = [
        loss.multi_line("xs", "ys", source=losses, line_color="colour", line_dash="dash", line_width="width")
    ]
    loss_cursor = Span(location=0, dimension="height", line_color=INK, line_alpha=0.35, line_width=1)
    loss.add_layout(loss_cursor)
    moving.append(loss_cursor)

    iteration_colours = LinearColorMapper(palette=VIRIDIS, low=0, high=200)
    dots = {
        "fill_color": {"field": "t", "transform": iteration_colours},
        "line_color": None,
        "fill_alpha": 0.8,
    }
    moment_x, moment_y = Range1d(1e-6, 1), Range1d(1e-6, 1)
    moment = _plot(
        height,
        x_range=moment_x,
        y_range=moment_y,
        x_axis_type="log",
        y_axis_type="log",
        title=text.VALLEY["moment_title"],
    )
    moment.xaxis.axis_label = text.VALLEY["m_axis"]
    moment.yaxis.axis_label = text.VALLEY["step_axis"]
    moments = ColumnDataSource({"x": [], "y": [], "t": [], "marker": []})
    moving.append(moment.scatter("x", "y", source=moments, marker="marker", size=5, **dots))

    law_x, law_y = Range1d(1e-3, 1e3), Range1d(1e-3, 2)
    law = _plot(
        height,
        x_range=law_x,
        y_range=law_y,
        x_axis_type="log",
        y_axis_type="log",
        title=text.VALLEY["law_title"],
    )
    law.xaxis.axis_label = text.VALLEY["spread_axis"]
    law.yaxis.axis_label = text.VALLEY["law_axis"]
    curve = ColumnDataSource({"x": [], "y": []})  # the page draws 1/√(γ² + 1) (AdamViz.lawCurve)
    law.line("x", "y", source=curve, line_color=INK, line_width=2, line_dash="dashed")
    law_dots = ColumnDataSource({"x": [], "y": [], "t": [], "marker": []})
    moving.append(law.scatter("x", "y", source=law_dots, marker="marker", size=5, **dots))
    on_overlay(moving)
    # the bar reads a copy of the mapper (the page sets both): BokehJS redraws a bar's image whenever its
    # mapper colours data, so sharing the dots' mapper redrew it twice a frame while the loop plays
    bar = colour_bar(law, iteration_colours.clone(), text.VALLEY["iteration_bar"])
    for plot in (loss, moment, law):
        plot.title.text_font_size = "13px"
        plot.title.text_font_style = "normal"
    models = {
        "losses": losses,
        "loss_cursor": loss_cursor,
        "loss_x": loss_x,
        "loss_y": loss_y,
        "moments": moments,
        "moment_x": moment_x,
        "moment_y": moment_y,
        "law_dots": law_dots,
        "curve": curve,
        "law_x": law_x,
        "law_y": law_y,
        "iteration_colours": iteration_colours,
        "iteration_bar_colours": bar.color_mapper,
    }
    return [loss, moment, law], models


def valley_view(height: int, visible: bool, widgets: list[Any]) -> ValleyModels:
    """The closed-loop view: its header, controls (``widgets``), readout, legend and figures."""
    map_plot, map_models = _map(round(height * 1.3))
    bowl_plots, bowl_models = _bowl_panels(height)
    header = view_header(text.VALLEY["title"])
    controls = Row(*widgets, sizing_mode="stretch_width", styles=WRAP)
    readout = Div(text=SLOT, css_classes=["av-readout-box"], sizing_mode="stretch_width")
    legend = Div(text=SLOT, sizing_mode="stretch_width")
    figures = Row(map_plot, *bowl_plots, sizing_mode="stretch_width", styles=WRAP)
    layout = Column(
        header,
        controls,
        readout,
        legend,
        figures,
        css_classes=["av-valley"],
        sizing_mode="stretch_width",
        visible=visible,
    )
    return ValleyModels(
        layout=layout,
        figures=[map_plot, *bowl_plots],
        map_figure=map_plot,
        bowl_figures=bowl_plots,
        readout=readout,
        header=header,
        legend=legend,
        controls=controls,
        **map_models,
        **bowl_models,
    )
