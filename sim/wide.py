"""Many parameters at once, at memory speed: the whole-stream optimizers for gradients shaped
``(iterations, n_params)`` with many columns.

The same quantities as :func:`adamviz.sim.optimizers._simulate_whole`, computed time-major in blocks
of :data:`BLOCK` iterations. Within a block the moments step one iteration at a time across all
columns, ``x_t = decay · x_{t−1} + drive_t`` — the order torch.optim uses — and every other output is
formed while the block is still in the CPU's cache, so each of the eight outputs is written to memory
once. (The scan in :mod:`.recurrence` needs no Python loop over iterations, which wins for a few
columns; for hundreds it passes over the whole array ~20 times, which memory cannot keep up with.)

θ is ``θ₀ − Σ step`` summed in iteration order, carried from block to block as one running sum, so it
equals ``numpy.cumsum`` over the whole stream to the bit.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BLOCK = 96
"""Iterations per block: 96 × 1,000 columns × 8 bytes = 768 KB an array, within a core's 1 MB L2 on
this project's machines. Fewer blocks, fewer hand-overs between the two threads: simulate() of
population(1000, 10_000) took 155–157 ms at 64 rows, 146–152 at 96 (alternating runs)."""
WIDE = 192
"""From this many columns on, :func:`simulate_wide` beats the scan. Measured on this project's 2-core
machine at 10,000 iterations (scan / blocks): 128 columns 70 / 77 ms, 192: 87 / 83, 256: 123 / 86,
1,000: 495 / 186; at 1,000 iterations, 300 columns 11.0 / 8.1 ms (blocks of 64 rows then)."""


def _recur(rows, decay: float | np.ndarray, previous: np.ndarray, scratch: np.ndarray) -> None:
    """In place over a block's ``rows`` (an array, or a list of its rows' views): ``x[t] = x[t] +
    decay · x[t−1]``, with ``x[−1] = previous`` (``decay`` a number, or one per column: m and v step
    side by side, two calls an iteration). The loop is Python's, so its calls are lean: views made
    once, ``out`` passed by position (131 against 163 µs a block of 64 rows of 2,000)."""
    multiply, add = np.multiply, np.add
    before = previous
    for row in rows:
        multiply(before, decay, scratch)
        add(row, scratch, row)
        before = row


OUTPUTS = ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")


def simulate_wide(
    g: np.ndarray, s, bc1: np.ndarray, bc2: np.ndarray, rates: np.ndarray
) -> dict[str, np.ndarray]:
    """The eight outputs (:data:`OUTPUTS`) of optimizer settings ``s`` over ``g`` (iterations ×
    columns, no coupled weight decay), with the bias corrections ``bc1``, ``bc2`` and the learning
    rates ``rates`` per iteration (ones where no correction applies).

    Two stages a block: the moments (a Python loop over iterations, on this thread), then what they
    make (whole-block operations, during which NumPy lets go of the GIL) on a second thread while the
    next block's moments are stepped. The second stage's blocks run in order, so the numbers are those
    of one thread.
    """
    iterations, n = g.shape
    out = {name: np.empty((iterations, n)) for name in OUTPUTS}
    stages = _Stages(g, s, bc1, bc2, rates, out)
    blocks = [(start, min(iterations, start + BLOCK)) for start in range(0, iterations, BLOCK)]
    if (os.cpu_count() or 1) < 2 or len(blocks) < 2:
        for block in blocks:
            stages.outputs(*stages.moments(*block))
        return out
    with ThreadPoolExecutor(max_workers=1) as second:
        pending = None
        for block in blocks:
            made = stages.moments(*block)
            if pending is not None:
                pending.result()
            pending = second.submit(stages.outputs, *made)
        pending.result()
    return out


class _Stages:
    """The two stages of :func:`simulate_wide`, and what each carries from block to block."""

    def __init__(
        self,
        g: np.ndarray,
        s,
        bc1: np.ndarray,
        bc2: np.ndarray,
        rates: np.ndarray,
        out: dict[str, np.ndarray],
    ) -> None:
        n = g.shape[1]
        self.g, self.s, self.bc1, self.bc2, self.out, self.n = g, s, bc1, bc2, out, n
        self.rates = rates[:, np.newaxis]
        kind = self.kind = s.optimizer
        self.second = kind in ("rmsprop", "adam", "amsgrad", "adamw")
        self.corrected = kind in ("adam", "amsgrad", "adamw") and s.bias_correction
        self.decoupled = kind == "adamw" and s.weight_decay > 0
        self.sqrt_bc2 = np.sqrt(bc2)
        # the moments that recur, side by side: m (columns :n) and v (n:), each with its decay
        self.recurring = {"sgd": (), "momentum": ("m",), "rmsprop": ("v",)}.get(kind, ("m", "v"))
        decay = {"m": s.momentum if kind == "momentum" else s.beta1, "v": s.beta2}
        self.decays = (
            np.concatenate([np.full(n, decay[name]) for name in self.recurring]) if self.recurring else None
        )
        self.moment_rows = np.empty((BLOCK, len(self.recurring) * n))
        self.moment_row_views = list(self.moment_rows)  # (a whole block's, made once)
        self.last = np.zeros(len(self.recurring) * n)
        self.scratch = np.empty(2 * n)
        self.v_max = np.zeros(n)
        # the second stage's own
        self.running = np.zeros((BLOCK + 1, n))  # row 0: the sum of steps so far; rows 1..: this block's
        self.denominator = np.empty((BLOCK, n))
        self.theta_last = np.full(n, float(s.theta0))
        self.scratch2 = np.empty(n)

    def moments(self, start: int, stop: int) -> tuple[int, int, np.ndarray]:
        """m and v of iterations start..stop: torch's recurrences, one iteration at a time. Returns the
        block and the v its denominator uses (the running max under amsgrad)."""
        n, s, kind = self.n, self.s, self.kind
        gb = self.g[start:stop]
        m, v = self.out["m"][start:stop], self.out["v"][start:stop]
        both = self.moment_rows[: stop - start]
        for k, name in enumerate(self.recurring):
            drive = both[:, k * n : (k + 1) * n]
            if name == "m" and kind == "momentum":
                drive[...] = gb
            elif name == "m":
                np.multiply(gb, 1.0 - s.beta1, out=drive)
            else:
                np.multiply(gb, gb, out=drive)
                np.multiply(drive, 1.0 - s.beta2, out=drive)
        if self.recurring:
            rows = self.moment_row_views if stop - start == BLOCK else both
            _recur(rows, self.decays, self.last, self.scratch[: len(self.recurring) * n])
            self.last = both[-1].copy()
        for k, name in enumerate(self.recurring):
            (m if name == "m" else v)[...] = both[:, k * n : (k + 1) * n]
        if "m" not in self.recurring:
            m[...] = gb
        if "v" not in self.recurring:
            v[...] = 0.0
        v_used = v
        if kind == "amsgrad":
            v_used = np.maximum.accumulate(v, axis=0)
            np.maximum(v_used, self.v_max, out=v_used)
            self.v_max = v_used[-1].copy()
        if self.corrected:  # (here, not in outputs(): it balances the two threads' work)
            np.divide(m, self.bc1[start:stop, None], out=self.out["m_hat"][start:stop])
            np.divide(v_used, self.bc2[start:stop, None], out=self.out["v_hat"][start:stop])
        return start, stop, v_used

    def outputs(self, start: int, stop: int, v_used: np.ndarray) -> None:
        """Everything else of iterations start..stop, as optimizers._denominator_outputs forms it, and θ."""
        s, out = self.s, self.out
        m = out["m"][start:stop]
        m_hat, v_hat = out["m_hat"][start:stop], out["v_hat"][start:stop]
        sqrt_v_hat, scale = out["sqrt_v_hat"][start:stop], out["scale"][start:stop]
        step, theta = out["step"][start:stop], out["theta"][start:stop]
        rows = stop - start
        if not self.second:
            m_hat[...] = m
            v_hat[...] = 0.0
            sqrt_v_hat[...] = 0.0
            scale[...] = m
        else:
            if not self.corrected:  # (corrected: moments() made them)
                m_hat[...] = m
                v_hat[...] = v_used
            np.sqrt(v_used, out=sqrt_v_hat)
            if self.corrected:
                np.divide(sqrt_v_hat, self.sqrt_bc2[start:stop, None], out=sqrt_v_hat)
            d = self.denominator[:rows]
            np.add(sqrt_v_hat, s.eps, out=d)
            np.divide(m_hat, d, out=scale)
        rates = self.rates[start:stop]
        if self.decoupled:  # θ_t = (1 − lr·w) θ_{t−1} − lr · scale_t, and the step is what θ moved
            # (constant lr only: optimizers.simulate steps a schedule with decoupled decay one by one)
            np.multiply(scale, -s.lr, out=theta)
            _recur(theta, 1.0 - s.lr * s.weight_decay, self.theta_last, self.scratch2)
            np.subtract(self.theta_last, theta[0], out=step[0])
            np.subtract(theta[:-1], theta[1:], out=step[1:])
            self.theta_last = theta[-1]
        else:
            np.multiply(scale, rates, out=step)
            sums, add = self.running, np.add  # the running sum of steps, in iteration order (row 0: before)
            for t in range(rows):  # (numpy.cumsum along axis 0 took twice as long)
                add(sums[t], step[t], sums[t + 1])
            np.subtract(s.theta0, sums[1 : rows + 1], out=theta)
            sums[0] = sums[rows]
