"""Small helpers shared by the browser tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from adamviz.sim import simulate, stream

READY = "() => window.adamviz !== undefined && window.adamviz.state().scenarios.length > 0"


def open_explorer(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    page.wait_for_function(READY, timeout=30_000)


def state(page) -> dict[str, Any]:
    return page.evaluate("window.adamviz.state()")


def set_params(page, **changes: Any) -> dict[str, Any]:
    return page.evaluate("(changes) => window.adamviz.set(changes)", changes)


STEP_SETTINGS = ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "bias_correction")


def numpy_trace(name: str, params: dict[str, Any], optimizer: str | None = None) -> Any:
    """What adamviz.sim computes for the page's current settings: the stream times 10^grad_scale
    (10^k written as the literal ``1eK``, as the page does), stepped by ``optimizer`` (default: the main one)."""
    g = stream(name, params["iterations"], params["seed"])
    k = params.get("grad_scale", 0)
    if k:
        g = g * float(f"1e{k}")
    settings = {key: params[key] for key in STEP_SETTINGS if key in params}
    return g, simulate(g, optimizer=optimizer or params.get("optimizer", "adam"), **settings)


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
