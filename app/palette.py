"""The one palette: every colour the plots draw and the page's text uses, defined once.

The plots take :data:`PLOT` directly; the stylesheet reads the same colours as CSS custom properties
(:func:`css_variables`), so an HTML legend key and the line it names cannot drift apart.
Okabe–Ito hues: distinguishable with every common colour-vision deficiency.
"""

from __future__ import annotations

PLOT = {
    "m_hat": "#0072B2",  # blue
    "sqrt_v_hat": "#E69F00",  # orange
    "scale": "#009E73",  # green
    "theta": "#CC79A7",  # purple
    "gradient": "#8C8C8C",  # grey
    "schedule": "#8C8C8C",  # grey, dotted: lr_t/η on the step panel (no gradients drawn there)
    "ink": "#333333",
    "ink_on_dark": "#c9d1d9",
    "grid_on_dark": "#30363d",
}
"""Colours drawn on the canvases, by what they draw."""

OPTIMIZER_STYLE = {
    "sgd": ("#D55E00", []),  # vermillion, solid
    "momentum": ("#56B4E9", [6]),  # sky blue, dashed
    "rmsprop": ("#A6761D", [2, 4]),  # brown, dotted
    "adam": ("#238B45", [6, 4, 2, 4]),  # green, dash-dot
    "amsgrad": ("#0072B2", [2, 4, 6, 4]),  # blue, dot-dash
    "adamw": ("#9467BD", [10, 3, 2, 3]),  # violet, long dash-dot
    "radam": ("#C51B7D", [8, 3]),  # deep pink, long dashes
    "nadam": ("#1B9E77", [1, 3]),  # teal, fine dots
    "adamax": ("#999933", [12, 3, 2, 3, 2, 3]),  # olive, dash-dot-dot
    "adagrad": ("#B15928", [4, 2, 4, 6]),  # rust, paired dashes
    "adafactor": ("#5E81AC", [14, 4]),  # steel blue, long dashes
}
"""How a *compared* optimizer is drawn: its colour and dash (Bokeh's line_dash, SVG's stroke-dasharray).
Green and violet sit midway, over 4:1 against both the light card (#ffffff) and the dark (#161b22);
every colour is at least 3:1 against both (what a line needs), and the dashes tell the near hues apart.
The main optimizer is drawn in the scale's green and θ's purple, boldest."""

LOSS_BANDS = (
    "#3b4f66",
    "#536a82",
    "#6d849b",
    "#889eb2",
    "#a3b6c7",
    "#bccbd8",
    "#d2dce6",
    "#e3eaf0",
    "#f0f4f7",
    "#fafbfc",
)
"""The closed-loop map's colours, from the lowest loss band to the highest: ten bands, each a tenth of
the map (deciles of log loss; views/valley.js), pale enough for the paths on top to read."""

TEXT = {
    "light": {
        "blue": "#0072b2",
        "orange": "#8f5500",  # the plot's orange, darkened for >= 4.5:1 contrast on the page
        "green": "#00745a",
        "ink": "#1f2328",
        "muted": "#57606a",
        "card": "#ffffff",
        "page": "#f6f8fa",
        "line": "#d0d7de",
        "focus": "#0969da",
        "highlight": "#fff3b0",  # behind ε in a readout when ε dominates the denominator
        "highlight-ink": "#5c4500",
        "error-line": "#cf222e",
        "error-fill": "#ffebe9",
        "error-ink": "#82071e",
        "primary": "#0b5cad",  # the Play button
        # Bokeh's widgets (bokeh_internals.css): buttons, inputs, menus, slider tracks
        "control": "#ffffff",
        "control-hover": "#f3f4f6",
        "control-active": "#dde3ea",
        "control-line": "#8c959f",  # >= 3:1 against the page: a control's edge is visible
        "track": "#eaeef2",
        "scheme": "light",  # native menus and checkboxes
    },
    "dark": {
        "blue": "#56b4e9",
        "orange": "#e69f00",
        "green": "#3ccfa0",
        "ink": "#e6edf3",
        "muted": "#9da7b3",
        "card": "#161b22",
        "page": "#0d1117",
        "line": "#30363d",
        "focus": "#58a6ff",
        "highlight": "#4d3b00",
        "highlight-ink": "#ffe58a",
        "error-line": "#f85149",
        "error-fill": "#3d1214",
        "error-ink": "#ffdcd7",
        "primary": "#1f6feb",
        "control": "#21262d",
        "control-hover": "#30363d",
        "control-active": "#1f3a5f",
        "control-line": "#6e7681",
        "track": "#30363d",
        "scheme": "dark",
    },
    "lecture": {"ink": "#000000", "muted": "#1a1a1a", "page": "#ffffff", "card": "#ffffff"},
}
"""Colours of the page's text and surfaces per theme (lecture mode: projector contrast)."""

_SELECTORS = {
    "light": ":host(.adamviz)",
    "dark": ":host(.adamviz.av-theme-dark)",
    "lecture": ":host(.adamviz.av-lecture:not(.av-theme-dark))",  # a dark lecture keeps its dark page
}


def css_variables() -> str:
    """The palette as CSS custom properties: ``--av-plot-NAME`` for plot colours, ``--av-opt-NAME`` for
    compared optimizers, ``--av-NAME`` for text."""
    plot = "".join(f"--av-plot-{name.replace('_', '-')}: {colour};" for name, colour in PLOT.items())
    plot += "".join(f"--av-opt-{name}: {colour};" for name, (colour, _) in OPTIMIZER_STYLE.items())
    blocks = [f"{_SELECTORS['light']} {{ {plot} }}"]
    for theme, colours in TEXT.items():
        body = "".join(f"--av-{name}: {colour};" for name, colour in colours.items())
        blocks.append(f"{_SELECTORS[theme]} {{ {body} }}")
    return "\n".join(blocks) + "\n"
