"""The vectorised building blocks against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamviz.sim.recurrence import bias_correction, linear_recurrence

from helpers import assert_close


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, float(np.nextafter(1.0, 0.0))])
@pytest.mark.parametrize("iterations", [1, 2, 7, 1000, 50_000])
def test_bias_correction_is_torchs_where_it_matters(beta, iterations):
    """Bit-equal to torch's ``1 - beta ** t`` while beta**t >= 1/2, within 6e-16 relative after."""
    t = np.arange(1, iterations + 1, dtype=np.float64)
    expected = 1.0 - beta**t
    got = bias_correction(beta, iterations)
    near_one = beta**t >= 0.5
    np.testing.assert_array_equal(got[near_one], expected[near_one])
    assert np.all(np.abs(got - expected) <= 6e-16 * expected)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1.0, 1.0),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300),
    st.floats(-10, 10),
)
def test_linear_recurrence_equals_its_loop(decay, drive, start):
    expected, x = [], start
    for d in drive:
        x = decay * x + d
        expected.append(x)
    got = linear_recurrence(decay, np.array(drive), start)
    scale = max(1.0, max(abs(e) for e in expected))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * scale)


def test_linear_recurrence_runs_along_the_last_axis():
    drive = np.arange(12.0).reshape(3, 4)
    got = linear_recurrence(0.5, drive)
    for row, d in zip(got, drive, strict=True):
        assert_close(row, linear_recurrence(0.5, d), 1e-15)
