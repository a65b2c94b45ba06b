"""The explorer as a plain Bokeh layout: one card per scenario, the transport and advanced controls.

Python only builds the models; the page's modules (assets/) fill and animate them in the
browser. Every model but one is ``syncable=False``: the page never reports its frames to a server, only
its settings (on change and on pause) through its typed report (app/report.py), for the Export button.
"""

from __future__ import annotations

import html
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from bokeh.models import (
    AllIndices,
    Axis,
    BasicTicker,
    Button,
    Checkbox,
    CheckboxButtonGroup,
    ColorBar,
    Column,
    ColumnDataSource,
    CustomJS,
    CustomJSTickFormatter,
    Div,
    FixedTicker,
    GlyphRenderer,
    Grid,
    InlineStyleSheet,
    Label,
    LayoutDOM,
    LinearAxis,
    NumericInput,
    RadioButtonGroup,
    Range1d,
    Row,
    Select,
    Slider,
    Span,
    TextInput,
    Title,
    Toggle,
    UnionRenderers,
)
from bokeh.plotting import figure

from adamviz.record import RecordedRun
from adamviz.sim import OPTIMIZERS, PROBLEMS, SCHEDULES

from . import text
from .browser_code import explorer_script, stylesheet
from .layers_figures import layers_view
from .palette import PLOT
from .plots import SLOT, WRAP, canvas_figure, canvas_texts, panel_heights, share_axis_rules
from .population_figures import population_view
from .report import ExplorerReport
from .settings import (
    CONTROLS,
    LOOP_SETTINGS,
    SLIDERS,
    VIEWS,
    ExplorerSettings,
    browser_spec,
    browser_values,
)
from .traces import TRACE_CARDS, page_traces
from .valley_figures import LOSS_BANDS, MARKERS, valley_view

BLUE, ORANGE, GREEN, PURPLE = PLOT["m_hat"], PLOT["sqrt_v_hat"], PLOT["scale"], PLOT["theta"]
GREY, INK, INK_ON_DARK = PLOT["gradient"], PLOT["ink"], PLOT["ink_on_dark"]

LIVE_SLOT = "<div class='av-slot av-live' aria-live='polite' role='status'></div>"

OPTIMIZERS_INDEX = {name: index for index, name in enumerate(OPTIMIZERS)}

ESSENTIAL_SETTINGS = ("lr", "beta1", "beta2", "eps", "iterations")
"""The settings every card answers to, shown with the cards; the rest wait behind "More settings"."""

SLIDER_SETTINGS = ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "grad_scale", "iterations")
"""The advanced settings shown as transformed sliders (settings.SLIDERS says how each moves)."""

OTHER_SLIDERS = ("warmup", "min_lr", "switch_at", "switch_lr", "n_params", "condition", "noise")
"""Settings shown as sliders of their own width: the schedule's, the switch's, the many-parameters
view's and the closed loop's."""


@dataclass
class Card:
    """The models of one scenario card that the browser updates."""

    name: str
    layout: LayoutDOM
    figures: list[Any]
    grad: ColumnDataSource
    line: ColumnDataSource
    ghost: ColumnDataSource
    eps: Span
    readout: Div
    legend: Div
    header: Div
    others: ColumnDataSource
    others_theta: ColumnDataSource
    others_theta_marks: ColumnDataSource
    grad_band: ColumnDataSource
    step_axis: Axis
    theta_axis: Axis
    cursors: list[Span] = field(default_factory=list)
    drawn: dict[str, list[Any]] = field(default_factory=dict)
    """The renderers (and axes) of the ``step`` and ``theta`` panels, which the page may hide."""

    def browser_models(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "layout": self.layout,
            "figures": self.figures,
            "grad": self.grad,
            "line": self.line,
            "ghost": self.ghost,
            "others": self.others,
            "others_theta": self.others_theta,
            "others_theta_marks": self.others_theta_marks,
            "grad_band": self.grad_band,
            "eps": self.eps,
            "cursors": self.cursors,
            "readout": self.readout,
            "legend": self.legend,
            "header": self.header,
            "step_axis": self.step_axis,
            "theta_axis": self.theta_axis,
            "drawn": self.drawn,
            "moments_xaxis": self.figures[0].xaxis[0],
            "y_moments": self.figures[0].y_range,
        }


def _empty(*columns: str) -> ColumnDataSource:
    return ColumnDataSource({name: [] for name in ("x", *columns)})


def _figure(height: int, x_range: Range1d, y_range: Range1d, y_label: str) -> figure:
    plot = canvas_figure(height, 48, x_range=x_range, y_range=y_range)
    plot.yaxis.axis_label = y_label
    plot.xaxis.axis_label = "iteration"
    return plot


PLAIN_TICKS = (
    "if (tick === 0) return '0';"
    "const a = Math.abs(tick);"
    "if (a >= 1e4 || a < 1e-3) { const [m, e] = tick.toExponential(2).split('e'); return `${Number(m)}e${Number(e)}`; }"
    "return String(Number(tick.toPrecision(4)));"
)
"""A linear axis's labels: 0 as "0" (Bokeh's own wrote "0.000e+0" beside tiny ticks), tiny and huge
values as 1.5e-7, the rest as plain numbers."""


def card_header(name: str) -> str:
    """A card's title and explanation (HTML), for scenario ``name``."""
    title, explanation = text.CARD_TEXT[name]
    return f"<h2 class='av-card-title'>{html.escape(title)}</h2><p class='av-card-text'>{html.escape(explanation)}</p>"


def _card(
    name: str,
    x_range: Range1d,
    y_moments: Range1d,
    y_step: Range1d,
    y_theta: Range1d,
    plain: Any,
    height: int,
    panels: list[str],
) -> Card:
    """One card, first showing scenario ``name``; the page may give it another (a lecture slide's).
    ``plain``: the explorer's one formatter of linear ticks (PLAIN_TICKS), shared by every card;
    ``height`` and ``panels``: the settings its panels are sized and shown by, as the page's mount
    would (plots.panel_heights)."""
    grad, line, ghost = (
        ColumnDataSource({column: [] for column in ("stem_x", "stem_y", "head_x", "head_y")}),
        _empty("m_hat", "sqrt_v_hat", "step", "theta"),
        _empty("m_hat", "sqrt_v_hat", "step"),
    )

    heights = panel_heights(height, panels)
    lower = "step" in panels or "theta" in panels
    moments = _figure(heights[0], x_range, y_moments, "g, m̂, √v̂")
    moments.visible = "moments" in panels
    moments.yaxis.formatter = plain
    moments.xaxis.visible = not lower  # the step panel below carries the shared iteration axis
    moments.add_layout(Span(location=0, dimension="width", line_color=INK, line_alpha=0.5, line_width=1))
    eps = Span(location=1e-8, dimension="width", line_color=INK, line_dash="dotted", line_width=1.5)
    moments.add_layout(eps)
    # where an iteration gets under 3 px, the gradients as a band per pixel column, from the least to the
    # greatest g the column holds (views/plot_data.js's envelope()); the latest stay lollipops on top
    grad_band = ColumnDataSource({"x": [], "lower": [], "upper": []})
    moments.varea("x", "lower", "upper", source=grad_band, fill_color=GREY, fill_alpha=0.6)
    # the lollipops, each layer one path (views/plot_data.js's lollipops()): the stems from 0 to g, and the heads,
    # a short round-capped stroke at each g as wide as a 5 px marker with its 1 px outline
    moments.line("stem_x", "stem_y", source=grad, line_color=GREY, line_width=1.5)
    moments.line("head_x", "head_y", source=grad, line_color=GREY, line_width=6, line_cap="round")
    moments.line("x", "m_hat", source=ghost, line_color=BLUE, line_alpha=0.28, line_width=2)
    moments.line(
        "x", "sqrt_v_hat", source=ghost, line_color=ORANGE, line_alpha=0.3, line_width=2, line_dash="dashed"
    )
    moments.line("x", "m_hat", source=line, line_color=BLUE, line_width=2.5)
    moments.line("x", "sqrt_v_hat", source=line, line_color=ORANGE, line_width=2.5, line_dash="dashed")

    step_plot = _figure(heights[1], x_range, y_step, text.STEP_AXIS_LABEL)
    step_plot.visible = lower
    step_plot.yaxis.ticker = BasicTicker()
    step_plot.yaxis.formatter = plain
    step_plot.extra_y_ranges = {"theta": y_theta}
    theta_axis = LinearAxis(
        y_range_name="theta",
        axis_label="θ",
        major_label_text_font_size="11px",
        ticker=BasicTicker(),
        formatter=plain,
    )
    step_plot.add_layout(theta_axis, "right")
    step_plot.add_layout(Span(location=0, dimension="width", line_color=INK, line_alpha=0.5, line_width=1))
    step_renderers = [
        step_plot.line("x", "step", source=ghost, line_color=GREEN, line_alpha=0.3, line_width=2)
    ]
    # the compared optimizers: one multi-line each for step/η and θ, colour and dash per line (and,
    # under a schedule, lr_t/η as one more line of the step/η one)
    others = ColumnDataSource({"xs": [], "ys": [], "colour": [], "dash": []})
    others_theta = ColumnDataSource({"xs": [], "ys": [], "colour": [], "dash": []})
    step_renderers.append(
        step_plot.multi_line("xs", "ys", source=others, line_color="colour", line_dash="dash", line_width=1.8)
    )
    # a compared optimizer's θ: its colour and dash, thin, and an open circle every few iterations
    # (views/cards.js): in the panel its step/η line shares, the circles tell the two apart
    others_theta_marks = ColumnDataSource({"x": [], "y": [], "colour": []})
    theta_renderers = [theta_axis]
    theta_renderers.append(
        step_plot.scatter(
            "x",
            "y",
            source=others_theta_marks,
            y_range_name="theta",
            marker="circle",
            size=7,
            fill_color=None,
            line_color="colour",
            line_width=1.5,
        )
    )
    theta_renderers.append(
        step_plot.multi_line(
            "xs",
            "ys",
            source=others_theta,
            y_range_name="theta",
            line_color="colour",
            line_dash="dash",
            line_width=1.2,
            line_alpha=0.6,
        )
    )
    step_renderers.append(step_plot.line("x", "step", source=line, line_color=GREEN, line_width=2.75))
    step_renderers.append(step_plot.yaxis[0])
    theta_renderers.append(
        step_plot.line(
            "x",
            "theta",
            source=line,
            y_range_name="theta",
            line_color=PURPLE,
            line_width=2,
            line_dash="dashdot",
        )
    )

    cursors = []
    for plot in (moments, step_plot):
        cursor = Span(location=0, dimension="height", line_color=INK, line_alpha=0.35, line_width=1)
        plot.add_layout(cursor)
        cursors.append(cursor)
        # what moves goes on the plot's second canvas: while only the data and cursor move (the whole
        # history playing, most control changes) BokehJS leaves the axes, grid and labels painted
        # (bokeh_internals.js's layerOverlays clips that canvas to the frame)
        for renderer in [*plot.renderers, *plot.center]:
            if isinstance(renderer, (GlyphRenderer, Span)):
                renderer.level = "overlay"

    readout = Div(text=SLOT, css_classes=["av-readout-box"], sizing_mode="stretch_width")
    header = Div(text=SLOT, sizing_mode="stretch_width")  # the page writes it (config.cardHeaders)
    # the page writes it (config.legendItems); its top margin takes up what a shorter header leaves, so
    # that the plots of cards side by side start level (each card stretches to its row's height)
    legend = Div(text=SLOT, sizing_mode="stretch_width", styles={"margin-top": "auto"})
    layout = Column(
        header,
        readout,
        legend,
        moments,
        step_plot,
        css_classes=["av-card"],
        sizing_mode="stretch_width",
        min_width=340,  # the readout's formula on two lines at most, never a number cut in two
        styles={"height": "auto"},  # Bokeh's fit-content would keep it from stretching to its row
    )
    return Card(
        name,
        layout,
        [moments, step_plot],
        grad,
        line,
        ghost,
        eps,
        readout,
        legend,
        header,
        others,
        others_theta,
        others_theta_marks,
        grad_band,
        step_plot.yaxis[0],
        theta_axis,
        cursors,
        {"step": step_renderers, "theta": theta_renderers},
    )


def _symlog_axis() -> dict[str, Any]:
    """The ticker and labels of a symmetric-log axis (views/plot_data.js's ``symlog``): a tick t stands for
    t·c within ±1 and ±c·10^(|t|−1) beyond; the page puts the ticks and c (in ``tags``) on the ticker."""
    ticker = FixedTicker(ticks=[], tags=[1.0])
    formatter = CustomJSTickFormatter(
        args={"ticker": ticker},
        code=(
            "const c = ticker.tags[0]; const a = Math.abs(tick);"
            "const v = a <= 1 ? tick * c : Math.sign(tick) * c * 10 ** (a - 1);"
            "const m = Math.abs(v);"
            "return m !== 0 && (m >= 1e4 || m < 1e-3) ? v.toExponential(0) : String(Number(v.toPrecision(2)));"
        ),
    )
    return {"ticker": ticker, "formatter": formatter}


def _slider_formatter(name: str) -> CustomJSTickFormatter:
    """How slider ``name`` shows its value (through its transform; values ≥ 1 as plain numbers)."""
    transform, zero_at, zero_means = SLIDERS[name].transform, SLIDERS[name].zero_at, SLIDERS[name].zero_means
    exponential = (
        "const v = Number((10 ** tick).toPrecision(2));"
        "return v >= 1 ? String(v) : v.toExponential(0).replace('e+0', '')"
    )
    code = {
        "log10": exponential,
        "log10zero": f"if (tick <= {zero_at} + 1e-9) return '0 ({zero_means})';"
        + ("return String(Math.round(10 ** tick))" if name in ("warmup", "switch_at") else exponential),
        "linear": "return tick === 0 ? '×1' : `×1e${tick}`"
        if name == "grad_scale"
        else "return String(Number(tick.toFixed(2)))",
        "log10int": "return String(Math.round(10 ** tick))",
        "window": (
            "if (tick <= 0) return '0 (no averaging)';"
            "const beta = 1 - Number((10 ** -tick).toPrecision(6));"
            "return `${Number(beta.toFixed(4))} (≈${Math.round(10 ** tick)} steps)`"
        ),
    }[transform]
    return CustomJSTickFormatter(code=code)


def _slider_position(name: str, value: float) -> float:
    transform, zero_at = SLIDERS[name].transform, SLIDERS[name].zero_at
    if transform == "linear":
        return value
    if transform == "log10zero":
        return zero_at if value <= 0 else max(zero_at, math.log10(value))
    if transform == "window":
        return 0.0 if value <= 0 else -math.log10(1 - value)
    return math.log10(value)


def _call(call: str) -> CustomJS:
    """A callback that calls ``call`` (e.g. ``step(1)``) on the explorer the widget belongs to, once
    it is mounted (``cb_obj`` is the widget, or for a button click the event, whose origin is the button)."""
    return CustomJS(
        code=f"const e = window.AdamViz && window.AdamViz.instanceOf(cb_obj.origin || cb_obj); if (e) e.{call};"
    )


def _on_widgets(attribute: str, widgets: dict[str, Any]) -> None:
    """Tell the explorer when ``attribute`` of any of ``widgets`` (by setting name) changes: one shared
    callback, which finds the setting's name in the widget's tags (a callback each would weigh on every page)."""
    callback = _call(f"onWidget(cb_obj.tags[0], cb_obj.{attribute})")
    for name, widget in widgets.items():
        widget.tags = [name]
        widget.js_on_change(attribute, callback)


def _controls(
    settings: ExplorerSettings, spec: dict[str, dict[str, Any]], exportable: bool
) -> tuple[dict[str, Any], LayoutDOM, LayoutDOM, dict[str, Any]]:
    """The widgets by name, the optimizer row (hidden in lecture mode), the whole control panel, and
    which models each name of ``CONTROLS`` shows (with the containers around them); ``spec`` is
    :func:`browser_spec`'s table."""
    label = {name: entry["label"] for name, entry in spec.items()}
    widgets: dict[str, Any] = {
        "play": Button(label="▶ Play", button_type="primary", min_width=96, css_classes=["av-play"]),
        "back": Button(label="◀ Back", css_classes=["av-back"]),
        "step": Button(label="Step ▶", css_classes=["av-step"]),
        "reset": Button(label="⟲ Reset", css_classes=["av-reset"]),
        "iteration": Slider(
            start=0,
            end=settings.iterations - 1,
            value=settings.opening_iteration,
            step=SLIDERS["iteration"].step,
            title=ExplorerSettings.param.iteration.label,
            sizing_mode="stretch_width",
            min_width=200,
            css_classes=["av-iteration"],
        ),
        "speed": Slider(
            start=spec["speed"]["min"],
            end=spec["speed"]["max"],
            value=settings.speed,
            step=SLIDERS["speed"].step,
            title=label["speed"],
            width=200,
            css_classes=["av-speed"],
        ),
    }
    for name in (*SLIDER_SETTINGS, *OTHER_SLIDERS):
        low, high = spec[name]["min"], spec[name]["max"]
        widgets[name] = Slider(
            start=_slider_position(name, low),
            end=_slider_position(name, high),
            step=SLIDERS[name].step,
            value=_slider_position(name, getattr(settings, name)),
            title=label[name],
            format=_slider_formatter(name),
            width=250,
            css_classes=[f"av-{name}"],
        )
    # a text box, not a NumericInput: that one drops "abc" and clamps 99999999999 without a word; the
    # state refuses both with the allowed range and the box goes back to the seed in use
    widgets["seed"] = TextInput(
        value=str(settings.seed), title=label["seed"], width=130, css_classes=["av-seed"]
    )
    widgets["optimizer"] = Select(
        options=list(OPTIMIZERS),
        value=settings.optimizer,
        title=label["optimizer"],
        width=130,
        css_classes=["av-optimizer"],
    )
    widgets["schedule"] = Select(
        options=list(SCHEDULES),
        value=settings.schedule,
        title=label["schedule"],
        width=130,
        css_classes=["av-schedule-choice"],
    )
    widgets["precision"] = Select(
        options=list(spec["precision"]["options"]),
        value=settings.precision,
        title=label["precision"],
        width=130,
        css_classes=["av-precision"],
    )
    widgets["compare"] = CheckboxButtonGroup(
        labels=list(OPTIMIZERS),
        active=[OPTIMIZERS_INDEX[name] for name in settings.compare],
        css_classes=["av-compare"],
    )
    widgets["view"] = RadioButtonGroup(
        labels=text.POPULATION["view_options"], active=VIEWS.index(settings.view), css_classes=["av-view"]
    )
    widgets["spread_axis"] = RadioButtonGroup(
        labels=text.POPULATION["spread_options"],
        active=spec["spread_axis"]["options"].index(settings.spread_axis),
        css_classes=["av-spread-axis"],
    )
    widgets["problem"] = RadioButtonGroup(
        labels=text.VALLEY["problem_options"],
        active=spec["problem"]["options"].index(settings.problem),
        css_classes=["av-problem"],
    )
    widgets["rotated"] = Checkbox(label=label["rotated"], active=settings.rotated, css_classes=["av-rotated"])
    for name in ("start_x", "start_y"):
        widgets[name] = NumericInput(
            value=getattr(settings, name),
            low=spec[name]["min"],
            high=spec[name]["max"],
            mode="float",
            title=label[name],
            width=110,
            css_classes=[f"av-{name.replace('_', '-')}"],
        )
    widgets["smooth"] = Checkbox(label=label["smooth"], active=settings.smooth, css_classes=["av-smooth"])
    widgets["bias_correction"] = Checkbox(
        label=label["bias_correction"], active=settings.bias_correction, css_classes=["av-bias"]
    )
    widgets["window_mode"] = RadioButtonGroup(
        labels=[f"Last {settings.window or 40}", "Whole history"],
        active=0 if settings.window else 1,
        css_classes=["av-window"],
    )

    widgets["play"].js_on_event("button_click", _call("toggle()"))
    widgets["back"].js_on_event("button_click", _call("step(-1)"))
    widgets["step"].js_on_event("button_click", _call("step(1)"))
    widgets["reset"].js_on_event("button_click", _call("reset()"))
    values = ("iteration", "speed", "seed", "optimizer", "schedule", "precision", "start_x", "start_y")
    _on_widgets("value", {name: widgets[name] for name in (*values, *OTHER_SLIDERS, *SLIDER_SETTINGS)})
    actives = (
        "view",
        "spread_axis",
        "problem",
        "compare",
        "bias_correction",
        "smooth",
        "rotated",
        "window_mode",
    )
    _on_widgets("active", {name: widgets[name] for name in actives})

    widgets["export"] = Button(label="⤓ Export as HTML", visible=exportable, css_classes=["av-export"])
    widgets["export"].js_on_event("button_click", _call("exportFile()"))
    # a training run's gradients: read in the page (nothing is uploaded), also by a drop on the explorer
    widgets["load"] = Button(label="⤒ Load gradients…", css_classes=["av-load"])
    widgets["load"].js_on_event("button_click", _call("loading.choose()"))
    widgets["cards_show"] = Select(
        title="Cards show", options=[""], value="", visible=False, width=320, css_classes=["av-cards-show"]
    )
    _on_widgets("value", {"cards_show": widgets["cards_show"]})
    widgets["csv"] = Button(label="⤓ CSV", css_classes=["av-csv"])
    widgets["csv"].js_on_event("button_click", _call("download('csv')"))
    widgets["png"] = Button(label="⤓ PNG", css_classes=["av-png"])
    widgets["png"].js_on_event("button_click", _call("download('png')"))
    # what the figures show while it is on, recorded in the page as a video (views/clip.js), saved at off
    widgets["record"] = Toggle(label="⏺ Record", css_classes=["av-record"])
    widgets["record"].js_on_change("active", _call("clip.toggle(cb_obj.active)"))
    widgets["copy_link"] = Button(label="Copy link", css_classes=["av-copy-link"])
    widgets["copy_link"].js_on_event("button_click", _call("address.copy()"))
    widgets["more"] = Toggle(label="⚙ More settings", css_classes=["av-more-toggle"])
    # μ acts only on momentum (views/controls.js arrange() shows a control while it acts): hidden from
    # the start unless drawn, so that the mount changes no visibility and lays nothing out again
    widgets["momentum"].visible = "momentum" in (settings.optimizer, *settings.compare)
    widgets["more"].js_on_change("active", _call("controls.showMore(cb_obj.active)"))
    data = Row(
        *(widgets[name] for name in ("load", "cards_show", "csv", "png", "record", "export")),
        css_classes=["av-data"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    # the bar: what to see and when — the view, the transport, the iteration, a link to it all
    transport = Row(
        widgets["view"],
        widgets["play"],
        widgets["back"],
        widgets["step"],
        widgets["reset"],
        widgets["iteration"],
        widgets["copy_link"],
        css_classes=["av-transport"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    for preset in text.PRESETS:
        button = Button(label=preset["label"], css_classes=[f"av-preset-{preset['name']}"])
        button.js_on_event("button_click", _call(f"preset({json.dumps(preset['name'])})"))
        widgets[f"preset_{preset['name']}"] = button
    compare = Column(
        Div(text=html.escape(label["compare"]), css_classes=["av-compare-title"]), widgets["compare"]
    )
    presets_title = Div(text=html.escape(text.PRESETS_TITLE), css_classes=["av-presets-title"])
    preset_buttons = [widgets[f"preset_{preset['name']}"] for preset in text.PRESETS]
    # the title and its buttons wrap as one group (never "Presets:" alone above its buttons)
    presets = Column(presets_title, Row(*preset_buttons, styles=WRAP), css_classes=["av-presets"])
    checkboxes = Row(widgets["bias_correction"], widgets["smooth"], widgets["window_mode"], styles=WRAP)
    groups: dict[str, list[Any]] = {
        "transport": [widgets[name] for name in ("play", "back", "step", "reset", "copy_link")],
        "compare": [compare],
        "presets": [presets_title, *preset_buttons],
        "window": [widgets["window_mode"]],
        "data": [widgets[name] for name in ("load", "csv", "png", "record")],
    }
    for name in CONTROLS:
        if name not in groups:
            groups[name] = [widgets[name]]
    optimizers = Row(
        widgets["optimizer"],
        compare,
        presets,
        css_classes=["av-optimizers"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    # the card's own controls, next to the figures they change
    for name in SLIDER_SETTINGS:  # they share their row's width (one per line on a phone)
        widgets[name].update(width=None, sizing_mode="stretch_width", min_width=170)
    essentials = Row(
        *(widgets[name] for name in ESSENTIAL_SETTINGS),
        widgets["more"],
        css_classes=["av-essentials"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    # behind the disclosure, in groups: what to compare, the optimizer's details and the stream, the
    # drawing, the data
    details = Row(
        *(widgets[name] for name in ("weight_decay", "momentum", "grad_scale", "precision", "speed", "seed")),
        css_classes=["av-details"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    # the learning rate over the run: its schedule, warmup and where it ends
    schedule = Row(
        *(widgets[name] for name in ("schedule", "warmup", "min_lr", "switch_at", "switch_lr")),
        css_classes=["av-schedule"],
        sizing_mode="stretch_width",
        styles=WRAP,
    )
    more = Column(
        optimizers,
        schedule,
        details,
        checkboxes,
        data,
        css_classes=["av-more"],
        sizing_mode="stretch_width",
        visible=False,
    )
    panel = Column(transport, css_classes=["av-controls"], sizing_mode="stretch_width")
    # containers from the inside out: each is shown while any of its children is; those inside "More
    # settings" before the row holding its toggle (which shows while they hold anything)
    containers = [
        presets.children[1],
        presets,
        checkboxes,
        optimizers,
        schedule,
        details,
        data,
        transport,
        essentials,
    ]
    return (
        widgets,
        optimizers,
        panel,
        {
            "groups": groups,
            "containers": containers,
            "data_row": data,
            "more": more,
            "essentials": essentials,
        },
    )


THEME_INK = {
    "axes": {
        "axis_line_color": ("black", INK_ON_DARK),
        "major_tick_line_color": ("black", INK_ON_DARK),
        "minor_tick_line_color": ("black", INK_ON_DARK),
        "major_label_text_color": ("#444444", INK_ON_DARK),
        "axis_label_text_color": ("#444444", INK_ON_DARK),
    },
    "colorbars": {
        "title_text_color": ("#444444", INK_ON_DARK),
        "major_label_text_color": ("#444444", INK_ON_DARK),
    },
    "grids": {"grid_line_color": ("#e5e5e5", PLOT["grid_on_dark"])},
    "lines": {"line_color": (INK, INK_ON_DARK)},  # zero lines, ε, cursors; glyphs drawn in ink
    "labels": {"text_color": (INK, INK_ON_DARK)},
    "titles": {"text_color": ("#444444", INK_ON_DARK)},  # a plot's own title (the Layers view's band)
}
"""The ink of the canvases' furniture, by kind: each property's (light, dark) colour. views/theme.js
switches them live (as a host page's own switch flips); the Divs and widgets follow through CSS."""


def ink_models(*layouts: LayoutDOM) -> dict[str, list[Any]]:
    """The canvas models whose colour follows the theme, by :data:`THEME_INK`'s kinds (their light colours
    are checked against the table: a model drawn in another colour is not the theme's to change)."""
    found: dict[str, list[Any]] = {kind: [] for kind in THEME_INK}
    for model in set().union(*(layout.references() for layout in layouts)):
        if isinstance(model, Axis):
            kind = "axes"
        elif isinstance(model, ColorBar):
            kind = "colorbars"
        elif isinstance(model, Grid):
            kind = "grids"
        elif isinstance(model, Label) and model.text_color == INK:
            kind = "labels"
        elif isinstance(model, Span) and model.line_color == INK:
            kind = "lines"
        elif isinstance(model, Title) and model.text:
            kind = "titles"
        elif isinstance(model, GlyphRenderer) and getattr(model.glyph, "line_color", None) == INK:
            kind, model = "lines", model.glyph
        else:
            continue
        for name, (light, _) in THEME_INK[kind].items():
            if getattr(model, name) != light:
                raise AssertionError(
                    f"{type(model).__name__}.{name} is {getattr(model, name)!r}, not {light!r}"
                )
        found[kind].append(model)
    return {kind: sorted(models, key=lambda m: m.id) for kind, models in found.items()}


def settings_config(settings: ExplorerSettings, instance_id: str) -> dict[str, Any]:
    """The part of the page's config that differs between explorers (a lite embed carries only this)."""
    return {
        "id": instance_id,
        "defaults": browser_values(settings),
        "initial": {"iteration": settings.opening_iteration},
        "scenarios": list(settings.scenarios),
        "autoplay": settings.autoplay,
        "lecture": settings.lecture,
        "theme": settings.theme,
        "ink": {
            kind: {name: list(pair) for name, pair in table.items()} for kind, table in THEME_INK.items()
        },
    }


@dataclass
class ExplorerModels:
    """A built explorer: its root layout (which brings itself to life in the page once laid out), the
    report the page writes its state into, and the payload its boot callback hands the page."""

    layout: LayoutDOM
    instance_id: str
    report: ExplorerReport
    config: dict[str, Any]


def build_explorer(
    settings: ExplorerSettings | None = None,
    *,
    instance_id: str | None = None,
    export_url: str | None = None,
    synced: bool = True,
    runs: dict[str, RecordedRun] | None = None,
    follow: dict | None = None,
) -> ExplorerModels:
    """The whole explorer as Bokeh models (no Panel), ready to embed, serve or save.

    ``export_url``: a served page's Export button posts the page's settings there (none otherwise);
    ``follow``: {url, version, every} — where a served page asks for its trace again while the run
    writes it, the version it carries, every how many seconds (``serve --follow``).
    ``synced``: whether a Bokeh server will hold the document (Panel, a notebook): then every model but
    the settings report is marked ``syncable=False``. A standalone page (file_html) syncs nothing, and
    the flag on each of its models would only weigh on the file.
    """
    settings = settings or ExplorerSettings()
    # read first: a file that is not a trace stops here, with its message
    traces = page_traces(settings, runs)
    instance_id = instance_id or f"adamviz-{uuid.uuid4().hex[:10]}"
    x_range = Range1d(-0.5, 39.5)
    y_step, y_theta = Range1d(-1.1, 1.1), Range1d(-1, 1)
    # each card its own moments range: the cards view gives them one span, the closed loop's
    # coordinates and a training run's each their own (x's gradients are not y's)
    plain = CustomJSTickFormatter(code=PLAIN_TICKS)
    sized = (settings.height, settings.panels)
    cards = [
        _card(name, x_range, Range1d(-1.5, 1.5), y_step, y_theta, plain, *sized)
        for name in settings.scenarios
    ]
    # the closed-loop view shows a card per coordinate: two for the 2-D problems; a page opening on a
    # trace shows TRACE_CARDS of its coordinates at a time
    while len(cards) < (TRACE_CARDS if settings.trace else 2):
        cards.append(_card("y", x_range, Range1d(-1.5, 1.5), y_step, y_theta, plain, *sized))
        cards[-1].layout.visible = False
    spec = browser_spec()
    widgets, optimizers_row, controls, control_models = _controls(settings, spec, export_url is not None)
    population = population_view(
        settings.height, settings.view == "population", widgets["spread_axis"], widgets["n_params"]
    )
    population.equal_betas.js_on_event("button_click", _call("population.toggleEqualBetas()"))
    control_models["containers"].insert(0, population.controls)
    valley = valley_view(settings.height, settings.view == "valley", [widgets[n] for n in LOOP_SETTINGS])
    valley.map_figure.js_on_event("tap", _call("valley.moveStart(cb_obj.x, cb_obj.y)"))
    valley.map_figure.js_on_change("inner_width", _call("valley.resized()"))  # contours: one per pixel
    control_models["containers"].insert(0, valley.controls)
    layers = layers_view(settings.height, settings.view == "layers")
    for event, call in (
        ("mousemove", "layers.hover(cb_obj.x, cb_obj.y)"),
        ("mouseleave", "layers.hover(null, null)"),
        ("tap", "layers.open(cb_obj.y)"),
    ):
        layers.heat_plot.js_on_event(event, _call(call))
    message = Div(text="", visible=False, sizing_mode="stretch_width", css_classes=["av-message"])
    live = Div(text=LIVE_SLOT, sizing_mode="stretch_width", css_classes=["av-live-region"])
    # The one model the page reports to a server: the settings (never the frames), so that a served
    # page can export what it shows. Written on setting changes and pauses only.
    report = ExplorerReport()
    header = Div(
        text=(
            f"<header class='av-header'><h1>{html.escape(settings.title)}</h1>"
            f"<div class='av-rule'>{text.UPDATE_RULE_MATHML}</div><p class='av-intro'>{text.INTRO}</p>"
            f"<p class='av-legend-note'>{html.escape(text.RECORDED_NOTE if traces else text.LEGEND_NOTE)}</p></header>"
        ),
        sizing_mode="stretch_width",
    )
    grid = Row(
        *(card.layout for card in cards),
        css_classes=["av-cards"],
        sizing_mode="stretch_width",
        styles=WRAP,
        visible=settings.view == "cards",
    )
    deck = Div(text=SLOT, sizing_mode="stretch_width", css_classes=["av-deck"])
    help_overlay = Div(text=SLOT, sizing_mode="stretch_width", css_classes=["av-help-box"])
    previous_slide = Button(label="◀ Previous slide", css_classes=["av-prev-slide"])
    next_slide = Button(label="Next slide ▶", button_type="primary", css_classes=["av-next-slide"])
    previous_slide.js_on_event("button_click", _call("lecture.next(-1)"))
    next_slide.js_on_event("button_click", _call("lecture.next(1)"))
    help_button = Button(label="? Keys", css_classes=["av-help-button"])
    help_button.js_on_event("button_click", _call("lecture.toggleHelp()"))
    # the slide's buttons lead the transport bar, which wraps on a phone (a projector is wide, never tall)
    slide_buttons = [next_slide, previous_slide, help_button]
    for button in slide_buttons:
        button.visible = False
    transport = controls.children[0]
    transport.children = [*slide_buttons, *transport.children]
    lecture_bar = Column(deck, visible=False, sizing_mode="stretch_width", css_classes=["av-lecture-bar"])
    layout = Column(
        header,
        message,
        lecture_bar,
        controls,
        # on a phone the essentials follow the figures (adamviz.css): the figures come first. "More
        # settings" joins the page after them when first opened, as the closed-loop and many-parameters
        # views do when first shown: views of what the first screen hides slow every load
        control_models["essentials"],
        *([valley.layout] if settings.view == "valley" else []),
        grid,
        *([population.layout] if settings.view == "population" else []),
        *([layers.layout] if settings.view == "layers" else []),
        live,
        help_overlay,
        css_classes=["adamviz", f"av-theme-{settings.theme}"],
        sizing_mode="stretch_width",
        name=instance_id,
    )
    figures = [
        *(plot for card in cards for plot in card.figures),
        *population.figures,
        *valley.figures,
        *layers.figures,
    ]
    share_axis_rules(figures)
    # painted first by the explorer's mount, not by BokehJS before it (docs/performance.md, Opening)
    for plot in figures:
        plot.hold_render = True
    browser_models = {
        "cards": [card.browser_models() for card in cards],
        "grid": grid,
        "population": population.browser_models(),
        "valley": valley.browser_models(),
        "layers": layers.browser_models(),
        "figures": figures,
        "x_range": x_range,
        "y_step": y_step,
        "y_theta": y_theta,
        "symlog": {"step": _symlog_axis(), "theta": _symlog_axis()},
        "widgets": widgets,
        "message": message,
        "live": live,
        "report": report,
        "root": layout,
        "deck": deck,
        "help": help_overlay,
        "lecture_bar": lecture_bar,
        "slide_buttons": slide_buttons,
        "optimizers_row": optimizers_row,
        "data_row": control_models.pop("data_row"),
        "controls": control_models,
        "header": header,
        "ink": ink_models(layout, population.layout, valley.layout, layers.layout),
        "canvas_texts": canvas_texts(figures),
    }
    config = {
        **settings_config(settings, instance_id),
        "loops": {"bowl": {"problem": "bowl", "start": list(PROBLEMS["bowl"].start)}},
        "population": {
            "text": text.POPULATION,
        },
        "layers": {"text": text.LAYERS},
        "valley": {
            "text": text.VALLEY,
            "markers": MARKERS,
            "bands": len(LOSS_BANDS),
        },
        "cardHeaders": {name: card_header(name) for name in text.CARD_TEXT},
        "presets": text.PRESETS,
        "legendItems": text.LEGEND_ITEMS,
        "labels": {
            "step": text.STEP_AXIS_LABEL,
            "stepSymlog": text.STEP_AXIS_SYMLOG,
            "thetaSymlog": "θ (symlog)",
        },
        "deck": text.DECK,
        "iterationLabel": ExplorerSettings.param.iteration.label,
        "exportUrl": export_url,
        "follow": follow,
        "traces": traces,
        "traceFirst": bool(settings.trace),
        "notes": {"legend": html.escape(text.LEGEND_NOTE), "recorded": html.escape(text.RECORDED_NOTE)},
    }
    boot = CustomJS(
        args={"models": browser_models, "config": config},
        code=explorer_script() + "\nwindow.AdamViz.mount(models, config);",
        tags=["adamviz-mount"],  # a lite embed finds the callback by it (bokeh_internals.js)
    )
    # fires once the first figure on screen is laid out
    first = {"population": population.figures[0], "layers": layers.figures[0]}.get(
        settings.view, cards[0].figures[0]
    )
    first.js_on_change("inner_width", boot)
    if settings.theme == "dark":  # drawn dark from the start (views/theme.js follows `auto` live)
        for kind, models in browser_models["ink"].items():
            for model in models:
                model.update(**{name: dark for name, (_, dark) in THEME_INK[kind].items()})
    sheet = InlineStyleSheet(css=stylesheet())
    layout.stylesheets = [sheet]
    # stateless helpers every source and view would serialize a copy of: one each for the page
    every_index, union = AllIndices(), UnionRenderers()
    everything = set().union(
        *(part.references() for part in (layout, population.layout, valley.layout, layers.layout))
    )
    for model in everything:
        if isinstance(model, GlyphRenderer) and isinstance(model.view.filter, AllIndices):
            model.view.filter = every_index
        if isinstance(model, ColumnDataSource) and isinstance(model.selection_policy, UnionRenderers):
            model.selection_policy = union
    for model in everything | {every_index, union}:
        if synced:
            model.syncable = model is report
        if isinstance(model, GlyphRenderer):
            # nothing is ever selected or muted: Bokeh's defaults ("auto") instead of a serialized
            # copy of every glyph for each state
            model.nonselection_glyph = model.muted_glyph = "auto"
        if isinstance(
            model,
            (
                Div,
                Button,
                Toggle,
                Slider,
                Checkbox,
                NumericInput,
                TextInput,
                RadioButtonGroup,
                CheckboxButtonGroup,
                Select,
            ),
        ):
            model.stylesheets = [sheet]
    return ExplorerModels(layout, instance_id, report, config)
