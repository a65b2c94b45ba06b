"""The browser modules against Python: one settings table, one message style, the Bokeh internals
they rely on, exact settings through set(), and a snippet pasted twice."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.app.settings import checked_settings
from adamviz.sim import simulate, stream

from browser_helpers import open_explorer, open_more, page_trace, set_params, state
from error_bounds import assert_within, trajectory_bounds

pytestmark = pytest.mark.browser


def test_every_bokeh_internal_is_still_there(page, static_url):
    """Each BokehJS private name the page relies on, as bokeh_internals.js lists it in INTERNALS, is
    present in this BokehJS: an upgrade that drops one fails here, naming it."""
    open_explorer(page, static_url)
    open_more(page)  # (the compare buttons and the seed box live there: views once it has joined the page)
    assert len(page.evaluate("Object.keys(window.AdamViz.bokeh.INTERNALS)")) > 0
    missing = page.evaluate(
        """() => { const m = window.AdamViz.instances[0].models;
                   return window.AdamViz.bokeh.missing({plot: m.figures[0], div: m.cards[0].readout, image: m.valley.heat, button: m.widgets.play, group: m.widgets.compare, view: m.widgets.view, slider: m.widgets.lr, input: m.widgets.seed}); }"""
    )
    assert missing == [], f"BokehJS no longer has: {', '.join(missing)}"


def test_a_missing_internal_is_reported_by_name(page, static_url):
    open_explorer(page, static_url)
    open_more(page)
    missing = page.evaluate(
        """() => { const m = window.AdamViz.instances[0].models;
                   window.AdamViz.bokeh.viewOf(m.figures[0]).repaint = undefined;
                   return window.AdamViz.bokeh.missing({plot: m.figures[0], div: m.cards[0].readout, image: m.valley.heat, button: m.widgets.play, group: m.widgets.compare, view: m.widgets.view, slider: m.widgets.lr, input: m.widgets.seed}); }"""
    )
    assert missing == ["PlotView.repaint"]


@pytest.mark.parametrize(
    "name, value",
    [
        ("beta1", 1.5),
        ("eps", -1),
        ("iterations", 5),
        ("iterations", 12.5),
        ("lr", 2),
        ("seed", -3),
        ("speed", 0),
    ],
)
def test_rejections_read_the_same_in_the_page_and_in_python(page, static_url, name, value):
    open_explorer(page, static_url)
    in_page = page.evaluate(
        "([name, value]) => window.adamviz.set({[name]: value}).then(() => 'accepted', (e) => e.message)",
        [name, value],
    )
    with pytest.raises(ValueError) as python:
        checked_settings(**{name: value})
    assert in_page == str(python.value)


def test_set_keeps_a_setting_exactly(page, static_url):
    """A slider shows lr rounded, but the state keeps what set() was given, and trace() is simulate()
    run with exactly what state().params reports."""
    open_explorer(page, static_url)
    set_params(page, lr=0.035593556, beta1=0.912345678901)
    page.wait_for_timeout(300)  # slider callbacks run asynchronously: give any echo time to land
    params = state(page)["params"]
    assert params["lr"] == 0.035593556 and params["beta1"] == 0.912345678901
    g = stream("consistent", params["iterations"], params["seed"])
    keys = ("lr", "beta1", "beta2", "eps", "bias_correction")
    expected = simulate(g, **{k: params[k] for k in keys})
    bounds = trajectory_bounds(g, expected.theta, **{k: params[k] for k in keys}, power_ulps=1)
    got = page_trace(page, "consistent")
    for key in ("m_hat", "sqrt_v_hat", "scale", "theta"):
        assert_within(got[key], getattr(expected, key), bounds[key][:, 0], what=key)


def test_the_same_snippet_pasted_twice_makes_two_explorers(page, tmp_path):
    from adamviz.app.export import explorer_snippet
    from adamviz.app.settings import ExplorerSettings

    snippet = explorer_snippet(ExplorerSettings(scenarios=["noisy"]), resources="inline")
    post = tmp_path / "post.html"
    post.write_text(f"<html><body><p>One.</p>{snippet}<p>Two.</p>{snippet}</body></html>")
    page.goto(post.as_uri())
    page.wait_for_function("window.adamviz && window.adamviz.instances.length === 2", timeout=30_000)
    ids = page.evaluate("window.adamviz.instances.map((e) => e.id)")
    assert len(set(ids)) == 2
    page.evaluate("window.adamviz.instances[1].set({iteration: 50})")
    iterations = page.evaluate("window.adamviz.instances.map((e) => e.state().iteration)")
    assert iterations == [70, 50]  # each opens mid-story (settings.OPENING_ITERATION)
    # each copy draws in its own place: two sets of cards, one explorer root in each snippet
    assert page.locator(".adamviz-snippet").count() == 2
    for k in range(2):
        assert page.locator(".adamviz-snippet").nth(k).locator(".av-card:visible").count() == 1
    # the second copy's buttons drive the second explorer
    page.locator(".adamviz-snippet").nth(1).locator(".av-step button").click()
    page.wait_for_function("window.adamviz.instances[1].state().iteration === 51")
    assert page.evaluate("window.adamviz.instances[0].state().iteration") == 70
    assert np.array_equal(
        page.evaluate("window.adamviz.instances[0].trace('noisy').g"),
        page.evaluate("window.adamviz.instances[1].trace('noisy').g"),
    )


def test_the_bundle_is_built_from_the_current_sources():
    """Pages carry assets/adamviz.min.js only while it was built from the modules as they are; rebuilt
    by the pinned esbuild it comes out byte for byte the same (so a stale bundle cannot hide)."""
    from build_bundle import ESBUILD, bundle

    from adamviz.app.browser_code import BUNDLE, asset_text, bundle_header, explorer_script, module_sources

    sources = module_sources()
    committed = asset_text(BUNDLE)
    assert committed.partition("\n")[0] == bundle_header(sources), "stale: run `python tests/build_bundle.py`"
    assert explorer_script() == committed.partition("\n")[2]
    assert ESBUILD.exists(), "esbuild is missing: `bash tests/run.sh` installs tests/js"
    assert bundle(sources) == committed


@pytest.mark.parametrize("name", ["philox", "adam_rows"])
def test_each_webassembly_kernel_is_assembled_from_its_source(name):
    """assets/engine/NAME_wasm.js is NAME.wat as the pinned wabt assembles it now (a stale kernel
    cannot hide behind a source that says otherwise)."""
    from build_bundle import KERNELS, wasm_module, wasm_path

    assert name in KERNELS
    assert wasm_path(name).read_text(encoding="utf-8") == wasm_module(name), (
        "stale: run `python tests/build_bundle.py`"
    )


def test_a_slot_rewritten_with_new_numbers_keeps_its_nodes(page, static_url):
    """writeSlot changes only the text where the markup is unchanged (a readout on every frame), and
    the result is what writing the HTML whole gives — escaped text included; other markup is written whole."""
    open_explorer(page, static_url)
    result = page.evaluate(
        """() => {
          const { writeSlot, slotOf } = window.AdamViz.bokeh;
          const div = window.AdamViz.instances[0].models.cards[0].readout;
          const slot = () => slotOf(div);
          const parsed = (html) => { const d = document.createElement('div'); d.innerHTML = html; return d.innerHTML; };
          const first = '<div class="av-facts">iteration <b>1</b> · g = 0.5 &amp; more</div>';
          const second = '<div class="av-facts">iteration <b>2</b> · g = &lt;0.25&gt; &#39;x&#39;</div>';
          const other = '<div class="av-facts">iteration <i>3</i></div>';
          writeSlot(div, first);
          const bold = slot().querySelector('b');
          writeSlot(div, second);
          const kept = slot().querySelector('b') === bold;
          const same = slot().innerHTML === parsed(second);
          writeSlot(div, other);
          return { kept, same, whole: slot().innerHTML === parsed(other) && slot().querySelector('b') === null };
        }"""
    )
    assert result == {"kept": True, "same": True, "whole": True}


LAYER_PAINTS = """async (changes) => {
  const explorer = window.AdamViz.instances[0];
  const plot = explorer.models.cards[0].figures[0];
  const counts = window.AdamViz.bokeh.countPaints(plot);
  await window.adamviz.set(changes);
  const painted = { ...counts };
  const xRange = explorer.models.x_range;  // the window's older half now lies left of the frame
  xRange.start = (xRange.start + xRange.end) / 2;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return { ...painted, clip: window.AdamViz.bokeh.overlayInk(plot) };
}"""


def test_what_moves_paints_on_its_own_canvas_clipped_to_the_frame(page, static_url):
    """The cards' glyphs and cursors are at level "overlay": while only data moves (a step through the
    whole history) BokehJS repaints that canvas alone and nothing asks the axes for their sizes; a
    range change repaints both — and only a y-range change asks the axes their sizes (an x-axis's
    height does not follow its labels); the overlay canvas draws nothing outside the frame (as the
    window glides, its first lollipop lies up to half an iteration left of it)."""
    open_explorer(page, static_url)
    set_params(page, window=0, iterations=1000, iteration=500)
    only_data = page.evaluate(LAYER_PAINTS, {"iteration": 501})
    assert (only_data["primary"], only_data["overlays"], only_data["sizes"]) == (0, 1, 0)
    set_params(page, window=40, iteration=500)
    moved = page.evaluate(LAYER_PAINTS, {"iteration": 600})
    assert (moved["primary"], moved["overlays"], moved["sizes"]) == (1, 1, 0)
    rescaled = page.evaluate(LAYER_PAINTS, {"lr": 1.0, "optimizer": "sgd"})  # the step axis widens
    assert (rescaled["primary"], rescaled["overlays"]) == (1, 1) and rescaled["sizes"] >= 1
    for result in (only_data, moved, rescaled):
        assert result["clip"] == {"outside": False, "inside": True}
