"""Optimizers stepped in the parameter's own floating-point format, rounding where torch rounds.

torch keeps an optimizer's state in the parameter's dtype, and on the CPU every elementwise operation
on a float16 or bfloat16 tensor reads its operands into float32, computes there, and rounds the result
once to the tensor's format (float32 tensors: computed and rounded in float32). So one torch operation
is one rounding ``r(f(exact))`` here (:class:`TorchOps`), with ``f`` rounding to float32 and ``r`` to
the format; a Python scalar such as ``1 - beta1`` enters as float32, ``f(1 - beta1)``. Two exceptions,
both torch's scalar loop, which steps a one-element tensor — a card's parameter: in the half formats
``a.add(b, alpha=α)`` is ``r(a + r(r(α)·b))`` and ``rsqrt`` is ``r(1/r(√a))``, two roundings in the
format each (over a long tensor the vectorised loop rounds once less). Adam, as torch 2.13's
single-tensor CPU code calls its operations, with the fused multiply-adds its kernels use::

    grad   = g + w·θ                  grad.add(param, alpha=w)              coupled decay (not adamw)
    θ      = θ · f(1 − lr_t·w)        param.mul_(1 - lr*w)                  adamw
    m      = m + f(1−β₁)·(grad − m)   exp_avg.lerp_(grad, 1 - beta1)        one fma (β₁ > 0.5)
    v      = v · f(β₂)                exp_avg_sq.mul_(beta2)
    v      = v + f(f(1−β₂)·grad)·grad   .addcmul_(grad, grad, value=1 - beta2)   one fma
    s      = √v,  s / f(√(1−β₂ᵗ)),  s + f(ε)   three roundings: the denominator torch divides by
    θ      = θ + f(f(−lr_t/(1−β₁ᵗ))·m) / d   param.addcdiv_(exp_avg, denom, value=-step_size)

and every other optimizer likewise (:data:`STEPS`, each function's docstring). Every step is exact here
up to float32 and the format's round-to-nearest-even, so in bfloat16 and float16 this equals torch bit
for bit (tests/data/precision_golden.npz). In float32 it can differ from torch by torch's square root,
which on the CPU is within one unit in the last place but not always the nearest float32
(tests/error_bounds.py derives the bound from that).

What the cards show: ``m_hat = m/(1−β₁ᵗ)`` and ``v_hat`` in float64 from the stored state,
``sqrt_v_hat`` the rounded root the denominator adds ε to, ``scale`` the direction formed in float64
from the stored values (Adam: m̂/d with d the rounded denominator — ±inf or NaN where d rounds to 0:
in float16 ε = 1e-8 itself is 0), and ``step = θ_{t−1} − θ_t`` of the stored θ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .adaptive import ADAFACTOR, adafactor_decay

PRECISIONS: dict[str, str] = {
    "float64": "every value a double (torch.float64): the reference the other formats are measured by",
    "float32": "torch.float32: 24 significant bits, largest 3.4e38",
    "bfloat16": "torch.bfloat16: float32's range with 8 significant bits (largest 3.4e38)",
    "float16": "torch.float16: 11 significant bits, largest 65504, smallest subnormal 2⁻²⁴ ≈ 6e-8",
}
"""The formats a parameter, its gradient and its optimizer state can be held in."""


def to_float32(x: np.ndarray | float) -> np.ndarray:
    """Each value rounded to the nearest float32 (ties to even; past its range ±inf), as float64."""
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def to_bfloat16(x: np.ndarray | float) -> np.ndarray:
    """Rounded to float32, then to bfloat16 (its top 16 bits, ties to even) as torch's c10::BFloat16 does.

    NaN stays NaN; ±inf and values past bfloat16's largest finite number become ±inf.
    """
    single = to_float32(x).astype(np.float32)
    bits = single.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(single), np.float64("nan"), rounded.astype(np.float64))


def to_float16(x: np.ndarray | float) -> np.ndarray:
    """Rounded to float32, then to IEEE half (ties to even, subnormals kept, past 65504 → ±inf)."""
    with np.errstate(over="ignore"):
        return to_float32(x).astype(np.float16).astype(np.float64)


ROUNDING: dict[str, Callable[[np.ndarray | float], np.ndarray]] = {
    "float32": to_float32,
    "bfloat16": to_bfloat16,
    "float16": to_float16,
}
"""How a float64 value becomes each emulated format's nearest value (float64 needs none)."""


def precision_refusal(precision: str, switch_at: int, iterations: int) -> str | None:
    """Why a run cannot be held in ``precision`` (None if it can): every optimizer steps in every format,
    but the switch to SGD is float64's alone. The page's settings.js words it the same."""
    if precision != "float64" and 0 < switch_at < iterations:
        return f"precision {precision} does not switch optimizers; set switch_at to 0"
    return None


def check_precision(precision: str, optimizer: str, switch_at: int, iterations: int) -> None:
    """A ValueError unless ``precision`` is known and, if not float64, ``optimizer`` can step in it."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    refusal = precision_refusal(precision, switch_at, iterations)
    if refusal:
        raise ValueError(refusal)


class TorchOps:
    """torch's CPU elementwise operations on tensors held in one format: each computed in float32 from
    the format's values (float64 here, where every float32 product of two such values is exact) and
    rounded once to the format — ``r(f(·))``. Scalars enter as float32 (``f``), but an ``add``'s α in
    the half formats, which torch's scalar loop rounds to the format and multiplies there first."""

    def __init__(self, precision: str) -> None:
        self.r = ROUNDING[precision]
        self.half = precision != "float32"

    def add(self, a: np.ndarray, alpha: float, b: np.ndarray) -> np.ndarray:
        """``a.add(b, alpha=α)``: one fma in float32; α·b rounded first in the half formats."""
        r = self.r
        return to_float32(a + to_float32(alpha) * b) if not self.half else r(a + r(r(alpha) * b))

    def mul(self, a: np.ndarray, scalar: float) -> np.ndarray:
        return self.r(a * to_float32(scalar))

    def div(self, a: np.ndarray, scalar: float) -> np.ndarray:
        return self.r(a / to_float32(scalar))

    def add_scalar(self, a: np.ndarray, scalar: float) -> np.ndarray:
        return self.r(a + to_float32(scalar))

    def times(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a * b`` of two tensors (their product exact in float64)."""
        return self.r(a * b)

    def lerp(self, start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
        """``start.lerp_(end, w)``: one fma, ``start + w·(end − start)`` for w < ½, else
        ``end + (w − 1)·(end − start)``."""
        w = float(to_float32(weight))
        difference = to_float32(end - start)
        return self.r(start + w * difference) if abs(w) < 0.5 else self.r(end + (w - 1.0) * difference)

    def addcmul(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, value: float) -> np.ndarray:
        """``a.addcmul_(b, c, value=v)``: v·b rounded to float32, then one fma with c."""
        return self.r(a + to_float32(to_float32(value) * b) * c)

    def addcdiv(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, value: float = 1.0) -> np.ndarray:
        """``a.addcdiv_(b, c, value=v)``: (v·b)/c in float32, then added."""
        return self.r(a + to_float32(to_float32(to_float32(value) * b) / c))

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return self.r(np.sqrt(a))

    def reciprocal(self, a: np.ndarray) -> np.ndarray:
        return self.r(1.0 / a)

    def rsqrt(self, a: np.ndarray) -> np.ndarray:
        """``rsqrt``: 1/√a with the root rounded to the format first (two roundings, as torch's scalar
        loop computes it on c10's half types)."""
        return self.r(1.0 / self.r(np.sqrt(a)))


FORMAT_EPS = {"float32": 2.0**-23, "bfloat16": 2.0**-7, "float16": 2.0**-10}
"""``torch.finfo(dtype).eps``: Adafactor's ε₁ is the parameter's format's."""


def step_in_precision(
    columns: np.ndarray, precision: str, s: Any, rates: np.ndarray
) -> dict[str, np.ndarray]:
    """``s.optimizer`` over ``columns`` (iterations × parameters) held in ``precision``, as torch steps it;
    ``s``: validated ``adamviz.sim.Settings`` (its optimizer, betas, ε, decays, momentum, θ₀ …), ``rates``
    each step's lr_t.

    Returns m, v, m_hat, v_hat, sqrt_v_hat, scale, step and theta per step, each (iterations, n).
    """
    optimizer, weight_decay = s.optimizer, s.weight_decay
    ops = TorchOps(precision)
    r = ops.r
    names = ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    out = {name: np.empty_like(columns) for name in names}
    gradients = r(columns)
    theta = r(np.full(columns.shape[1], s.theta0))
    zeros = np.zeros_like(theta)
    state = {
        "m": zeros,
        "v": r(np.full_like(theta, s.initial_accumulator_value)) if optimizer == "adagrad" else zeros,
    }
    state["v_max"], state["product"] = zeros, np.float32(1.0)
    decayed = optimizer in ("adamw", "adafactor") or (
        s.decoupled_weight_decay and optimizer in ("radam", "nadam")
    )
    coupled = weight_decay > 0 and not decayed
    settings = {
        "beta1": s.beta1,
        "beta2": s.beta2,
        "eps": s.eps,
        "momentum": s.momentum,
        "bias_correction": s.bias_correction,
        "lr_decay": s.lr_decay,
        "iterations": len(rates),
        "precision": precision,
    }
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i, g in enumerate(gradients):
            lr = float(rates[i])
            previous = theta
            grad = ops.add(g, weight_decay, theta) if coupled else g
            if optimizer == "adafactor":  # its relative step reads θ before the decay
                values, theta = _adafactor_step(ops, i, lr, grad, theta, weight_decay, state, settings)
            else:
                if decayed and weight_decay > 0:
                    theta = ops.mul(theta, 1.0 - lr * weight_decay)
                values, theta = STEPS[optimizer](ops, i, lr, grad, theta, state, settings)
            for name, value in zip(names, (*values, previous - theta, theta), strict=True):
                out[name][i] = value
    return out


def _heavy_ball_step(ops, i, lr, grad, theta, state, s, optimizer):
    """sgd: θ += r(−lr)·grad; momentum: b = b·μ + grad (b₁ = grad), θ += r(−lr)·b."""
    m = grad if optimizer == "sgd" or i == 0 else ops.r(ops.mul(state["m"], s["momentum"]) + grad)
    state["m"] = m
    zeros = np.zeros_like(m)
    return (m, zeros, m, zeros, zeros, m), ops.add(theta, -lr, m)


def _adam_like_step(ops, i, lr, grad, theta, state, s, optimizer):
    """rmsprop, adam, amsgrad and adamw: θ += (−lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)."""
    t = i + 1
    corrected = s["bias_correction"] and optimizer != "rmsprop"
    m = grad if optimizer == "rmsprop" else ops.lerp(state["m"], grad, 1.0 - s["beta1"])
    v = ops.addcmul(ops.mul(state["v"], s["beta2"]), grad, grad, 1.0 - s["beta2"])
    v_max = np.maximum(state["v_max"], v)
    state.update(m=m, v=v, v_max=v_max)
    used = v_max if optimizer == "amsgrad" else v
    bc1 = 1.0 - s["beta1"] ** t if corrected else 1.0
    bc2 = 1.0 - s["beta2"] ** t if corrected else 1.0
    root = ops.sqrt(used)
    sqrt_v_hat = ops.div(root, bc2**0.5) if corrected else root
    denominator = ops.add_scalar(sqrt_v_hat, s["eps"])
    theta = ops.addcdiv(theta, m, denominator, -lr / bc1)
    m_hat = m / bc1
    return (m, v, m_hat, used / bc2, sqrt_v_hat, m_hat / denominator), theta


def _radam_step(ops, i, lr, grad, theta, state, s):
    """m̂ = m/(1−β₁ᵗ); past ρ_t > 5: m̂·lr·(√(1−β₂ᵗ)·(1/(√v + ε)))·r_t, else m̂·lr; θ −= it."""
    t = i + 1
    beta1, beta2 = s["beta1"], s["beta2"]
    m = state["m"] = ops.lerp(state["m"], grad, 1.0 - beta1)
    v = state["v"] = ops.addcmul(ops.mul(state["v"], beta2), grad, grad, 1.0 - beta2)
    bc1, bc2 = 1.0 - beta1**t, 1.0 - beta2**t
    m_hat = ops.div(m, bc1)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho = rho_inf - 2.0 * t * beta2**t / bc2
    sqrt_v_hat = np.sqrt(v) / math.sqrt(bc2)
    if rho > 5.0:
        rect = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
        adaptive = ops.mul(ops.reciprocal(ops.add_scalar(ops.sqrt(v), s["eps"])), bc2**0.5)
        step = ops.mul(ops.times(ops.mul(m_hat, lr), adaptive), rect)
        direction = m_hat * adaptive * rect
    else:
        step = ops.mul(m_hat, lr)
        direction = m_hat
    return (m, v, m_hat, v / bc2, sqrt_v_hat, direction), ops.add(theta, -1.0, step)


def _nadam_step(ops, i, lr, grad, theta, state, s):
    """μ_t, Π_t (float32) as in float64; d = √(v/(1−β₂ᵗ)) + ε; θ += c₁·g/d, then c₂·m/d."""
    t = float(i + 1)
    beta1, beta2 = s["beta1"], s["beta2"]
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * 0.004))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * 0.004))
    state["product"] = np.float32(state["product"] * np.float32(mu))
    product = float(state["product"])
    m = state["m"] = ops.lerp(state["m"], grad, 1.0 - beta1)
    v = state["v"] = ops.addcmul(ops.mul(state["v"], beta2), grad, grad, 1.0 - beta2)
    bc2 = 1.0 - beta2**t
    sqrt_v_hat = ops.sqrt(ops.div(v, bc2))
    d = ops.add_scalar(sqrt_v_hat, s["eps"])
    now, ahead = (1.0 - mu) / (1.0 - product), mu_next / (1.0 - product * mu_next)
    theta = ops.addcdiv(theta, grad, d, -lr * (1.0 - mu) / (1.0 - product))
    theta = ops.addcdiv(theta, m, d, (-lr * mu_next) / (1.0 - product * mu_next))
    direction = now * (grad / d) + ahead * (m / d)
    return (m, v, m / (1.0 - beta1**t), v / bc2, sqrt_v_hat, direction), theta


def _adamax_step(ops, i, lr, grad, theta, state, s):
    """u = max(u·β₂, |g| + ε); θ += (−lr/(1−β₁ᵗ))·m/u."""
    t = i + 1
    m = state["m"] = ops.lerp(state["m"], grad, 1.0 - s["beta1"])
    u = state["v"] = np.maximum(ops.mul(state["v"], s["beta2"]), ops.add_scalar(np.abs(grad), s["eps"]))
    bc1 = 1.0 - s["beta1"] ** t
    m_hat = m / bc1
    return (m, u, m_hat, u, u, m_hat / u), ops.addcdiv(theta, m, u, -(lr / bc1))


def _adagrad_step(ops, i, lr, grad, theta, state, s):
    """s = s + g·g; θ += (−lr_t/(1 + (t−1)·lr_decay))·g/(√s + ε)."""
    total = state["v"] = ops.addcmul(state["v"], grad, grad, 1.0)
    root = ops.sqrt(total)
    std = ops.add_scalar(root, s["eps"])
    clr = lr / (1 + i * s["lr_decay"])
    return (grad, total, grad, total, root, grad / std), ops.addcdiv(theta, grad, std, -clr)


def _adafactor_step(ops, i, lr, grad, theta, weight_decay, state, s):
    """v = lerp(v, g·g, t^−0.8); u = rsqrt(max(v, ε₁²))·g (ε₁ the format's eps); α = max(ε₂, |θ|)·ρ_t;
    θ shrunk by 1 − lr·w, then θ += (−α/max(1, |u|/d))·u."""
    if "decay" not in state:
        state["decay"] = adafactor_decay(s["iterations"])
    t = i + 1
    relative = min(lr, 1.0 / math.sqrt(t))
    alpha = np.maximum(ADAFACTOR["eps2"], np.abs(theta)) * relative
    if weight_decay:
        theta = ops.mul(theta, 1.0 - lr * weight_decay)
    v = state["v"] = ops.lerp(state["v"], ops.times(grad, grad), float(state["decay"][i]))
    floor = FORMAT_EPS[s["precision"]] ** 2
    clamped = ops.r(np.maximum(v, to_float32(floor)))
    update = ops.times(ops.rsqrt(clamped), grad)
    denominator = np.maximum(1.0, np.abs(update) / ADAFACTOR["d"])
    theta = ops.add(theta, -alpha / denominator, update)  # (α per parameter: each its own tensor)
    return (grad, v, grad, v, np.sqrt(clamped), update / denominator), theta


STEPS = {
    "sgd": lambda *a: _heavy_ball_step(*a, "sgd"),
    "momentum": lambda *a: _heavy_ball_step(*a, "momentum"),
    "rmsprop": lambda *a: _adam_like_step(*a, "rmsprop"),
    "adam": lambda *a: _adam_like_step(*a, "adam"),
    "amsgrad": lambda *a: _adam_like_step(*a, "amsgrad"),
    "adamw": lambda *a: _adam_like_step(*a, "adamw"),
    "radam": _radam_step,
    "nadam": _nadam_step,
    "adamax": _adamax_step,
    "adagrad": _adagrad_step,
}
"""Each optimizer's step in a format: ``(ops, i, lr, grad, theta, state, settings)`` →
``((m, v, m_hat, v_hat, sqrt_v_hat, scale), new θ)``, torch's operations in torch's order."""
