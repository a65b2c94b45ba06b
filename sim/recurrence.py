"""Vectorised first-order linear recurrences — the moving averages at the heart of every optimizer.

Arrays here are laid out ``(n_params, iterations)``: time runs along the last, contiguous axis.
"""

from __future__ import annotations

import math
from itertools import repeat

import numpy as np

NEGLIGIBLE_DECAY = 2.0**-64
"""A scan stops once ``decay**s`` is below this: the terms it drops then move no element by more
than 2**-64 (5e-20) of the largest value in its row — far below float64 rounding."""


def linear_recurrence(decay: float, drive: np.ndarray, start: float | np.ndarray = 0.0) -> np.ndarray:
    """Solve ``x_t = decay * x_{t-1} + drive_t`` for t = 1..T along the last axis, with ``x_0 = start``.

    Returns ``x_1..x_T`` (a new array shaped like ``drive``). The closed form is
    ``x_t = decay**t * start + sum_{k=1..t} decay**(t-k) * drive_k``; it is evaluated with a
    Hillis–Steele scan: after the pass with shift ``s`` every ``x_t`` holds the sum over its last
    ``2s`` terms, so ``ceil(log2 T)`` whole-array passes replace ``T`` Python-level steps. What the
    remaining passes would add is ``decay**(2s) * x_{t-2s}``, so the scan stops once
    ``|decay**(2s)| < NEGLIGIBLE_DECAY``.
    """
    x = np.array(drive, dtype=np.float64, copy=True)
    if x.shape[-1]:
        x[..., 0] += decay * np.asarray(start, dtype=np.float64)
    return _scan_in_place(x, float(decay))


def _scan_in_place(x: np.ndarray, decay: float) -> np.ndarray:
    length = x.shape[-1]
    scratch = np.empty_like(x)
    shift, coefficient = 1, decay
    while shift < length and abs(coefficient) >= NEGLIGIBLE_DECAY:
        older = scratch[..., : length - shift]
        np.multiply(x[..., : length - shift], coefficient, out=older)
        x[..., shift:] += older
        coefficient *= coefficient
        shift *= 2
    return x


def exponential_moving_average(values: np.ndarray, beta: float, *, overwrite: bool = False) -> np.ndarray:
    """``a_t = beta * a_{t-1} + (1 - beta) * values_t`` from ``a_0 = 0`` (Adam's m and v).

    With ``overwrite=True`` the result is computed in ``values`` itself (a float64 array the caller
    no longer needs), saving an allocation.
    """
    if overwrite:
        drive = np.multiply(values, 1.0 - beta, out=values)
    else:
        drive = (1.0 - beta) * np.asarray(values, dtype=np.float64)
    return _scan_in_place(drive, float(beta))


NEGLIGIBLE_POWER = 2.0**-54
"""Below this, ``1 - beta**t`` rounds to exactly 1.0 (round-half-to-even)."""


def bias_correction(beta: float, iterations: int) -> np.ndarray:
    """``1 - beta**t`` for t = 1..iterations, as torch.optim computes it where it matters.

    torch evaluates ``1 - beta ** step`` on Python floats, that is with the C library's ``pow``;
    so does this function, through :func:`math.pow`, for every step where ``beta**t >= 1/2`` — the
    steps where ``1 - beta**t`` is small and any error in ``beta**t`` is magnified. There the result
    is torch's to the bit on every CPU. (``numpy.power`` is not used: on CPUs with AVX-512 NumPy
    dispatches it to SIMD kernels of its own that differ from ``pow`` in the last bit for a few
    percent of the powers.) Later powers are built by doubling, ``beta**(K+j) = beta**K * beta**j``,
    with correctly rounded multiplications only: each doubling adds one rounding, so ``beta**t`` is
    within ``ceil(log2(T/K)) + 1`` ulp of the exact power and ``1 - beta**t`` (now >= 1/2) within
    that many units of 2**-53 relative of torch's. Once ``beta**t < 2**-54`` the result is exactly 1.0.
    """
    power = np.zeros(iterations)
    if beta > 0.0:
        exact = min(iterations, max(1, math.ceil(math.log(0.5) / math.log(beta))))
        power[:exact] = np.fromiter(map(math.pow, repeat(float(beta)), range(1, exact + 1)), float, exact)
        done = exact
        while done < iterations and power[done - 1] >= NEGLIGIBLE_POWER:
            block = min(done, iterations - done)
            np.multiply(power[done - 1], power[:block], out=power[done : done + block])
            done += block
    return np.subtract(1.0, power, out=power)
