"""r_t's percentiles over a whole parameter tensor, computed where the tensor lives (torch; the recorder's).

Copying a tensor to the host to sort it costs its size in memory and time every recorded step (an
embedding of 50,000 × 4,096 is 1.6 GB as float64). Instead, r = |m̂| / (√v̂ + ε) is binned on the
tensor's own device into a histogram, a chunk of :data:`CHUNK` entries at a time (2 MB of
temporaries), and the percentiles are read off the cumulative counts, also on the device: only three
numbers reach the host. Several processes (a sharded tensor) add their histograms (an all-reduce)
before reading them.

The bins are float32's own: r is formed in float32 as r′ = |m / (√v + ε·c₂)|, so that r = s·r′ with
the constant s = c₂ / c₁ (applied to the percentiles at the end; the sign bit is cleared in the cache
rather than |m| formed on m's way from memory), and an entry's bin is the top 9 bits of r′'s
mantissa with its exponent — its bits shifted right by 14, an integer operation — so each octave
holds 512 bins, each at most 2⁻⁹ of its lower edge wide, over a window of :data:`BINS` bins that
starts at the bin of 10^LOG_LOW / s: 10^LOG_LOW ≤ r < 10^LOG_HIGH and somewhat more. Below it an
underflow bin (0 included), above it an overflow bin (+∞ too), and a last bin that is 1 where any r
is NaN (the sum of all r′ is NaN: a tenth the cost of counting them). No logarithm is
taken (it was two thirds of the binning's time).

Accuracy, against ``numpy.percentile``'s linear method over the same r in float64: that method
interpolates between two order statistics x_k and x_{k+1}; each is replaced by a value inside the bin
holding its float32 r′ (by rank, linearly along the bin), and r′ is within 5 float32 roundings of
the true value (the state's conversion to float32, √, +, ÷): so each, and their interpolation, is
within **2⁻⁹ + 6·2⁻²⁴ ≈ 0.1954% relative** (:data:`RELATIVE_ERROR`), or an absolute 10^LOG_LOW where
the order statistic lies in the underflow bin (reported as 0). An r in the overflow bin (at least
10^LOG_HIGH) is reported as 10^LOG_HIGH.
"""

from __future__ import annotations

import math

import numpy as np
import torch

LOG_LOW, LOG_HIGH = -12.0, 4.0
"""log10 of the range r's bins cover at least: r below 1e-12 (0 included) underflows (Adam's r stays
below 1/√(1 − β₂) ≤ 100 for β₂ ≤ 0.9999)."""
MANTISSA_BITS = 9
"""Bins per octave: 2^9, each at most 2⁻⁹ of its lower edge wide."""
SHIFT = 23 - MANTISSA_BITS
"""A positive float32's bits shifted right by this: its exponent and top mantissa bits, its bin."""
BINS = math.ceil((LOG_HIGH - LOG_LOW) * math.log2(10.0) * 2**MANTISSA_BITS) + 1
"""The window's bins (27,215): 16 decades from wherever its first bin starts in an octave."""
RELATIVE_ERROR = 2.0**-MANTISSA_BITS + 6 * 2.0**-24
"""The bound on a percentile's relative error (≈ 0.001954); see the module's docstring."""
ABSOLUTE_ERROR = 10.0**LOG_LOW
"""The bound where the percentile falls among the underflowing r (reported as 0)."""
CHUNK = 1 << 18
"""Entries binned at a time: the temporaries are two float32 buffers of a chunk (2 MB),
whatever the tensor (measured: 2^18 was the fastest of 2^16…2^22 on these machines' caches)."""
UNDER, OVER, NAN = 0, BINS + 1, BINS + 2


def first_bin(scale: float) -> int:
    """The window's first bin for r = ``scale`` · r′: the shifted float32 bits of 10^LOG_LOW / scale."""
    return int(np.float32(10.0**LOG_LOW / scale).view(np.int32)) >> SHIFT


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
    c₁ = 1 − β₁^t and c₂ = √(1 − β₂^t): bin 0 underflow, 1..BINS the window (placed for the scale
    c₂ / c₁ that :func:`histogram_percentiles` is then given), then overflow, then 1 if any r is NaN.
    ``root=False``: v as it is in place of √v (Adamax's u).

    Each chunk is copied into buffers made once (the state is only read) and worked on in place:
    allocating per chunk cost three times the arithmetic. A tensor of one chunk takes its bincount as
    the counts (no zeroed histogram to add it to: most of a model's tensors are that small).
    """
    flat_m, flat_v = m.detach().reshape(-1), v.detach().reshape(-1)
    counts = None  # (a tensor of one chunk — most are — takes its bincount as it is)
    total = torch.zeros((), dtype=torch.float32, device=m.device)
    size = min(CHUNK, flat_m.numel())
    r = torch.empty(size, dtype=torch.float32, device=m.device)
    d = torch.empty_like(r)
    single_m, single_v = flat_m.dtype == torch.float32, flat_v.dtype == torch.float32
    start_bin = first_bin(correction2_sqrt / correction1) - 1  # bin 1 is the window's first
    for start in range(0, flat_m.numel(), CHUNK):
        n = min(CHUNK, flat_m.numel() - start)
        rn, dn = r[:n], d[:n]
        # float32 states straight from memory into the arithmetic; others copied in first (a bf16 or
        # fp16 state's own sqrt would round to 8 or 11 bits)
        if single_v and root:
            torch.sqrt(flat_v[start : start + n], out=dn)
        else:
            dn.copy_(flat_v[start : start + n])
            if root:
                dn.sqrt_()
        dn.add_(eps * correction2_sqrt)
        if single_m:
            torch.div(flat_m[start : start + n], dn, out=rn)
        else:
            rn.copy_(flat_m[start : start + n]).div_(dn)
        bins = rn.view(torch.int32)
        bins.bitwise_and_(0x7FFFFFFF)  # |m| / d, its sign bit cleared where it sits in the cache
        # r′ is ≥ 0 or NaN now: the sum of every chunk is NaN where any r′ is (a tenth the cost of
        # counting NaNs; a NaN's bin below is the overflow)
        total += rn.sum()
        # r′'s bits order as its values; 0 and anything below the window underflow, +∞ overflows
        bins.bitwise_right_shift_(SHIFT).sub_(start_bin).clamp_(UNDER, OVER)
        chunk = torch.bincount(bins, minlength=BINS + 3)
        counts = chunk if counts is None else counts.add_(chunk)
    if counts is None:  # no entries at all
        counts = torch.zeros(BINS + 3, dtype=torch.int64, device=m.device)
    counts[NAN] += torch.isnan(total)
    return counts


def histogram_percentiles(
    counts: torch.Tensor, scales: float | list[float], quantiles: tuple[float, ...] = (10, 50, 90)
) -> np.ndarray:
    """numpy.percentile(r, quantiles)'s linear method, read off ``counts`` (r_histogram's, summed over
    processes; one histogram, or one a row) whose scale c₂ / c₁ is ``scales`` (one a row): within
    RELATIVE_ERROR (or ABSOLUTE_ERROR among the underflow); NaN where any r was NaN. All rows at once,
    on the counts' device: one transfer."""
    rows = counts.reshape(-1, counts.shape[-1])
    device = rows.device
    scale = torch.tensor(np.reshape(scales, (-1, 1)), dtype=torch.float64, device=device)
    first = torch.tensor(
        [[first_bin(s)] for s in np.reshape(scales, -1).tolist()], dtype=torch.int64, device=device
    )
    cumulative = rows[:, :NAN].cumsum(1)  # int64: exact
    n = cumulative[:, -1:]  # (rows, 1)
    q = torch.tensor(quantiles, dtype=torch.float64, device=device) / 100.0
    position = q * (n - 1).double()  # (rows, quantiles)
    below = position.floor()
    fraction = position - below
    ranks = torch.cat([below, torch.minimum(below + 1.0, (n - 1).double())], dim=1).long()

    # the value of the order statistic of each rank (0-based): in the bin holding it, as far along the
    # bin as its rank is along the bin's entries
    bins = torch.searchsorted(cumulative, ranks.contiguous(), right=True)
    held = rows.gather(1, bins)
    along = (ranks - (cumulative.gather(1, bins) - held)).double().add(0.5) / held.double()
    shifted = (first + bins - 1).clamp(0, (1 << (31 - SHIFT)) - 2)  # (under/overflow: replaced below)
    low = (shifted << SHIFT).int().view(torch.float32).double()
    high = ((shifted + 1) << SHIFT).int().view(torch.float32).double()
    values = scale * (low + (high - low) * along)
    values = torch.where(bins == UNDER, torch.zeros_like(values), values)
    values = torch.where(bins == OVER, torch.full_like(values, 10.0**LOG_HIGH), values)
    lower, upper = values[:, : len(quantiles)], values[:, len(quantiles) :]
    out = (1.0 - fraction) * lower + fraction * upper
    out = torch.where(rows[:, NAN : NAN + 1] > 0, torch.full_like(out, math.nan), out)
    out = out.cpu().numpy()
    return out[0] if counts.dim() == 1 else out
