"""Seeded gradient streams: the inputs the optimizers are stepped over.

Every stream is a pure function of ``(iterations, rng, **shape)`` where ``rng`` is a
:class:`numpy.random.Generator`. :func:`stream` builds that generator from a seed as
``Generator(Philox(key=seed))`` — Philox4x64-10, a *counter-based* bit generator whose output
depends only on (key, counter). That choice is deliberate: the browser port in
``assets/engine/random.js`` reimplements Philox4x64-10 and ``Generator.uniform`` bit for bit, so a
page (served or a static file) regenerates exactly ``stream(name, iterations, seed)`` for any seed
without shipping data.

Only uniform noise is used, ``rng.uniform(-noise, noise)``, which NumPy computes as
``low + (high - low) * u`` with ``u = (x >> 11) * 2**-53`` for a raw 64-bit draw ``x``; trends
use only exact arithmetic (no transcendental functions), so both sides agree to the last bit.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .validation import check_int, check_positive, check_range

SEED_MAX = 2**32 - 1
"""Seeds are integers in [0, SEED_MAX]; a seed is the Philox key."""


def rng_for(seed: int) -> np.random.Generator:
    """The generator behind every stream: ``Generator(Philox(key=seed))``."""
    check_int("seed", seed, 0, SEED_MAX)
    return np.random.Generator(np.random.Philox(key=int(seed)))


def consistent(
    iterations: int, rng: np.random.Generator, *, mean: float = 1.0, noise: float = 0.5
) -> np.ndarray:
    """A gradient that keeps its sign: ``g_t = mean + U(-noise, noise)``.

    Args:
        mean: the steady trend every step shares (the direction the parameter should move).
        noise: half-width of the uniform noise around it; below ``|mean|`` the sign never flips.
    """
    return mean + rng.uniform(-noise, noise, iterations)


def noisy(iterations: int, rng: np.random.Generator, *, noise: float = 1.2) -> np.ndarray:
    """Pure noise around zero: ``g_t = U(-noise, noise)``; no direction to follow."""
    return rng.uniform(-noise, noise, iterations)


def reversal(
    iterations: int,
    rng: np.random.Generator,
    *,
    amplitude: float = 1.0,
    flip_every: int = 50,
    noise: float = 0.15,
) -> np.ndarray:
    """A trend whose sign flips periodically: a square wave plus a little noise.

    ``g_t = s_t * amplitude + U(-noise, noise)`` with ``s_t = +1`` for t = 1..flip_every,
    ``-1`` for the next ``flip_every`` steps, and so on (t counts from 1).

    Args:
        amplitude: size of the trend on either side of a flip.
        flip_every: steps between sign flips (half the period).
        noise: half-width of the uniform noise.
    """
    check_int("flip_every", flip_every, 1, 10**9)
    t = np.arange(iterations)
    sign = np.where((t // flip_every) % 2 == 0, 1.0, -1.0)
    return sign * amplitude + rng.uniform(-noise, noise, iterations)


def sparse(
    iterations: int, rng: np.random.Generator, *, probability: float = 0.1, size: float = 1.0
) -> np.ndarray:
    """A rare gradient, like an embedding row whose token seldom appears: ``g_t = size`` on a
    step with probability ``probability`` (when ``U(0, 1) < probability``), else exactly 0.

    Adam's √v̂ sees the mean square ``probability·size²``, so its effective learning rate
    η/(√v̂+ε) comes out about ``1/√probability`` times that of a parameter fed ``size`` on every step.
    """
    check_range("probability", probability, 0.0, 1.0)
    return np.where(rng.uniform(0.0, 1.0, iterations) < probability, size, 0.0)


def shrinking(
    iterations: int,
    rng: np.random.Generator,
    *,
    size: float = 1.0,
    drop_at: int = 100,
    factor: float = 100.0,
    noise: float = 0.5,
) -> np.ndarray:
    """A gradient that drops ``factor``-fold after step ``drop_at``:
    ``g_t = level_t · (1 + U(−noise, noise))`` with ``level_t = size`` for t = 1..drop_at and
    ``size / factor`` after.

    √v̂ forgets the large gradients slowly — √v halves every ``2·ln 2/(1 − β₂)`` steps once the new
    gradients are negligible — so Adam's step collapses at the drop and climbs back as √v̂ catches up.
    """
    check_int("drop_at", drop_at, 0, 10**9)
    check_positive("factor", factor)
    level = np.where(np.arange(iterations) < drop_at, size, size / factor)
    return level * (1.0 + rng.uniform(-noise, noise, iterations))


class StreamSpec(NamedTuple):
    """A registered stream: its generator function and a one-line description."""

    make: Callable[..., np.ndarray]
    description: str


STREAMS: dict[str, StreamSpec] = {
    "consistent": StreamSpec(consistent, "steady positive trend plus noise"),
    "noisy": StreamSpec(noisy, "noise around zero"),
    "reversal": StreamSpec(reversal, "a trend whose sign flips every 50 steps, plus a little noise"),
    "sparse": StreamSpec(sparse, "0 on most steps, 1 on one step in ten (a rare token's embedding row)"),
    "shrinking": StreamSpec(shrinking, "a noisy gradient of 1 that drops 100-fold after step 100"),
}
"""The registry of stream names; the explorer shows one card per entry, in this order."""

ITERATIONS_MAX = 1_000_000


def stream_shapes(name: str) -> dict[str, float]:
    """The shape parameters of ``STREAMS[name]`` with their defaults (the page's streams take these)."""
    if name not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}; got {name!r}")
    parameters = inspect.signature(STREAMS[name].make).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}


def stream(name: str, iterations: int, seed: int = 0, **shape: float) -> np.ndarray:
    """``STREAMS[name]`` drawn for ``iterations`` steps from seed ``seed`` (float64, shape (iterations,)).

    The same (name, iterations, seed, shape) gives the same array on every run and machine.
    """
    if name not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}; got {name!r}")
    check_int("iterations", iterations, 1, ITERATIONS_MAX)
    accepted = list(stream_shapes(name))
    for key, value in shape.items():
        if key not in accepted:
            raise ValueError(f"{name} has no shape parameter {key!r}; it takes: {', '.join(accepted)}")
        check_range(key, value, -1e6, 1e6)
    return np.asarray(STREAMS[name].make(int(iterations), rng_for(seed), **shape), dtype=np.float64)
