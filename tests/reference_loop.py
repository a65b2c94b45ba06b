"""The ground truth: a plain per-step loop written from Kingma & Ba (2015), Algorithm 1, and the
torch.optim documentation's pseudo-code — one scalar parameter, one Python float at a time.

The fast whole-array path in ``adamviz.sim`` is tested against this; it is deliberately naive.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence


def adafactor_reference(
    gradients: list[float], lr: float | Sequence[float], weight_decay: float, theta0: float
) -> dict[str, list[float]]:
    """torch.optim.Adafactor's documented algorithm for a one-element parameter (RMS(x) = |x|), its
    defaults: β̂₂ₜ = 1 − t^−0.8, ρ_t = min(lr, 1/√t), α_t = max(ε₂, |θ|)·ρ_t, θ shrunk by 1 − lr·λ,
    V_t = β̂₂ₜV + (1 − β̂₂ₜ)G², U = G/√max(V, ε₁²), Û = U/max(1, |U|/d), θ −= α_t·Û."""
    eps1, eps2, d = 2.0**-52, 1e-3, 1.0
    rates = [lr] * len(gradients) if isinstance(lr, (int, float)) else list(lr)
    theta, v = theta0, 0.0
    out: dict[str, list[float]] = {"m_hat": [], "sqrt_v_hat": [], "scale": [], "theta": []}
    for t, g in enumerate(gradients, start=1):
        rate = rates[t - 1]
        beta2_t = 1 - t**-0.8
        alpha = max(eps2, abs(theta)) * min(rate, 1 / math.sqrt(t))
        theta = theta * (1 - rate * weight_decay)
        v = beta2_t * v + (1 - beta2_t) * g * g
        root = math.sqrt(max(v, eps1 * eps1))
        update = g / root
        clipped = update / max(1.0, abs(update) / d)
        theta = theta - alpha * clipped
        for key, value in zip(out, (g, root, clipped, theta), strict=True):
            out[key].append(value)
    return out


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
    per step under a schedule); radam, nadam, adamax and adagrad as torch.optim's documentation writes
    them (:func:`adaptive_reference`)."""
    if optimizer in ("radam", "nadam", "adamax", "adagrad"):
        return adaptive_reference(gradients, optimizer, lr, beta1, beta2, eps, weight_decay, theta0)
    if optimizer == "adafactor":
        return adafactor_reference(gradients, lr, weight_decay, theta0)
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


def adaptive_reference(gradients, optimizer, lr, beta1, beta2, eps, weight_decay, theta0):
    """The four from torch.optim's documented algorithms (torch's defaults for the rest: no decoupled
    decay, lr_decay 0, accumulator 0, NAdam's ψ = 0.004, and its μ-product held in float32 as torch holds
    it: a float64 one would move NAdam's first steps by ~1e-8)."""
    theta, m, v, product = theta0, 0.0, 0.0, 1.0
    rates = [lr] * len(gradients) if isinstance(lr, (int, float)) else list(lr)
    rho_inf = 2 / (1 - beta2) - 1
    out: dict[str, list[float]] = {"m_hat": [], "sqrt_v_hat": [], "scale": [], "theta": []}
    for t, g in enumerate(gradients, start=1):
        g = g + weight_decay * theta
        if optimizer == "adagrad":
            v += g * g
            m_hat, sqrt_v_hat = g, math.sqrt(v)
            scale = g / (sqrt_v_hat + eps)
        else:
            m = beta1 * m + (1 - beta1) * g
            m_hat = m / (1 - beta1**t)
            if optimizer == "adamax":
                v = max(beta2 * v, abs(g) + eps)
                sqrt_v_hat, scale = v, m_hat / v
            else:
                v = beta2 * v + (1 - beta2) * g * g
                v_hat = v / (1 - beta2**t)
                sqrt_v_hat = math.sqrt(v_hat)
                if optimizer == "radam":
                    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
                    if rho > 5:
                        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                        scale = (
                            m_hat
                            * r
                            / (math.sqrt(v) / math.sqrt(1 - beta2**t) + eps / math.sqrt(1 - beta2**t))
                        )
                    else:
                        scale = m_hat
                else:
                    mu = beta1 * (1 - 0.5 * 0.96 ** (t * 0.004))
                    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
                    product = _float32(product * _float32(mu))  # exact in float64, then rounded
                    scale = ((1 - mu) * g / (1 - product) + mu_next * m / (1 - product * mu_next)) / (
                        sqrt_v_hat + eps
                    )
        theta = theta - rates[t - 1] * scale
        for key, value in zip(out, (m_hat, sqrt_v_hat, scale, theta), strict=True):
            out[key].append(value)
    return out


def _float32(x: float) -> float:
    """``x`` rounded to the nearest float32 (ties to even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]
