"""The one look of every canvas figure the explorer draws (cards and the many-parameters view)."""

from __future__ import annotations

import html
import math
from typing import Any

from bokeh.models import ColorBar, CustomJSTickFormatter, Div, Label, LogAxis, NoOverlap
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

SLOT = "<div class='av-slot'></div>"
"""A Div's text the page writes into (bokeh_internals.js ``writeSlot``): fixed size, no relayout per frame."""

WRAP = {"flex-wrap": "wrap", "column-gap": "16px", "row-gap": "8px"}
"""Rows wrap onto new lines on narrow screens (down to 375 px) instead of overflowing."""

MOMENTS_SHARE = 0.55
"""A card's moments panel's share of its height (the ``height`` setting) when a lower panel shows too
(views/cards.js lays the cards out by it; :func:`panel_heights` gives the page the same heights to
start with, so that its mount lays nothing out again)."""


def panel_heights(height: int, panels: list[str]) -> tuple[int, int]:
    """A card's (moments, lower) panel heights in px, as views/cards.js ``arrange`` makes them: the
    moments panel ``round(height × MOMENTS_SHARE)`` and the lower one the rest where both show, else
    each the whole ``height``. (Rounding half up, as JavaScript's Math.round.)"""
    moments, lower = "moments" in panels, "step" in panels or "theta" in panels
    upper = math.floor(height * MOMENTS_SHARE + 0.5) if moments and lower else height
    return upper, height - upper if moments else height


VIRIDIS = Viridis256[::8]
"""The colour scale of dots coloured by a number (size, iteration): 32 of viridis' 256 steps, a
thirty-second of the page weight and no visible banding at dot size."""


def canvas_figure(height: int, border: int, **options: Any) -> figure:
    """A full-width canvas figure with no toolbar, faint grid, no outline, transparent background and
    11/12 px axis text; ``border``: the pixels kept left and right for the axes. It never draws a
    decimated copy of its glyphs (no ``lod_threshold``): with no tools there is no interaction to
    decimate for, and the page leaves those copies idle (bokeh_internals.js ``leanGlyphs``)."""
    plot = figure(
        height=height,
        sizing_mode="stretch_width",
        toolbar_location=None,
        tools="",
        lod_threshold=None,
        min_border_left=border,
        min_border_right=border,
        output_backend="canvas",
        **options,
    )
    plot.grid.grid_line_alpha = 0.35
    plot.outline_line_color = None
    plot.axis.major_label_text_font_size = "11px"
    plot.axis.axis_label_text_font_size = "12px"
    plot.axis.axis_label_text_font_style = "normal"
    plot.background_fill_color = None
    plot.border_fill_color = None
    return plot


def on_overlay(renderers: list[Any]) -> None:
    """Put what moves — while a view plays or a control is nudged — on its plot's second canvas
    (level "overlay", as the cards' curves): BokehJS then repaints that canvas alone and leaves the
    axes, labels and anything static painted beneath (bokeh_internals.js layerOverlays clips it to
    the frame). Renderers keep their order on that canvas."""
    for renderer in renderers:
        renderer.level = "overlay"


def view_header(title: str, explanation: str = "") -> Div:
    """A view's heading and its explanation (both escaped), full width, in a slot the page may write."""
    words = f"<p class='av-view-text'>{html.escape(explanation)}</p>" if explanation else ""
    return Div(
        text=f"<div class='av-slot'><h2 class='av-view-title'>{html.escape(title)}</h2>{words}</div>",
        sizing_mode="stretch_width",
    )


def colour_bar(plot: figure, mapper: Any, title: str, **options: Any) -> ColorBar:
    """A narrow colour bar right of ``plot`` for ``mapper``, titled, in the figures' 11 px type."""
    bar = ColorBar(
        color_mapper=mapper,
        title=title,
        title_text_font_size="11px",
        title_text_font_style="normal",
        major_label_text_font_size="11px",
        width=10,
        background_fill_color=None,
        **options,
    )
    plot.add_layout(bar, "right")
    return bar


def compact_log_labels() -> CustomJSTickFormatter:
    """A log axis's tick labels as 0.005, 10 or 2e-5: one size of type (Bokeh's own writes 10 with a
    superscript exponent, 70% of the label's size — under a slide's 22 px)."""
    return CustomJSTickFormatter(
        code=(
            "const a = Math.abs(tick);"
            "return a !== 0 && (a < 1e-3 || a >= 1e4) ? tick.toExponential(0) : String(Number(tick.toPrecision(2)));"
        )
    )


def share_axis_rules(figures: list[figure]) -> None:
    """One tick-label policy for every axis of the explorer — labels that would touch are left out
    (NoOverlap: a narrow plot in a slide's 22 px type has room for fewer) — and one formatter for
    every log axis (compact_log_labels). Shared models: each costs the page's file once."""
    policy, compact = NoOverlap(), compact_log_labels()
    for plot in figures:
        for axis in plot.axis:
            axis.major_label_policy = policy
            if isinstance(axis, LogAxis):
                axis.formatter = compact


def _size(spec: Any) -> str:
    return spec["value"] if isinstance(spec, dict) else spec


def canvas_texts(figures: list[figure]) -> list[list[Any]]:
    """Every text the figures paint on their canvases — axes' ticks and labels, titles, labels, colour
    bars — grouped by the sizes they have outside a lecture: [[{font-size property: size}, [models]]]
    (views/lecture.js sets them all to the slide's size and back)."""
    groups: dict[str, list[Any]] = {}

    def add(model: Any, keys: tuple[str, ...]) -> None:
        sizes = {key: _size(getattr(model, key)) for key in keys}
        groups.setdefault(repr(sorted(sizes.items())), [sizes, []])[1].append(model)

    for plot in figures:
        for axis in plot.axis:
            add(axis, ("major_label_text_font_size", "axis_label_text_font_size"))
        if plot.title is not None and plot.title.text:
            add(plot.title, ("text_font_size",))
        for item in [*plot.center, *plot.left, *plot.right, *plot.above, *plot.below]:
            if isinstance(item, Label):
                add(item, ("text_font_size",))
            elif isinstance(item, ColorBar):
                add(item, ("title_text_font_size", "major_label_text_font_size"))
    return list(groups.values())
