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


def numpy_trace(name: str, params: dict[str, Any]) -> Any:
    """What adamviz.sim computes for the page's current settings."""
    g = stream(name, params["iterations"], params["seed"])
    return g, simulate(
        g,
        lr=params["lr"],
        beta1=params["beta1"],
        beta2=params["beta2"],
        eps=params["eps"],
        bias_correction=params["bias_correction"],
    )


def page_trace(page, name: str) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in page.evaluate("(n) => window.adamviz.trace(n)", name).items()}
