"""The precision setting in the page: float16, bfloat16 and float32 cards equal to adamviz.sim's bit
for bit, what the readout says about ε and v in float16 (only where the numbers show it), the
combinations it refuses, its control, its preset and its slide."""

from __future__ import annotations

import pytest

from adamviz.app.text import FLOAT16_EPS
from adamviz.sim.precision import precision_refusal

from browser_helpers import assert_page_trace, open_explorer, open_more, set_params, state

pytestmark = pytest.mark.browser

SCENARIOS = ("consistent", "noisy", "reversal")


def readout(page, scenario: str) -> str:
    return page.locator(f".av-readout[data-scenario='{scenario}']").inner_text()


def test_every_format_matches_numpy_bit_for_bit(page, static_url):
    open_explorer(page, static_url)
    for precision, optimizer, compare in (
        ("float16", "adam", ["sgd", "rmsprop", "adafactor"]),
        ("bfloat16", "amsgrad", ["momentum", "radam", "nadam"]),
        ("float32", "adamw", ["adam", "adamax", "adagrad"]),
    ):
        params = set_params(
            page, precision=precision, optimizer=optimizer, compare=compare, weight_decay=0.01, seed=5
        )["params"]
        for name in SCENARIOS:
            for other in (optimizer, *compare):
                assert_page_trace(page, name, params, other)


def test_float16_readout_says_what_the_format_did(page, static_url):
    """At the preset (g ≈ 1e-4, ε = 1e-6): v rounds to 0, the scale is m̂/ε ≈ 100. At ε = 1e-8: ε is 0
    in float16, θ = −∞ from the first step — said on every card, as the numbers show it."""
    open_explorer(page, static_url, "?preset=float16-eps&iteration=30")
    params = state(page)["params"]
    assert {key: params[key] for key in FLOAT16_EPS} == FLOAT16_EPS
    for name in SCENARIOS:
        assert_page_trace(page, name, params)
        text = readout(page, name)
        assert "iteration 30 · float16" in text
        assert "v = β₂·v + (1 − β₂)·g² rounds to 0 in float16, so the denominator's root is 0." in text
        assert "−∞" not in text
    set_params(page, optimizer="adagrad")  # its own second moment, named as it is: a sum
    assert "s = s + g² rounds to 0 in float16, so the denominator's root is 0." in readout(page, "consistent")
    set_params(page, optimizer="adam", eps=1e-8)
    text = readout(page, "consistent")
    assert "θ = −∞ from iteration 0: √v̂ + ε rounded to 0 in float16" in text
    assert "(0 + 0) = ∞" in text.replace("\n", "")  # the formula shows ε as float16 holds it: 0
    set_params(page, precision="float64")
    assert "float16" not in readout(page, "consistent") and "−∞" not in readout(page, "consistent")


def test_a_note_coming_and_going_keeps_the_figures_in_place(page, static_url):
    """In float16, ε = 1e-8 (0 there) brings a note to each readout and ε = 1e-6 takes it away: the
    note's line stays, so the figures below stay put while the ε slider crosses float16's reach (they
    moved by a line with every crossing). float64 has no such line."""
    open_explorer(page, static_url)
    card = page.locator(".av-readout[data-scenario='consistent']")
    said = "is 0 in float16: only √v̂ keeps the denominator above 0."
    heights = []
    for eps in (1e-6, 1e-8, 1e-6, 1e-8):
        set_params(page, precision="float16", eps=eps)
        assert (said in readout(page, "consistent")) == (eps == 1e-8)
        heights.append(card.bounding_box()["height"])
    assert len(set(heights)) == 1, heights
    set_params(page, precision="float64")
    assert page.locator(".av-precision-note").count() == 0


def test_refused_combinations_keep_the_page(page, explorer_url):
    """Every optimizer steps in every format, but Adam-then-SGD is float64's alone: asked for both, the
    page says why in Python's words and keeps what it had."""
    open_explorer(page, explorer_url)
    set_params(page, precision="float16", compare=["radam", "adafactor"])
    before = state(page)["params"]
    message = page.evaluate(
        "(c) => window.adamviz.set(c).then(() => null, (e) => e.message)", {"switch_at": 50}
    )
    assert message is not None and precision_refusal("float16", 50, 200) in message
    assert state(page)["params"] == before
    # from the URL: the refusal is shown and the format is not taken
    open_explorer(page, explorer_url, "?precision=bfloat16&switch_at=20")
    params = state(page)["params"]
    assert (params["precision"], params["switch_at"]) == ("float64", 0)
    assert precision_refusal("bfloat16", 20, 200) in page.locator(".av-error").inner_text()


def test_the_control_and_the_other_views(page, static_url):
    """The menu sets it; the many-parameters view and the closed loop stay in float64 under it."""
    open_explorer(page, static_url)
    open_more(page)
    page.locator(".av-precision select").select_option("bfloat16")
    page.wait_for_function("window.adamviz.state().params.precision === 'bfloat16'")
    assert "bfloat16" in readout(page, "noisy")
    for view in ("population", "valley"):  # float64 there: the menu hides, as any control that does not act
        set_params(page, view=view)
        assert not page.locator(".av-error").is_visible()
        assert not page.locator(".av-precision select").is_visible()
    set_params(page, view="cards")
    page.locator(".av-precision select").wait_for(state="visible")
