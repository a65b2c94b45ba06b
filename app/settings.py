"""The explorer's settings: one bounded, documented ``param`` model shared by every delivery.

The same bounds are handed to the browser (``browser_spec``), so a URL parameter, a ``set()`` call,
a slider and a CLI flag are all checked against one table.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import param

from adamviz.sim import OPTIMIZERS, PROBLEMS, SCHEDULES, SEED_MAX, STREAMS
from adamviz.sim.precision import PRECISIONS, precision_refusal
from adamviz.sim.validation import rejection

DEFAULT_SCENARIOS = ("consistent", "noisy", "reversal")

PANELS = ("moments", "step", "theta")
"""What a card can draw: g, m̂, √v̂ and ε (``moments``); step/η (``step``); θ on its right axis (``theta``)."""

VIEWS = ("cards", "population", "valley", "layers")
"""What the explorer draws: one card per scenario, many parameters at once, a closed loop (a loss
surface with each optimizer's path, and one card per coordinate), or every layer of a loaded training
run (its r_t p50 per group and step)."""

ON_BOARD_TRACES = {"mlp": "mlp_trace.npz", "transformer": "transformer_trace.npz"}
"""The traces that ship with adamviz (in assets/, each made by ``tests/make_<name>_trace.py``): a small
MLP's first-layer weight learning digits, and every layer of a character-level transformer.
``trace="<name>"`` or the scenario of the same name brings one into a page."""

SCENARIOS = (*STREAMS, "bowl", *ON_BOARD_TRACES)
"""What a card can show: a stream, the closed-loop bowl (adamviz.sim.PROBLEMS["bowl"] from its own
start, no noise), stepped by each optimizer on the gradients its own path meets, or a coordinate of an
on-board training run (:data:`ON_BOARD_TRACES`): ``mlp``, a first-layer weight; ``transformer``, the
token-embedding entry of a rare character."""

START_RANGE = (-10.0, 10.0)
"""Where a closed-loop view's start point may lie (each coordinate)."""

POPULATION_BUDGET = 10_000_000
"""n_params × iterations at most: the many-parameters view keeps two float32 values per parameter and
step for its scatter (80 MB at the budget)."""


class Role(NamedTuple):
    """What a browser setting does besides holding a value.

    ``recomputes``: what the page computes again when it changes — ``gradients`` (the streams are drawn
    again, then everything below), ``population`` (the many-parameters view's gradients), ``optimizer``
    (every optimizer is stepped again over the same gradients), ``loop`` (the closed loop is run again),
    ``layout`` (the page is arranged again) or ``nothing`` (only what is drawn from it changes).
    ``preset``: whether a preset puts it back to its default before applying its own (``reset``) or
    leaves it as it is (``keep``). ``cli``: its ``adamviz export`` flag (None: not a flag of its own)."""

    recomputes: str
    preset: str = "reset"
    cli: str | None = None


ROLES = {
    "view": Role("nothing", "keep", "--view"),
    "optimizer": Role("optimizer", cli="--optimizer"),
    "compare": Role("optimizer", cli="--compare"),
    "lr": Role("optimizer", cli="--lr"),
    "beta1": Role("optimizer", cli="--beta1"),
    "beta2": Role("optimizer", cli="--beta2"),
    "eps": Role("optimizer", cli="--eps"),
    "weight_decay": Role("optimizer", cli="--weight-decay"),
    "momentum": Role("optimizer", cli="--momentum"),
    "schedule": Role("optimizer", cli="--schedule"),
    "warmup": Role("optimizer", cli="--warmup"),
    "min_lr": Role("optimizer", cli="--min-lr"),
    "switch_at": Role("optimizer", cli="--switch-at"),
    "switch_lr": Role("optimizer", cli="--switch-lr"),
    "precision": Role("optimizer", cli="--precision"),
    "grad_scale": Role("gradients", cli="--grad-scale"),
    "iterations": Role("gradients", cli="--iterations"),
    "seed": Role("gradients", "keep", "--seed"),
    "bias_correction": Role("optimizer", cli="--no-bias-correction"),
    "speed": Role("nothing", "keep", "--speed"),
    "window": Role("nothing", "keep", "--window"),
    "smooth": Role("nothing", "reset", "--smooth"),
    "n_params": Role("population", "keep", "--n-params"),
    "spread_axis": Role("nothing", "keep", "--spread-axis"),
    "problem": Role("loop", "keep", "--problem"),
    "condition": Role("loop", "keep", "--condition"),
    "rotated": Role("loop", "keep", "--rotated"),
    "noise": Role("loop", "keep", "--noise"),
    "start_x": Role("loop", "keep", "--start"),
    "start_y": Role("loop", "keep", "--start"),
    "panels": Role("layout", "keep", "--panels"),
    "controls": Role("layout", "keep", "--controls"),
    "header": Role("layout", "keep", "--header"),
    "height": Role("layout", "keep", "--height"),
}
"""Each browser setting's :class:`Role` (the page recomputes, presets and the CLI read it from here)."""

LOOP_SETTINGS = tuple(name for name, role in ROLES.items() if role.recomputes == "loop")
"""The closed-loop view's own settings (each with a control of its own)."""

CONTROLS = (
    "view",
    "transport",
    "iteration",
    "speed",
    "optimizer",
    "compare",
    "presets",
    "lr",
    "beta1",
    "beta2",
    "eps",
    "weight_decay",
    "momentum",
    "schedule",
    "warmup",
    "min_lr",
    "switch_at",
    "switch_lr",
    "precision",
    "grad_scale",
    "iterations",
    "seed",
    "bias_correction",
    "window",
    "smooth",
    "n_params",
    "spread_axis",
    *LOOP_SETTINGS,
    "data",
)
"""The controls an explorer can show (``transport``: play, back, step, reset and a served Export;
``data``: load gradients, choose which recorded coordinates the cards show, download CSV and PNG)."""


OPENING_ITERATION = 70
"""Where a page opens unless told otherwise: each default stream already shows its behaviour (the
steady scale near 1, the noise's small scale, the reversal's dip and rebuild after iteration 50)."""


class ExplorerSettings(param.Parameterized):
    """What one explorer shows when it opens — the one table of settings.

    Every browser setting's name (also its URL key and ``set()`` key), bounds, default and label live
    here; :data:`SLIDERS` adds how a slider moves. :func:`browser_spec` hands all of it to the page.
    """

    view = param.Selector(
        default="cards",
        objects=list(VIEWS),
        label="View",
        doc="cards: one card per scenario; population: many parameters at once (the r_t percentiles "
        "and the spread scatter); valley: a closed loop — the loss surface with each optimizer's path and "
        "a card per coordinate; layers: every recorded group of the loaded training run (trace) — r_t's "
        "p50 per group and step, its p10–p90, the run's lr_t, groups frozen by the denominator.",
    )
    optimizer = param.Selector(
        default="adam", objects=list(OPTIMIZERS), label="Optimizer", doc="The optimizer the cards show."
    )
    compare = param.ListSelector(
        default=[],
        objects=list(OPTIMIZERS),
        label="Compare with",
        doc="Other optimizers drawn beside it on every card (step/η and θ), on the same gradients.",
    )
    lr = param.Number(0.01, bounds=(1e-4, 1.0), label="Learning rate η", doc="Learning rate η (log slider).")
    beta1 = param.Number(
        0.9,
        bounds=(0.0, 0.9999),
        label="β₁ (memory of m̂)",
        doc="First-moment decay β₁; averages over ~1/(1−β₁) steps.",
    )
    beta2 = param.Number(
        0.999, bounds=(0.0, 0.9999), label="β₂ (memory of √v̂)", doc="Second-moment decay β₂."
    )
    eps = param.Number(1e-8, bounds=(1e-12, 1.0), label="ε", doc="ε, added to √v̂ in the denominator.")
    weight_decay = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="Weight decay w",
        doc="Weight decay: added to the gradient as w·θ (L2), except adamw, which shrinks θ by 1 − ηw.",
    )
    momentum = param.Number(
        0.9, bounds=(0.0, 0.999), label="Momentum μ", doc="The velocity decay of the momentum optimizer."
    )
    schedule = param.Selector(
        default="constant",
        objects=list(SCHEDULES),
        label="Schedule",
        doc="How η changes over the run after the warmup: "
        + "; ".join(f"{name}: {what}" for name, what in SCHEDULES.items())
        + " (adamviz.sim.schedules). Each step moves by lr_t × the optimizer's direction.",
    )
    warmup = param.Integer(
        0,
        bounds=(0, 10_000),
        label="Warmup (steps)",
        doc="Steps of linear warmup first: step t ≤ warmup uses η·t/warmup (0: none).",
    )
    min_lr = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="Final lr (× η)",
        doc="Where a decaying schedule ends, as a fraction of η (the step schedule's floor).",
    )
    switch_at = param.Integer(
        0,
        bounds=(0, 10_000),
        label="Switch to SGD at",
        doc="From this iteration on, SGD with momentum μ (a fresh buffer) takes over from the optimizer "
        "(adamviz.sim.switch); 0: never.",
    )
    switch_lr = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="SGD lr after the switch",
        doc="SGD's learning rate from the switch on; 0: the rule that matches the optimizer's mean |step| "
        "over the 50 steps before it, (1 − μ)·mean|step| / mean|g| (on steady gradients).",
    )
    precision = param.Selector(
        default="float64",
        objects=list(PRECISIONS),
        label="Precision",
        doc="The format each card's parameter, gradient and optimizer state are held in, rounded as torch "
        "rounds them on the CPU (adamviz.sim.precision): "
        + "; ".join(f"{name}: {what}" for name, what in PRECISIONS.items())
        + ". Every optimizer; not with Adam-then-SGD (switch_at). The closed loops and the many-parameters "
        "view stay in float64.",
    )
    grad_scale = param.Integer(
        0,
        bounds=(-6, 6),
        label="Gradient scale 10^k",
        doc="Every stream multiplied by 10^k: Adam's steps stay the same until ε matters; SGD's do not.",
    )
    iterations = param.Integer(
        200, bounds=(10, 10_000), label="Iterations", doc="Steps simulated per scenario."
    )
    seed = param.Integer(
        0, bounds=(0, SEED_MAX), label="Seed", doc="Seed of every scenario's gradient stream."
    )
    n_params = param.Integer(
        1000,
        bounds=(10, 10_000),
        label="Parameters",
        doc="How many parameters the many-parameters view steps at once (adamviz.sim.population).",
    )
    spread_axis = param.Selector(
        default="true",
        objects=["true", "estimated"],
        label="Spread axis",
        doc="The scatter's x-axis: each parameter's true spread γ = σ/|μ|, or Adam's estimate "
        "γ̂ = √(v̂ − m̂²)/|m̂| at the current step.",
    )
    problem = param.Selector(
        default="valley",
        objects=list(PROBLEMS),
        label="Problem",
        doc="The closed-loop view's loss (adamviz.sim.PROBLEMS): a bowl, a narrow valley or Rosenbrock.",
    )
    condition = param.Number(
        100.0,
        bounds=PROBLEMS["valley"].bounds["condition"],
        label="Condition number κ",
        doc="How many times steeper the valley is across than along (log slider).",
    )
    rotated = param.Boolean(False, label="Rotated 45°", doc="Turn the valley 45° off the coordinate axes.")
    noise = param.Number(
        0.0,
        bounds=(0.0, 100.0),
        label="Gradient noise",
        doc="Half-width of the uniform noise added to every closed-loop gradient (seeded by seed).",
    )
    start_x = param.Number(
        PROBLEMS["valley"].start[0],
        bounds=START_RANGE,
        label="Start x",
        doc="Where the closed loop starts (θ for the bowl); a click on the map moves it. A new problem "
        "starts from its own start point unless the same change sets one.",
    )
    start_y = param.Number(
        PROBLEMS["valley"].start[1], bounds=START_RANGE, label="Start y", doc="The start's y (2-D problems)."
    )
    smooth = param.Boolean(
        False,
        label="Smooth scroll",
        doc="While playing, the window glides between iterations at the display's frame rate instead of "
        "jumping one iteration per frame (on by default in lecture mode); readouts stay at whole iterations.",
    )
    bias_correction = param.Boolean(
        True, label="Bias correction (÷ 1 − βᵗ)", doc="Divide the moments by 1 − βᵗ."
    )
    speed = param.Number(
        20.0,
        bounds=(1.0, 120.0),
        label="Speed (iterations/s)",
        doc="Playback speed in iterations per second.",
    )
    window = param.Integer(
        40, bounds=(0, 1000), label="Window", doc="Iterations shown (the last K); 0 shows the whole history."
    )
    panels = param.ListSelector(
        default=list(PANELS),
        objects=list(PANELS),
        label="Panels",
        doc="What each card draws (a subset of PANELS).",
    )
    controls = param.ListSelector(
        default=list(CONTROLS),
        objects=list(CONTROLS),
        label="Controls",
        doc="The controls shown (a subset of CONTROLS; none for an embed the prose drives).",
    )
    header = param.Boolean(True, label="Header", doc="Show the title, the update rule and the introduction.")
    height = param.Integer(
        380, bounds=(120, 1200), label="Plot height (px)", doc="Height of a card's plots together, in pixels."
    )
    iteration = param.Integer(
        None,
        allow_None=True,
        label="Iteration",
        doc=f"Iteration shown first (counts from 0; checked against iterations); default: "
        f"{OPENING_ITERATION}, or the last if there are fewer — mid-story, never empty axes (0 with autoplay).",
    )
    autoplay = param.Boolean(False, doc="Start playing as soon as the page is ready.")
    scenarios = param.ListSelector(
        default=list(DEFAULT_SCENARIOS), objects=list(SCENARIOS), doc="Scenarios shown, one card each."
    )
    theme = param.Selector(
        default="light",
        objects=["light", "dark", "auto"],
        label="Theme",
        doc="Colours: light, dark, or auto — the host page's own light/dark switch where it has one "
        "(MkDocs Material, Quarto, pydata-sphinx-theme, Furo, JupyterLab), else the system's, followed live.",
    )
    title = param.String("How Adam adapts each parameter's learning rate", doc="Heading (escaped).")
    lecture = param.Boolean(False, doc="Presenter layout: one scenario at a time, large type, keyboard deck.")
    trace = param.String(
        "",
        doc="A training run to show: a trace .npz (adamviz.record), a 1-D .npy or a one-column .csv of "
        "gradients, or 'mlp' or 'transformer' (the on-board traces). Its coordinates become the cards; the page "
        "carries it.",
    )

    @param.depends("iteration", "iterations", watch=True, on_init=True)
    def _keep_iteration_in_range(self) -> None:
        if self.iteration is not None and not 0 <= self.iteration <= self.iterations - 1:
            raise ValueError(
                range_rejection("iteration", self.iteration, "an integer", 0, self.iterations - 1)
            )

    @property
    def opening_iteration(self) -> int:
        """The iteration the page opens on: ``iteration`` if set; else, for a page that plays by itself,
        0 (it tells the whole story); else :data:`OPENING_ITERATION` or the last one, whichever is earlier."""
        if self.iteration is not None:
            return self.iteration
        return 0 if self.autoplay else min(OPENING_ITERATION, self.iterations - 1)

    @param.depends("precision", "switch_at", "iterations", watch=True, on_init=True)
    def _keep_precision_switchless(self) -> None:
        refusal = precision_refusal(self.precision, self.switch_at, self.iterations)
        if refusal:
            raise ValueError(refusal)

    @param.depends("n_params", "iterations", watch=True, on_init=True)
    def _keep_population_in_budget(self) -> None:
        if self.n_params * self.iterations > POPULATION_BUDGET:
            raise ValueError(budget_rejection(self.n_params, self.iterations))


class Slider(NamedTuple):
    """How a setting's slider moves: ``transform`` maps the slider's position to the value
    (``log10``: 10^x; ``log10zero``: 10^x — rounded for an integer setting — and exactly 0 at ``zero_at``
    and below; ``log10int``:
    round(10^x); ``window``: β = 1 − 10^−x, the averaging window 1/(1−β) on a log scale; ``linear``:
    x itself) in steps of ``step`` slider units."""

    transform: str
    step: float
    zero_at: float | None = None
    zero_means: str = "off"


SLIDERS = {
    "lr": Slider("log10", 0.05),
    "beta1": Slider("window", 0.01),
    "beta2": Slider("window", 0.01),
    "eps": Slider("log10", 0.25),
    "weight_decay": Slider("log10zero", 0.05, zero_at=-5.0),
    "momentum": Slider("window", 0.01),
    "warmup": Slider("log10zero", 0.02, zero_at=0.0),
    "min_lr": Slider("linear", 0.01),
    "switch_at": Slider("log10zero", 0.02, zero_at=0.0),
    "switch_lr": Slider("log10zero", 0.05, zero_at=-5.0, zero_means="matched"),
    "grad_scale": Slider("linear", 1.0),
    "iterations": Slider("log10int", 0.01),
    "n_params": Slider("log10int", 0.05),
    "condition": Slider("log10", 0.05),
    "noise": Slider("log10zero", 0.05, zero_at=-3.0),
    "speed": Slider("linear", 1.0),
    "iteration": Slider("linear", 1.0),
}
"""The settings shown as sliders (the others are a number box, a checkbox and a toggle)."""


PAGE_FLAGS = {
    "iteration": "--iteration",
    "scenarios": "--scenarios",
    "theme": "--theme",
    "title": "--title",
    "autoplay": "--autoplay",
    "lecture": "--lecture",
    "trace": "--trace",
}
"""The ``adamviz export`` flags of the settings that belong to the page rather than its state."""


def budget_rejection(n_params: int, iterations: int) -> str:
    """The message for n_params × iterations over :data:`POPULATION_BUDGET` (settings.js says the same)."""
    return (
        f"n_params × iterations must be at most {POPULATION_BUDGET}; got {n_params} × {iterations}"
        f" = {n_params * iterations}"
    )


def _interval(kind: str, low: float, high: float) -> str:
    shown = (lambda x: str(int(x))) if kind == "an integer" else (lambda x: f"{x:g}")
    return f"{kind} in [{shown(low)}, {shown(high)}]"


def range_rejection(name: str, value: Any, kind: str, low: float, high: float) -> str:
    """The message for a setting outside its closed range (the page's settings.js says the same)."""
    return rejection(name, value, _interval(kind, low, high))


def requirement(entry: dict[str, Any]) -> str:
    """What a setting's value must be (its :func:`browser_spec` entry), in the words every refusal of it
    uses — here, in the CLI's help, in docs/settings.md and in the page (settings.js's requirement())."""
    if entry["kind"] == "bool":
        return "true or false"
    if entry["kind"] == "choice":
        return f"one of {', '.join(entry['options'])}"
    if entry["kind"] == "choices":
        return f"a list of distinct names among {', '.join(entry['options'])}"
    return _interval("an integer" if entry["integer"] else "a number", entry["min"], entry["max"])


BROWSER_SETTINGS = (
    "view",
    "optimizer",
    "compare",
    "lr",
    "beta1",
    "beta2",
    "eps",
    "weight_decay",
    "momentum",
    "schedule",
    "warmup",
    "min_lr",
    "switch_at",
    "switch_lr",
    "precision",
    "grad_scale",
    "iterations",
    "seed",
    "bias_correction",
    "speed",
    "window",
    "smooth",
    "n_params",
    "spread_axis",
    *LOOP_SETTINGS,
    "panels",
    "controls",
    "header",
    "height",
)
"""The settings the browser owns (``window.adamviz.state().params``), in display order."""


def browser_spec() -> dict[str, dict[str, Any]]:
    """Each browser setting as the page needs it: kind, bounds, default, label, slider.

    The page validates, labels, builds its URL and moves its sliders from this alone.
    """
    spec: dict[str, dict[str, Any]] = {}
    for name in BROWSER_SETTINGS:
        parameter = ExplorerSettings.param[name]
        entry: dict[str, Any] = {"label": parameter.label, "default": parameter.default}
        if isinstance(parameter, param.Boolean):
            entry["kind"] = "bool"
        elif isinstance(parameter, param.ListSelector):
            entry.update(kind="choices", options=list(parameter.objects), default=list(parameter.default))
        elif isinstance(parameter, param.Selector):
            entry.update(kind="choice", options=list(parameter.objects))
        else:
            low, high = parameter.bounds
            integer = isinstance(parameter, param.Integer)
            entry.update(kind="number", min=low, max=high, integer=integer)
        role = ROLES[name]
        entry.update(recomputes=role.recomputes, preset=role.preset, cli=role.cli)
        if name in SLIDERS:
            entry.update(transform=SLIDERS[name].transform, step=SLIDERS[name].step)
            if SLIDERS[name].zero_at is not None:
                entry.update(zero_at=SLIDERS[name].zero_at, zero_means=SLIDERS[name].zero_means)
        spec[name] = entry
    spec["n_params"]["budget"] = POPULATION_BUDGET
    return spec


def browser_values(settings: ExplorerSettings) -> dict[str, Any]:
    """The browser settings' current values."""
    values = {name: getattr(settings, name) for name in BROWSER_SETTINGS}
    values["compare"] = compared(values["optimizer"], values["compare"])
    return values


def compared(optimizer: str, compare: list[str]) -> list[str]:
    """The optimizers drawn beside ``optimizer``: ``compare`` without the main one, in table order."""
    return [name for name in OPTIMIZERS if name in compare and name != optimizer]


PAGE_SETTINGS = ("scenarios", "theme", "title", "lecture", "trace")
"""What a page's settings report leaves as the page was built: they belong to the page, not its state."""


def settings_from_report(report: str | bytes | dict[str, Any], base: ExplorerSettings) -> ExplorerSettings:
    """A page's settings report — browser settings and ``iteration``, as JSON (what a page posts to a
    server for an export) or as a dict (an ExplorerReport's values) — on top of ``base`` (which fills in
    what it leaves out and keeps the ``PAGE_SETTINGS``), validated like every other input; a ValueError
    names what is wrong."""
    if isinstance(report, dict):
        values = report
    else:
        try:
            values = json.loads(report)
        except (ValueError, UnicodeDecodeError, RecursionError):  # (nested 1,000 deep: RecursionError)
            raise ValueError("a settings report must be a JSON object") from None
    if not isinstance(values, dict):
        raise ValueError("a settings report must be a JSON object")
    known = (*BROWSER_SETTINGS, "iteration")
    unknown = sorted(str(name) for name in values if name not in known)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(known)}")
    initial = {name: getattr(base, name) for name in (*known, *PAGE_SETTINGS)}
    return checked_settings(**{**initial, **values, **{name: initial[name] for name in PAGE_SETTINGS}})


def checked_settings(**values: Any) -> ExplorerSettings:
    """``ExplorerSettings(**values)``, with a ValueError naming the setting, its value and its range.

    Used for anything that arrives from outside (CLI flags, the page's state for an export), so the
    messages read the same as the page's own (``beta1 must be a number in [0, 0.9999]; got 1.5``).
    """
    spec = browser_spec()
    for name, value in values.items():
        if name in spec and spec[name]["kind"] == "number":
            low, high, integer = spec[name]["min"], spec[name]["max"], spec[name]["integer"]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
            if not ok or (integer and float(value) != int(value)):
                raise ValueError(rejection(name, value, requirement(spec[name])))
    for name in ("scenarios", "compare", "panels", "controls"):
        objects = ExplorerSettings.param[name].objects
        chosen = values.get(name, [])
        if isinstance(chosen, str) or not isinstance(chosen, (list, tuple)):
            raise ValueError(rejection(name, chosen, f"a list of names among {', '.join(objects)}"))
        unknown = [str(item) for item in chosen if item not in objects]
        if unknown:
            raise ValueError(f"{name} must be among {', '.join(objects)}; got {', '.join(unknown)}")
        if len(set(chosen)) != len(chosen):
            raise ValueError(rejection(name, list(chosen), "a list of distinct names"))
    if "scenarios" in values and not values["scenarios"]:
        raise ValueError(
            rejection(
                "scenarios", values["scenarios"], f"a non-empty list of names among {', '.join(SCENARIOS)}"
            )
        )
    for name, value in values.items():  # every one-of-several setting, in the page's words
        parameter = ExplorerSettings.param.objects("existing").get(name)
        is_choice = isinstance(parameter, param.Selector) and not isinstance(parameter, param.ListSelector)
        if is_choice and value not in parameter.objects:
            raise ValueError(rejection(name, value, f"one of {', '.join(parameter.objects)}"))
    if "problem" in values and values["problem"] in PROBLEMS and "start_x" not in values:
        # a problem starts from its own start point unless the same change sets one
        start = PROBLEMS[values["problem"]].start
        values = {**values, "start_x": start[0], "start_y": start[-1] if len(start) > 1 else 0.0}
    try:
        return ExplorerSettings(**values)
    except ValueError as error:  # param's own checks (iteration, theme, types): already name the value
        raise ValueError(str(error)) from None
