"""Learning-rate schedules: the η_t each step uses, as a multiple of the base rate η.

A schedule is a factor ``f_t`` for steps t = 1..T, and step t moves by ``lr_t · direction_t`` with
``lr_t = η · f_t``. Every schedule starts with a linear warmup of W steps (W = ``warmup``, 0 for
none) that climbs to η at its last step, then runs its decay over the remaining D = T − W steps,
from η at the first of them to ``min_lr · η`` at the last (``min_lr`` a fraction of η)::

    warmup    f_t = t / W                                   t = 1..W
    then, with e = t − W − 1 (0 at the decay's first step) and p = e / max(D − 1, 1) (0 → 1):
    constant  f_t = 1
    linear    f_t = min_lr + (1 − min_lr) · (1 − p)
    cosine    f_t = min_lr + (1 − min_lr) · cos²(π p / 2)    (= (1 + cos π p) / 2 between the bounds)
    step      f_t = max(min_lr, 2^−⌊e / S⌋),  S = ⌈D / 4⌉      (plateaus η, η/2, η/4, η/8)

These are torch's own schedulers chained as practitioners chain them — ``SequentialLR`` of
``LinearLR(start_factor=1/W, total_iters=W − 1)`` and then ``CosineAnnealingLR(T_max=D − 1,
eta_min=min_lr·η)``, ``LinearLR(1, min_lr, D − 1)`` or ``StepLR(S, 0.5)`` (which has no floor) — in
closed form. torch evaluates those recursively, each step's lr from the last, so their values drift
from the closed form by a few ulps (docs/python.md gives the measured gap). Exactly torch, to the bit:
``LambdaLR(optimizer, lambda k: factor(k + 1))`` with ``scheduler.step()`` after every
``optimizer.step()`` (LambdaLR's k counts the steps taken, so step t uses ``factor(t)``;
:func:`torch_lambda`). Every factor is formed with correctly rounded operations (+, −, ×, ÷) but the
cosine's one ``math.cos``, in forms that land on ``min_lr`` exactly at the last step (and within
half an ulp of 1 at the decay's first); the page (assets/engine/schedules.js) repeats the same operations in the
same order, so only ``cos`` may differ there, by an ulp of ``cos(π p / 2)``, which the square turns
into 2 ulps of ``f_t − min_lr`` (cos² keeps the relative accuracy near the end, where
``(1 + cos π p)/2`` would cancel).
"""

from __future__ import annotations

import math

import numpy as np

from .validation import check_int, check_range

SCHEDULES: dict[str, str] = {
    "constant": "η after the warmup",
    "cosine": "cosine decay from η to min_lr·η after the warmup",
    "linear": "linear decay from η to min_lr·η after the warmup",
    "step": "η halved at each quarter of the steps after the warmup (never below min_lr·η)",
}
"""Schedule names and what each does (the docs and the page's menu read them from here)."""

STEP_PLATEAUS = 4
"""How many equal plateaus the ``step`` schedule's decay has (η, η/2, η/4, η/8)."""

WARMUP_MAX = 1_000_000
"""The longest warmup accepted (the longest stream: :data:`adamviz.sim.ITERATIONS_MAX`)."""


def check_schedule(schedule: str, warmup: int, min_lr: float) -> None:
    """Raise a ValueError naming ``schedule``, ``warmup`` or ``min_lr`` if it is not allowed."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    check_int("warmup", warmup, 0, WARMUP_MAX)
    check_range("min_lr", min_lr, 0.0, 1.0)


def is_constant(schedule: str, warmup: int) -> bool:
    """Whether every step uses η itself (no warmup, no decay)."""
    return schedule == "constant" and warmup == 0


def factor(
    t: int, iterations: int, schedule: str = "constant", warmup: int = 0, min_lr: float = 0.0
) -> float:
    """``f_t``: step t's learning rate as a multiple of η (see the module docstring), t = 1..T."""
    if t <= warmup:  # (a warmup longer than the run never reaches η, as in torch)
        return t / warmup
    if schedule == "constant":
        return 1.0
    decay_steps, done = iterations - warmup, t - warmup - 1
    if schedule == "step":
        plateau = -(-decay_steps // STEP_PLATEAUS)  # ⌈D / 4⌉
        return max(min_lr, 0.5 ** (done // plateau))
    progress = done / max(decay_steps - 1, 1)
    if schedule == "linear":
        return min_lr + (1.0 - min_lr) * (1.0 - progress)
    half_cos = math.cos(math.pi * progress / 2.0)
    return min_lr + (1.0 - min_lr) * (half_cos * half_cos)


def factors(iterations: int, schedule: str = "constant", warmup: int = 0, min_lr: float = 0.0) -> np.ndarray:
    """``f_t`` for t = 1..``iterations`` (float64), validated."""
    check_schedule(schedule, warmup, min_lr)
    if is_constant(schedule, warmup):
        return np.ones(iterations)
    # math.cos, one value at a time, not numpy.cos: NumPy's SIMD kernels vary with the CPU
    values = (factor(t, iterations, schedule, warmup, float(min_lr)) for t in range(1, iterations + 1))
    return np.fromiter(values, np.float64, iterations)


def learning_rates(
    lr: float, iterations: int, schedule: str = "constant", warmup: int = 0, min_lr: float = 0.0
) -> np.ndarray:
    """``lr_t = lr · f_t`` for t = 1..``iterations``: what torch's LambdaLR sets before step t."""
    return np.multiply(float(lr), factors(iterations, schedule, warmup, min_lr))


def torch_lambda(iterations: int, schedule: str = "constant", warmup: int = 0, min_lr: float = 0.0):
    """The ``lr_lambda`` for ``torch.optim.lr_scheduler.LambdaLR`` that makes torch step this schedule:
    called with k = the number of steps taken, it returns ``f_{k+1}``."""
    check_schedule(schedule, warmup, min_lr)
    return lambda k: factor(min(k + 1, iterations), iterations, schedule, warmup, float(min_lr))
