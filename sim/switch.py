"""Adam, then SGD: the main optimizer for the first ``switch_at`` steps, then SGD with momentum.

Practitioners sometimes train with Adam and finish with SGD with momentum, resetting the momentum
buffers at the switch. From step t = switch_at + 1 on, with μ the ``momentum`` setting, a fresh buffer
(b = 0 before the switch's first step, so b = g there, as torch's SGD starts it) and the coupled weight
decay SGD adds::

    b_t = μ·b_{t−1} + (g_t + w·θ_{t−1}),   θ_t = θ_{t−1} − lr′·f_t·b_t

where f_t is the schedule's factor (:mod:`.schedules`; 1 without one) and lr′ the SGD learning rate:
``switch_lr`` if given (> 0), else the rule that makes SGD's steps as large as Adam's were at the
switch — on gradients as large as the last ones, momentum's steps settle to lr′·f·|g|/(1 − μ), so

    lr′ = (1 − μ)·mean|step| / (mean|g| · f_{switch_at+1})

the means over the last ``SWITCH_WINDOW`` steps before the switch (fewer if there are fewer) and over
every parameter (one rate for all, as a practitioner sets it); η itself where those gradients were all
0 or the factor is 0. θ runs on continuously; the Trajectory's ``lr`` holds lr′·f_t after the switch,
and ``m`` = ``m_hat`` = ``scale`` the buffer there (v and √v̂ are 0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SWITCH_WINDOW = 50
"""Steps before the switch whose mean |step| the default SGD learning rate matches."""


def sgd_rate(
    steps: np.ndarray, g: np.ndarray, factor: float, given: float, lr: float, momentum: float
) -> float:
    """lr′: ``given`` if > 0, else the rule over the last :data:`SWITCH_WINDOW` of the main optimizer's
    ``steps`` and gradients ``g`` (every step up to the switch, any columns), ``factor`` the schedule's
    f at the switch's first step and ``lr`` the fallback."""
    if given > 0:
        return float(given)
    window = slice(max(0, len(steps) - SWITCH_WINDOW), len(steps))
    size = float(np.mean(np.abs(g[window])))
    if size == 0.0 or factor == 0.0:
        return float(lr)
    return (1.0 - momentum) * float(np.mean(np.abs(steps[window]))) / (size * factor)


def sgd_steps(
    gradient: Callable[[int, np.ndarray], np.ndarray],
    rates: np.ndarray,
    theta: np.ndarray,
    momentum: float,
    weight_decay: float,
) -> dict[str, np.ndarray]:
    """SGD with momentum from ``theta`` (one value per column) at ``rates``, step i's gradient
    ``gradient(i, θ_{i−1})`` (a stream's row, or a closed loop's slope at θ): the Trajectory's arrays
    after the switch (``g`` too), in the engine's order — a running sum of steps without decay, θ
    stepped in turn with it."""
    steps, n = len(rates), len(theta)
    keys = ("g", "m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    out = {k: np.zeros((steps, n)) for k in keys}
    start, moved, buffer = theta.copy(), np.zeros(n), np.zeros(n)
    for i in range(steps):
        g = gradient(i, theta)
        grad = g + weight_decay * theta if weight_decay else g
        buffer = momentum * buffer + grad
        step = rates[i] * buffer
        if weight_decay:
            theta = theta - step
        else:
            moved = moved + step
            theta = start - moved
        for key, value in (
            ("g", g),
            ("m", buffer),
            ("m_hat", buffer),
            ("scale", buffer),
            ("step", step),
            ("theta", theta),
        ):
            out[key][i] = value
    return out
