"""The closed-loop view in Chromium (issue 14): path() and the coordinates' cards equal adamviz.sim.descend
under every control, a click on the map moves the start, the problem's own start and controls follow the
problem, the bowl is a card among the scenarios, and the two lecture slides' claims hold in the page."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from adamviz.app.export import write_export
from adamviz.app.settings import ExplorerSettings
from adamviz.sim import PROBLEMS, descend

from browser_helpers import open_explorer, page_text, page_trace, set_params, state

pytestmark = pytest.mark.browser

STEP_KEYS = ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "bias_correction")


def numpy_loop(params: dict, optimizer: str) -> tuple:
    """What adamviz.sim.descend computes for the page's settings."""
    problem = params["problem"]
    shape = {"condition": params["condition"], "rotated": params["rotated"]} if problem == "valley" else {}
    start = [params["start_x"], params["start_y"]][: PROBLEMS[problem].dims]
    settings = {key: params[key] for key in STEP_KEYS}
    return descend(
        problem,
        params["iterations"],
        start=start,
        seed=params["seed"],
        noise=params["noise"],
        optimizer=optimizer,
        **settings,
        **shape,
    )


def assert_paths_match(page) -> dict:
    """Every drawn optimizer's path() within 1e-12 of its length of NumPy's (test_engine_node derives the
    bound); the main loop's cards (trace of each coordinate) too."""
    params = state(page)["params"]
    for optimizer in (params["optimizer"], *params["compare"]):
        got = page.evaluate("(o) => window.adamviz.path(o)", optimizer)
        coordinates = numpy_loop(params, optimizer)
        theta = np.stack([t.theta for t in coordinates], axis=-1)
        start = [params["start_x"], params["start_y"]][: theta.shape[1]]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run: inf, then NaN
            steps = np.abs(np.diff(theta, axis=0, prepend=[start]))
            length = min(float(np.sum(steps[np.isfinite(steps)])), 1e300)
        # Playwright carries inf and NaN as they are (a diverging run's): they must sit where NumPy's do
        drawn = np.stack([got["x"]] + ([got["y"]] if got["y"] is not None else []), axis=-1).astype(float)
        label = f"{optimizer} {params}"
        np.testing.assert_allclose(drawn, theta, rtol=0, atol=1e-12 * length, err_msg=label)
        # the loss is the same function of the page's own θ, to the last bit
        with np.errstate(over="ignore", invalid="ignore"):  # sgd at η = 0.05 leaves the valley
            want = PROBLEMS[params["problem"]].loss(drawn, **numpy_shape(params))
        np.testing.assert_array_equal(np.array(got["loss"], dtype=float), want, err_msg=label)
    for name, trajectory in zip(
        PROBLEMS[params["problem"]].coordinates, numpy_loop(params, params["optimizer"]), strict=True
    ):
        trace = page_trace(page, name)
        for key in ("g", "m_hat", "sqrt_v_hat", "step"):
            bound = 1e-12 * max(np.abs(getattr(trajectory, key)).max(), 1e-300)
            np.testing.assert_allclose(
                trace[key], getattr(trajectory, key), rtol=0, atol=bound, err_msg=f"{name} {key}"
            )
    return params


def numpy_shape(params: dict) -> dict:
    shape = dict(PROBLEMS[params["problem"]].shape)
    if params["problem"] == "valley":
        shape.update(condition=params["condition"], rotated=params["rotated"])
    return shape


def test_paths_match_numpy_under_every_control(page, static_url):
    open_explorer(page, static_url, "?view=valley&compare=sgd,momentum&iterations=300")
    params = assert_paths_match(page)
    assert params["view"] == "valley" and (params["start_x"], params["start_y"]) == PROBLEMS["valley"].start
    assert page.evaluate("window.adamviz.state().scenarios") == ["consistent", "noisy", "reversal"]
    for changes in (
        {"condition": 1000},
        {"rotated": True, "noise": 2.5, "seed": 123456789},
        {"beta1": 0.99, "beta2": 0.99, "lr": 0.05},
        {"optimizer": "amsgrad", "compare": ["adamw", "rmsprop"], "weight_decay": 0.01},
        {"start_x": 3.25, "start_y": -0.5, "iterations": 120},
        {"problem": "rosenbrock", "optimizer": "adam", "compare": ["sgd"], "rotated": False, "noise": 0},
        {"compare": ["rmsprop"]},
        {"problem": "bowl", "bias_correction": False},
    ):
        set_params(page, **changes)
        assert_paths_match(page)


def test_a_diverging_run_is_named_and_the_page_lives_on(page, static_url):
    """Gradient descent at η = 0.01 on Rosenbrock overshoots further every step until θ is inf: the
    readout says so, the other paths are drawn, and the page keeps answering."""
    open_explorer(page, static_url, "?view=valley&problem=rosenbrock&compare=sgd&iterations=300&iteration=0")
    assert "diverged" not in page.locator(".av-valley-readout").inner_text()  # not yet, at iteration 0
    assert set_params(page, iteration=299)["iteration"] == 299
    loss = np.array(page.evaluate("window.adamviz.path('sgd').loss"))
    first = int(np.flatnonzero(~np.isfinite(loss))[0])
    readout = page.locator(".av-valley-readout").inner_text()
    assert f"diverged at iteration {first} (η too large" in readout and readout.count("diverged") == 1
    assert np.isfinite(page.evaluate("window.adamviz.path('adam').loss")).all()
    assert_paths_match(page)


def test_a_new_problem_starts_from_its_own_start_and_shows_its_controls(page, static_url):
    open_explorer(page, static_url, "?view=valley&problem=rosenbrock")
    params = state(page)["params"]
    assert (params["start_x"], params["start_y"]) == PROBLEMS["rosenbrock"].start
    visible = "(n) => window.AdamViz.instances[0].models.widgets[n].visible"
    assert page.evaluate(visible, "condition") is False and page.evaluate(visible, "start_y") is True
    set_params(page, problem="valley")
    params = state(page)["params"]
    assert (params["start_x"], params["start_y"]) == PROBLEMS["valley"].start
    assert page.evaluate(visible, "condition") is True
    set_params(page, problem="bowl", start_x=0.5)  # the same change sets a start: it wins
    assert state(page)["params"]["start_x"] == 0.5
    assert page.evaluate(visible, "start_y") is False
    assert page.evaluate("window.adamviz.path().y") is None
    for bad, message in (
        ({"condition": 5000}, "condition must be a number in [1, 1000]; got 5000"),
        ({"start_x": 11}, "start_x must be a number in [-10, 10]; got 11"),
        ({"problem": "canyon"}, "problem must be one of bowl, valley, rosenbrock"),
        ({"noise": -1}, "noise must be a number in [0, 100]; got -1"),
    ):
        before = state(page)
        error = page.evaluate("(c) => window.adamviz.set(c).then(() => '', (e) => e.message)", bad)
        assert message in error
        assert state(page) == before


def test_a_click_on_the_map_moves_the_start(page, static_url):
    """A click at 30% (then 70%) of the map's width and 40% of its height starts the loop there: in the
    left (right) half of the x-range shown at the time and the upper half of the y-range; the paths
    are recomputed from it (and equal NumPy's)."""
    open_explorer(page, static_url, "?view=valley&compare=sgd&iterations=200")
    set_params(page, iteration=10)  # resolves once the map (built when first shown) has been painted
    canvas = page.locator(".av-valley canvas").first
    ranges = "() => { const v = window.AdamViz.instances[0].models.valley; return [v.map_x.start, v.map_x.end, v.map_y.start, v.map_y.end]; }"
    moved = "(b) => { const p = window.adamviz.state().params; return p.start_x !== b.start_x || p.start_y !== b.start_y; }"
    for fraction in (0.3, 0.7):
        before = state(page)["params"]
        x0, x1, y0, y1 = page.evaluate(ranges)
        # a click that lands while the machine is loaded (CI) can come before the map is laid out
        # where bounding_box saw it: the second try is measured afresh
        for attempt in (1, 2):
            canvas.scroll_into_view_if_needed()
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            box = canvas.bounding_box()
            page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.4)
            try:
                page.wait_for_function(moved, arg=before, timeout=5_000 if attempt == 1 else 30_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        params = state(page)["params"]
        middle = (x0 + x1) / 2
        assert (x0 < params["start_x"] < middle) if fraction < 0.5 else (middle < params["start_x"] < x1)
        assert (y0 + y1) / 2 < params["start_y"] < y1
        assert round(params["start_x"], 3) == params["start_x"]  # rounded to 3 decimals
        assert_paths_match(page)


def test_the_bowl_is_a_card_among_the_scenarios(page, tmp_path):
    path = write_export(
        tmp_path / "bowl.html", ExplorerSettings(scenarios=["consistent", "bowl"], compare=["sgd"])
    )
    open_explorer(page, path.as_uri(), "?iterations=500&beta1=0.99&beta2=0.99")
    assert state(page)["scenarios"] == ["consistent", "bowl"]
    assert "A bowl" in page.locator(".av-card-title").nth(1).inner_text()
    params = state(page)["params"]
    for optimizer in ("adam", "sgd"):
        (want,) = descend("bowl", 500, optimizer=optimizer, **{k: params[k] for k in STEP_KEYS})
        got = page_trace(page, "bowl", optimizer)
        length = np.abs(np.diff(want.theta, prepend=1.0)).sum()
        np.testing.assert_allclose(got["theta"], want.theta, rtol=0, atol=1e-12 * length)
        np.testing.assert_allclose(got["g"], want.g, rtol=0, atol=1e-12 * np.abs(want.g).max())


def test_the_lecture_slides_claims_hold_in_the_page(page, lecture_static_url):
    """'A narrow valley' and 'Near the bottom' as the page computes them (NumPy checks 40 starts)."""
    from adamviz.app.text import DECK

    titles = [slide["title"] for slide in DECK]
    valley_slide = titles.index("A narrow valley") + 1
    open_explorer(page, lecture_static_url, f"?mode=lecture&slide={valley_slide}")
    adam, sgd = (page.evaluate("(o) => window.adamviz.path(o)", name) for name in ("adam", "sgd"))
    assert abs(sgd["x"][-1] / -2.0) > 0.45 and abs(adam["x"][-1] / -2.0) < 0.15
    ys = np.array(sgd["y"][:10])
    assert np.count_nonzero(np.signbit(ys) != np.signbit(np.r_[1.0, ys[:-1]])) >= 5
    page.keyboard.press("PageDown")  # the next slide: near the bottom
    page.wait_for_function("() => window.adamviz.state().params.problem === 'bowl'")
    readout = page.locator(".av-valley-readout").inner_text()
    assert "crossed the bottom 580 times" in readout, readout
    theta = np.array(page.evaluate("window.adamviz.path('adam').x"))
    assert np.count_nonzero(np.signbit(theta[1:]) != np.signbit(theta[:-1])) == 580
    sgd_theta = np.array(page.evaluate("window.adamviz.path('sgd').x"))
    assert (sgd_theta > 0).all()


def test_served_page_matches_numpy(page, served_url):
    """`adamviz serve` computes the same loops in the page (no server round trip)."""
    open_explorer(page, served_url, "?view=valley&problem=rosenbrock&compare=adamw&noise=0.5&seed=9")
    params = assert_paths_match(page)
    assert (params["problem"], params["noise"], params["seed"]) == ("rosenbrock", 0.5, 9)


def test_card_texts_are_text_and_follow_the_problem(page, static_url):
    """Finding 1 of "Made with care": the cards read "The path&#x27;s x" and, on Rosenbrock, the y card
    still described the valley."""
    from adamviz.app.text import CARD_TEXT

    open_explorer(page, static_url)
    set_params(page, view="valley")
    texts = page.locator(".av-card-text")
    html = page_text(page)
    assert "&#" not in html and "&amp;" not in html
    assert texts.nth(0).inner_text() == CARD_TEXT["x"][1]
    assert texts.nth(1).inner_text() == CARD_TEXT["y"][1]
    set_params(page, problem="rosenbrock")
    assert texts.nth(1).inner_text() == CARD_TEXT["y@rosenbrock"][1]
    set_params(page, problem="valley", rotated=True)
    assert texts.nth(1).inner_text() == CARD_TEXT["y@valley-rotated"][1]


LOOP_PAINTS = """async (iteration) => {
  const view = window.AdamViz.instances[0].models.valley;
  const plots = [view.map_figure, ...view.bowl_figures].filter((plot) => plot.visible);
  const counts = plots.map((plot) => window.AdamViz.bokeh.countPaints(plot));
  await window.adamviz.set({ iteration });
  return plots.map((plot, k) => ({ ...counts[k], clip: window.AdamViz.bokeh.overlayInk(plot) }));
}"""


@pytest.mark.parametrize("problem", ["valley", "bowl"])
def test_a_step_of_the_loop_repaints_only_what_moves(page, static_url, problem):
    """The paths, where each optimizer is, the bowl's losses, cursor and dots are at level "overlay", as
    the cards' are: a step through the run (ranges fixed once the loop is computed) repaints that
    canvas alone, clipped to the frame, and leaves the loss map, axes and colour bar painted beneath."""
    open_explorer(
        page, static_url, f"?view=valley&problem={problem}&compare=sgd&iterations=300&iteration=100"
    )
    set_params(
        page, iteration=99
    )  # (resolves once every figure has painted: the view's first paints are done)
    painted = page.evaluate(LOOP_PAINTS, 101)
    assert len(painted) == (1 if problem == "valley" else 3)
    for plot in painted:
        assert (plot["primary"], plot["overlays"], plot["sizes"]) == (0, 1, 0)
        assert plot["clip"] == {"outside": False, "inside": True}


def test_the_iteration_bar_has_its_own_mapper_spanning_the_run(page, static_url):
    """The bowl's colour bar reads a copy of the dots' mapper (sharing it, BokehJS redrew the bar's image
    on every frame); the page sets both to the run's iterations."""
    open_explorer(page, static_url, "?view=valley&problem=bowl&iterations=300")
    set_params(page, iterations=700)
    mappers = page.evaluate(
        """() => { const m = window.AdamViz.instances[0].models.valley;
          return [m.iteration_colours.high, m.iteration_bar_colours.high, m.iteration_colours === m.iteration_bar_colours]; }"""
    )
    assert mappers == [699, 699, False]
