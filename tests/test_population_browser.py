"""The many-parameters view in Chromium (issue 11): population() equals NumPy, every control recomputes
it, the view comes through the URL, set(), its button and a lecture slide, E toggles β₁ = β₂, and the
page keeps answering while 10,000 parameters are computed."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import population, population_parameters, rt_percentiles, simulate

from browser_helpers import open_explorer, set_params, state

pytestmark = pytest.mark.browser

STEP_KEYS = ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "bias_correction")


def numpy_population(params: dict) -> tuple:
    """What adamviz.sim computes for the page's settings: parameters and the main optimizer's r_t percentiles."""
    n, iterations, seed, k = params["n_params"], params["iterations"], params["seed"], params["grad_scale"]
    g = population(n, iterations, seed)
    if k:
        g = g * float(f"1e{k}")
    settings = {key: params[key] for key in STEP_KEYS}
    trajectory = simulate(g, optimizer=params["optimizer"], **settings)
    return population_parameters(n, seed), rt_percentiles(trajectory.scale)


def assert_population_matches(page) -> dict:
    params = state(page)["params"]
    got = page.evaluate("window.adamviz.population()")
    drawn, expected = numpy_population(params)
    scale = float(f"1e{params['grad_scale']}")
    assert got["n_params"] == params["n_params"]
    np.testing.assert_array_equal(np.array(got["gamma"]), drawn.spread)
    np.testing.assert_array_equal(np.array(got["magnitude"]), drawn.magnitude * scale)
    actual = np.stack([got["percentiles"][k] for k in ("p10", "p50", "p90")], axis=1)
    # 1e-12 relative to the step's largest percentile (the smallest may be exactly 0)
    assert (np.abs(actual - expected) <= 1e-12 * expected[:, 2:]).all(), params
    return got


def test_population_matches_numpy_under_every_control(page, static_url):
    open_explorer(page, static_url, "?view=population&n_params=200&iterations=150")
    assert state(page)["params"]["view"] == "population"
    assert_population_matches(page)
    for changes in (
        {"beta1": 0.99},
        {"beta2": 0.9, "eps": 1e-3},
        {"lr": 0.3},
        {"optimizer": "rmsprop"},
        {"optimizer": "sgd", "compare": ["adam", "adamw"]},
        {"optimizer": "adamw", "weight_decay": 0.1},
        {"iterations": 90},
        {"seed": 4_000_000_000},
        {"grad_scale": -3, "optimizer": "adam"},
        {"n_params": 37},
        {"bias_correction": False},
    ):
        set_params(page, **changes)
        assert_population_matches(page)


COUNT_WEBASSEMBLY = """
window.__webAssemblyModules = [];
const Module = WebAssembly.Module;
WebAssembly.Module = function (bytes) { window.__webAssemblyModules.push(bytes.length); return new Module(bytes); };
"""
NO_WEBASSEMBLY = """
WebAssembly.Module = function () { throw new WebAssembly.CompileError("refused, as a strict Content-Security-Policy would"); };
"""


@pytest.mark.parametrize("init", [COUNT_WEBASSEMBLY, NO_WEBASSEMBLY], ids=["wasm", "refused"])
def test_gradients_are_numpys_with_and_without_webassembly(page, static_url, init):
    """The static page draws its Philox blocks with the WebAssembly kernel (compiled once, however
    many draws; so is the Adam kernel where the page steps the population itself), and where the
    page may not run WebAssembly it draws and steps the same numbers without them."""
    page.add_init_script(init)
    open_explorer(page, static_url, "?view=population&n_params=300&iterations=120")
    assert_population_matches(page)
    set_params(page, seed=4_000_000_000)
    assert_population_matches(page)
    if init is COUNT_WEBASSEMBLY:
        sizes = page.evaluate("window.__webAssemblyModules")
        assert 1 <= len(sizes) <= 2 and len(set(sizes)) == len(sizes), sizes


RUNS_BOTH_WAYS = """async (ts) => {
  const many = window.AdamViz.instances[0].state.many;
  await many.ready;  // (the page opened on this view: its first computation may be under way)
  const params = window.AdamViz.instances[0].state.params;
  const rowOf = (run, key, t, n) => {  // (engine keptRow: a whole array or the workers' blocks)
    if (run[key]) return Array.from(run[key].subarray(t * n, (t + 1) * n));
    const row = new Float32Array(n);
    for (const b of run.blocks) row.set(b[key].subarray(t * b.width, (t + 1) * b.width), b.offset);
    return Array.from(row);
  };
  const read = (result) => ({
    percentiles: [result.main, ...Object.values(result.compared)].map((run) => Array.from(run.percentiles)),
    rows: ts.map((t) => [rowOf(result.main, "perLr", t, params.n_params), rowOf(result.main, "spreadHat", t, params.n_params)]),
    extent: result.main.extent,
  });
  const threaded = { workers: Boolean(many.workers), blocks: Boolean(many.result.main.blocks), ...read(many.result) };
  return { threaded, oneThread: read(many.computeNow(params)) };
}"""


def test_the_workers_give_the_one_thread_numbers_to_the_bit(page, static_url):
    """The view's runs are stepped by two workers (blocks of columns; each chunk of rows' percentiles
    taken by one of them): percentiles of the main and a compared optimizer, |step|/η and γ̂ at any
    step, and their extents are those of the same run on the page's own thread (computeNow), to the bit
    — with an odd count of parameters (blocks of 151 and 150) and after a change that keeps the
    gradients (the workers keep theirs)."""
    open_explorer(page, static_url, "?view=population&n_params=301&iterations=150&compare=sgd")
    for changes in ({}, {"beta1": 0.8, "optimizer": "rmsprop", "compare": ["adam"]}):
        if changes:
            set_params(page, **changes)
        got = page.evaluate(RUNS_BOTH_WAYS, [0, 77, 149])
        assert got["threaded"]["workers"] and got["threaded"]["blocks"]
        for key in ("percentiles", "rows", "extent"):
            assert got["threaded"][key] == got["oneThread"][key], key
    assert_population_matches(page)


def test_changes_faster_than_the_workers_leave_the_last_ones_numbers(page, static_url):
    """Changes that come before the last computation ended (an arrow key held on β₁) replace it: the
    page ends on the numbers of the last settings."""
    open_explorer(page, static_url, "?view=population&n_params=2000&iterations=300")
    page.evaluate(
        """() => Promise.all([0.8, 0.85, 0.95, 0.7].map((beta1, k) => window.adamviz.set(k === 2 ? {beta1, seed: 9} : {beta1})))"""
    )
    assert state(page)["params"]["beta1"] == 0.7
    assert_population_matches(page)


NO_WORKERS = """
window.Worker = function () { throw new DOMException("refused, as a Content-Security-Policy without blob: workers would", "SecurityError"); };
"""


def test_a_page_that_may_not_start_workers_computes_in_slices(page, static_url):
    page.add_init_script(NO_WORKERS)
    open_explorer(page, static_url, "?view=population&n_params=301&iterations=150&compare=sgd")
    assert page.evaluate("window.AdamViz.instances[0].state.many.workers") is None
    assert_population_matches(page)
    set_params(page, beta1=0.8)
    assert_population_matches(page)


def test_nudged_beta1_leaves_the_log_axes_where_they_were(page, static_url):
    """β₁ nudged back and forth: r's axis (and the scatter's two) keep their ends — quarter decades,
    10^(k/4), the bands inside — so the axes do not twitch under the changing bands (a range that holds
    the new span and is at most 1.2× as many decades long stays), and only the canvases of what moves
    repaint."""
    open_explorer(page, static_url, "?view=population&n_params=300&iterations=200")
    seen = []
    for k, beta1 in enumerate((0.92, 0.9, 0.92, 0.9, 0.92)):
        if k == 2:  # from here the axes hold: only the overlay canvases (bands, lines, dots) repaint
            page.evaluate(
                """() => { const m = window.AdamViz.instances[0].models.population;
                  window.popPaints = m.figures.map((plot) => window.AdamViz.bokeh.countPaints(plot)); }"""
            )
        set_params(page, beta1=beta1)
        seen.append(
            page.evaluate(
                """() => { const m = window.AdamViz.instances[0].models.population;
                  return [m.y_range, m.spread_range, m.scale_range].map((r) => [r.start, r.end]); }"""
            )
        )
        p90 = max(page.evaluate("window.adamviz.population()")["percentiles"]["p90"])
        assert p90 <= seen[-1][0][1]
    # (the first nudge back may widen an axis to hold both settings' bands; from then on they stay)
    assert all(ranges == seen[1] for ranges in seen[1:]), seen
    paints = page.evaluate("window.popPaints.map((c) => [c.primary, c.overlays])")
    assert paints == [[0, 3], [0, 3]]
    for lo, hi in seen[1]:
        assert np.isclose(4 * np.log10(lo), round(4 * np.log10(lo))) and np.isclose(
            4 * np.log10(hi), round(4 * np.log10(hi))
        )


def test_bands_and_scatter_show_what_the_numbers_say(page, static_url):
    open_explorer(page, static_url, "?view=population&n_params=300&iterations=200&compare=sgd")
    set_params(page, iteration=120)
    drawn = page.evaluate(
        """() => {
          const m = window.AdamViz.instances[0].models.population;
          return {bands: m.bands.data, medians: m.medians.data, scatter: m.scatter.data, floor: m.y_range.start,
                  cursor: m.cursor.location, noise: m.noise_rms.location}
        }"""
    )
    from adamviz.app.palette import OPTIMIZER_STYLE

    colours = [OPTIMIZER_STYLE[name][0] for name in ("adam", "sgd")]
    assert drawn["bands"]["colour"] == colours and drawn["medians"]["colour"] == colours
    assert drawn["medians"]["width"][0] > drawn["medians"]["width"][1]  # the main one boldest
    params = state(page)["params"]
    _, expected = numpy_population(params)
    x, p50 = np.array(drawn["medians"]["xs"][0], dtype=int), np.array(drawn["medians"]["ys"][0])
    assert x[0] == 0 and x[-1] == 120
    np.testing.assert_allclose(p50, expected[x, 1], rtol=1e-12)
    band_y = np.array(drawn["bands"]["ys"][0])
    # p10 out and p90 back; a log axis shows 0 (sparse parameters not yet moved) at its floor
    p10 = np.maximum(expected[x, 0], drawn["floor"])
    np.testing.assert_allclose(band_y[: len(x)], p10, rtol=1e-12)
    np.testing.assert_allclose(band_y[len(x) :], expected[x, 2][::-1], rtol=1e-12)
    assert drawn["cursor"] == 120
    assert drawn["noise"] == pytest.approx(np.sqrt(0.1 / 1.9))
    g = population(300, 200, params["seed"])
    step = np.abs(simulate(g).step[120]) / 0.01
    shown = np.array(drawn["scatter"]["y"])
    assert len(shown) == (step > 0).sum()
    np.testing.assert_allclose(np.sort(shown), np.sort(step[step > 0]), rtol=2**-23)  # float32 for drawing


def test_view_button_spread_axis_and_equal_betas_key(page, static_url):
    open_explorer(page, static_url, "?iterations=100&n_params=100")
    assert state(page)["params"]["view"] == "cards"
    page.locator(".av-view button", has_text="Many parameters").click()
    page.wait_for_function("window.adamviz.state().params.view === 'population'")
    page.wait_for_function("window.AdamViz.instances[0].population.result !== null")
    page.locator(".av-spread-axis button", has_text="γ̂").click()
    page.wait_for_function("window.adamviz.state().params.spread_axis === 'estimated'")
    label = page.evaluate("window.AdamViz.instances[0].models.population.spread_axis.axis_label")
    assert "estimate" in label
    page.locator(".av-step button").focus()  # focus inside the explorer: its keys are live
    page.keyboard.press("e")
    page.wait_for_function("window.adamviz.state().params.beta1 === 0.999")
    page.keyboard.press("e")
    page.wait_for_function("window.adamviz.state().params.beta1 === 0.9")
    page.locator(".av-view button", has_text="Cards").click()
    page.wait_for_function("window.adamviz.state().params.view === 'cards'")
    visible = page.evaluate(
        "(() => { const m = window.AdamViz.instances[0].models; return [m.grid.visible, m.population.layout.visible]; })()"
    )
    assert visible == [True, False]


def test_budget_and_bad_values_are_refused_and_keep_the_view(page, static_url):
    open_explorer(page, static_url, "?view=population&n_params=100&iterations=100")
    before = state(page)["params"]
    message = page.evaluate(
        "window.adamviz.set({n_params: 10000, iterations: 5000}).then(() => null, (e) => e.message)"
    )
    assert message == "n_params × iterations must be at most 10000000; got 10000 × 5000 = 50000000"
    for bad, text in (
        ({"n_params": 5}, "n_params must be an integer in [10, 10000]; got 5"),
        ({"view": "valleys"}, 'view must be one of cards, population, valley, layers; got "valleys"'),
        ({"spread_axis": 1}, "spread_axis must be one of true, estimated; got 1"),
    ):
        got = page.evaluate("(c) => window.adamviz.set(c).then(() => null, (e) => e.message)", bad)
        assert got == text
    assert state(page)["params"] == before
    assert_population_matches(page)


def test_ten_thousand_parameters_are_computed_in_the_page(page, static_url):
    """10,000 parameters × 400 iterations: the page's percentiles cover every iteration. (That the
    computation leaves the page answering is shown by the generators' yields, tests/test_engine_node.py,
    and measured by tests/benchmark.py --browser: the longest main-thread task.)"""
    open_explorer(page, static_url, "?view=population&n_params=100&iterations=100")
    set_params(page, n_params=10000, iterations=400)
    got = page.evaluate("window.adamviz.population().percentiles.p50.length")
    assert got == 400


def test_lecture_slides_show_the_population(page, lecture_static_url):
    from adamviz.app import text

    number = next(k for k, slide in enumerate(text.DECK) if slide["title"] == "Which parameters learn?") + 1
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_explorer(page, lecture_static_url, f"?slide={number}")
    page.wait_for_function("window.adamviz.state().params.view === 'population'")
    params = state(page)["params"]
    assert params["iterations"] == 1000 and state(page)["iteration"] == 999
    page.keyboard.press("n")
    page.wait_for_function("window.adamviz.state().params.beta1 === 0.999")
    page.keyboard.press("e")
    page.wait_for_function("window.adamviz.state().params.beta1 === 0.9")
    page.keyboard.press("p")
    page.keyboard.press("p")
    page.wait_for_function("window.adamviz.state().params.view === 'cards'")


def test_served_page_matches_numpy(page, served_url):
    """`adamviz serve`'s page, under its Content-Security-Policy (which lets the page's own blob:
    workers run), computes on the workers."""
    open_explorer(page, served_url, "?view=population&n_params=64&iterations=80&seed=9&beta1=0.99")
    assert_population_matches(page)
    assert page.evaluate("Boolean(window.AdamViz.instances[0].state.many.workers)")


def test_slide_claims_hold_in_the_page(page, static_url):
    """'Which parameters learn?' as the page computes it, for a few seeds: the median r about two thirds,
    the 90th percentile about 1 (the deck's numbers; tests/test_population.py checks 40 seeds in NumPy)."""
    open_explorer(page, static_url, "?view=population&iterations=1000")
    for seed in (0, 7, 123):
        set_params(page, seed=seed)
        got = page.evaluate("window.adamviz.population().percentiles")
        assert 0.55 < got["p50"][-1] < 0.75 and 0.95 < got["p90"][-1] < 1.05, (seed, got["p50"][-1])
