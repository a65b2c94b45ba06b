"""The ground truth: a plain per-step loop written from Kingma & Ba (2015), Algorithm 1, and the
torch.optim documentation's pseudo-code — one scalar parameter, one Python float at a time.

The fast whole-array path in ``adamviz.sim`` is tested against this; it is deliberately naive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def reference_trajectory(
    gradients: list[float],
    *,
    optimizer: str = "adam",
    lr: float | Sequence[float] = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
    bias_correction: bool = True,
    theta0: float = 0.0,
) -> dict[str, list[float]]:
    """Return lists ``m_hat, sqrt_v_hat, scale, theta`` for one parameter (``lr``: one rate, or one
    per step under a schedule)."""
    theta, m, v, v_max, buf = theta0, 0.0, 0.0, 0.0, 0.0
    out: dict[str, list[float]] = {"m_hat": [], "sqrt_v_hat": [], "scale": [], "theta": []}
    rates = [lr] * len(gradients) if isinstance(lr, (int, float)) else list(lr)
    for t, g in enumerate(gradients, start=1):
        lr = rates[t - 1]
        if optimizer == "adamw":
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        if optimizer == "sgd":
            m_hat, sqrt_v_hat, scale = g, 0.0, g
        elif optimizer == "momentum":
            buf = momentum * buf + g
            m_hat, sqrt_v_hat, scale = buf, 0.0, buf
        elif optimizer == "rmsprop":
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, sqrt_v_hat = g, math.sqrt(v)
            scale = m_hat / (sqrt_v_hat + eps)
        else:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            v_max = max(v_max, v)
            c1 = 1 - beta1**t if bias_correction else 1.0
            c2 = 1 - beta2**t if bias_correction else 1.0
            m_hat = m / c1
            sqrt_v_hat = math.sqrt((v_max if optimizer == "amsgrad" else v) / c2)
            scale = m_hat / (sqrt_v_hat + eps)
        theta = theta - lr * scale
        for key, value in zip(out, (m_hat, sqrt_v_hat, scale, theta), strict=True):
            out[key].append(value)
    return out
