"""Rounding-error bounds that the numeric tests take their tolerances from.

Two float64 evaluations of one formula in different orders (torch's loop, adamviz's whole-array
scan, the plain reference loop) each differ from exact arithmetic by a bounded amount, so they differ
from each other by at most the sum. ``U = 2**-53`` is float64's unit roundoff: one correctly rounded
operation (+, −, ×, ÷, √) is off by at most ``U`` relative.

**A moving average** ``a_t = d·a_{t−1} + w·x_t`` is ``Σ_k d^(t−k)·w·x_k``. However it is evaluated,
each term passes through a bounded number of roundings: a loop multiplies the term by ``d`` once per
later step (≤ 2t + 2 roundings at step t); the scan of :mod:`adamviz.sim.recurrence` adds one multiply and one
add per pass (2⌈log₂T⌉ + 2) and uses coefficients ``d^(2^k)`` built by squaring (≤ t roundings for
the terms of ``a_t``). So each evaluation is within ``(2t + 2⌈log₂T⌉ + 4)·U`` of the exact sum, *relative to the same
average of |x|* (``Σ_k d^(t−k)·w·|x_k|``) — not to ``|a_t|``, which may cancel to zero.

**Bias correction** ``1 − β^t``: where ``β^t ≥ ½`` every side calls the C library's ``pow`` (torch
and the reference loop through Python's ``**``, adamviz through ``math.pow``) and the results are
bit-equal (against exact arithmetic, or another library's ``pow``, see ``power_ulps``); after that adamviz builds the power by doubling (≤ ⌈log₂T⌉ + 1 ulp) and ``1 − β^t ≥ ½``,
so the two differ by at most ``(2⌈log₂T⌉ + 4)·U`` relative.

:func:`trajectory_bounds` propagates these to first order through every optimizer's step, the
running sum θ and, with coupled weight decay, the feedback of an error in θ into the next gradient.
"""

from __future__ import annotations

import math

import numpy as np

from adamviz.sim import Settings
from adamviz.sim.recurrence import NEGLIGIBLE_DECAY

U = 2.0**-53
"""Unit roundoff of float64."""


def moving_average_rtol(t: int, iterations: int) -> float:
    """How far two evaluations of a moving average may differ at step t of T, relative to the average of |x|."""
    passes = math.ceil(math.log2(iterations)) if iterations > 1 else 0
    return 2 * (2 * t + 2 * passes + 4) * U


def correction_rtol(iterations: int) -> float:
    """How far two evaluations of ``1 − β^t`` (t ≤ T) may differ, relative (see the module docstring)."""
    passes = math.ceil(math.log2(iterations)) if iterations > 1 else 0
    return (2 * passes + 4) * U


def trajectory_bounds(
    g: np.ndarray,
    theta: np.ndarray,
    *,
    power_ulps: float = 0.0,
    **settings: object,
) -> dict[str, np.ndarray]:
    """Absolute bounds on how far two evaluations of ``simulate(g, ...)`` may differ, per element.

    ``theta`` is either evaluation's θ (its magnitudes enter the bounds). ``power_ulps``: how many
    ulps the two sides' ``β^t`` may differ by where both call a ``pow`` — 0 when both use the C
    library's (torch, the reference loop, adamviz), 1 against exact arithmetic (``pow`` is within an
    ulp), 2 between two different libraries' ``pow`` (the browser's and the C library's); an ulp of
    ``β^t`` is at most ``2U·β^t``, so ``1 − β^t`` moves by ``2U·β^t/(1 − β^t)`` relative per ulp. Returns arrays shaped like
    ``g`` for ``m, v, m_hat, sqrt_v_hat, scale, step, theta``. First order in U: products of two
    error terms (≈ U², 1e-32 relative) are left out. ``settings`` are ``simulate``'s keywords, with its
    defaults (``adamviz.sim.Settings``).
    """
    s = Settings(**settings)
    optimizer, lr, beta1, beta2, eps = s.optimizer, s.lr, s.beta1, s.beta2, s.eps
    weight_decay, momentum, bias_correction, theta0 = s.weight_decay, s.momentum, s.bias_correction, s.theta0
    g = np.asarray(g, dtype=np.float64).reshape(len(g), -1)
    theta = np.asarray(theta, dtype=np.float64).reshape(g.shape)
    iterations = g.shape[0]
    cc = correction_rtol(iterations)
    adam_family = optimizer in ("adam", "amsgrad", "adamw")
    corrected = adam_family and bias_correction
    coupled = weight_decay if optimizer != "adamw" else 0.0
    theta_decay = 1.0 - lr * weight_decay if optimizer == "adamw" else 1.0

    out = {key: np.zeros_like(g) for key in ("m", "v", "m_hat", "sqrt_v_hat", "scale", "step", "theta")}
    zeros = np.zeros(g.shape[1])
    # The scan stops once decay**s < 2**-64 (NEGLIGIBLE_DECAY): what it drops is below that share of
    # the largest gradient (or its square) in the column.
    largest = np.max(np.abs(g), axis=0) + abs(coupled) * (np.max(np.abs(theta), axis=0) + abs(theta0))
    dropped_m, dropped_v = NEGLIGIBLE_DECAY * largest, NEGLIGIBLE_DECAY * largest**2
    m = v = v_max = zeros
    avg_abs = propagated_m = propagated_v = v_bound_max = zeros
    theta_scale = np.full(g.shape[1], abs(theta0))  # the average of |terms| θ is a sum of
    theta_error = propagated_theta = zeros
    previous = np.full(g.shape[1], float(theta0))
    for i in range(iterations):
        t = i + 1
        ma = moving_average_rtol(t, iterations)
        grad = g[i] + coupled * previous
        grad_error = coupled * theta_error + U * abs(grad)  # the coupled add rounds once
        if optimizer in ("sgd", "rmsprop"):
            m, m_error = grad, grad_error
        elif optimizer == "momentum":
            m = momentum * m + grad
            avg_abs = momentum * avg_abs + abs(grad)
            propagated_m = momentum * propagated_m + grad_error
            m_error = ma * avg_abs + propagated_m + dropped_m
        else:
            m = beta1 * m + (1 - beta1) * grad
            avg_abs = beta1 * avg_abs + (1 - beta1) * abs(grad)
            propagated_m = beta1 * propagated_m + (1 - beta1) * grad_error
            m_error = ma * avg_abs + propagated_m + dropped_m
        if optimizer in ("sgd", "momentum"):
            v_error = zeros
            m_hat, m_hat_error = m, m_error
            sqrt_v_hat = sqrt_v_hat_error = zeros
            scale, scale_error = m, m_error
        else:
            v = beta2 * v + (1 - beta2) * grad * grad
            propagated_v = beta2 * propagated_v + (1 - beta2) * 2 * abs(grad) * grad_error
            v_error = ma * v + propagated_v + dropped_v
            v_max, v_bound_max = np.maximum(v_max, v), np.maximum(v_bound_max, v_error)
            v_used, v_used_error = (v_max, v_bound_max) if optimizer == "amsgrad" else (v, v_error)
            bc1 = 1 - beta1**t if corrected else 1.0
            bc2 = 1 - beta2**t if corrected else 1.0
            c = cc + power_ulps * 2 * U * max(beta1**t / bc1, beta2**t / bc2) if corrected else 0.0
            m_hat = m / bc1
            m_hat_error = (m_error + c * abs(m)) / bc1 + U * abs(m_hat)
            sqrt_v_hat = np.sqrt(v_used / bc2)
            # sqrt(a + b) - sqrt(a) = b / (sqrt(a + b) + sqrt(a)) <= min(b / (2 sqrt(a)), sqrt(b))
            root = np.sqrt(v_used)
            with np.errstate(divide="ignore", invalid="ignore"):
                root_error = np.where(root > 0, v_used_error / (2 * root), np.inf)
            root_error = np.minimum(root_error, np.sqrt(v_used_error))
            sqrt_v_hat_error = sqrt_v_hat * (c / 2 + 3 * U) + root_error / np.sqrt(bc2)
            scale = m_hat / (sqrt_v_hat + eps)
            scale_error = (m_hat_error + abs(scale) * sqrt_v_hat_error) / (sqrt_v_hat + eps) + 3 * U * abs(
                scale
            )
        # θ_t = d·θ_{t−1} − lr·scale_t: rounding of the running sum, plus what flows in from the scale
        theta_scale = theta_decay * theta_scale + lr * abs(scale)
        propagated_theta = theta_decay * propagated_theta + lr * scale_error + 4 * U * lr * abs(scale)
        new_theta_error = ma * theta_scale + propagated_theta
        out["step"][i] = theta_error + new_theta_error  # step = θ_{t−1} − θ_t
        theta_error = new_theta_error
        previous = theta[i]
        for key, value in (
            ("m", m_error),
            ("v", v_error),
            ("m_hat", m_hat_error),
            ("sqrt_v_hat", sqrt_v_hat_error),
            ("scale", scale_error),
            ("theta", theta_error),
        ):
            out[key][i] = value
    return out


def assert_within(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray, what: str = "") -> None:
    """Elementwise ``|actual − expected| <= bound`` (or bit-equal, where a bound overflowed to
    inf or NaN on a diverging run), naming the worst element when it fails."""
    actual = np.asarray(actual, dtype=float).reshape(np.shape(bound))
    expected = np.asarray(expected, dtype=float).reshape(np.shape(bound))
    with np.errstate(invalid="ignore"):
        error = np.abs(actual - expected)
        ok = (error <= bound) | (actual == expected)
    worst = np.unravel_index(np.argmax(np.where(ok, -np.inf, error)), error.shape)
    assert np.all(ok), (
        f"{what}: |{actual[worst]!r} - {expected[worst]!r}| = {error[worst]:.3g} > bound {bound[worst]:.3g} at {worst}"
    )
