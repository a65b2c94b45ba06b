"""r_t's percentiles from the recorder's on-device histogram (adamviz.record.device_percentiles) against
numpy.percentile over the same r in float64: within the module's derived bound, for tensors of any size,
any spread of magnitudes, zeros among them, every dtype torch keeps state in; NaN where r is NaN; the
optimizer's state never written."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from adamviz.record.device_percentiles import (  # noqa: E402
    ABSOLUTE_ERROR,
    CHUNK,
    NAN,
    PACKED,
    RELATIVE_ERROR,
    Moments,
    first_bin,
    histogram_percentiles,
    r_histogram,
    r_histograms,
)

QUANTILES = (10, 50, 90)


def assert_within_bound(m: torch.Tensor, v: torch.Tensor, t: int, betas=(0.9, 0.999), eps=1e-8) -> None:
    c1, c2 = 1 - betas[0] ** t, (1 - betas[1] ** t) ** 0.5
    held = (m.clone(), v.clone())
    got = histogram_percentiles(r_histogram(m, v, c1, c2, eps), c2 / c1)
    assert torch.equal(m, held[0]) and torch.equal(v, held[1])  # the state is read, never written
    assert_numpys(got, m, v, c1, c2, eps)


def assert_numpys(
    got: np.ndarray, m: torch.Tensor, v: torch.Tensor, c1: float, c2: float, eps: float
) -> None:
    r = np.abs(m.double().numpy().ravel()) / c1 / (np.sqrt(v.double().numpy().ravel()) / c2 + eps)
    true = np.percentile(r, QUANTILES)
    assert np.all(np.abs(got - true) <= RELATIVE_ERROR * true + ABSOLUTE_ERROR), (got, true)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5000),
    seed=st.integers(0, 2**32 - 1),
    decades=st.floats(0, 14),
    zeros=st.floats(0, 1),
    t=st.integers(1, 10_000),
    dtype=st.sampled_from(["float32", "float64", "bfloat16", "float16"]),
)
def test_percentiles_are_numpys_within_the_bound(n, seed, decades, zeros, t, dtype):
    rng = np.random.Generator(np.random.Philox(seed))
    m = rng.standard_normal(n) * 10.0 ** rng.uniform(-decades, 0, n)
    m[rng.random(n) < zeros] = 0.0  # rows that saw no gradient
    v = (m * m + 1e-3 * rng.random(n) * 10.0 ** -rng.uniform(0, decades, n)) * rng.uniform(0.5, 4, n)
    kind = getattr(torch, dtype)
    assert_within_bound(torch.tensor(m, dtype=kind), torch.tensor(v, dtype=kind), t)


def test_a_tensor_larger_than_a_chunk_is_binned_whole():
    rng = np.random.Generator(np.random.Philox(3))
    n = CHUNK + 12_345
    m = torch.tensor(rng.standard_normal(n), dtype=torch.float32)
    v = torch.tensor(rng.random(n) + 0.1, dtype=torch.float32)
    counts = r_histogram(m, v, 0.5, 0.5, 1e-8)
    assert int(counts.sum()) == n
    assert_within_bound(m, v, 7)


def test_many_tensors_at_once_each_get_their_own_row():
    """Small tensors binned together (sharing a scale and ε, or not) and large ones a chunk at a time, in
    one call: each row is its tensor's own — within the bound of numpy's percentiles, counting its
    entries, a NaN flagging only its own row."""
    rng = np.random.Generator(np.random.Philox(11))
    tensors, settings = [], []
    for k, n in enumerate([384, PACKED + 1, 7, 384, 2 * CHUNK + 5, 1, 2_000, 384]):
        t = 1 + 5 * (k % 3)  # three scales, two values of ε among the small ones
        c1, c2, eps = 1 - 0.9**t, (1 - 0.999**t) ** 0.5, 1e-8 if k % 2 else 1e-6
        m = torch.tensor(rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 0, n), dtype=torch.float32)
        v = torch.tensor(rng.random(n) * 10.0 ** rng.uniform(-12, 0, n), dtype=torch.float32)
        tensors.append(Moments(m, v, c1, c2, eps))
        settings.append((c1, c2, eps))
    tensors[3].m[100] = float("nan")
    counts = r_histograms(tensors)
    percentiles = histogram_percentiles(counts, [c2 / c1 for c1, c2, _ in settings])
    for k, (tensor, (c1, c2, eps)) in enumerate(zip(tensors, settings, strict=True)):
        assert int(counts[k, :NAN].sum()) == tensor.m.numel()
        if k == 3:
            assert int(counts[k, NAN]) == 1 and np.isnan(percentiles[k]).all()
        else:
            assert int(counts[k, NAN]) == 0
            assert_numpys(percentiles[k], tensor.m, tensor.v, c1, c2, eps)


def test_a_scale_that_would_put_the_window_outside_float32_is_refused():
    for scale in (1e26, 1e-36):
        with pytest.raises(ValueError, match="scale c2/c1 = 1e"):
            first_bin(scale)
    assert first_bin(8e25) > 0 and first_bin(3e-35) > 0


def test_a_nan_anywhere_gives_nan_and_zeros_underflow_to_zero():
    m, v = torch.zeros(100), torch.ones(100)
    zeros = histogram_percentiles(r_histogram(m, v, 0.1, 0.1, 1e-8), 1.0)
    np.testing.assert_array_equal(zeros, [0.0, 0.0, 0.0])
    m[37] = float("nan")  # a positive NaN …
    v[3], v[4] = 0.0, float("inf")  # … and 0/0 and ∞ … : x86's NaN of an invalid operation is negative
    m[4] = float("inf")
    counts = r_histogram(m, v, 0.1, 0.1, 0.0)
    assert int(counts[NAN]) == 1  # (a flag, not a count)
    assert np.isnan(histogram_percentiles(counts, 1.0)).all()


@pytest.mark.parametrize(("beta1", "beta2", "t"), [(0.999, 0.99999, 1), (0.5, 0.9, 1), (0.9, 0.999, 10**6)])
def test_the_window_follows_the_scale_from_1e_minus_12_to_1e4(beta1, beta2, t):
    """Whatever c₂/c₁ (from 0.0032 to 1000 here), r from 10⁻¹² to 10⁴ (and at times more) falls in the
    window (read within the bound), smaller underflows to 0, and r beyond it (10⁶ is) reads as 10⁴."""
    c1, c2 = 1 - beta1**t, (1 - beta2**t) ** 0.5
    for target in (1e-12 * 1.001, 1e-6, 1.0, 9_990.0):
        r = np.full(11, target)  # r = |m| / c₁ / (√v / c₂ + ε) with v = 1, ε = 0
        m = torch.tensor(r * c1 / c2, dtype=torch.float32)
        got = histogram_percentiles(r_histogram(m, torch.ones(11), c1, c2, 0.0), c2 / c1)
        exact = np.abs(m.double().numpy()) / c1 * c2
        assert np.all(np.abs(got - exact[0]) <= RELATIVE_ERROR * exact[0]), (target, got)
    for target, expected in ((1e-12 / 1.01, 0.0), (1e6, 1e4), (1e30, 1e4)):
        m = torch.full((11,), target * c1 / c2, dtype=torch.float32)
        got = histogram_percentiles(r_histogram(m, torch.ones(11), c1, c2, 0.0), c2 / c1)
        np.testing.assert_array_equal(got, [expected] * 3)


def test_the_bound_is_reached_at_a_bins_far_edge():
    """An r just below a bin's upper edge, alone: read by rank halfway along its bin, off by about half a
    bin; the bound (a whole bin) holds and is within a factor 3 of what is seen — it is not loose."""
    r = np.float32(1.0) * np.float32(1 + 2**-9 - 2**-23)  # the last float32 of the bin [1, 1 + 2⁻⁹)
    got = histogram_percentiles(r_histogram(torch.tensor([r]), torch.ones(1), 1.0, 1.0, 0.0), 1.0)
    error = abs(got[0] - float(r)) / float(r)
    assert RELATIVE_ERROR / 3 < error <= RELATIVE_ERROR
