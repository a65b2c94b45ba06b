"""The vectorised building blocks against their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamviz.sim.recurrence import NEGLIGIBLE_DECAY, bias_correction, linear_recurrence

from error_bounds import U, correction_rtol, moving_average_rtol

BETAS = [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, float(np.nextafter(1.0, 0.0))]


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("iterations", [1, 2, 7, 1000, 50_000])
def test_bias_correction_is_torchs_where_it_matters(beta, iterations):
    """Bit-equal to torch's ``1 - beta ** t`` (Python floats: the C library's pow) while
    beta**t >= 1/2; within correction_rtol after (powers built by doubling)."""
    expected = np.array([1.0 - beta ** float(t) for t in range(1, iterations + 1)])
    got = bias_correction(beta, iterations)
    near_one = np.array([beta ** float(t) >= 0.5 for t in range(1, iterations + 1)])
    np.testing.assert_array_equal(got[near_one], expected[near_one])
    assert np.all(np.abs(got - expected) <= correction_rtol(iterations) * expected)


def test_bias_correction_does_not_use_numpys_simd_power():
    """β = 0.99999, t = 1..20,000 is where NumPy's AVX-512 power and the C library's pow disagree
    in ~7% of the results (when NumPy dispatches to those kernels); torch uses pow."""
    beta = 0.99999
    expected = np.array([1.0 - math.pow(beta, t) for t in range(1, 20_001)])
    np.testing.assert_array_equal(bias_correction(beta, 20_000), expected)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1.0, 1.0),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300),
    st.floats(-10, 10),
)
def test_linear_recurrence_equals_its_loop(decay, drive, start):
    """Within moving_average_rtol of the plain loop, relative to the same sum over |terms|, plus the
    terms the scan drops by design (NEGLIGIBLE_DECAY of the row's largest such sum)."""
    expected, x, magnitude = [], start, abs(start)
    magnitudes, rtols = [], []
    for t, d in enumerate(drive, start=1):
        x = decay * x + d
        magnitude = abs(decay) * magnitude + abs(d)
        expected.append(x)
        magnitudes.append(magnitude)
        rtols.append(moving_average_rtol(t, len(drive)))
    bound = np.array(rtols) * np.array(magnitudes) + NEGLIGIBLE_DECAY * max(magnitudes)
    got = linear_recurrence(decay, np.array(drive), start)
    assert np.all(np.abs(got - np.array(expected)) <= bound)


def test_linear_recurrence_runs_along_the_last_axis():
    drive = np.arange(12.0).reshape(3, 4)
    got = linear_recurrence(0.5, drive)
    for row, d in zip(got, drive, strict=True):
        np.testing.assert_array_equal(row, linear_recurrence(0.5, d))


def test_unit_roundoff_is_float64s():
    assert 1.0 + U == 1.0 and 1.0 + 2 * U > 1.0
