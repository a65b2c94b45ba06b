"""No injection anywhere: the classic payloads through every export flag, URL parameter, set() value
and file name; in Chromium, no script of theirs ever runs and the text shows as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adamviz.app.cli import main
from adamviz.app.export import bundle_file
from adamviz.app.settings import BROWSER_SETTINGS

from browser_helpers import READY, open_explorer

pytestmark = pytest.mark.browser

PAYLOADS = [
    "</title><script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "'><svg onload='window.__pwned=1'>",
    "javascript:window.__pwned=1",
    "{{ 7 * 7 }}{% if true %}x{% endif %}",
    "${window.__pwned=1}",
    "</script><script>window.__pwned=1</script>",
    "<!--<script>window.__pwned=1</script>-->",
]


def watch(page) -> list[str]:
    """Every dialog and page error (a payload that ran would cause one or set window.__pwned)."""
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(f"dialog {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: seen.append(f"error {error}"))
    return seen


def bokeh_from_disk(page) -> None:
    """The CDN's BokehJS from the installed package (no network here)."""
    import bokeh

    static = Path(bokeh.__file__).parent / "server" / "static" / "js"
    page.route(
        "https://cdn.bokeh.org/**",
        lambda route: route.fulfill(
            content_type="text/javascript", path=static / bundle_file(route.request.url)
        ),
    )


@pytest.mark.parametrize("kind", ["inline", "cdn", "lecture", "snippet"])
def test_titles_are_text_in_every_export(page, tmp_path, kind):
    flags = {"inline": [], "cdn": ["--resources", "cdn"], "lecture": ["--lecture"], "snippet": ["--snippet"]}[
        kind
    ]
    seen = watch(page)
    bokeh_from_disk(page)
    # two titles of four payloads each: a payload that broke out would run (or throw) whatever follows
    # it, and each page load costs seconds
    for number, payload in enumerate(["".join(PAYLOADS[:4]), "".join(PAYLOADS[4:])]):
        out = tmp_path / f"{kind}-{number}.html"
        assert main(["export", str(out), "--title", payload, *flags]) == 0
        page.goto(out.as_uri())
        page.wait_for_function(READY, timeout=30_000)
        assert page.evaluate("window.__pwned") is None, (kind, payload)
        if kind not in ("snippet", "lecture"):
            assert page.title() == payload
        if kind != "lecture":  # the lecture layout shows the slide instead of the heading
            assert page.locator(".av-header h1").inner_text() == payload
    assert seen == []


def test_other_export_flags_refuse_payloads(tmp_path, capsys):
    for payload in PAYLOADS:
        for flag in ("--scenarios", "--compare", "--optimizer", "--theme"):
            assert main(["export", str(tmp_path / "x.html"), flag, payload]) == 2
            assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_url_parameters_and_set_values_show_payloads_as_text(page, static_url):
    seen = watch(page)
    names = [*BROWSER_SETTINGS, "iteration", "preset", "slide", "mode"]
    for payload in PAYLOADS:
        from urllib.parse import urlencode

        open_explorer(page, static_url, "?" + urlencode({name: payload for name in names}))
        message = page.locator(".av-error").inner_text()
        assert json.dumps(payload, ensure_ascii=False) in message  # shown, quoted, as text
        assert page.locator(".av-error script, .av-error img, .av-error svg").count() == 0
        for name in [*BROWSER_SETTINGS, "iteration"]:
            error = page.evaluate(
                "([n, v]) => window.adamviz.set({[n]: v}).then(() => null, (e) => e.message)", [name, payload]
            )
            assert error is not None and name in error, (name, error)
        error = page.evaluate("(v) => window.adamviz.preset(v).then(() => null, (e) => e.message)", payload)
        assert error.startswith("preset must be")
        assert page.locator(".av-error script, .av-error img, .av-error svg").count() == 0
        assert page.evaluate("window.__pwned") is None, payload
    assert seen == []


def test_file_names_are_never_markup_or_code(tmp_path, capsys, monkeypatch):
    """A gradients file named like a payload: the message names it, on one line, and nothing runs."""
    monkeypatch.chdir(tmp_path)
    for number, payload in enumerate(PAYLOADS):
        name = f"{number}-{payload.replace('/', '_')}.csv"
        Path(name).write_text("g\n1\nnot a number\n")
        assert main(["simulate", "--gradients", name]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and name in err and "not a number" in err


@pytest.mark.parametrize("attribute", ["id", "name"])
def test_a_host_page_s_named_elements_cannot_clobber_an_embed(page, tmp_path, attribute):
    """A post whose own HTML names elements after every global the snippets use (no script needed:
    an element's id, or an image's name, shows up as a window property) still gets both explorers — a
    full snippet and a lite one — working, with no error on the page."""
    from adamviz.app.export import GLOBALS, explorer_snippet, lite_snippet
    from adamviz.app.settings import ExplorerSettings

    element = {"id": "<div id='{}'></div>", "name": "<img name='{}' alt=''>"}[attribute]
    named = "".join(element.format(name) for name in GLOBALS)
    first = ExplorerSettings()  # three cards, laid out as wide as the lite one (which must still boot)
    post = tmp_path / "post.html"
    post.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        f"{named}{explorer_snippet(first, resources='inline')}<p>Between.</p>"
        f"{lite_snippet(ExplorerSettings(scenarios=['noisy'], beta1=0.99))}</body></html>"
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(post.as_uri())
    page.wait_for_function("() => window.adamviz && window.adamviz.instances.length === 2")
    assert errors == []
    assert page.evaluate("window.adamviz.instances[1].state().params.beta1") == 0.99
    assert page.evaluate("window.adamviz.set({beta1: 0.95}).then((s) => s.params.beta1)") == 0.95
