"""Small helpers shared by the browser tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from adamviz.app.settings import ROLES
from adamviz.sim import simulate, stream

from error_bounds import TRACE_KEYS, assert_trace_matches

READY = "() => window.adamviz !== undefined && window.adamviz.state().scenarios.length > 0"


def open_explorer(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    page.wait_for_function(READY, timeout=30_000)


def state(page) -> dict[str, Any]:
    return page.evaluate("window.adamviz.state()")


def set_params(page, **changes: Any) -> dict[str, Any]:
    return page.evaluate("(changes) => window.adamviz.set(changes)", changes)


STEP_SETTINGS = tuple(
    n for n, role in ROLES.items() if role.recomputes == "optimizer" and n not in ("optimizer", "compare")
)
"""The settings that are ``simulate``'s keywords (the optimizer's, from the settings table)."""


def page_gradients(name: str, params: dict[str, Any]) -> np.ndarray:
    """The stream a page's card draws: ``stream(name, iterations, seed)`` times 10^grad_scale
    (10^k written as the literal ``1eK``, as the page does)."""
    g = stream(name, params["iterations"], params["seed"])
    k = params.get("grad_scale", 0)
    return g * float(f"1e{k}") if k else g


def step_settings(params: dict[str, Any], optimizer: str | None = None) -> dict[str, Any]:
    """``simulate``'s keywords for the page's settings (``optimizer``: default the main one)."""
    settings = {key: params[key] for key in STEP_SETTINGS if key in params}
    return {**settings, "optimizer": optimizer or params.get("optimizer", "adam")}


def numpy_trace(name: str, params: dict[str, Any], optimizer: str | None = None) -> Any:
    """What adamviz.sim computes for the page's current settings: (gradients, Trajectory)."""
    g = page_gradients(name, params)
    return g, simulate(g, **step_settings(params, optimizer))


def assert_page_trace(
    page, name: str, params: dict[str, Any], optimizer: str | None = None, keys=TRACE_KEYS
) -> None:
    """The page's ``trace(name, optimizer)``: its gradients bit-identical to adamviz.sim's stream, its
    moments, scale, step and θ within the derived rounding bounds of ``simulate``'s."""
    got = page_trace(page, name, optimizer)
    g = page_gradients(name, params)
    np.testing.assert_array_equal(got["g"], g)
    assert_trace_matches(got, g, what=name, keys=keys, **step_settings(params, optimizer))


def page_trace(page, name: str, optimizer: str | None = None) -> dict[str, np.ndarray]:
    got = page.evaluate("([n, o]) => window.adamviz.trace(n, o || undefined)", [name, optimizer])
    return {k: np.array(v) for k, v in got.items()}


def block_network(page) -> list[str]:
    """Abort every request that is not for a file:// URL, and record it."""
    requests: list[str] = []

    def handle(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return requests


PAGE_TEXT = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName)) continue;
      for (const node of el.childNodes) if (node.nodeType === 3 && node.data.trim()) out.push(node.data);
    }
  };
  walk(document);
  return out.join('\\n');
}"""


def page_text(page) -> str:
    """Every text node a person could see, shadow roots included (no scripts or styles)."""
    return page.evaluate(PAGE_TEXT)


def open_more(page) -> None:
    """Open "More settings" (the comparison, the optimizer's details, the data and export live there)."""
    toggle = page.locator(".av-more-toggle button")
    if "bk-active" not in (toggle.get_attribute("class") or ""):
        toggle.click()
    page.locator(".av-more").wait_for(state="visible")


COMPACT_FLAGS = (
    *("--snippet", "--resources", "inline", "--scenarios", "noisy", "--controls", "beta1,beta2"),
    *("--panels", "moments,step", "--no-header", "--height", "260"),
)
"""The README's compact embed: one card, two sliders, no header, short plots."""


def write_compact_post(folder, intro: str = "<p>Signs cancel in m̂ but not in √v̂.</p>"):
    """A blog post (a 700 px column of serif text) holding the README's compact embed; its path."""
    from adamviz.app.cli import main

    snippet = folder / "compact-snippet.html"
    assert main(["export", str(snippet), *COMPACT_FLAGS]) == 0
    post = folder / "compact-post.html"
    post.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>A post</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='max-width: 700px; margin: 40px auto; padding: 0 12px; font: 19px/1.6 Georgia, serif'>"
        f"<main>{intro}{snippet.read_text()}<p>After.</p></main></body></html>"
    )
    return post
