"""r_t's percentiles over a whole parameter tensor, computed where the tensor lives (torch; the recorder's).

Copying a tensor to the host to sort it costs its size in memory and time every recorded step (an
embedding of 50,000 × 4,096 is 1.6 GB as float64). Instead, r = |m̂| / (√v̂ + ε) is binned on the
tensor's own device into a histogram of :data:`BINS` bins equally wide in log10 r over
[10^LOG_LOW, 10^LOG_HIGH), a chunk of :data:`CHUNK` entries at a time (3 MB of temporaries), plus an
underflow bin (r below 10^LOG_LOW, 0 included), an overflow bin and a bin for NaN. The percentiles
are read off the cumulative counts, also on the device: only three numbers reach the host. Several
processes (a sharded tensor) add their histograms (an all-reduce) before reading them.

Accuracy, against ``numpy.percentile``'s linear method over the same r: that method interpolates
between two order statistics x_k and x_{k+1}; each is replaced by a value inside its own bin (the
bin's geometric interpolation by rank), so each is within a factor 10^BIN_WIDTH of the true one,
and so is their interpolation: **relative error ≤ 10^BIN_WIDTH − 1 = 0.225%** (0.226% with float32's
roundings of the bin position, :data:`INDEX_ERROR`), or an absolute 10^LOG_LOW where the order
statistic lies in the underflow bin (reported as 0). An r of 1e4 or more is reported as 1e4.
"""

from __future__ import annotations

import math

import numpy as np
import torch

LOG_LOW, LOG_HIGH = -12.0, 4.0
"""log10 of the histogram's range: r below 1e-12 (0 included) underflows, r from 1e4 up overflows
(Adam's r stays below 1/√(1 − β₂) ≤ 100 for β₂ ≤ 0.9999)."""
BINS = 16384
BIN_WIDTH = (LOG_HIGH - LOG_LOW) / BINS
"""Each bin's width in decades (16/16384 ≈ 0.00098)."""
INDEX_ERROR = 0.005
"""How far (in bins) float32 may move an entry's bin position: r's own roundings (~2e-7, 1e-4 bins),
log2's (1 ulp of |log2 r| ≤ 64: 0.0023 bins) and the affine map's at positions up to 2^14 (half an
ulp each: 0.002 bins) — an entry within that of an edge may land in the neighbouring bin."""
RELATIVE_ERROR = 10.0 ** (BIN_WIDTH * (1.0 + INDEX_ERROR)) - 1.0
"""The bound on a percentile's relative error (≈ 0.00226); see the module's docstring."""
ABSOLUTE_ERROR = 10.0**LOG_LOW
"""The bound where the percentile falls among the underflowing r (reported as 0)."""
CHUNK = 1 << 18
"""Entries binned at a time: the temporaries are three buffers of a chunk (3 MB), whatever the tensor
(measured: 2^18 was the fastest of 2^16…2^22 on these machines' caches)."""
UNDER, OVER, NAN = 0, BINS + 1, BINS + 2


def r_histogram(
    m: torch.Tensor,
    v: torch.Tensor,
    correction1: float,
    correction2_sqrt: float,
    eps: float,
    *,
    root: bool = True,
) -> torch.Tensor:
    """Counts (int64, BINS + 3, on m's device) of r = |m| / c₁ / (√v / c₂ + ε) over all entries, where
    c₁ = 1 − β₁^t and c₂ = √(1 − β₂^t): bin 0 underflow, 1..BINS the log-spaced bins, then overflow, NaN.
    ``root=False``: v as it is in place of √v (Adamax's u).

    r is formed as |m| / (√v + ε·c₂) in float32 and the constant factor c₂ / c₁ is added to log10 r
    (one pass fewer over the tensor than forming r itself; float32's rounding, ~1e-7, is far inside a
    bin). Each chunk is copied into three buffers made once (the state is only read) and worked on in
    place: allocating per chunk cost three times the arithmetic (70 against 21 ms for 10 M entries).
    """
    flat_m, flat_v = m.detach().reshape(-1), v.detach().reshape(-1)
    counts = torch.zeros(BINS + 3, dtype=torch.int64, device=m.device)
    size = min(CHUNK, flat_m.numel())
    r = torch.empty(size, dtype=torch.float32, device=m.device)
    d = torch.empty_like(r)
    index = torch.empty(size, dtype=torch.int32, device=m.device)
    single_m, single_v = flat_m.dtype == torch.float32, flat_v.dtype == torch.float32
    scale = 1.0 / (BIN_WIDTH * math.log2(10.0))  # log2 → bins
    offset = (math.log10(correction2_sqrt / correction1) - LOG_LOW) / BIN_WIDTH + 1.0
    for start in range(0, flat_m.numel(), CHUNK):
        n = min(CHUNK, flat_m.numel() - start)
        rn, dn, bins = r[:n], d[:n], index[:n]
        # float32 states straight into the buffers; others copied in first (a bf16 or fp16 state's own
        # sqrt would round to 8 or 11 bits)
        if single_m:
            torch.abs(flat_m[start : start + n], out=rn)
        else:
            rn.copy_(flat_m[start : start + n]).abs_()
        if single_v and root:
            torch.sqrt(flat_v[start : start + n], out=dn)
        else:
            dn.copy_(flat_v[start : start + n])
            if root:
                dn.sqrt_()
        dn.add_(eps * correction2_sqrt)
        rn.div_(dn).log2_().mul_(scale).add_(offset)
        # r = 0 (log2 −inf) underflows, r ≥ 1e4 overflows; NaN (a diverged state: ∞/∞ or 0/0) has its own bin
        rn.clamp_(UNDER, OVER).nan_to_num_(nan=NAN)
        bins.copy_(rn)  # (a float in [0, BINS + 2] to an integer: its floor)
        counts += torch.bincount(bins, minlength=BINS + 3)
    return counts


def histogram_percentiles(counts: torch.Tensor, quantiles: tuple[float, ...] = (10, 50, 90)) -> np.ndarray:
    """numpy.percentile(r, quantiles)'s linear method, read off ``counts`` (r_histogram's, summed over
    processes; one histogram, or one a row): within RELATIVE_ERROR (or ABSOLUTE_ERROR among the
    underflow); NaN where any r was NaN. All rows at once, on the counts' device: one transfer."""
    rows = counts.reshape(-1, counts.shape[-1])
    finite = rows[:, :NAN].double()
    n = finite.sum(1, keepdim=True)  # (rows, 1)
    cumulative = finite.cumsum(1)
    q = torch.tensor(quantiles, dtype=torch.float64, device=rows.device) / 100.0
    position = q * (n - 1.0)  # (rows, quantiles)
    below = position.floor()
    fraction = position - below
    ranks = torch.cat([below, torch.minimum(below + 1.0, n - 1.0)], dim=1)  # (rows, 2·quantiles)

    # the value of the order statistic of each rank (0-based): in the bin holding it, as far along the
    # bin (geometrically) as its rank is along the bin's entries
    bins = torch.searchsorted(cumulative, ranks.contiguous(), right=True)
    held = finite.gather(1, bins)
    along = (ranks - (cumulative.gather(1, bins) - held) + 0.5) / held
    values = torch.pow(10.0, LOG_LOW + BIN_WIDTH * (bins.double() - 1.0 + along))
    values = torch.where(bins == UNDER, torch.zeros_like(values), values)
    values = torch.where(bins == OVER, torch.full_like(values, 10.0**LOG_HIGH), values)
    low, high = values[:, : len(quantiles)], values[:, len(quantiles) :]
    out = (1.0 - fraction) * low + fraction * high
    out = torch.where(rows[:, NAN : NAN + 1] > 0, torch.full_like(out, math.nan), out)
    out = out.cpu().numpy()
    return out[0] if counts.dim() == 1 else out
