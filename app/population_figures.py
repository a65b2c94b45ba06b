"""The many-parameters view as Bokeh models: the r_t percentile bands and the spread scatter.

Python builds the models; assets/views/population.js fills and animates them in the page (the numbers come
from the engine's copy of :func:`adamviz.sim.population`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bokeh.models import (
    Button,
    Column,
    ColumnDataSource,
    Div,
    FixedTicker,
    Label,
    LayoutDOM,
    LinearColorMapper,
    LogAxis,
    Range1d,
    Row,
    Span,
)
from bokeh.plotting import figure

from . import text
from .palette import PLOT
from .plots import SLOT, VIRIDIS, WRAP, canvas_figure, colour_bar, on_overlay, view_header

INK = PLOT["ink"]


@dataclass
class PopulationModels:
    """The models of the many-parameters view that the page updates."""

    layout: LayoutDOM
    figures: list[Any]
    bands: ColumnDataSource
    medians: ColumnDataSource
    scatter: ColumnDataSource
    law: ColumnDataSource
    noise_rms: Span
    noise_label: Label
    cursor: Span
    x_range: Range1d
    y_range: Range1d
    step_range: Range1d
    r_ticker: FixedTicker
    step_ticker: FixedTicker
    spread_range: Range1d
    scale_range: Range1d
    spread_axis: Any
    readout: Div
    legend: Div
    equal_betas: Button
    controls: Row

    def browser_models(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _plot(height: int, **options: Any) -> figure:
    return canvas_figure(height, 56, min_width=300, **options)


def _bands_plot(height: int) -> tuple[figure, dict[str, Any]]:
    """p10–p90 of r_t as a band (one patch each) and p50 as a line (one line each) for the main and
    the compared optimizers — two renderers for all of them, colours and dashes per row; the right
    axis reads the same lines as the effective step η·r_t."""
    x_range, y_range, step_range = Range1d(0, 200), Range1d(1e-3, 2), Range1d(1e-5, 2e-2)
    plot = _plot(height, x_range=x_range, y_range=y_range, y_axis_type="log")
    plot.xaxis.axis_label = "iteration"
    plot.yaxis.axis_label = text.POPULATION["bands_axis"]
    # Bokeh's LogTicker labels ranges under ~2 decades linearly (0.5, 1, 1.5): the page sets 1-2-5 ticks
    r_ticker, step_ticker = FixedTicker(ticks=[]), FixedTicker(ticks=[])
    plot.yaxis.ticker = r_ticker
    plot.extra_y_ranges = {"step": step_range}
    step_axis = LogAxis(
        y_range_name="step",
        axis_label=text.POPULATION["step_axis"],
        major_label_text_font_size="11px",
        ticker=step_ticker,
    )
    step_axis.axis_label_text_font_size = "12px"
    step_axis.axis_label_text_font_style = "normal"
    plot.add_layout(step_axis, "right")
    bands = ColumnDataSource({"xs": [], "ys": [], "colour": [], "alpha": []})
    medians = ColumnDataSource({"xs": [], "ys": [], "colour": [], "dash": [], "width": []})
    moving = [
        plot.patches("xs", "ys", source=bands, fill_color="colour", fill_alpha="alpha", line_color=None),
        plot.multi_line(
            "xs", "ys", source=medians, line_color="colour", line_dash="dash", line_width="width"
        ),
    ]
    noise_rms = Span(location=0.229, dimension="width", line_color=INK, line_dash="dashed", line_width=1.5)
    plot.add_layout(noise_rms)
    noise_label = Label(
        x=0,
        y=0.229,
        x_units="screen",
        text=text.POPULATION["noise_label"],
        text_font_size="11px",
        text_color=INK,
        x_offset=4,
        y_offset=2,
    )
    plot.add_layout(noise_label)
    cursor = Span(location=0, dimension="height", line_color=INK, line_alpha=0.35, line_width=1)
    plot.add_layout(cursor)
    on_overlay([*moving, noise_rms, noise_label, cursor])  # (the pure-noise line follows β₁)
    models = {
        "bands": bands,
        "medians": medians,
        "noise_rms": noise_rms,
        "noise_label": noise_label,
        "cursor": cursor,
        "x_range": x_range,
        "y_range": y_range,
        "step_range": step_range,
        "r_ticker": r_ticker,
        "step_ticker": step_ticker,
    }
    return plot, models


def _scatter_plot(height: int) -> tuple[figure, dict[str, Any]]:
    """|step|/η against the spread per parameter at the current step, coloured by gradient magnitude,
    over the law 1/√(γ² + 1)."""
    spread_range, scale_range = Range1d(0.05, 20), Range1d(1e-3, 2)
    plot = _plot(height, x_range=spread_range, y_range=scale_range, x_axis_type="log", y_axis_type="log")
    plot.xaxis.axis_label = text.POPULATION["spread_true"]
    plot.yaxis.axis_label = text.POPULATION["scatter_axis"]
    law = ColumnDataSource({"x": [], "y": []})  # the page draws 1/√(γ² + 1) (AdamViz.lawCurve)
    plot.line("x", "y", source=law, line_color=INK, line_width=2, line_dash="dashed")
    mapper = LinearColorMapper(palette=VIRIDIS, low=-3, high=3)
    scatter = ColumnDataSource({"x": [], "y": [], "magnitude": []})
    dots = plot.scatter(
        "x",
        "y",
        source=scatter,
        size=4,
        fill_alpha=0.75,
        line_color=None,
        fill_color={"field": "magnitude", "transform": mapper},
    )
    on_overlay([dots])  # (over the law's curve, which stays beneath)
    # a copy for the bar: BokehJS redraws a bar's image whenever its mapper colours data (each change)
    colour_bar(plot, mapper.clone(), text.POPULATION["magnitude_bar"])
    models = {
        "scatter": scatter,
        "law": law,
        "spread_range": spread_range,
        "scale_range": scale_range,
        "spread_axis": plot.xaxis[0],
    }
    return plot, models


def population_view(
    height: int, visible: bool, spread_axis_widget: Any, n_params_widget: Any
) -> PopulationModels:
    """The many-parameters view: its header, controls, readout, legend and two figures."""
    bands_plot, band_models = _bands_plot(height)
    scatter_plot, scatter_models = _scatter_plot(height)
    header = view_header(text.POPULATION["title"], text.POPULATION["text"])
    equal_betas = Button(label=text.POPULATION["equal_betas"], css_classes=["av-equal-betas"])
    controls = Row(n_params_widget, spread_axis_widget, equal_betas, sizing_mode="stretch_width", styles=WRAP)
    readout = Div(text=SLOT, css_classes=["av-readout-box"], sizing_mode="stretch_width")
    legend = Div(text=SLOT, sizing_mode="stretch_width")
    figures = Row(bands_plot, scatter_plot, sizing_mode="stretch_width", styles=WRAP)
    layout = Column(
        header,
        controls,
        readout,
        legend,
        figures,
        css_classes=["av-population"],
        sizing_mode="stretch_width",
        visible=visible,
    )
    return PopulationModels(
        layout=layout,
        figures=[bands_plot, scatter_plot],
        readout=readout,
        legend=legend,
        equal_betas=equal_betas,
        controls=controls,
        **band_models,
        **scatter_models,
    )
