"""torch.optim's other adaptive optimizers — RAdam, NAdam, Adamax, Adagrad and Adafactor — stepped as
torch steps them, one step at a time (vectorised over parameter columns), in float64.

With g the gradient (plus ``w·θ`` for a coupled weight decay), t the step, lr_t the step's learning
rate (:mod:`.schedules`) and ``b1^t`` through the C library's ``pow`` as torch's Python floats::

    radam    m = lerp(m, g, 1 − β₁) (torch's), v = β₂v + (1 − β₂)g², m̂ = m / (1 − β₁^t)
             ρ∞ = 2/(1 − β₂) − 1,  ρ_t = ρ∞ − 2t·β₂^t / (1 − β₂^t)
             ρ_t > 5:  direction = m̂ · √(1 − β₂^t)/(√v + ε) · r_t,
                       r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))   (the rectification)
             else:     direction = m̂                        (momentum SGD until v̂ can be trusted)
    nadam    μ_t = β₁(1 − ½·0.96^(tψ)),  Π_t = Π_{t−1}·μ_t (torch keeps Π in float32),
             m and v as radam, d = √(v / (1 − β₂^t)) + ε,
             direction = (1 − μ_t)/(1 − Π_t) · g/d + μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
    adamax   m as radam, u = max(β₂u, |g| + ε),  direction = m̂ / u
    adagrad  s = s + g²  (from initial_accumulator_value),  direction = g / (√s + ε),
             and lr_t divided by 1 + (t − 1)·lr_decay
    adafactor  (torch's defaults, each parameter its own one-element tensor — a card's parameter — so
             the RMS torch takes over the tensor is |·|) v = lerp(v, g², t^−0.8) (v₁ = g²),
             u = g / √max(v, ε₁²) (ε₁ = 2⁻⁵², float64's eps),  direction = u / max(1, |u|/d) (d = 1:
             the update clipped to ±1),  α_t = max(ε₂, |θ_{t−1}|)·min(lr_t, 1/√t) (ε₂ = 1e-3: a step
             relative to θ's own size), θ_t = θ_{t−1}·(1 − lr_t·w) − α_t·direction (decay decoupled).
             t^−0.8 and √t correctly rounded here and in the page; torch's C pow is within an ulp or
             two of them (tests/test_torch_golden.py bounds the difference)

Else θ_t = θ_{t−1} − lr_t · direction (radam and nadam with ``decoupled_weight_decay`` shrink θ by 1 − lr_t·w
first, as adamw). The Trajectory's ``scale`` is the direction (the step per unit learning rate),
``m_hat`` the bias-corrected first moment (adagrad: g), ``sqrt_v_hat`` what the direction divides by
without ε where it has one (radam, nadam: √v̂; adamax: u, ε included as torch includes it; adagrad:
√s; adafactor: √max(v, ε₁²)), ``v`` the second-moment state (v, u or s).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

ADAPTIVE = ("radam", "nadam", "adamax", "adagrad", "adafactor")
"""The optimizers stepped here."""

ADAFACTOR = {"beta2_decay": -0.8, "eps1": float(np.finfo(np.float64).eps), "eps2": 1e-3, "d": 1.0}
"""torch.optim.Adafactor's defaults for a float64 parameter: v's decay 1 − t^beta2_decay, the floor ε₁
under √v, the floor ε₂ under the step's relative size, the clipping threshold d of the update."""

_SPLITTER = 134217729.0  # 2**27 + 1


def _two_product(a: np.ndarray, b: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """a·b exactly, as (the product rounded, its rounding error) — Dekker's algorithm."""
    p = a * b
    c = _SPLITTER * a
    a_hi = c - (c - a)
    a_lo = a - a_hi
    c = _SPLITTER * b
    b_hi = c - (c - b)
    b_lo = b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _renormalised(p: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p + e as a double-double (hi, lo) with hi = p + e rounded and lo what that rounding dropped."""
    hi = p + e
    return hi, e - (hi - p)


def adafactor_decay(iterations: int) -> np.ndarray:
    """t^−0.8 for t = 1..iterations (Adafactor's 1 − β₂ₜ), correctly rounded (but within 2⁻⁴⁰ ulp of
    a tie): one Newton step on y⁵·t⁴ = 1 from any estimate within a few ulps, its residual formed in
    double-double. The page (engine/exact.js) does the same operations, so the two agree bit for bit
    whatever their ``pow``."""
    t = np.arange(1, iterations + 1, dtype=np.float64)
    y = np.power(t, -0.8)
    square = t * t  # exact: t ≤ 1e6
    hi, lo = _two_product(y, y)  # y²
    p, e = _two_product(hi, hi)  # y⁴ = (y²)²
    hi, lo = _renormalised(p, e + 2.0 * hi * lo)
    for factor in (y, square, square):  # y⁵, y⁵·t², y⁵·t⁴
        p, e = _two_product(hi, factor)
        hi, lo = _renormalised(p, e + lo * factor)
    residual = (hi - 1.0) + lo  # y⁵t⁴ − 1, |·| ≲ 1e-15
    return y - y * residual / 5.0


NADAM_MOMENTUM_DECAY = 0.004
"""ψ: torch's NAdam momentum_decay default."""

RADAM_THRESHOLD = 5.0
"""RAdam rectifies (adapts) only where ρ_t > 5, as torch does."""


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp``, as its CPU kernel forms it: ``start + w·(end − start)`` for |w| < ½, else
    ``end − (end − start)·(1 − w)`` — so that w = 1 gives ``end`` exactly (β₁ = 0: m is g)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


class AdaptiveStep:
    """One of the four optimizers' state for ``width`` parameters, stepped one step at a time:
    ``step(i, grad, theta)`` takes step t = i + 1 on gradients ``grad`` (coupled decay not yet added)
    at parameters ``theta`` and returns ``(m, v, m_hat, v_hat, sqrt_v_hat, direction, step, theta)``.
    adamviz.sim.simulate and descend step through it; assets/engine/adaptive.js repeats its arithmetic
    in the same order."""

    def __init__(
        self,
        optimizer: str,
        rates: np.ndarray,
        width: int,
        *,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        decoupled: bool = False,
        lr_decay: float = 0.0,
        initial_accumulator: float = 0.0,
    ) -> None:
        self.optimizer, self.rates = optimizer, rates
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay, self.decoupled, self.lr_decay = weight_decay, decoupled, lr_decay
        self.m = np.zeros(width)
        self.v = np.full(width, float(initial_accumulator)) if optimizer == "adagrad" else np.zeros(width)
        self.product = np.float32(1.0)  # NAdam's Π_t, a float32 tensor in torch
        self.rho_inf = 2.0 / (1.0 - beta2) - 1.0 if beta2 < 1.0 else math.inf
        self.decay = adafactor_decay(len(rates)) if optimizer == "adafactor" else None

    def step(self, i: int, grad: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        optimizer, beta1, beta2, eps = self.optimizer, self.beta1, self.beta2, self.eps
        t = float(i + 1)
        lr = float(self.rates[i])
        shrink = 1.0
        if optimizer == "adafactor":
            return self._adafactor(i, grad, theta)
        if self.weight_decay:
            if self.decoupled:
                shrink = 1.0 - lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * theta
        if optimizer == "adagrad":
            self.v = v = self.v + grad * grad
            root = np.sqrt(v)
            m, m_hat, sqrt_v_hat, v_hat = grad, grad, root, v
            direction = grad / (root + eps)
            lr = lr / (1.0 + (t - 1.0) * self.lr_decay)
        else:
            self.m = m = lerp(self.m, grad, 1.0 - beta1)
            m_hat = m / (1.0 - beta1**t)
            if optimizer == "adamax":
                self.v = v = np.maximum(beta2 * self.v, np.abs(grad) + eps)
                v_hat = sqrt_v_hat = v
                direction = m_hat / v
            else:
                self.v = v = beta2 * self.v + (1.0 - beta2) * (grad * grad)
                correction2 = 1.0 - beta2**t
                v_hat = v / correction2
                if optimizer == "radam":
                    sqrt_v_hat = np.sqrt(v) / math.sqrt(correction2)
                    rho = self.rho_inf - 2.0 * t * beta2**t / correction2
                    if rho > RADAM_THRESHOLD:
                        inf = self.rho_inf
                        rect = ((rho - 4) * (rho - 2) * inf / ((inf - 4) * (inf - 2) * rho)) ** 0.5
                        direction = m_hat * (correction2**0.5 / (np.sqrt(v) + eps)) * rect
                    else:
                        direction = m_hat
                else:  # nadam
                    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * NADAM_MOMENTUM_DECAY))
                    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * NADAM_MOMENTUM_DECAY))
                    self.product = np.float32(self.product * np.float32(mu))
                    product = float(self.product)
                    sqrt_v_hat = np.sqrt(v_hat)
                    d = sqrt_v_hat + eps
                    now = (1.0 - mu) / (1.0 - product)
                    ahead = mu_next / (1.0 - product * mu_next)
                    direction = now * (grad / d) + ahead * (m / d)
        new_theta = shrink * theta - lr * direction
        return m, v, m_hat, v_hat, sqrt_v_hat, direction, theta - new_theta, new_theta

    def _adafactor(self, i: int, grad: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """torch's _single_tensor_adafactor for one-element parameters, operation by operation."""
        t = float(i + 1)
        lr = float(self.rates[i])
        relative = min(lr, 1.0 / math.sqrt(t))  # ρ_t
        alpha = np.maximum(ADAFACTOR["eps2"], np.sqrt(theta * theta)) * relative  # ‖θ‖ of one element
        shrunk = theta * (1.0 - lr * self.weight_decay) if self.weight_decay else theta
        self.v = v = lerp(self.v, grad * grad, float(self.decay[i]))
        root = np.sqrt(np.maximum(v, ADAFACTOR["eps1"] * ADAFACTOR["eps1"]))
        update = (1.0 / root) * grad  # rsqrt, then × g
        denominator = np.maximum(1.0, np.sqrt(update * update) / ADAFACTOR["d"])
        new_theta = shrunk + (-alpha / denominator) * update
        return grad, v, grad, v, root, update / denominator, theta - new_theta, new_theta


def adaptive_settings(s: Any) -> dict[str, Any]:
    """:class:`AdaptiveStep`'s keywords from validated ``adamviz.sim.Settings``."""
    return {
        "beta1": s.beta1,
        "beta2": s.beta2,
        "eps": s.eps,
        "weight_decay": s.weight_decay,
        "decoupled": s.decoupled_weight_decay,
        "lr_decay": s.lr_decay,
        "initial_accumulator": s.initial_accumulator_value,
    }


def step_adaptive(
    g: np.ndarray,
    optimizer: str,
    rates: np.ndarray,
    *,
    theta0: float,
    **settings: Any,
) -> dict[str, np.ndarray]:
    """The Trajectory arrays (``m, v, m_hat, v_hat, sqrt_v_hat, scale, step, theta``) of ``optimizer``
    over ``g`` (iterations × columns); ``settings``: :class:`AdaptiveStep`'s keywords."""
    iterations, n = g.shape
    keys = ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    out = {k: np.empty((iterations, n)) for k in keys}
    state = AdaptiveStep(optimizer, rates, n, **settings)
    theta = np.full(n, float(theta0))
    for i in range(iterations):
        values = state.step(i, g[i], theta)
        theta = values[-1]
        for key, value in zip(keys, values, strict=True):
            out[key][i] = value
    return out
