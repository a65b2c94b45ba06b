"""The explorer in real Chromium: served by ``adamviz serve`` and as a static file, the same behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from adamviz.app.palette import OPTIMIZER_STYLE
from adamviz.app.settings import CONTROLS, OPENING_ITERATION
from adamviz.sim import OPTIMIZERS

from browser_helpers import (
    assert_page_trace,
    numpy_trace,
    open_explorer,
    open_more,
    page_trace,
    set_params,
    state,
)

pytestmark = pytest.mark.browser


def test_page_loads_with_three_cards(page, explorer_url, screenshots):
    open_explorer(page, explorer_url)
    assert page.locator(".av-card").count() == 3
    titles = page.locator(".av-card-title").all_inner_texts()
    assert titles == ["Steady gradients", "Pure noise", "A reversing trend"]
    current = state(page)
    assert current["scenarios"] == ["consistent", "noisy", "reversal"]
    assert current["iteration"] == OPENING_ITERATION and current["playing"] is False  # mid-story
    assert current["params"] == {
        "view": "cards",
        "smooth": False,
        "n_params": 1000,
        "spread_axis": "true",
        "optimizer": "adam",
        "compare": [],
        "lr": 0.01,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0,
        "momentum": 0.9,
        "schedule": "constant",
        "warmup": 0,
        "min_lr": 0,
        "switch_at": 0,
        "switch_lr": 0,
        "precision": "float64",
        "grad_scale": 0,
        "iterations": 200,
        "seed": 0,
        "bias_correction": True,
        "speed": 20,
        "window": 40,
        "panels": ["moments", "step", "theta"],
        "controls": list(CONTROLS),
        "header": True,
        "height": 380,
        "problem": "valley",
        "condition": 100,
        "rotated": False,
        "noise": 0,
        "start_x": -2,
        "start_y": 1,
    }
    assert page.locator("math").count() == 2  # the update rule renders as MathML, no script, no network
    set_params(page, iteration=60)
    page.screenshot(
        path=screenshots / f"explorer-{'served' if explorer_url.startswith('http') else 'static'}.png"
    )


def test_play_advances_and_pause_stops(page, explorer_url):
    open_explorer(page, explorer_url)
    set_params(page, speed=60)
    page.locator(".av-play button").click()
    page.wait_for_function("window.adamviz.state().iteration >= 10")
    assert state(page)["playing"] is True
    assert "Pause" in page.locator(".av-play button").inner_text()
    page.locator(".av-play button").click()
    stopped = state(page)["iteration"]
    page.wait_for_timeout(300)
    assert state(page)["iteration"] == stopped and state(page)["playing"] is False


def test_step_and_step_back(page, explorer_url):
    open_explorer(page, explorer_url)
    set_params(page, iteration=10)
    page.locator(".av-back button").click()
    page.wait_for_function("window.adamviz.state().iteration === 9")
    page.locator(".av-step button").click()
    page.locator(".av-step button").click()
    page.wait_for_function("window.adamviz.state().iteration === 11")
    page.evaluate("window.adamviz.step(-5)")
    assert state(page)["iteration"] == 6
    page.locator(".av-reset button").click()
    page.wait_for_function("window.adamviz.state().iteration === 0")
    readout = page.locator(".av-readout[data-scenario='consistent'] .av-facts").inner_text()
    assert readout.startswith("iteration 0 ·")


def test_beta1_slider_recomputes_history_equal_to_numpy(page, explorer_url):
    open_explorer(page, explorer_url)
    set_params(page, iteration=150)
    before = page_trace(page, "reversal")
    handle = page.locator(".av-beta1 .noUi-handle")
    handle.focus()
    for _ in range(30):  # the slider moves in steps of the averaging window's log10
        page.keyboard.press("ArrowRight")
    page.wait_for_function("window.adamviz.state().params.beta1 > 0.94")
    params = state(page)["params"]
    after = page_trace(page, "reversal")
    assert not np.allclose(before["m_hat"], after["m_hat"])
    assert_page_trace(page, "reversal", params)
    # the previous setting stays as a faded ghost until the next change
    ghost_points = page.evaluate("() => window.AdamViz.instances[0].models.cards[2].ghost.data.m_hat.length")
    assert ghost_points == 40


LOLLIPOPS = """(k) => {
  const card = window.AdamViz.instances[0].models.cards[k];
  const plain = (d) => Object.fromEntries(Object.entries(d).map(([key, values]) => [key, Array.from(values, (v) => (Number.isNaN(v) ? null : v))]));
  return {
    data: plain(card.grad.data),
    band: plain(card.grad_band.data),
    width: card.figures[0].inner_width,
    glyphs: window.AdamViz.bokeh.glyphsOf(card.figures[0], card.grad),
    legend: window.AdamViz.bokeh.slotOf(card.legend).textContent,
  };
}"""


def test_lollipops_are_the_window_s_gradients_in_one_path_each(page, static_url):
    """Stems 0 -> g and heads at g, one Line each with NaN between pieces, while each iteration has
    3 px; no band then."""
    open_explorer(page, static_url)
    params = set_params(page, iteration=150, window=40, iterations=1000)["params"]
    g, _ = numpy_trace("reversal", params)
    got = page.evaluate(LOLLIPOPS, 2)
    assert sorted(got["glyphs"]) == [["Line", 1.5, "butt"], ["Line", 6, "round"]]
    assert got["width"] / 40 >= 3 and got["band"]["x"] == []
    d = {key: np.array(values, dtype=float) for key, values in got["data"].items()}
    x = np.arange(111, 151)
    for key in d:
        assert len(d[key]) == 3 * 40 and np.isnan(d[key][2::3]).all(), key
    np.testing.assert_array_equal(d["stem_x"][0::3], x)
    np.testing.assert_array_equal(d["stem_x"][1::3], x)
    np.testing.assert_array_equal(d["stem_y"][0::3], 0)
    np.testing.assert_array_equal(d["stem_y"][1::3], g[x])
    np.testing.assert_array_equal(d["head_y"][0::3], g[x])
    np.testing.assert_array_equal(d["head_y"][1::3], g[x])
    half = 1e-4 * 40  # views/cards.js: 1e-4 of the window each side, well under a pixel
    np.testing.assert_allclose(d["head_x"][0::3], x - half, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["head_x"][1::3], x + half, rtol=0, atol=1e-12)


def test_a_setting_change_keeps_the_lollipops_and_a_new_seed_redraws_them(page, static_url):
    """β₁ leaves the gradients as they were: their data is not sent to the plot again (views/cards.js
    skips it); a new seed draws the new gradients (card 1: the noisy stream, which the seed moves)."""
    open_explorer(page, static_url)
    set_params(page, iteration=150, window=40, iterations=1000, seed=0)
    keep = "() => { window.__lollipops = window.AdamViz.instances[0].models.cards[1].grad.data; }"
    same = "() => window.AdamViz.instances[0].models.cards[1].grad.data === window.__lollipops"
    page.evaluate(keep)
    set_params(page, beta1=0.8, eps=1e-6)
    assert page.evaluate(same)
    params = set_params(page, seed=7)["params"]
    assert not page.evaluate(same)
    g, _ = numpy_trace("noisy", params)
    stems = np.array(page.evaluate(LOLLIPOPS, 1)["data"]["stem_y"], dtype=float)
    np.testing.assert_array_equal(stems[1::3], g[np.arange(111, 151)])
    set_params(page, iteration=151)
    stems = np.array(page.evaluate(LOLLIPOPS, 1)["data"]["stem_y"], dtype=float)
    np.testing.assert_array_equal(stems[1::3], g[np.arange(112, 152)])


def test_a_long_history_is_a_band_per_pixel_with_the_latest_as_lollipops(page, static_url):
    """1,000 iterations in a few hundred pixels: the gradients as a band, one bucket per pixel column
    (as many iterations as a column spans, aligned to multiples of that), from the least to the
    greatest gradient of the bucket and the iteration before it; the latest 10 as lollipops; the
    legend says so."""
    open_explorer(page, static_url)
    params = set_params(page, iteration=999, window=0, iterations=1000)["params"]
    g, _ = numpy_trace("noisy", params)
    got = page.evaluate(LOLLIPOPS, 1)
    size = max(1, round(1000 / got["width"]))
    band = {key: np.array(values, dtype=float) for key, values in got["band"].items()}
    starts = np.arange(0, 1000, size)
    assert len(band["x"]) == 2 * len(starts)
    for k, start in enumerate(starts):
        end = min(999, start + size - 1)
        held = g[max(0, start - 1) : end + 1]
        assert band["x"][2 * k : 2 * k + 2].tolist() == [start - 0.5, end + 0.5]
        assert band["lower"][2 * k : 2 * k + 2].tolist() == [held.min()] * 2
        assert band["upper"][2 * k : 2 * k + 2].tolist() == [held.max()] * 2
    # each bucket within a pixel column and a half (rounding the iterations per column)
    assert size * got["width"] / 1000 <= 1.5
    heads = np.array(got["data"]["head_y"], dtype=float)[0::3]
    np.testing.assert_array_equal(heads, g[990:1000])
    assert "band: range of g per pixel" in got["legend"]
    # playing on, the buckets hold still: the band up to 500 is the first half of the band up to 999
    set_params(page, iteration=500)
    half = page.evaluate(LOLLIPOPS, 1)["band"]
    whole = len([s for s in starts if s + size - 1 < 500])
    assert half["x"][: 2 * whole] == band["x"][: 2 * whole].tolist()
    assert half["upper"][: 2 * whole] == band["upper"][: 2 * whole].tolist()


def test_url_parameters_set_the_initial_state(page, explorer_url):
    open_explorer(
        page, explorer_url, "?beta1=0.99&seed=3&iteration=37&lr=0.05&bias_correction=false&window=0"
    )
    current = state(page)
    assert current["iteration"] == 37
    assert current["params"]["beta1"] == 0.99 and current["params"]["seed"] == 3
    assert current["params"]["lr"] == 0.05 and current["params"]["bias_correction"] is False
    assert current["params"]["window"] == 0
    assert not page.locator(".av-error").is_visible()
    assert_page_trace(page, "noisy", current["params"])


def test_bad_url_parameters_show_a_message_and_fall_back(page, explorer_url):
    open_explorer(page, explorer_url, "?beta1=1.5&eps=-1&iterations=abc&seed=<script>alert(1)</script>")
    current = state(page)["params"]
    assert current["beta1"] == 0.9 and current["eps"] == 1e-8 and current["iterations"] == 200
    assert current["seed"] == 0
    message = page.locator(".av-error").inner_text()
    assert 'beta1 must be a number in [0, 0.9999]; got "1.5"' in message
    assert 'eps must be a number in [1e-12, 1]; got "-1"' in message
    assert 'iterations must be an integer in [10, 10000]; got "abc"' in message
    assert 'seed must be an integer in [0, 4294967295]; got "<script>alert(1)</script>"' in message
    assert page.locator(".av-error script").count() == 0  # escaped, not injected
    set_params(page, iteration=5)  # the page lives on


def test_set_rejects_bad_values_and_keeps_state(page, static_url):
    open_explorer(page, static_url)
    error = page.evaluate("window.adamviz.set({beta2: 2, lr: 0.1}).then(() => null, (e) => e.message)")
    assert error == "beta2 must be a number in [0, 0.9999]; got 2"
    assert state(page)["params"]["lr"] == 0.01  # nothing applied
    error = page.evaluate("window.adamviz.set({iteration: 500}).then(() => null, (e) => e.message)")
    assert error == "iteration must be an integer in [0, 199]; got 500"


def test_two_visitors_never_share_state(browser, served_url):
    """Every visitor's explorer lives in their own page; the server holds no state to share."""
    first, second = browser.new_page(), browser.new_page()
    open_explorer(first, served_url)
    open_explorer(second, served_url)
    set_params(first, beta1=0.5, iteration=99)
    assert state(second)["params"]["beta1"] == 0.9 and state(second)["iteration"] == OPENING_ITERATION
    set_params(second, beta1=0.7)
    assert state(first)["params"]["beta1"] == 0.5 and state(first)["iteration"] == 99
    first.close()
    second.close()


def test_a_served_page_never_talks_to_the_server(page, served_url):
    """Neither a setting change nor a frame reaches the server: no websocket, no request."""
    traffic: list[str] = []
    page.on("websocket", lambda socket: traffic.append(f"websocket {socket.url}"))
    open_explorer(page, served_url)
    page.on("request", lambda request: traffic.append(f"{request.method} {request.url}"))
    set_params(page, speed=120, iterations=2000, beta1=0.95)
    page.evaluate("window.adamviz.play()")
    page.wait_for_function("window.adamviz.state().iteration > 300")  # it really played
    assert traffic == []


def test_narrow_screen_has_no_horizontal_scroll(page, static_url, screenshots):
    page.set_viewport_size({"width": 375, "height": 800})
    open_explorer(page, static_url)
    set_params(page, iteration=80)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshots / "explorer-375px.png", full_page=True)


def test_panel_serve_app_main(page, panel_served_url, tmp_path):
    """`panel serve app/main.py`: the page reports its settings to the server through its typed report
    model, and Panel's Export button downloads the page at that state."""
    open_explorer(page, panel_served_url)
    assert page.locator(".av-card").count() == 3
    set_params(page, beta1=0.99, seed=7, iteration=42)
    page.wait_for_timeout(500)  # the report reaches the server
    with page.expect_download() as download:
        if page.locator(".av-more-toggle").count():
            open_more(page)
        page.locator(".av-export button:visible, .av-export a:visible").first.click()
    saved = tmp_path / "panel-export.html"
    download.value.save_as(saved)
    open_explorer(page, saved.as_uri())
    current = state(page)
    assert (
        current["iteration"] == 42 and current["params"]["beta1"] == 0.99 and current["params"]["seed"] == 7
    )


NUDGES = """async (changes) => {
  const m = window.AdamViz.instances[0].models;
  const counts = m.cards.flatMap((card) => card.figures).map((plot) => window.AdamViz.bokeh.countPaints(plot));
  const ranges = () => [m.y_step, ...m.cards.map((card) => card.y_moments)].map((r) => [r.start, r.end]);
  const seen = [];
  for (const change of changes) {
    await window.adamviz.set(change);
    seen.push(ranges());
  }
  return { primary: counts.reduce((n, c) => n + c.primary, 0), overlays: counts.reduce((n, c) => n + c.overlays, 0), seen };
}"""


def test_a_nudged_control_moves_the_curves_not_the_axes(page, static_url):
    """β₁ and ε nudged back and forth: the y-axes keep their ends (round multiples, the data inside),
    so only the canvases of what moves repaint; a change whose curves leave an axis fits it again,
    and so does one whose curves shrink far inside it."""
    open_explorer(page, static_url)
    set_params(page, iterations=1000, iteration=999)
    nudges = [{"beta1": 0.9 if k % 2 else 0.95, "eps": 1e-8 if k % 3 else 1e-6} for k in range(12)]
    got = page.evaluate(NUDGES, nudges)
    assert got["primary"] == 0 and got["overlays"] == 12 * 6
    assert all(seen == got["seen"][0] for seen in got["seen"])
    for lo, hi in got["seen"][
        0
    ]:  # multiples of a round step (1, 2 or 5 × 10^k), about a fortieth of the span
        step = min(m * 10.0**k for k in range(-6, 3) for m in (1, 2, 5) if m * 10.0**k >= (hi - lo) / 48)
        assert np.isclose(lo / step, round(lo / step)) and np.isclose(hi / step, round(hi / step)), (lo, hi)
    for changes, grows in (
        ({"lr": 1.0, "optimizer": "sgd"}, True),
        ({"lr": 0.01, "optimizer": "adam"}, False),
    ):
        before = got["seen"][-1][0]
        got = page.evaluate(NUDGES, [changes])
        after = got["seen"][-1][0]
        per_lr = (
            np.array(page.evaluate("window.adamviz.trace('consistent')")["step"], dtype=float) / changes["lr"]
        )
        assert after[0] <= per_lr.min() and per_lr.max() <= after[1]
        assert got["primary"] > 0 and (after[1] - after[0] > before[1] - before[0]) == grows


def test_off_screen_costs_nothing_and_resumes_where_it_was(page, static_url):
    """Playing, scrolled out of view (a blog post read on), the explorer draws no frames and moves no
    iteration; scrolled back, it goes on from the iteration it stopped at."""
    open_explorer(page, static_url)
    page.evaluate("""() => {
      const after = document.createElement('div'); after.style.height = '5000px'; document.body.append(after);
    }""")
    set_params(page, speed=60, iterations=5000)
    page.evaluate("window.adamviz.play()")
    page.wait_for_function("window.adamviz.state().iteration > 30")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)  # the observer reports asynchronously
    stopped = state(page)["iteration"]
    page.evaluate("""() => { const m = window.AdamViz.instances[0].models;
      window.paintCounts = m.cards.flatMap((card) => card.figures).map((plot) => window.AdamViz.bokeh.countPaints(plot)); }""")
    page.wait_for_timeout(2000)
    paints = page.evaluate("window.paintCounts.reduce((n, c) => n + c.primary + c.overlays, 0)")
    assert state(page)["iteration"] == stopped and state(page)["playing"] is True
    assert paints == 0  # no frame drawn while no one can see it (the benchmark measures its main thread)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function(f"window.adamviz.state().iteration > {stopped + 10}")
    resumed = state(page)["iteration"]
    assert resumed < stopped + 200  # it went on from where it was, it did not jump ahead
    page.evaluate("window.adamviz.pause()")


def test_compare_offers_the_others_and_the_seed_box_says_no(page, static_url):
    """Finding 10 of "Made with care": "adam" was offered in Compare with while it was the main
    optimizer; the seed box dropped "abc" and clamped 99999999999 without a word."""
    open_explorer(page, static_url)
    open_more(page)
    buttons = page.locator(".av-compare button:visible")
    assert buttons.all_inner_texts() == [name for name in OPTIMIZERS if name != "adam"]
    buttons.nth(0).click()
    page.wait_for_function("window.adamviz.state().params.compare.join() === 'sgd'")
    set_params(page, optimizer="rmsprop")
    expect(buttons).to_have_text([name for name in OPTIMIZERS if name != "rmsprop"])
    assert page.locator(".av-compare button.bk-active").all_inner_texts() == ["sgd"]
    page.locator(".av-momentum").wait_for(state="hidden")  # μ acts only while momentum is drawn
    buttons.nth(1).click()
    page.locator(".av-momentum").wait_for(state="visible")
    seed = page.locator(".av-seed input")
    for typed, shown in (("abc", '"abc"'), ("99999999999", '"99999999999"')):
        seed.fill(typed)
        seed.press("Enter")
        message = page.locator(".av-error")
        message.wait_for()
        assert f"seed must be an integer in [0, 4294967295]; got {shown}" in message.inner_text()
        assert state(page)["params"]["seed"] == 0
        expect(seed).to_have_value("0")


THETA_MARKS = """() => {
  const card = window.AdamViz.instances[0].models.cards[2];
  const marks = card.others_theta_marks.data;
  return {
    marks: { x: Array.from(marks.x), y: Array.from(marks.y), colour: Array.from(marks.colour) },
    glyphs: window.AdamViz.bokeh.glyphsOf(card.figures[1], card.others_theta_marks).map(([type]) => type),
    lines: window.AdamViz.bokeh.glyphsOf(card.figures[1], card.others).map(([type]) => type),
    theta: window.adamviz.trace("reversal", "amsgrad").theta,
    legend: window.AdamViz.bokeh.slotOf(card.legend).textContent,
  };
}"""


def test_a_compared_optimizer_s_theta_carries_circles_its_step_line_lacks(page, static_url):
    """In the panel a compared optimizer's step/η and θ share (colour and dash are the optimizer's),
    its θ line has open circles every 5 iterations of a 40-iteration window (1-2-5 steps, about 8 a
    window), at θ's values; its step line has none; the legend says which is which."""
    open_explorer(page, static_url)
    set_params(page, compare=["amsgrad"], iteration=150, window=40)
    got = page.evaluate(THETA_MARKS)
    assert got["glyphs"] == ["Scatter"] and got["lines"] == ["MultiLine"]
    at = list(range(115, 151, 5))
    assert got["marks"]["x"] == at
    assert got["marks"]["y"] == [got["theta"][i] for i in at]
    assert set(got["marks"]["colour"]) == {OPTIMIZER_STYLE["amsgrad"][0]}
    assert "amsgrad: step/η, θ" in got["legend"]
    set_params(page, compare=[])
    assert page.evaluate(THETA_MARKS)["marks"]["x"] == []


LAYOUT_AS_SENT = """() => {
  // every layout model's visibility and height as the page's document JSON brought them, against now
  const sent = new Map();
  const walk = (value) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== "object") return;
    if (value.type === "object" && value.id && value.attributes) sent.set(value.id, value.attributes);
    Object.values(value).forEach(walk);
  };
  walk(JSON.parse(document.querySelector('script[type="application/json"]').textContent));
  const differ = [];
  let compared = 0;
  for (const model of Bokeh.documents[0].all_models) {
    if (!("sizing_mode" in model.properties) || !sent.has(model.id)) continue;  // LayoutDOMs only
    compared++;
    const attributes = sent.get(model.id);
    const [visible, height] = [attributes.visible ?? true, attributes.height ?? null];
    if (model.visible !== visible || model.height !== height)
      differ.push(`${model.type} ${model.id}: visible ${visible} -> ${model.visible}, height ${height} -> ${model.height}`);
  }
  const held = window.AdamViz.instances[0].models.figures.filter((plot) => plot.hold_render).length;
  return {differ, compared, held};
}"""


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"height": 401, "panels": ["moments", "step"]},
        {"height": 255, "panels": ["theta"], "compare": ["momentum"]},
    ],
    ids=["default", "two-panels", "lower-only-momentum"],
)
def test_the_first_layout_is_the_pages_the_mount_changes_no_size_or_visibility(page, tmp_path, settings):
    # Python sends each card's panel heights and each control's visibility as the page's mount sets
    # them (plots.panel_heights, views/cards.js arrange; μ only while momentum is drawn): were one
    # different, the mount would lay the whole page out a second time as it opens (docs/performance.md).
    # The figures come held (hold_render: BokehJS's own first render does not paint them) and the mount
    # releases every one.
    from adamviz.app.export import write_export
    from adamviz.app.settings import ExplorerSettings

    url = write_export(tmp_path / "page.html", ExplorerSettings(**settings)).as_uri()
    open_explorer(page, url)
    result = page.evaluate(LAYOUT_AS_SENT)
    assert result["compared"] > 50
    assert result["differ"] == []
    assert result["held"] == 0
    # and a setting that does change the layout still does
    set_params(page, height=300)
    assert page.evaluate(LAYOUT_AS_SENT)["differ"] != []
