"""Many parameters at once: a seeded population of gradient streams, one column per parameter.

Parameter i's gradient has a root-mean-square ``s_i`` (its *magnitude*) and a *spread*
``γ_i = σ_i / |μ_i|``, its noise relative to its mean. A dense parameter draws, every step,

    g_t,i = μ_i + σ_i·√3·w,    w = 2u − 1 ~ U(−1, 1)  (unit variance after the √3)
    μ_i = ±s_i / √(γ_i² + 1),  σ_i = γ_i·|μ_i|,      so that E[g²] = μ² + σ² = s_i².

A sparse parameter (a fraction ``sparse_fraction`` of them) is active on a step with probability
``p = sparse_probability`` — when ``u < p`` — and then draws as above with ``w = 2(u/p) − 1``
(``u/p`` is again uniform on [0, 1)); otherwise its gradient is exactly 0.

If Adam's m̂ and v̂ were the true mean and mean square, its step would be
``m̂/√v̂ = μ/s = ±1/√(γ² + 1)``: set by how consistent a gradient is, not by how large. That is the
*gradient-spread law* the many-parameter view draws. :func:`population_parameters` gives each
parameter's true magnitude ``√E[g²]`` and spread ``√Var[g]/|E[g]|`` (for a sparse parameter those of
the on-and-off gradient: magnitude ``√p·s``, spread ``√(s²/(p·μ²) − 1)``), so the law holds for all.

Magnitudes and spreads are log-uniform on a grid of :data:`STEPS_PER_DECADE` values per decade
(``10^k · LOG_GRID[j]``) between the shape's decade bounds: a grid, not a continuum, because every
value must be the same double in the browser, and ``10^x`` is not correctly rounded everywhere. The
grid's values are computed here once and handed to the page (:data:`LOG_GRID`); the page then uses
only correctly rounded operations (+, −, ×, ÷, √), so ``assets/engine/`` regenerates the
population bit for bit. Random numbers come from ``Generator(Philox(key=seed))``, as the streams':
first four uniforms per parameter (magnitude, spread, sign, sparse or not), then one per step and
parameter, row by row.
"""

from __future__ import annotations

import inspect
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .streams import ITERATIONS_MAX, rng_for
from .validation import check_int, check_range

N_PARAMS_MAX = 100_000
"""The largest population :func:`population` draws (the page offers up to 10,000)."""

STEPS_PER_DECADE = 50
"""Grid points per decade of the log-uniform magnitudes and spreads (4.7% apart)."""

LOG_GRID = tuple(10.0 ** (j / STEPS_PER_DECADE) for j in range(STEPS_PER_DECADE))
"""``10^(j/STEPS_PER_DECADE)`` for j = 0..STEPS_PER_DECADE−1: the mantissas of the grid."""

SQRT3 = float(np.sqrt(3.0))
"""√3: U(−√3, √3) has unit variance."""


class PopulationShape(NamedTuple):
    """The shape of a population (the keyword arguments of :func:`population`)."""

    magnitude_low: int = -3
    """Magnitudes ``s`` are log-uniform in [10^magnitude_low, 10^magnitude_high)."""
    magnitude_high: int = 3
    spread_low: int = -1
    """Spreads ``γ`` are log-uniform in [10^spread_low, 10^spread_high): consistent to nearly pure noise."""
    spread_high: int = 1
    sparse_fraction: float = 0.1
    """The fraction of parameters (on average) that are sparse."""
    sparse_probability: float = 0.1
    """How often a sparse parameter's gradient is nonzero."""


def population_shape(**shape: float) -> PopulationShape:
    """A validated :class:`PopulationShape`; a ValueError names a bad key or value."""
    known = PopulationShape._fields
    for key in shape:
        if key not in known:
            raise ValueError(f"population has no shape parameter {key!r}; it takes: {', '.join(known)}")
    values = PopulationShape(**shape)
    for low, high in (("magnitude_low", "magnitude_high"), ("spread_low", "spread_high")):
        check_int(low, getattr(values, low), -12, 12)
        check_int(high, getattr(values, high), getattr(values, low) + 1, 13)
    check_range("sparse_fraction", values.sparse_fraction, 0.0, 1.0)
    check_range("sparse_probability", values.sparse_probability, 0.0, 1.0, low_open=True)
    return PopulationShape(
        *(type(default)(value) for default, value in zip(PopulationShape(), values, strict=True))
    )


def _log_uniform(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """``u`` in [0, 1) → ``10^k · LOG_GRID[j]``, the grid point with index ``floor(u·N)`` of the
    ``N = (high − low)·STEPS_PER_DECADE`` points from 10^low up."""
    index = np.floor(u * ((high - low) * STEPS_PER_DECADE)).astype(np.int64)
    decade = np.array([float(f"1e{k}") for k in range(low, high)])  # 10^k, correctly rounded
    return decade[index // STEPS_PER_DECADE] * np.array(LOG_GRID)[index % STEPS_PER_DECADE]


class PopulationParameters(NamedTuple):
    """Each parameter's drawn shape (arrays of length n_params)."""

    magnitude: np.ndarray
    """The root-mean-square of the parameter's gradient, √E[g²]."""
    spread: np.ndarray
    """γ = √Var[g] / |E[g]| of the parameter's gradient."""
    mean: np.ndarray
    """μ, the mean of an active step's gradient."""
    noise: np.ndarray
    """σ·√3, the half-width of an active step's uniform noise."""
    sparse: np.ndarray
    """Whether the parameter is sparse (bool)."""


def _draw_parameters(rng: np.random.Generator, n_params: int, shape: PopulationShape) -> PopulationParameters:
    u_magnitude, u_spread, u_sign, u_sparse = rng.uniform(0.0, 1.0, (4, n_params))
    s = _log_uniform(u_magnitude, shape.magnitude_low, shape.magnitude_high)
    gamma = _log_uniform(u_spread, shape.spread_low, shape.spread_high)
    root = np.sqrt(gamma * gamma + 1.0)
    mean = np.where(u_sign < 0.5, 1.0, -1.0) * (s / root)
    noise = (s * gamma / root) * SQRT3
    sparse = u_sparse < shape.sparse_fraction
    p = shape.sparse_probability
    # a sparse parameter's gradient is B·g with B ~ Bernoulli(p): mean p·μ, mean square p·s²
    magnitude = np.where(sparse, np.sqrt(p) * s, s)
    spread = np.where(sparse, np.sqrt(s * s / (p * (mean * mean)) - 1.0), gamma)
    return PopulationParameters(magnitude, spread, mean, noise, sparse)


def population_parameters(n_params: int, seed: int = 0, **shape: float) -> PopulationParameters:
    """The magnitudes, spreads and kinds of ``population(n_params, ..., seed, **shape)``'s parameters."""
    check_int("n_params", n_params, 1, N_PARAMS_MAX)
    return _draw_parameters(rng_for(seed), int(n_params), population_shape(**shape))


def population(n_params: int, iterations: int, seed: int = 0, **shape: float) -> np.ndarray:
    """Gradients of ``n_params`` parameters over ``iterations`` steps, float64 of shape
    ``(iterations, n_params)`` — see the module docstring for the distribution and
    :class:`PopulationShape` for the keyword arguments. Same arguments, same array.
    """
    check_int("n_params", n_params, 1, N_PARAMS_MAX)
    check_int("iterations", iterations, 1, ITERATIONS_MAX)
    shape_values = population_shape(**shape)
    rng = rng_for(seed)
    drawn = _draw_parameters(rng, int(n_params), shape_values)
    u = rng.uniform(0.0, 1.0, (int(iterations), int(n_params)))
    p = shape_values.sparse_probability
    active = ~drawn.sparse | (u < p)
    w = np.where(drawn.sparse, u / p, u) * 2.0 - 1.0
    return np.where(active, drawn.mean + drawn.noise * w, 0.0)


def population_shapes() -> dict[str, float]:
    """The shape parameters with their defaults (what the page receives)."""
    parameters = inspect.signature(PopulationShape).parameters.values()
    return {p.name: p.default for p in parameters}


PERCENTILES = (10, 50, 90)
"""The percentiles of r_t the diagnostic watches."""


def rt_percentiles(scale: np.ndarray) -> np.ndarray:
    """The p10, p50 and p90 over parameters of ``r_t = |scale_t|`` (the step in units of η), per
    step: shape (iterations, 3), equal to the bit to ``numpy.percentile(|scale|, (10, 50, 90),
    axis=1).T`` (its default, linear method).

    With n parameters, percentile q lies at the virtual index ``(n − 1)·q/100`` of the sorted row:
    between the order statistics ``k = ⌊·⌋`` and ``k + 1``, interpolated as NumPy does. Each row is
    sorted along its contiguous memory, a cache-sized block of rows at a time, on every core (NumPy
    lets go of the GIL while it sorts), as the bits of |x| taken for integers (for numbers ≥ 0 their
    order is the numbers' order): NumPy's integer sort took 9 ms a thousand rows of 1,000 where
    selecting just the six order statistics (``partition`` with six kth) took 18.
    """
    scale = np.asarray(scale, dtype=np.float64)
    if scale.ndim != 2 or scale.shape[1] == 0:
        raise ValueError(
            f"scale must have shape (iterations, n_params) with n_params >= 1; got {scale.shape}"
        )
    iterations, n = scale.shape
    out = np.empty((iterations, len(PERCENTILES)))
    rows = max(1, PERCENTILE_BLOCK_BYTES // (8 * n))
    blocks = [(start, min(iterations, start + rows)) for start in range(0, iterations, rows)]
    if len(blocks) == 1:
        _percentiles_of_rows(scale, out)
    else:
        workers = min(len(blocks), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda b: _percentiles_of_rows(scale[b[0] : b[1]], out[b[0] : b[1]]), blocks))
    return out


PERCENTILE_BLOCK_BYTES = 2**20
"""Rows of |scale| selected from at a time: about 1 MB, within a core's cache."""


def _percentiles_of_rows(scale: np.ndarray, out: np.ndarray) -> None:
    n = scale.shape[1]
    r = np.abs(scale)
    virtual = (n - 1) * np.true_divide(PERCENTILES, 100)
    below = np.floor(virtual)
    gamma = virtual - below
    low = below.astype(np.intp)
    high = np.minimum(low + 1, n - 1)
    # |x| as int64 orders as |x| does (and NaN, its sign cleared, after +inf): integers sort faster
    r.view(np.int64).sort(axis=1)
    a, b = r[:, low], r[:, high]
    # numpy's _lerp: a + (b − a)·γ, or b − (b − a)·(1 − γ) where γ ≥ ½
    with np.errstate(invalid="ignore"):  # inf − inf is NaN, as in numpy.percentile (which warns)
        difference = b - a
        np.add(a, difference * gamma, out=out)
        np.subtract(b, difference * (1 - gamma), out=out, where=gamma >= 0.5)
    out[np.isnan(r[:, -1])] = np.nan  # a row holding NaN (sorted last) has NaN percentiles


def update_rms_for_noise(beta1: float) -> float:
    """The limit of the RMS of Adam's scale m̂/√v̂ on pure noise: √((1 − β₁)/(1 + β₁)).

    m is an EMA of independent zero-mean gradients: its variance tends to (1−β₁)/(1+β₁)·E[g²],
    while v̂ tends to E[g²].
    """
    return float(np.sqrt((1.0 - beta1) / (1.0 + beta1)))
