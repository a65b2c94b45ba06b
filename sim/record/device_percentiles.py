"""r_t's percentiles over a whole parameter tensor, computed where the tensor lives (torch; the recorder's).

Copying a tensor to the host to sort it costs its size in memory and time every recorded step (an
embedding of 50,000 × 4,096 is 1.6 GB as float64). Instead, r = |m̂| / (√v̂ + ε) is binned on the
tensor's own device into a histogram, a chunk of :data:`CHUNK` entries at a time (8 MB of
temporaries), and the bins holding the percentiles are found in the cumulative counts, also on the
device: a few integers a tensor reach the host. Several processes (a sharded tensor) add their
histograms (an all-reduce) before reading them.

The bins are float32's own: r is formed in float32 as r′ = |m / (√v + ε·c₂)|, so that r = s·r′ with
the constant s = c₂ / c₁ (applied to the percentiles at the end; |·| taken in the cache rather than
on m's way from memory), and an entry's bin is the top 9 bits of r′'s mantissa with its exponent —
its bits shifted right by 14, an integer operation — so each octave holds 512 bins, each at most 2⁻⁹
of its lower edge wide, over a window of :data:`BINS` bins that starts at the bin of 10^LOG_LOW / s:
10^LOG_LOW ≤ r < 10^LOG_HIGH and somewhat more. Below it an underflow bin (0 included), above it an
overflow bin (+∞ and NaN too), and a last bin that is 1 where any r is NaN (looked for only in a
tensor that overflowed). No logarithm is taken (it was two thirds of the binning's time).

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
from collections.abc import Sequence
from typing import NamedTuple

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
CHUNK = 1 << 20
"""Entries binned at a time: the temporaries are two float32 buffers of a chunk (8 MB), whatever the
tensor. Measured on the benchmark transformer's state, cold from memory as it is after a step: 2^20
took 29 ms a step, 2^19 33, 2^18 38.5, 2^17 41.5 (fewer kernels, and a tensor of up to a million
entries gets one bincount)."""
PACKED = 1 << 15
"""Tensors of at most this many entries are binned together with others (a kernel's start-up, not
their size, is what they cost)."""
UNDER, OVER, NAN = 0, BINS + 1, BINS + 2
READ_BLOCK = 128
"""Bins summed together on the way to a percentile's bin (histogram_percentiles)."""
FLOAT32_TINY, FLOAT32_MAX = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


def first_bin(scale: float) -> int:
    """The window's first bin for r = ``scale`` · r′: the shifted float32 bits of 10^LOG_LOW / scale (a
    ValueError for a scale that puts the window's edges outside float32's positive numbers)."""
    low = np.float32(10.0**LOG_LOW / scale)
    if not (low >= FLOAT32_TINY and 10.0**LOG_HIGH / scale < FLOAT32_MAX):
        raise ValueError(f"a histogram's scale c2/c1 = {scale!r} is outside the 3e-35 to 8e25 it can place")
    return int(low.view(np.int32)) >> SHIFT


class Moments(NamedTuple):
    """One tensor's r = |m| / c₁ / (√v / c₂ + ε) as :func:`r_histograms` reads it (``root=False``: v as
    it is in place of √v — Adamax's u)."""

    m: torch.Tensor
    v: torch.Tensor
    correction1: float
    correction2_sqrt: float
    eps: float
    root: bool = True


def r_histograms(tensors: Sequence[Moments], dtype: torch.dtype | None = None) -> torch.Tensor:
    """Counts (one row of BINS + 3 per tensor, on the first's device) of r = |m| / c₁ / (√v / c₂ + ε)
    over each tensor's entries, where c₁ = 1 − β₁^t and c₂ = √(1 − β₂^t): bin 0 underflow, 1..BINS the
    window (placed for the scale c₂ / c₁ that :func:`histogram_percentiles` is then given), then
    overflow, then 1 if any r is NaN. ``dtype``: :func:`counts_dtype` of the largest tensor unless
    given (the Recorder gives it for tensors split between processes, whose counts are added) —
    int32 has half the bytes to zero, copy and read of int64's (the counts of 53 tensors: 5.8 MB).

    A tensor of more than :data:`PACKED` entries is binned a chunk at a time in buffers made once (the
    state is only read); the smaller ones that share a scale and ε are copied into one buffer,
    binned together and counted into their rows at once (a layer norm's 384 entries cost a kernel's
    start-up a pass, not their size: 26 such tensors took 4 ms one at a time). A NaN bins as
    overflow; only a tensor with an r of 10^LOG_HIGH or more — none in a healthy run (see LOG_LOW) —
    is gone over again to tell NaN from a large r.
    """
    device = tensors[0].m.device
    dtype = dtype or counts_dtype(max(tensor.m.numel() for tensor in tensors))
    counts = torch.empty((len(tensors), BINS + 3), dtype=dtype, device=device)
    packs: dict[tuple, list[int]] = {}
    largest = max(min(CHUNK, tensor.m.numel()) for tensor in tensors)
    buffers = (
        torch.empty(largest, dtype=torch.float32, device=device),
        torch.empty(largest, dtype=torch.float32, device=device),
    )
    start_bins: dict[float, int] = {}  # (most tensors share one scale)
    for row, tensor in enumerate(tensors):
        scale = tensor.correction2_sqrt / tensor.correction1
        if scale not in start_bins:
            start_bins[scale] = first_bin(scale) - 1  # bin 1: the window's first
        start_bin = start_bins[scale]
        shift = tensor.eps * tensor.correction2_sqrt
        if tensor.m.device != device:  # (a model spread over devices: each binned on its own)
            counts[row].copy_(r_histograms([tensor], dtype)[0])
            continue
        if tensor.m.numel() <= PACKED:
            packs.setdefault((start_bin, shift, tensor.root), []).append(row)
            continue
        flat_m, flat_v = tensor.m.detach().reshape(-1), tensor.v.detach().reshape(-1)
        for start in range(0, flat_m.numel(), CHUNK):
            n = min(CHUNK, flat_m.numel() - start)
            r, d = buffers[0][:n], buffers[1][:n]
            _bins(flat_m[start : start + n], flat_v[start : start + n], r, d, shift, tensor.root, start_bin)
            chunk = torch.bincount(r.view(torch.int32), minlength=BINS + 3)
            counts[row].copy_(chunk) if start == 0 else counts[row].add_(chunk)
        if flat_m.numel() == 0:
            counts[row].zero_()
    for (start_bin, shift, root), rows in packs.items():
        _binned_together([tensors[row] for row in rows], counts, rows, shift, root, start_bin)
    counts[:, NAN] = 0
    overflowing = counts[:, OVER].nonzero().reshape(-1).tolist()  # (rare: one look at a column)
    for row in overflowing:
        counts[row, NAN] = int(_any_nan(tensors[row]))
    return counts


def counts_dtype(entries: int) -> torch.dtype:
    """The dtype of the counts of tensors of at most ``entries`` entries (the whole tensor's, where
    processes add their shards' counts): int32 while they fit."""
    return torch.int32 if entries < 2**31 else torch.int64


def r_histogram(
    m: torch.Tensor,
    v: torch.Tensor,
    correction1: float,
    correction2_sqrt: float,
    eps: float,
    *,
    root: bool = True,
) -> torch.Tensor:
    """One tensor's row of :func:`r_histograms`."""
    return r_histograms([Moments(m, v, correction1, correction2_sqrt, eps, root)])[0]


def _bins(m, v, r: torch.Tensor, d: torch.Tensor, shift: float, root: bool, start_bin: int) -> None:
    """r′ = |m / (√v + shift)|'s bins (bin 1: ``start_bin`` + 1) in ``r``'s bits, over/underflow clamped;
    ``d`` a buffer of r's size."""
    _quotient(m, v, r, d, shift, root)
    # r′'s bits order as its values; 0 and anything below the window underflow, +∞ and NaN overflow
    r.view(torch.int32).bitwise_right_shift_(SHIFT).sub_(start_bin).clamp_(UNDER, OVER)


def _quotient(m, v, r: torch.Tensor, d: torch.Tensor, shift: float, root: bool) -> None:
    """r′ = |m / (√v + shift)| (``root=False``: v in place of √v) in ``r``, in float32; ``d`` a buffer
    of r's size."""
    # float32 states straight from memory into the arithmetic; others copied in first (a bf16 or fp16
    # state's own sqrt would round to 8 or 11 bits)
    if v.dtype == torch.float32 and root:
        torch.sqrt(v, out=d)
    else:
        d.copy_(v)
        if root:
            d.sqrt_()
    d.add_(shift)
    if m.dtype == torch.float32:
        torch.div(m, d, out=r)
    else:
        r.copy_(m).div_(d)
    r.abs_()  # (NaN's sign too: every NaN's bits are then above +∞'s)


def _binned_together(
    tensors: list[Moments], counts: torch.Tensor, rows: list[int], shift: float, root: bool, start_bin: int
) -> None:
    """Small tensors sharing a scale and ε: concatenated (as float32), binned at once and counted into
    their ``rows`` of ``counts`` (zeroed first), tensor k's bins offset to its row."""
    device = counts.device
    sizes = torch.tensor([t.m.numel() for t in tensors], device=device)
    m = torch.cat([t.m.detach().reshape(-1).float() for t in tensors])
    v = torch.cat([t.v.detach().reshape(-1).float() for t in tensors])
    _bins(m, v, m, v, shift, root, start_bin)  # (the copies are ours to overwrite)
    index = torch.tensor(rows, device=device)
    where = m.view(torch.int32).long().add_((index * (BINS + 3)).repeat_interleave(sizes))
    counts.index_fill_(0, index, 0)
    counts.view(-1).index_put_((where,), torch.ones((), dtype=counts.dtype, device=device), accumulate=True)


def _any_nan(tensor: Moments) -> bool:
    """Whether any of ``tensor``'s r is NaN (the slow way, a chunk at a time: only for a tensor whose
    histogram overflowed)."""
    flat_m, flat_v = tensor.m.detach().reshape(-1), tensor.v.detach().reshape(-1)
    shift = tensor.eps * tensor.correction2_sqrt
    size = min(CHUNK, flat_m.numel())
    buffers = [torch.empty(size, dtype=torch.float32, device=flat_m.device) for _ in range(2)]
    for start in range(0, flat_m.numel(), CHUNK):
        m, v = flat_m[start : start + CHUNK], flat_v[start : start + CHUNK]
        r, d = (buffer[: m.numel()] for buffer in buffers)
        _quotient(m, v, r, d, shift, tensor.root)
        if bool(torch.isnan(r).any()):
            return True
    return False


def histogram_percentiles(
    counts: torch.Tensor, scales: float | list[float], quantiles: tuple[float, ...] = (10, 50, 90)
) -> np.ndarray:
    """numpy.percentile(r, quantiles)'s linear method, read off ``counts`` (r_histogram's, summed over
    processes; one histogram, or one a row) whose scale c₂ / c₁ is ``scales`` (one a row): within
    RELATIVE_ERROR (or ABSOLUTE_ERROR among the underflow); NaN where any r was NaN. The bins holding
    the ranks are found on the counts' device; only they (a few integers a row) reach the host, where
    the rest is a handful of small NumPy operations (as torch kernels they took 0.6 ms a step)."""
    rows = counts.reshape(-1, counts.shape[-1])
    ordered = rows[:, :NAN]  # underflow, the window, overflow
    sums = _block_sums(ordered)
    through = sums.cumsum(1)  # entries up to each block's end (int64: exact)
    n = through[:, -1:].cpu().numpy()  # (rows, 1)
    q = np.asarray(quantiles, dtype=np.float64) / 100.0
    position = q * (n - 1)  # (rows, quantiles)
    below = np.floor(position)
    fraction = position - below
    ranks = np.concatenate([below, np.minimum(below + 1.0, n - 1)], axis=1).astype(np.int64)

    # the value of the order statistic of each rank (0-based): in the bin holding it, as far along the
    # bin as its rank is along the bin's entries
    found = _bins_of_ranks(ordered, sums, through, torch.from_numpy(ranks).to(rows.device))
    bins, held, before = (x.cpu().numpy() for x in found)
    along = (ranks - before + 0.5) / held
    each = np.reshape(scales, -1).tolist()
    starts = {s: first_bin(s) for s in set(each)}  # (most rows share one scale)
    first = np.array([starts[s] for s in each], dtype=np.int64)[:, None]
    shifted = np.clip(first + bins - 1, 0, (1 << (31 - SHIFT)) - 2)  # (under/overflow: replaced below)
    low = (shifted << SHIFT).astype(np.int32).view(np.float32).astype(np.float64)
    high = ((shifted + 1) << SHIFT).astype(np.int32).view(np.float32).astype(np.float64)
    values = np.reshape(scales, (-1, 1)) * (low + (high - low) * along)
    values[bins == UNDER] = 0.0
    values[bins == OVER] = 10.0**LOG_HIGH
    lower, upper = values[:, : len(quantiles)], values[:, len(quantiles) :]
    out = (1.0 - fraction) * lower + fraction * upper
    out[rows[:, NAN].cpu().numpy() > 0] = math.nan
    return out[0] if counts.dim() == 1 else out


def _block_sums(ordered: torch.Tensor) -> torch.Tensor:
    """Each row's counts summed in blocks of :data:`READ_BLOCK` bins (the last block: what is left)."""
    rows, width = ordered.shape
    whole = width // READ_BLOCK * READ_BLOCK
    # (summed in the counts' own dtype: a block's sum is at most the tensor's size, which that dtype
    # holds; int64 sums of int32 counts took five times as long)
    blocks = ordered[:, :whole].reshape(rows, -1, READ_BLOCK).sum(2, dtype=ordered.dtype)
    return torch.cat([blocks, ordered[:, whole:].sum(1, keepdim=True, dtype=ordered.dtype)], 1)


def _bins_of_ranks(
    ordered: torch.Tensor, sums: torch.Tensor, through: torch.Tensor, ranks: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """For each rank (0-based, in sorted order) of each row of ``ordered`` (counts, whose block sums
    and their cumulative sums are ``sums`` and ``through``): the bin holding it, that bin's count and
    the count of the bins before it — found block first, then within the block, rather than by a
    cumulative sum of every bin (which wrote as much as the counts again: 2 ms a step for the
    benchmark's 53 tensors)."""
    rows, width = ordered.shape
    block = torch.searchsorted(through, ranks, right=True).clamp_(max=sums.shape[1] - 1)
    columns = block.unsqueeze(2) * READ_BLOCK + torch.arange(READ_BLOCK, device=ordered.device)
    counts = ordered.gather(1, columns.clamp(max=width - 1).reshape(rows, -1)).reshape(columns.shape)
    counts = torch.where(columns < width, counts, torch.zeros_like(counts))  # (the last block's end)
    within = counts.cumsum(2) + (through.gather(1, block) - sums.gather(1, block)).unsqueeze(2)
    at = torch.searchsorted(within, ranks.unsqueeze(2), right=True).clamp_(max=READ_BLOCK - 1)
    held = counts.gather(2, at).squeeze(2)
    return block * READ_BLOCK + at.squeeze(2), held, within.gather(2, at).squeeze(2) - held
