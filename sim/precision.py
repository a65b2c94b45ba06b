"""Optimizers stepped in the parameter's own floating-point format, rounding where torch rounds.

torch keeps an optimizer's state in the parameter's dtype, and on the CPU every elementwise operation
on a float16 or bfloat16 tensor reads its operands into float32, computes there, and rounds the result
once to the tensor's format (float32 tensors: computed and rounded in float32). So one torch operation
is one rounding ``r(f(exact))`` here, with ``f`` rounding to float32 and ``r`` to the format; a Python
scalar such as ``1 - beta1`` enters as float32, ``f(1 - beta1)``. One exception: in the half formats
``a.add(b, alpha=α)`` computes ``r(a + r(r(α)·b))``, two roundings in the format (for float32, one fma).
That is torch's scalar loop, which steps a one-element tensor — a card's parameter; over a long tensor
its vectorised loop rounds α·b once less, so these are the one-element results. The operations, as torch 2.13's
single-tensor (CPU) optimizers call them, with the fused multiply-adds its kernels use::

    grad   = g + w·θ                  grad.add(param, alpha=w)              coupled decay (not adamw)
    θ      = θ · f(1 − lr_t·w)        param.mul_(1 - lr*w)                  adamw
    m      = m + f(1−β₁)·(grad − m)   exp_avg.lerp_(grad, 1 - beta1)        one fma (β₁ > 0.5)
    v      = v · f(β₂)                exp_avg_sq.mul_(beta2)
    v      = v + f(f(1−β₂)·grad)·grad   .addcmul_(grad, grad, value=1 - beta2)   one fma
    s      = √v,  s / f(√(1−β₂ᵗ)),  s + f(ε)   three roundings: the denominator torch divides by
    θ      = θ + f(f(−lr_t/(1−β₁ᵗ))·m) / d   param.addcdiv_(exp_avg, denom, value=-step_size)

(amsgrad divides by the running maximum of v; rmsprop by √v + ε without corrections and moves by
f(f(−lr)·grad)/d; sgd adds r(−lr)·grad, momentum r(−lr)·b with b = r(b·f(μ)) + grad, b₁ = grad.) Every step is exact
here up to float32 and the format's round-to-nearest-even, so in bfloat16 and float16 this equals torch
bit for bit (tests/data/torch_golden.npz). In float32 it can differ from torch by torch's square root,
which on the CPU is within one unit in the last place but not always the nearest float32
(tests/test_precision.py derives the bound from that).

What the cards show: ``m_hat = m/(1−β₁ᵗ)`` and ``v_hat`` in float64 from the stored state,
``sqrt_v_hat`` the rounded √v/√(1−β₂ᵗ) torch adds ε to, ``scale = m_hat/d`` with d the rounded
denominator (±inf or NaN where d rounds to 0: in float16, ε = 1e-8 itself rounds to 0), and
``step = θ_{t−1} − θ_t`` of the stored θ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PRECISIONS: dict[str, str] = {
    "float64": "every value a double (torch.float64): the reference the other formats are measured by",
    "float32": "torch.float32: 24 significant bits, largest 3.4e38",
    "bfloat16": "torch.bfloat16: float32's range with 8 significant bits (largest 3.4e38)",
    "float16": "torch.float16: 11 significant bits, largest 65504, smallest subnormal 2⁻²⁴ ≈ 6e-8",
}
"""The formats a parameter, its gradient and its optimizer state can be held in."""

EMULATED = ("sgd", "momentum", "rmsprop", "adam", "amsgrad", "adamw")
"""The optimizers that step in a precision other than float64."""


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


def precision_refusal(precision: str, optimizers: list[str], switch_at: int, iterations: int) -> str | None:
    """Why ``optimizers`` cannot step in ``precision`` (None if they can); the page's settings.js
    words it the same."""
    if precision == "float64":
        return None
    unable = [name for name in optimizers if name not in EMULATED]
    if unable:
        return f"precision {precision} steps {', '.join(EMULATED)}; {unable[0]} steps in float64 only"
    if 0 < switch_at < iterations:
        return f"precision {precision} does not switch optimizers; set switch_at to 0"
    return None


def check_precision(precision: str, optimizer: str, switch_at: int, iterations: int) -> None:
    """A ValueError unless ``precision`` is known and, if not float64, ``optimizer`` can step in it."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    refusal = precision_refusal(precision, [optimizer], switch_at, iterations)
    if refusal:
        raise ValueError(refusal)


def step_in_precision(
    columns: np.ndarray,
    precision: str,
    *,
    optimizer: str,
    rates: np.ndarray,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    bias_correction: bool,
    theta0: float,
) -> dict[str, np.ndarray]:
    """``optimizer`` over ``columns`` (iterations × parameters) held in ``precision``, as torch steps it.

    Returns m, v, m_hat, v_hat, sqrt_v_hat, scale, step and theta per step, each (iterations, n).
    """
    r = ROUNDING[precision]
    f = to_float32

    def add(a: np.ndarray, alpha: float, b: np.ndarray) -> np.ndarray:
        """``a.add(b, alpha=alpha)``: one fma in float32; α·b rounded first in the half formats."""
        return f(a + f(alpha) * b) if precision == "float32" else r(a + r(r(alpha) * b))

    names = ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    out = {name: np.empty_like(columns) for name in names}
    gradients = r(columns)
    theta = r(np.full(columns.shape[1], theta0))
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    corrected = bias_correction and optimizer in ("adam", "amsgrad", "adamw")
    coupled = optimizer != "adamw" and weight_decay > 0
    lerp_weight, square_weight = f(1.0 - beta1), f(1.0 - beta2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i, g in enumerate(gradients):
            t = i + 1
            lr = float(rates[i])
            previous = theta
            grad = add(g, weight_decay, theta) if coupled else g
            if optimizer == "adamw" and weight_decay > 0:
                theta = r(theta * f(1.0 - lr * weight_decay))
            if optimizer in ("sgd", "momentum"):
                m = grad if optimizer == "sgd" or i == 0 else r(r(m * f(momentum)) + grad)
                theta = add(theta, -lr, m)
                m_hat, v_hat, sqrt_v_hat, scale = m, np.zeros_like(m), np.zeros_like(m), m
            else:
                if optimizer == "rmsprop":
                    m = grad
                elif lerp_weight < 0.5:  # torch's lerp: start + w·(end − start), one fma
                    m = r(m + lerp_weight * f(grad - m))
                else:  # and end + (w − 1)·(end − start) for w ≥ 0.5
                    m = r(grad + (lerp_weight - 1.0) * f(grad - m))
                v = r(r(v * f(beta2)) + f(square_weight * grad) * grad)
                v_max = np.maximum(v_max, v)
                root = r(np.sqrt(v_max if optimizer == "amsgrad" else v))
                bc1 = 1.0 - beta1**t if corrected else 1.0
                bc2 = 1.0 - beta2**t if corrected else 1.0
                sqrt_v_hat = r(root / f(bc2**0.5)) if corrected else root
                denominator = r(sqrt_v_hat + f(eps))
                theta = r(theta + f(f(f(-lr / bc1) * m) / denominator))
                m_hat, v_hat = m / bc1, (v_max if optimizer == "amsgrad" else v) / bc2
                scale = m_hat / denominator
            values = (m, v, m_hat, v_hat, sqrt_v_hat, scale, previous - theta, theta)
            for name, value in zip(names, values, strict=True):
                out[name][i] = value
    return out
