"""The text around an explorer drives it and reads it (assets/views/prose.js): data-adamviz-set / -play /
-preset / -step links, live numbers (data-adamviz-show), and data-adamviz-target with two explorers."""

from __future__ import annotations

import pytest

from adamviz.app.cli import main

from browser_helpers import numpy_trace, state, write_compact_post

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def post(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("post")
    first, second = folder / "first.html", folder / "second.html"
    assert main(["export", str(first), "--snippet", "--resources", "inline"]) == 0
    assert main(["export", str(second), "--snippet", "--resources", "inline", "--scenarios", "noisy"]) == 0
    page = folder / "post.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='max-width: 700px; font-family: serif'>"
        "<p>With a long memory <a id='long' href='#' data-adamviz-set='beta1=0.99&amp;seed=3' "
        "data-adamviz-play>(try it)</a> the scale at step <span id='it' data-adamviz-show='iteration'></span> is "
        "<span id='scale' data-adamviz-show='scale' data-adamviz-digits='4'></span> on the steady stream and "
        "<span id='noisy' data-adamviz-show='scale' data-adamviz-scenario='noisy'></span> on noise; β₁ is "
        "<span id='beta1' data-adamviz-show='beta1'></span>.</p>"
        "<p><button id='bad' data-adamviz-set='beta1=1.5'>a bad link</button> "
        "<button id='ten' data-adamviz-step='10'>ten steps</button> "
        "<button id='sgd' data-adamviz-preset='adam-vs-sgd'>Adam vs SGD</button></p>"
        + first.read_text()
        + "<p data-adamviz-target='1'><button id='second' data-adamviz-set='lr=0.1'>the second one</button> "
        "<span id='second-lr' data-adamviz-show='lr'></span></p>" + second.read_text() + "</body></html>"
    )
    return page.as_uri()


def test_links_drive_and_numbers_follow(page, post, screenshots):
    page.goto(post)
    page.wait_for_function("window.adamviz !== undefined && window.adamviz.instances.length === 2")
    assert page.inner_text("#beta1") == "0.9" and page.inner_text("#it") == "70"  # it opens mid-story
    page.click("#long")
    page.wait_for_function("window.adamviz.state().playing && window.adamviz.state().params.beta1 === 0.99")
    page.evaluate("window.adamviz.pause()")
    current = state(page)
    assert current["params"]["seed"] == 3
    page.wait_for_function(f"document.getElementById('it').textContent === '{current['iteration']}'")
    _, expected = numpy_trace("consistent", current["params"])
    shown = float(page.inner_text("#scale"))
    assert shown == pytest.approx(
        expected.scale[current["iteration"]], rel=5e-4
    )  # 4 significant digits: off by at most half a unit in the 4th
    assert page.inner_text("#beta1") == "0.99"
    before = current["iteration"]
    page.click("#ten")
    page.wait_for_function(f"window.adamviz.state().iteration === {min(before + 10, 199)}")
    page.click("#bad")
    page.wait_for_function("document.body.innerText.length > 0")
    message = page.locator(".av-error").first.inner_text()
    assert 'beta1 must be a number in [0, 0.9999]; got "1.5"' in message
    assert state(page)["params"]["beta1"] == 0.99  # nothing applied
    page.click("#sgd")
    page.wait_for_function("window.adamviz.state().params.compare.join() === 'sgd'")
    # the second explorer, targeted by index
    page.click("#second")
    page.wait_for_function("window.adamviz.instances[1].state().params.lr === 0.1")
    assert state(page)["params"]["lr"] == 0.01
    assert page.inner_text("#second-lr") == "0.1"
    page.screenshot(path=screenshots / "prose-links.png", full_page=True)


def test_a_compact_embed_in_a_column_of_text(page, tmp_path, screenshots):
    """One card, two sliders, no header, short plots: flags at export; the URL and set() change it live."""
    post = write_compact_post(
        tmp_path,
        "<p>Signs cancel in m̂ but not in √v̂: the scale is <b id='scale' data-adamviz-show='scale'></b>.</p>",
    )
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(post.as_uri())
    page.wait_for_function("window.adamviz !== undefined")
    visible = page.locator(".noUi-handle:visible")
    assert visible.count() == 2  # β₁ and β₂, nothing else
    assert page.locator(".av-play:visible, .av-optimizer:visible, .av-header:visible").count() == 0
    assert page.locator(".av-card:visible").count() == 1
    width = page.evaluate("document.querySelector('.adamviz-snippet').getBoundingClientRect().width")
    assert width <= 700
    assert page.evaluate("document.documentElement.scrollWidth") <= 1000
    page.evaluate("window.adamviz.set({iteration: 120})")
    page.screenshot(path=screenshots / "compact-embed.png", full_page=True)
    # the same settings live: all controls back, the θ panel, a header
    page.evaluate("window.adamviz.set({controls: 'transport,lr', header: true, height: 400})")
    page.wait_for_function("document.querySelector('.adamviz') !== null")
    assert page.locator(".av-play:visible").count() == 1 and page.locator(".noUi-handle:visible").count() == 1
    assert page.locator(".av-header:visible").count() == 1
    error = page.evaluate("window.adamviz.set({panels: ['plots']}).then(() => null, (e) => e.message)")
    assert error.startswith("panels must be a list of distinct names among moments, step, theta")


def test_five_embeds_load_bokehjs_and_the_code_once(page, tmp_path, screenshots):
    """A post with five explorers: the first snippet brings BokehJS and the code, the next four are
    lite (`--snippet --lite`, about 1 KB each) and built from it — each in its place, each its own."""
    first = tmp_path / "first.html"
    flags = ["--scenarios", "noisy", "--controls", "beta1,beta2", "--no-header", "--height", "240"]
    assert main(["export", str(first), "--snippet", "--resources", "inline", *flags]) == 0
    lites = []
    for k in range(4):
        lite = tmp_path / f"lite{k}.html"
        assert (
            main(
                [
                    "export",
                    str(lite),
                    "--snippet",
                    "--lite",
                    "--scenarios",
                    "consistent",
                    "--beta1",
                    f"0.9{k}",
                ]
            )
            == 0
        )
        # only what differs from the settings table (2,155 bytes when it held them all)
        assert lite.stat().st_size < 1_000
        lites.append(lite.read_text())
    body = first.read_text() + "".join(
        f"<p id='p{k}'>Paragraph {k}.</p>{lite}" for k, lite in enumerate(lites)
    )
    post = tmp_path / "post.html"
    post.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(post.as_uri())
    page.wait_for_function("window.adamviz !== undefined && window.adamviz.instances.length === 5")
    instances = "window.adamviz.instances"
    betas = page.evaluate(f"{instances}.map((e) => e.state().params.beta1)")
    assert betas == [0.9, 0.9, 0.91, 0.92, 0.93]
    assert page.evaluate(f"{instances}.map((e) => e.state().scenarios[0])") == ["noisy"] + ["consistent"] * 4
    page.evaluate(f"{instances}[2].set({{lr: 0.1, iteration: 50}})")
    assert page.evaluate(f"{instances}.map((e) => e.state().params.lr)") == [0.01, 0.01, 0.1, 0.01, 0.01]
    # each lite explorer sits right after its paragraph
    tops = page.evaluate(
        "() => [...document.querySelectorAll('p, .adamviz-lite')].map((e) => Math.round(e.getBoundingClientRect().top))"
    )
    assert tops == sorted(tops)
    assert page.evaluate("typeof Bokeh.embed.embed_items") == "function"
    page.screenshot(path=screenshots / "five-embeds.png", full_page=True)
    assert errors == []
