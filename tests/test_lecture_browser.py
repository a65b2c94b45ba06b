"""Lecture mode in Chromium: keys, the deck, state in the URL, help, focus and an accessibility audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_helpers import open_explorer, open_more, set_params, state

pytestmark = pytest.mark.browser

DECK_TITLES = [
    "Steady gradients",
    "Pure noise",
    "A reversing trend",
    "Bias correction",
    "Why warm up",
    "Schedules multiply, Adam divides",
    "Adam, then SGD",
    "A long memory",
    "When ε takes over",
    "Half precision and ε",
    "Adam vs SGD: the size of the gradient",
    "Momentum is Adam's m, undamped",
    "RMSProp: Adam without m",
    "Sparse gradients get big steps",
    "A shrinking gradient and β₂",
    "AdamW vs Adam + L2",
    "Which parameters learn?",
    "Spread, not size, sets the step",
    "A narrow valley",
    "Near the bottom",
]


@pytest.fixture(params=["served", "static", "query"])
def lecture_url(request) -> tuple[str, str]:
    """(url, query): `adamviz serve --lecture`, `adamviz export --lecture`, and `?mode=lecture` on a plain page."""
    if request.param == "served":
        return request.getfixturevalue("lecture_served_url"), "?"
    if request.param == "static":
        return request.getfixturevalue("lecture_static_url"), "?"
    return request.getfixturevalue("served_url"), "?mode=lecture&"


def slide_title(page, wanted: str | None = None) -> str:
    """The slide's title (once it reads `wanted`: a button's callback runs after its click returns)."""
    title = page.locator(".av-slide h2")
    if wanted is not None:
        expect(title).to_have_text(wanted)
    return title.inner_text()


def visible_cards(page) -> list[str]:
    """The scenarios whose cards are on screen."""
    cards = page.locator(".av-card").all()
    return [c.locator(".av-readout").get_attribute("data-scenario") for c in cards if c.is_visible()]


PLOTS_BOTTOM = """() => {
  let bottom = 0;
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "CANVAS") {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) bottom = Math.max(bottom, box.bottom + window.scrollY);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return bottom;
}"""


def test_keys_do_what_they_say(page, lecture_url, screenshots):
    url, query = lecture_url
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_explorer(page, url, query.rstrip("&?"))
    assert slide_title(page) == "Steady gradients" and visible_cards(page) == ["consistent"]
    keyboard = page.keyboard
    steps = [
        ("ArrowRight", 1),
        ("Shift+ArrowRight", 11),
        ("Shift+ArrowLeft", 1),
        ("ArrowLeft", 0),
        ("End", 199),
    ]
    for key, iteration in [*steps, ("Home", 0)]:
        keyboard.press(key)
        assert state(page)["iteration"] == iteration, key
    keyboard.press("Space")
    page.wait_for_function("window.adamviz.state().playing && window.adamviz.state().iteration > 2")
    keyboard.press("Space")
    assert state(page)["playing"] is False
    keyboard.press("r")
    assert state(page)["iteration"] == 0
    keyboard.press("b")
    page.wait_for_function("window.adamviz.state().params.bias_correction === false")
    keyboard.press("B")
    page.wait_for_function("window.adamviz.state().params.bias_correction === true")
    for key, title in [("PageDown", 1), ("n", 2), ("N", 3), ("PageUp", 2), ("p", 1), ("P", 0)]:
        keyboard.press(key)
        assert slide_title(page) == DECK_TITLES[title], key
    keyboard.press("PageDown")
    assert visible_cards(page) == ["noisy"]
    keyboard.press("f")
    page.wait_for_function("document.fullscreenElement !== null")
    keyboard.press("F")
    page.wait_for_function("document.fullscreenElement === null")
    # readouts are legible from the back row
    size = page.locator(".av-readout .av-formula").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    facts = page.locator(".av-readout .av-facts").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 24 and facts >= 24
    kind = "static" if url.startswith("file:") else "query" if "mode=lecture" in query else "served"
    page.screenshot(path=screenshots / f"lecture-{kind}.png")
    assert page.evaluate(PLOTS_BOTTOM) <= 1080  # slide, readouts and plots all fit the projector


def test_the_deck_and_its_slides(page, lecture_served_url):
    open_explorer(page, lecture_served_url)
    seen = []
    for index, title in enumerate(DECK_TITLES):
        assert slide_title(page, title) == title
        seen.append((title, state(page)["params"]["beta1"], state(page)["params"]["eps"]))
        if index < len(DECK_TITLES) - 1:
            page.locator(".av-next-slide button").click()
    assert ("A long memory", 0.99, 1e-8) in seen and ("When ε takes over", 0.9, 0.5) in seen
    page.keyboard.press("PageDown")  # past the end stays on the last slide
    assert slide_title(page) == DECK_TITLES[-1]


def test_keys_never_fire_while_typing(page, lecture_static_url):
    open_explorer(page, lecture_static_url)
    set_params(page, iteration=5)
    page.keyboard.press("c")  # a slide names no seed: every control, then "More settings"
    open_more(page)
    seed = page.locator(".av-seed input")
    seed.click()
    for key in ("ArrowRight", "r", "b", "n", "Space", "End"):
        page.keyboard.press(key)
    current = state(page)
    assert current["iteration"] == 5 and current["params"]["bias_correction"] is True
    assert slide_title(page) == DECK_TITLES[0] and current["playing"] is False


def test_url_restores_slide_iteration_and_settings(page, lecture_static_url):
    open_explorer(page, lecture_static_url, "?mode=lecture&slide=3&iteration=37&seed=4")
    assert slide_title(page) == "A reversing trend"
    assert state(page)["iteration"] == 37 and state(page)["params"]["seed"] == 4
    page.keyboard.press("ArrowRight")
    page.keyboard.press("PageDown")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("b")
    page.wait_for_function("window.adamviz.state().params.bias_correction === true")
    bookmark = page.url
    assert "slide=4" in bookmark and "iteration=10" in bookmark and "bias_correction=true" in bookmark
    page.goto("about:blank")
    open_explorer(page, bookmark)
    assert slide_title(page) == "Bias correction"
    current = state(page)
    assert current["iteration"] == 10 and current["params"]["bias_correction"] is True
    assert current["params"]["seed"] == 0  # the slide's own settings: the deck starts from the defaults
    open_explorer(page, lecture_static_url, "?mode=lecture&slide=99")
    assert f"slide must be an integer in [1, {len(DECK_TITLES)}]" in page.locator(".av-error").inner_text()
    assert slide_title(page) == DECK_TITLES[0]


def test_help_overlay_lists_the_keys(page, lecture_static_url):
    open_explorer(page, lecture_static_url)
    assert page.locator(".av-help").count() == 0
    page.keyboard.press("?")
    overlay = page.locator(".av-help")
    assert overlay.is_visible()
    text = overlay.inner_text()
    for key in ("Space", "Shift + ← / →", "Home / End", "PageUp / PageDown", "R", "B", "F", "?"):
        assert key in text
    page.keyboard.press("Escape")
    assert page.locator(".av-help").count() == 0
    page.locator(".av-help-button button").click()
    assert page.locator(".av-help").is_visible()


ACTIVE_LABEL = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? (el.getAttribute('aria-label') || el.innerText || el.tagName).trim() : null;
}"""


def test_focus_order_and_live_region(page, lecture_static_url):
    open_explorer(page, lecture_static_url)
    labels = []
    for _ in range(20):
        page.keyboard.press("Tab")
        labels.append(page.evaluate(ACTIVE_LABEL))
    # a slide shows the deck's buttons, the transport and the iteration: the controls it names, no more
    assert labels[:9] == [
        "Next slide ▶",
        "◀ Previous slide",
        "? Keys",
        "▶ Play",
        "◀ Back",
        "Step ▶",
        "⟲ Reset",
        "Iteration",
        "Copy link",
    ]
    page.keyboard.press("c")  # every control, one key away
    page.locator(".av-lr").wait_for(state="visible")
    page.locator(".av-step button").focus()
    labels = []
    for _ in range(9):
        page.keyboard.press("Tab")
        labels.append(page.evaluate(ACTIVE_LABEL))
    assert labels == [
        "⟲ Reset",
        "Iteration",
        "Copy link",
        "Learning rate η",
        "β₁ (memory of m̂)",
        "β₂ (memory of √v̂)",
        "ε",
        "Iterations",
        "⚙ More settings",
    ]
    # a focused control shows a visible focus ring
    outline = page.evaluate("""() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)];
    }""")
    assert outline[0] != "none" and outline[1] >= 2
    page.keyboard.press("Escape")
    page.locator(".av-step button").click()
    live = page.locator(".av-live")
    assert live.get_attribute("aria-live") == "polite"
    assert live.inner_text().startswith("Iteration 1. consistent: g ")
    assert "m-hat" in live.inner_text() and "scale" in live.inner_text()


AXE = Path(__import__("axe_playwright_python").__file__).parent / "axe.min.js"


@pytest.mark.parametrize("mode", ["explorer", "lecture"])
def test_accessibility_audit_has_no_serious_violations(page, static_url, mode):
    open_explorer(page, static_url, "?mode=lecture" if mode == "lecture" else "")
    set_params(page, iteration=30)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []


def test_every_slide_shows_its_scenario_and_settings_and_fits(page, lecture_static_url):
    """Slide by slide (the new ones carry optimizers, streams and presets): the card shows the slide's
    scenario, the settings are the defaults plus the slide's, and slide, readouts and plots fit 1080 px."""
    from adamviz.app.settings import ExplorerSettings, browser_values
    from adamviz.app.text import DECK

    defaults = browser_values(ExplorerSettings())
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_explorer(page, lecture_static_url, "?slide=1")  # then slide by slide, as a clicker goes
    for number, slide in enumerate(DECK, start=1):
        if number > 1:
            page.keyboard.press("PageDown")
            page.wait_for_function(
                "(n) => window.AdamViz.instances[0].lecture.slide === n - 1 && window.adamviz.state().playing === false",
                arg=number,
            )
            page.evaluate("window.adamviz.set({})")  # resolves once the slide's figures are painted
        if slide["settings"].get("view") == "population":  # the many-parameters view, no card
            page.wait_for_function("window.AdamViz.instances[0].population.result !== null")
            assert page.locator(".av-card:visible").count() == 0
            assert page.locator(".av-population:visible").count() == 1
        elif slide["settings"].get("view") == "valley":  # the closed loop: its cards give way to the slide
            assert page.locator(".av-card:visible").count() == 0
            assert page.locator(".av-valley:visible").count() == 1
            assert page.locator(".av-valley-readout").count() == 1
        else:
            # one card, the slide's scenario (the slide is its title: the card's own gives way)
            assert page.locator(".av-card:visible").count() == 1
            assert page.locator(".av-readout").first.get_attribute("data-scenario") == slide["scenario"]
        current = state(page)
        # a lecture glides between iterations (smooth scroll) unless told otherwise
        assert current["params"] == {**defaults, "smooth": True, **slide["settings"]}, slide["title"]
        assert current["iteration"] == slide["iteration"]
        assert page.evaluate(PLOTS_BOTTOM) <= 1080, slide["title"]


def test_smooth_scroll_glides_while_playing_and_rests_on_whole_iterations(page, lecture_static_url):
    """Lecture mode glides by default: while playing the window's left edge takes fractional positions
    (one per display frame); paused, it rests on a whole iteration, and the readout shows that one."""
    open_explorer(page, lecture_static_url, "?speed=10&iterations=400&iteration=60")
    assert state(page)["params"]["smooth"] is True
    starts = page.evaluate(
        """async () => {
          const range = window.AdamViz.instances[0].models.x_range, seen = [];
          window.adamviz.play();
          for (let i = 0; i < 40; i++) {
            await new Promise((r) => requestAnimationFrame(r));
            seen.push(range.start);
          }
          window.adamviz.pause();
          return seen;
        }"""
    )
    fractions = {round((start + 0.5) % 1, 6) for start in starts}
    assert len(fractions) > 5, starts  # many positions between two iterations, not one jump per iteration
    assert starts == sorted(starts)  # moving forward only
    rest = page.evaluate("window.AdamViz.instances[0].models.x_range.start") + 0.5
    iteration = state(page)["iteration"]
    assert rest == iteration - 40 + 1  # the last 40 iterations, ending at the one shown
    readout = page.locator(".av-readout").first.inner_text()
    assert f"iteration {iteration} " in readout
    set_params(page, smooth=False)
    open_explorer(page, lecture_static_url, "?smooth=false")
    assert state(page)["params"]["smooth"] is False


def test_a_focused_slider_keeps_its_keys(page, static_url):
    """Finding 2 of "Made with care": ← on a focused β₂ handle moved β₂ *and* the iteration."""
    open_explorer(page, static_url, "?iteration=100")
    handle = page.locator(".av-beta2 .noUi-handle")
    handle.focus()
    before = state(page)["params"]["beta2"]
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"window.adamviz.state().params.beta2 !== {before}")
    assert state(page)["iteration"] == 100
    page.keyboard.press("Home")
    page.wait_for_function("window.adamviz.state().params.beta2 === 0")
    assert state(page)["iteration"] == 100
    iteration = page.locator(".av-iteration .noUi-handle")
    iteration.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.adamviz.state().iteration !== 100")
    page.wait_for_timeout(300)  # a second handler would move it again
    assert state(page)["iteration"] == 99
    page.locator(".av-step button").focus()
    page.keyboard.press("Space")  # the button's own press: one step, and no play
    page.wait_for_function("window.adamviz.state().iteration === 100")
    assert state(page)["playing"] is False


def test_sliders_speak_values_not_positions(page, static_url):
    """Finding 8: a screen reader heard "-2.00" for η = 0.01; now the setting's own value and units."""
    open_explorer(page, static_url, "?iteration=37")
    # "More settings" joins the page when first opened: until then its sliders have no handles
    assert page.locator(".av-weight_decay .noUi-handle").count() == 0
    open_more(page)
    expect(page.locator(".av-weight_decay .noUi-handle")).to_have_attribute("aria-valuetext", "0 (off)")
    spoken = {
        name: page.locator(f".av-{name} .noUi-handle").get_attribute("aria-valuetext")
        for name in ("lr", "beta2", "weight_decay", "iterations", "eps", "grad_scale", "iteration")
    }
    assert spoken == {
        "lr": "0.01",
        "beta2": "0.999 (≈1000 steps)",
        "weight_decay": "0 (off)",
        "iterations": "200",
        "eps": "1e-8",
        "grad_scale": "×1",
        "iteration": "37 of 199",
    }
    set_params(page, lr=0.5, grad_scale=3)
    assert page.locator(".av-lr .noUi-handle").get_attribute("aria-valuetext") == "0.5"
    assert page.locator(".av-grad_scale .noUi-handle").get_attribute("aria-valuetext") == "×1e3"


def test_sliders_of_views_that_join_later_speak_once_they_have(page, static_url):
    # the closed loop's and many-parameters view's sliders have no view until theirs joins the page:
    # changes before that do not look for them, and once it has they say their values and follow
    open_explorer(page, static_url)
    set_params(page, n_params=300, noise=0.25)  # while neither view is on the page
    noise, n_params = page.locator(".av-noise .noUi-handle"), page.locator(".av-n_params .noUi-handle")
    assert noise.count() == 0 and n_params.count() == 0
    set_params(page, view="valley")
    expect(noise).to_have_attribute("aria-valuetext", "0.25")
    set_params(page, noise=0.5)
    expect(noise).to_have_attribute("aria-valuetext", "0.5")
    set_params(page, view="population")
    expect(n_params).to_have_attribute("aria-valuetext", "300")
    set_params(page, n_params=2000)
    expect(n_params).to_have_attribute("aria-valuetext", "2000")
