"""Every optimizer in the page (issue 10): parity with adamviz.sim for all six, the new settings through
the URL, their controls and set(), the comparison as drawn and read out, and the presets."""

from __future__ import annotations

import random

import pytest

from adamviz.app import text
from adamviz.app.palette import PLOT
from adamviz.sim import OPTIMIZERS

from browser_helpers import assert_page_trace, numpy_trace, open_explorer, open_more, set_params, state

pytestmark = pytest.mark.browser

SCENARIOS = ("consistent", "noisy", "reversal")


def rejected(page, changes: dict) -> str | None:
    return page.evaluate("(c) => window.adamviz.set(c).then(() => null, (e) => e.message)", changes)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_matches_numpy_for_random_settings(page, static_url, optimizer):
    """The page's trace(name, optimizer) against adamviz.sim.simulate: 1e-12 relative for m̂, √v̂, the
    scale and the step; θ against its path length — as the main optimizer and as a compared one."""
    open_explorer(page, static_url)
    rng = random.Random(f"page {optimizer}")
    for round_ in range(
        2
    ):  # as the main optimizer, then as a compared one (Node checks the engine at length)
        others = [name for name in OPTIMIZERS if name != optimizer]
        changes = {
            "optimizer": optimizer if round_ % 2 == 0 else rng.choice(others),
            "compare": [optimizer] if round_ % 2 else [],
            "lr": 10 ** rng.uniform(-4, 0),
            "beta1": rng.choice([0.0, 0.9, 0.99, 1 - 10 ** -rng.uniform(0, 4)]),
            "beta2": rng.choice([0.0, 0.999, 1 - 10 ** -rng.uniform(0, 4)]),
            "eps": 10 ** rng.uniform(-12, 0),
            "weight_decay": rng.choice([0.0, 1.0, 10 ** rng.uniform(-6, 0)]),
            "momentum": rng.choice([0.0, 0.9, 0.999, rng.uniform(0, 0.999)]),
            "grad_scale": rng.randint(-6, 6),
            "iterations": rng.choice([10, 200, 1000]),
            "seed": rng.randrange(0, 2**32),
            "bias_correction": rng.random() < 0.8,
        }
        params = set_params(page, **changes)["params"]
        for name in SCENARIOS:
            assert_page_trace(page, name, params, optimizer)


def test_new_settings_from_the_url(page, explorer_url):
    query = "?optimizer=sgd&compare=adam,momentum&weight_decay=0.01&momentum=0.5&grad_scale=-2&iteration=30"
    open_explorer(page, explorer_url, query)
    current = state(page)["params"]
    assert current["optimizer"] == "sgd" and current["compare"] == ["momentum", "adam"]
    assert (current["weight_decay"], current["momentum"], current["grad_scale"]) == (0.01, 0.5, -2)
    assert not page.locator(".av-error").is_visible()
    assert_page_trace(page, "noisy", current)
    # a bad value is named, and the default is used
    open_explorer(page, explorer_url, "?optimizer=lion&compare=sgd,sgd&grad_scale=7&weight_decay=-1")
    current = state(page)["params"]
    assert current["optimizer"] == "adam" and current["compare"] == [] and current["grad_scale"] == 0
    message = page.locator(".av-error").inner_text()
    assert (
        'optimizer must be one of sgd, momentum, rmsprop, adam, amsgrad, adamw, radam, nadam, adamax, adagrad, adafactor; got "lion"'
        in message
    )
    assert "compare must be a list of distinct names among" in message and 'got "sgd,sgd"' in message
    assert 'grad_scale must be an integer in [-6, 6]; got "7"' in message
    assert 'weight_decay must be a number in [0, 1]; got "-1"' in message


def test_new_settings_from_their_controls(page, static_url):
    open_explorer(page, static_url)
    open_more(page)
    page.locator(".av-optimizer select").select_option("rmsprop")
    page.wait_for_function("window.adamviz.state().params.optimizer === 'rmsprop'")
    page.locator(".av-compare button", has_text="sgd").click()
    page.locator(".av-compare button", has_text="amsgrad").click()
    page.wait_for_function("window.adamviz.state().params.compare.join() === 'sgd,amsgrad'")
    for name, key, check in (
        ("weight_decay", "End", "=== 1"),
        ("weight_decay", "Home", "=== 0"),  # the log slider's left end is an explicit 0
        ("grad_scale", "End", "=== 6"),
        ("grad_scale", "ArrowLeft", "=== 5"),
    ):
        handle = page.locator(f".av-{name} .noUi-handle")
        handle.focus()
        page.keyboard.press(key)
        page.wait_for_function(f"window.adamviz.state().params.{name} {check}")
    assert not page.locator(".av-momentum").is_visible()  # μ acts only while momentum is drawn
    handle = page.locator(".av-weight_decay .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")  # one step right of 0: 10^(−5 + 0.05)
    page.wait_for_function("window.adamviz.state().params.weight_decay > 0")
    assert state(page)["params"]["weight_decay"] == pytest.approx(10**-4.95, rel=1e-5)
    params = state(page)["params"]
    for optimizer in ("rmsprop", "sgd", "amsgrad"):
        assert_page_trace(page, "reversal", params, optimizer)
    # choosing a compared optimizer as the main one takes it out of the comparison
    page.locator(".av-optimizer select").select_option("sgd")
    page.wait_for_function("window.adamviz.state().params.compare.join() === 'amsgrad'")


def test_set_checks_the_new_settings_and_keeps_state(page, static_url):
    open_explorer(page, static_url)
    cases = [
        (
            {"optimizer": "lion"},
            'optimizer must be one of sgd, momentum, rmsprop, adam, amsgrad, adamw, radam, nadam, adamax, adagrad, adafactor; got "lion"',
        ),
        ({"compare": ["sgd", "sgd"]}, "compare must be a list of distinct names among"),
        ({"compare": ["sgd", 3]}, "compare must be a list of distinct names among"),
        ({"grad_scale": 1.5}, "grad_scale must be an integer in [-6, 6]; got 1.5"),
        ({"weight_decay": 2}, "weight_decay must be a number in [0, 1]; got 2"),
        ({"momentum": 1}, "momentum must be a number in [0, 0.999]; got 1"),
    ]
    for changes, message in cases:
        assert message in rejected(page, {**changes, "lr": 0.5})
    assert state(page)["params"]["lr"] == 0.01
    current = set_params(page, compare="sgd,momentum", optimizer="momentum")["params"]
    assert current["compare"] == ["sgd"]  # a URL-style list; the main one is not compared with itself


def test_the_comparison_is_drawn_and_read_out(page, static_url):
    open_explorer(page, static_url)
    set_params(page, compare=["sgd", "momentum"], iteration=60)
    readout = page.locator(".av-readout[data-scenario='consistent'] .av-compare-readout").inner_text()
    params = state(page)["params"]
    parts = {}
    for part in readout.removeprefix("step/η: ").split(" · "):
        name, value = part.split(" ")
        parts[name] = float(value)
    assert list(parts) == ["adam", "sgd", "momentum"]
    for name, value in parts.items():
        _, expected = numpy_trace("consistent", params, name)
        assert value == pytest.approx(expected.step[60] / params["lr"], rel=5e-3)  # 3 significant digits
    legend = " ".join(page.locator(".av-card").first.locator(".av-compare-legend").all_inner_texts())
    assert "sgd" in legend and "momentum" in legend
    drawn = page.evaluate("() => window.AdamViz.instances[0].models.cards[0].others.data.colour.length")
    assert drawn == 2
    # SGD at 10⁶× the gradients: the step axis turns symlog and says so; without it, linear again
    set_params(page, grad_scale=6)
    label = "() => window.AdamViz.instances[0].models.cards[0].step_axis.axis_label"
    assert page.evaluate(label) == text.STEP_AXIS_SYMLOG
    page.screenshot(path="tests/screenshots/compare-symlog.png")
    set_params(page, compare=[])
    assert page.evaluate(label) == text.STEP_AXIS_LABEL
    assert page.evaluate("() => window.AdamViz.instances[0].models.cards[0].others.data.xs.length") == 0


def test_presets_by_button_key_and_url(page, static_url):
    open_explorer(page, static_url)
    set_params(page, lr=0.1, seed=5)
    open_more(page)
    page.locator(".av-preset-adam-vs-sgd button").click()
    page.wait_for_function("window.adamviz.state().params.compare.join() === 'sgd'")
    current = state(page)["params"]
    assert current["grad_scale"] == 2 and current["lr"] == 0.01 and current["seed"] == 5  # seed stays
    page.locator(".av-step button").click()  # focus inside the explorer: its keys are live
    page.keyboard.press("1")
    page.wait_for_function("window.adamviz.state().params.beta2 === 0")
    assert state(page)["params"]["compare"] == [] and state(page)["params"]["beta1"] == 0
    for preset in text.PRESETS:
        open_explorer(page, static_url, f"?preset={preset['name']}")
        current = state(page)["params"]
        for key, value in preset["settings"].items():
            assert current[key] == value, (preset["name"], key)
    open_explorer(page, static_url, "?preset=turbo")
    names = ", ".join(preset["name"] for preset in text.PRESETS)
    assert f'preset must be one of {names}; got "turbo"' in page.locator(".av-error").inner_text()
    error = page.evaluate("window.adamviz.preset('turbo').then(() => null, (e) => e.message)")
    assert error.startswith("preset must be one of")


def test_a_schedule_in_the_page(page, static_url):
    """A schedule set in the page: every optimizer's steps are adamviz.sim's under it (the cosine's
    within its cos's ulps); the cards draw lr_t/η, say lr_t in the readout and key it in the legend;
    a bad value is refused by name and changes nothing."""
    open_explorer(page, static_url)
    for schedule, warmup, min_lr in (
        ("cosine", 20, 0.1),
        ("linear", 0, 0.0),
        ("step", 5, 0.3),
        ("constant", 40, 0),
    ):
        params = set_params(
            page, schedule=schedule, warmup=warmup, min_lr=min_lr, compare=["sgd", "adamw"], weight_decay=0.01
        )["params"]
        for name in SCENARIOS:
            for optimizer in ("adam", "sgd", "adamw"):
                assert_page_trace(page, name, params, optimizer)
    readout = page.locator(".av-facts").first.inner_text()
    assert "lr_t = " in readout
    assert page.locator(".av-key-rate").count() == 3  # one key per card
    # the last schedule (constant after a 40-step warmup): lr_t/η is the last line of the step panel's
    # multi-line, in the palette's schedule grey, over the window up to the iteration shown
    line = page.evaluate(
        """() => { const d = window.AdamViz.instances[0].models.cards[0].others.data;
        const k = d.colour.length - 1; return {n: d.colour.length, colour: d.colour[k],
        xs: Array.from(d.xs[k]), ys: Array.from(d.ys[k])}; }"""
    )
    assert line["n"] == 3 and line["colour"] == PLOT["schedule"]  # sgd, adamw, then the schedule
    assert line["xs"] and line["ys"] == [min(1.0, (x + 1) / 40) for x in line["xs"]]
    assert rejected(page, {"warmup": -1}) == "warmup must be an integer in [0, 10000]; got -1"
    assert rejected(page, {"schedule": "exponential"}) == (
        'schedule must be one of constant, cosine, linear, step; got "exponential"'
    )
    assert state(page)["params"]["schedule"] == "constant"
    set_params(page, warmup=0)
    assert "lr_t = " not in page.locator(".av-facts").first.inner_text()
    assert page.locator(".av-key-rate").count() == 0


def test_adam_then_sgd_in_the_page(page, static_url):
    """switch_at hands the optimizer over to SGD with momentum: the page's trace is adamviz.sim's
    (the rule's rate and a given one), the step panel marks the switch, the readout shows SGD's formula
    after it, and the legend names it."""
    open_explorer(page, static_url)
    for switch_lr in (0.0, 0.002):
        params = set_params(
            page, switch_at=60, switch_lr=switch_lr, momentum=0.5, compare=["adamw"], iteration=80
        )["params"]
        for name in SCENARIOS:
            assert_page_trace(page, name, params)
            assert_page_trace(page, name, params, "adamw")
    assert "switch to SGD (μ 0.5)" in page.locator(".av-legend").first.inner_text()
    assert "step/lr′ = b = μ·b + g" in page.locator(".av-formula").first.inner_text()
    marks = page.evaluate(
        "() => window.AdamViz.instances[0].models.cards[0].others.data.xs.filter((xs) => xs.length === 2 && xs[0] === xs[1])"
    )
    assert marks == [[59.5, 59.5]]
    set_params(page, iteration=30)
    assert "b = μ·b + g" not in page.locator(".av-formula").first.inner_text()
