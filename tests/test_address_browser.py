"""Every state is a link (issue "Made with care", deliverable 2): the address bar follows the explorer,
Copy link copies it, and opening it restores the view exactly; a loaded file cannot travel in a URL
and the page says so."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from adamviz.app.export import write_export
from adamviz.app.settings import ExplorerSettings

from browser_helpers import open_explorer, set_params, state

pytestmark = pytest.mark.browser

WANTED = {
    "view": "valley",
    "problem": "rosenbrock",
    "beta1": 0.95,
    "compare": ["sgd", "momentum"],
    "start_x": -1.25,
    "start_y": 1.5,
    "lr": 0.02,
    "iteration": 123,
}


def test_the_address_follows_and_a_link_restores_it(page, static_url):
    open_explorer(page, static_url)
    entries = page.evaluate("history.length")
    set_params(page, **WANTED)
    page.wait_for_function("location.search.includes('iteration=123')")
    query = parse_qs(urlparse(page.url).query)
    # only what differs from the page's defaults, and the iteration
    assert set(query) == set(WANTED)
    assert query["compare"] == ["sgd,momentum"] and query["start_x"] == ["-1.25"]
    assert page.evaluate("window.adamviz.link()") == page.url
    shown = state(page)
    other = page.context.new_page()
    open_explorer(other, page.url.split("?")[0], "?" + page.url.split("?")[1])
    restored = state(other)
    assert restored["params"] == shown["params"] and restored["iteration"] == 123
    other.close()
    # Back leaves the page instead of walking through slider moves: one history entry
    assert page.evaluate("history.length") == entries


def test_copy_link_copies_and_says_what_a_link_cannot_carry(page, tmp_path):
    url = write_export(tmp_path / "page.html", ExplorerSettings()).as_uri()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_explorer(page, url)
    set_params(page, beta2=0.99, iteration=10)
    page.locator(".av-copy-link button").click()
    button = page.locator(".av-copy-link button")
    expect(button).to_have_text(re.compile("✓ Link copied|Copy failed: see below"))
    page.wait_for_function("location.search.includes('beta2=0.99')")
    link = page.evaluate("window.adamviz.link()")
    assert "beta2=0.99" in link and "iteration=10" in link
    page.evaluate(
        """async () => { const csv = '0.5\\n-0.25\\n0.125\\n'.repeat(20);
           await window.adamviz.load({name: 'mine.csv', bytes: new TextEncoder().encode(csv)}); }"""
    )
    page.locator(".av-copy-link button").click()
    message = page.locator(".av-error")
    message.wait_for()
    assert "not mine.csv: a file cannot travel in a URL" in message.inner_text()


def test_a_snippet_leaves_the_host_address_alone(page, tmp_path):
    from adamviz.app.export import explorer_snippet

    host = tmp_path / "post.html"
    snippet = explorer_snippet(ExplorerSettings(), resources="inline")
    host.write_text(f"<html><body><p>My post</p>{snippet}</body></html>")
    open_explorer(page, host.as_uri(), "?keep=1")
    set_params(page, beta1=0.5)
    page.wait_for_timeout(600)  # longer than the address's quiet time
    assert urlparse(page.url).query == "keep=1"
    assert "beta1=0.5" in page.evaluate("window.adamviz.link()")
