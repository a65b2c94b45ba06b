"""The one look of every canvas figure the explorer draws (cards and the many-parameters view)."""

from __future__ import annotations

from typing import Any

from bokeh.palettes import Viridis256
from bokeh.plotting import figure

SLOT = "<div class='av-slot'></div>"
"""A Div's text the page writes into (bokeh_internals.js ``writeSlot``): fixed size, no relayout per frame."""

WRAP = {"flex-wrap": "wrap", "column-gap": "16px", "row-gap": "8px"}
"""Rows wrap onto new lines on narrow screens (down to 375 px) instead of overflowing."""

VIRIDIS = Viridis256[::8]
"""The colour scale of dots coloured by a number (size, iteration): 32 of viridis' 256 steps, a
thirty-second of the page weight and no visible banding at dot size."""


def canvas_figure(height: int, border: int, **options: Any) -> figure:
    """A full-width canvas figure with no toolbar, faint grid, no outline, transparent background and
    11/12 px axis text; ``border``: the pixels kept left and right for the axes."""
    plot = figure(
        height=height,
        sizing_mode="stretch_width",
        toolbar_location=None,
        tools="",
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
