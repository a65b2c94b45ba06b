"""`adamviz export`: one self-contained file that works offline from file://, and paste-able snippets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adamviz.app.cli import main
from adamviz.app.settings import CONTROLS

from browser_helpers import (
    assert_page_trace,
    block_network,
    open_explorer,
    open_more,
    set_params,
    state,
)

INLINE_BUDGET = 2_000_000
CDN_BUDGET = 337_000
# (334 KB until the many-parameters view's Adam rows in WebAssembly, adam_rows.wat as base64 and its
# loader, and the workers' arrays filled again: 2.6 KB — 334,813 bytes; a β₁ change of 1,000
# parameters p95 74 -> 45 ms, of 10,000 394 -> 191 ms)
# (332 KB until the opening's single layout and paint (figures held, released by the mount) and the
# glyph renderers' idle copies and on-demand index, each internal named: 2.2 KB — 332,177 bytes)
# (322 KB until the many-parameters view's runs on two workers: population_workers.js and the column
# split, 6.9 KB — 328,738 bytes; a β₁ change of 10,000 parameters 570 -> 360 ms; then settled axes and
# size checks only on a y-range change, 1.2 KB — 329,933 bytes)
# (320 KB until the many-parameters view's own Adam loop and percentiles found near the last step's:
# 2.3 KB with Philox's kernel written out — 321,876 bytes)
# (319 KB until Philox in WebAssembly: philox.wat's 462-byte kernel as base64 and its loader, 8× faster
# draws: 1.2 KB — 319,314 bytes)
# (316 KB until traces that grow by segments: the page's reader finding a chain's last whole segment,
# walking back to the first and appending each one's records, with its messages: 2.8 KB — 317,958 bytes)
# (313.5 KB until every optimizer in every format: radam, nadam, adamax, adagrad and adafactor in
# float32, bfloat16 and float16, torch's operations as functions of one format: 2.1 KB — 315,116 bytes)
# (312 KB until Adafactor: its engine step, t^-0.8 correctly rounded, an 11th menu entry and compare
# button, its readout: 1.1 KB — 312,969 bytes measured)
# (306 KB until precision: the page's float32/bfloat16/float16 roundings and stepper, the menu, the
# readout's notes, the "Half precision and ε" slide and preset: 5.8 KB — 311,837 bytes measured)
# (305 KB until serve --follow: a page asking its server for its trace again and taking the newer run
# in place, and a sparse card's recorded step in its readout: 1.2 KB — 305,160 bytes measured)
# (303 KB until the recorder's optimizers: the page reading RMSprop, RAdam, NAdam, Adamax and Adagrad
# traces from one table, with their own settings, and the Layers view's phone layout: 1.9 KB —
# 303,943 bytes measured)
# (278 KB until the Layers view: its three figures — lr_t, the p50 map with its colour bar, the pointed
# row's band — their pointer callbacks, words and script are 25.5 KB — 302,025 bytes measured)
# (276 KB until the Adam-then-SGD slide and preset and the readout's formulas after the switch and for
# the four new optimizers: 1.3 KB — 276,515 bytes measured)
# (272 KB until Adam-then-SGD: its two sliders with their labels' formatters, the engine's switch and
# the cards' marker are 4.0 KB — 275,237 bytes measured)
# (268 KB until RAdam, NAdam, Adamax and Adagrad: their engine, styles and four more options in the
# menu and in Compare with are 4.7 KB — 271,280 bytes measured)
# (266 KB until recorded schedules: reading a trace's per-record lr and weight decay and each group's own
# settings, and replaying a card with the recorded lr_t, are 1.5 KB — 266,531 bytes measured)
# (262 KB until schedules: the schedule's menu and its warmup and final-lr sliders with their labels'
# formatters, and the page's schedule and lr_t line, are 4.0 KB — 264,738 bytes measured)
# (260 KB until issue 30: the page's trace reader enforcing Python's rules — zip directory and local
# names, a running inflate cap, the .npy header grammar, the meta's nesting and number scan — and the
# opening's two BokehJS workarounds are 1.2 KB of script)
# (250 KB until clips: the ⏺ Record control — composing the explorer's canvases, words and legend keys on
# one canvas and handing it to MediaRecorder — is 5.2 KB of script and a toggle)
# (230 KB until "Made with care": the theme following its host live, every widget themed by CSS, sliders
# speaking their values, the address bar following the state, slides laid out to the window, the
# controls in groups — 7.5 KB of script, 2.5 KB of CSS, 6 KB of models and references)
# (200 KB until the page learnt to read training runs: the .npz/.npy/.csv reader, the recorded cards and
# the CSV/PNG downloads are 21 KB of script, and a row of four controls)

HOSTILE_CSS = """
* { font-size: 31px !important; color: rgb(255, 0, 0) !important; box-sizing: content-box !important;
    line-height: 3 !important; }
div { padding: 13px !important; margin: 7px !important; display: block !important; }
canvas { display: none !important; } h1 { display: none !important; } button { visibility: hidden !important; }
"""


def export(tmp_path: Path, name: str, *flags: str) -> Path:
    out = tmp_path / name
    assert main(["export", str(out), *flags]) == 0
    return out


def test_sizes_within_budget(tmp_path):
    """Measured as a user makes the files: ``adamviz export`` in a fresh process. (In this test process
    Bokeh's model ids grow with every document earlier tests made, and the file with them: +5.7 KB
    after the whole suite.)"""
    for name, flags, budget in (
        ("inline.html", [], INLINE_BUDGET),
        ("cdn.html", ["--resources", "cdn"], CDN_BUDGET),
    ):
        out = tmp_path / name
        done = subprocess.run(["adamviz", "export", str(out), *flags], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size <= budget, (name, out.stat().st_size)


@pytest.mark.browser
def test_inline_file_makes_no_network_request_and_works(page, tmp_path):
    path = export(tmp_path, "offline.html", "--seed", "3", "--iterations", "500")
    requests = block_network(page)
    open_explorer(page, path.as_uri())
    page.evaluate("window.adamviz.play()")
    page.wait_for_function("window.adamviz.state().iteration > 5")
    page.evaluate("window.adamviz.pause()")
    params = set_params(page, beta2=0.99, eps=1e-4)["params"]
    assert_page_trace(page, "consistent", params)
    assert requests == []


@pytest.mark.browser
def test_flags_set_the_initial_state(page, tmp_path):
    path = export(
        tmp_path,
        "flags.html",
        "--seed",
        "3",
        "--beta1",
        "0.99",
        "--beta2",
        "0.99",
        "--eps",
        "1e-6",
        "--lr",
        "0.1",
        "--iterations",
        "300",
        "--iteration",
        "37",
        "--no-bias-correction",
        "--theme",
        "dark",
        "--scenarios",
        "reversal,noisy",
        "--window",
        "0",
        "--speed",
        "50",
        "--optimizer",
        "rmsprop",
        "--compare",
        "sgd,adamw",
        "--weight-decay",
        "0.01",
        "--momentum",
        "0.5",
        "--grad-scale",
        "-2",
        "--problem",
        "rosenbrock",
        "--start",
        "0.5",
        "-1",
        "--condition",
        "300",
        "--rotated",
        "--noise",
        "0.5",
        "--schedule",
        "cosine",
        "--warmup",
        "20",
        "--min-lr",
        "0.1",
        "--precision",
        "bfloat16",
    )
    open_explorer(page, path.as_uri())
    current = state(page)
    assert current["iteration"] == 37 and current["playing"] is False
    assert current["scenarios"] == ["reversal", "noisy"]
    assert current["params"] == {
        "view": "cards",
        "smooth": False,
        "n_params": 1000,
        "spread_axis": "true",
        "optimizer": "rmsprop",
        "compare": ["sgd", "adamw"],
        "precision": "bfloat16",
        "weight_decay": 0.01,
        "momentum": 0.5,
        "grad_scale": -2,
        "lr": 0.1,
        "beta1": 0.99,
        "beta2": 0.99,
        "eps": 1e-6,
        "iterations": 300,
        "seed": 3,
        "bias_correction": False,
        "speed": 50,
        "window": 0,
        "panels": ["moments", "step", "theta"],
        "controls": list(CONTROLS),
        "header": True,
        "height": 380,
        "problem": "rosenbrock",
        "condition": 300,
        "rotated": True,
        "noise": 0.5,
        "start_x": 0.5,
        "start_y": -1,
        "schedule": "cosine",
        "warmup": 20,
        "min_lr": 0.1,
        "switch_at": 0,
        "switch_lr": 0,
    }
    assert page.locator(".av-card").count() == 2
    assert page.evaluate("document.body.className") == "av-dark"


@pytest.mark.browser
def test_autoplay_and_url_parameters_in_the_file(page, tmp_path):
    path = export(tmp_path, "auto.html", "--autoplay", "--speed", "100")
    open_explorer(page, path.as_uri())
    page.wait_for_function("window.adamviz.state().iteration > 10")
    assert state(page)["playing"] is True
    open_explorer(page, path.as_uri(), "?beta1=0.5&iteration=12&speed=5")
    assert state(page)["params"]["beta1"] == 0.5


@pytest.mark.browser
@pytest.mark.parametrize("resources", ["inline", "cdn"])
def test_two_snippets_in_a_hostile_page(page, tmp_path, resources, screenshots):
    first = export(tmp_path, "a.html", "--snippet", "--resources", resources, "--seed", "5").read_text()
    second = export(
        tmp_path,
        "b.html",
        "--snippet",
        "--resources",
        resources,
        "--seed",
        "9",
        "--title",
        '<img src=x onerror="window.pwned=1">Second',
    ).read_text()
    host = tmp_path / "host.html"
    host.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{HOSTILE_CSS}</style></head><body>"
        f"<p id='before'>Host text</p>{first}<p id='middle'>Middle</p>{second}<p id='after'>After</p></body></html>"
    )
    if resources == "cdn":  # answer BokehJS's CDN URLs from the installed bokeh package: no network here
        import bokeh

        static = Path(bokeh.__file__).parent / "server" / "static" / "js"

        def from_package(route):
            name = route.request.url.rsplit("/", 1)[1].replace("-" + bokeh.__version__, "")
            route.fulfill(content_type="application/javascript", path=static / name)

        page.route("https://cdn.bokeh.org/**", from_package)
    page.goto(host.as_uri())
    page.wait_for_function("window.adamviz && window.adamviz.instances.length === 2")
    one, two = "window.adamviz.instances[0]", "window.adamviz.instances[1]"
    page.wait_for_function(f"{two}.state().scenarios.length === 3")
    assert page.evaluate(f"[{one}.state().params.seed, {two}.state().params.seed]") == [5, 9]
    page.evaluate(f"{one}.set({{beta1: 0.5, iteration: 20}})")
    page.evaluate(f"{two}.step(3)")
    assert page.evaluate(f"[{one}.state().params.beta1, {two}.state().params.beta1]") == [0.5, 0.9]
    # the second opened mid-story (settings.OPENING_ITERATION) and stepped 3
    assert page.evaluate(f"[{one}.state().iteration, {two}.state().iteration]") == [20, 73]
    # the page's CSS cannot hide or restyle the explorers, and theirs does not leak into the page
    assert page.locator("canvas").first.is_visible()
    assert page.locator(".av-play button").first.is_visible()
    assert page.locator(".av-header h1").nth(1).is_visible()
    color = page.locator(".av-card-title").first.evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"
    assert page.evaluate("getComputedStyle(document.getElementById('after')).fontSize") == "31px"
    # the user-supplied title is text, not markup
    assert page.locator(".av-header h1").nth(1).inner_text() == '<img src=x onerror="window.pwned=1">Second'
    assert page.evaluate("window.pwned") is None
    page.screenshot(path=screenshots / f"two-snippets-{resources}.png", full_page=True)


def test_bad_export_flags_exit_2_with_one_line(tmp_path, capsys):
    cases = [
        (["--beta1", "1.5"], "beta1 must be a number in [0, 0.9999]; got 1.5"),
        (["--eps", "0"], "eps must be a number in [1e-12, 1]; got 0.0"),
        (["--iterations", "5"], "iterations must be an integer in [10, 10000]; got 5"),
        (["--iteration", "300"], "iteration must be an integer in [0, 199]; got 300"),
        (
            ["--scenarios", "noisy,wavy"],
            "scenarios must be among consistent, noisy, reversal, sparse, shrinking, bowl, mlp, transformer; got wavy",
        ),
        (["--theme", "neon"], "theme must be one of light, dark, auto; got 'neon'"),
        (
            ["--optimizer", "lion"],
            "optimizer must be one of sgd, momentum, rmsprop, adam, amsgrad, adamw, radam, nadam, adamax, adagrad, adafactor; got 'lion'",
        ),
        (["--compare", "sgd,sgd"], "compare must be a list of distinct names; got ['sgd', 'sgd']"),
        (["--grad-scale", "7"], "grad_scale must be an integer in [-6, 6]; got 7"),
        (["--weight-decay", "2"], "weight_decay must be a number in [0, 1]; got 2.0"),
        (["--scenarios", ","], "scenarios must be a non-empty list of names among"),
        (["--resources", "web"], "invalid choice: 'web'"),
    ]
    for flags, message in cases:
        assert main(["export", str(tmp_path / "x.html"), *flags]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (flags, err)
    assert not (tmp_path / "x.html").exists()


def test_console_script_writes_the_file(tmp_path):
    out = tmp_path / "cli.html"
    done = subprocess.run(
        ["adamviz", "export", str(out), "--resources", "cdn"], capture_output=True, text=True
    )
    assert done.returncode == 0 and out.exists() and "wrote" in done.stdout
    assert f"wrote {out} ({out.stat().st_size:,} bytes)" in done.stdout
    assert 50_000 < out.stat().st_size <= CDN_BUDGET  # the README's budget for a cdn file


@pytest.mark.browser
def test_served_export_button_downloads_the_current_state(page, served_url, tmp_path):
    open_explorer(page, served_url)
    set_params(page, beta1=0.99, seed=7, iteration=42, lr=0.05)
    page.wait_for_timeout(500)  # the settings report reaches the server
    with page.expect_download() as download:
        open_more(page)
        page.locator(".av-export button, .av-export a").first.click()
    saved = tmp_path / "downloaded.html"
    download.value.save_as(saved)
    assert saved.stat().st_size <= INLINE_BUDGET
    requests = block_network(page)
    open_explorer(page, saved.as_uri())
    current = state(page)
    assert current["iteration"] == 42
    assert (
        current["params"]["beta1"] == 0.99
        and current["params"]["seed"] == 7
        and current["params"]["lr"] == 0.05
    )
    assert requests == []


@pytest.mark.browser
def test_a_link_in_the_prose_drives_the_explorer(page, tmp_path):
    """The README's "Embed in your blog" example: a link that sets beta1 = 0.99 and plays."""
    snippet = export(tmp_path, "post.html", "--snippet", "--resources", "inline").read_text()
    post = tmp_path / "blog.html"
    post.write_text(
        "<!DOCTYPE html><html><body><p>With a long memory, "
        "<a id='try' href='#' onclick='adamviz.set({beta1: 0.99}).then(adamviz.play); return false;'>"
        "set β₁ to 0.99 and watch m̂ lag</a>.</p>" + snippet + "</body></html>"
    )
    page.goto(post.as_uri())
    page.wait_for_function("window.adamviz !== undefined")
    page.click("#try")
    page.wait_for_function("window.adamviz.state().playing && window.adamviz.state().params.beta1 === 0.99")


def test_exports_reference_only_bokehjs_even_with_panel_loaded():
    """Panel adds a server-relative module shim to Bokeh's resources once imported; an export must not."""
    import re

    import panel as pn

    from adamviz.app.export import explorer_html, explorer_snippet

    pn.extension()
    for page in (explorer_html(resources="cdn"), explorer_snippet(resources="cdn")):
        sources = re.findall(r"""["']([^"'\s]+\.js)["']""", page)
        assert sources and all(url.startswith("https://cdn.bokeh.org/bokeh/release/") for url in sources), (
            sources
        )
    for page in (explorer_html(resources="inline"), explorer_snippet(resources="inline")):
        assert "<script src" not in page and "es-module-shims" not in page


def test_pages_carry_title_and_description_for_link_previews(tmp_path):
    import html
    import re

    from adamviz.app.text import DESCRIPTION

    page = export(tmp_path, "meta.html", "--title", 'Adam, "seen" <live>').read_text()
    metas = dict(re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', page))
    assert html.unescape(metas["og:title"]) == 'Adam, "seen" <live>'
    assert html.unescape(metas["description"]) == html.unescape(metas["og:description"]) == DESCRIPTION


@pytest.mark.browser
def test_a_preview_picture_for_link_cards(tmp_path):
    """`--preview`: a 1200 × 630 PNG of the explorer (heading and plots), named by the page's og:image."""
    import struct

    out = tmp_path / "post.html"
    card = tmp_path / "pictures" / "card.png"
    card.parent.mkdir()
    assert main(["export", str(out), "--preview", str(card), "--beta1", "0.99", "--iteration", "80"]) == 0
    header = card.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1200, 630)
    page = out.read_text()
    assert '<meta property="og:image" content="pictures/card.png">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
