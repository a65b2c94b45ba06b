"""Shared test helpers."""

from __future__ import annotations

import numpy as np


def assert_close(
    actual: np.ndarray, expected: np.ndarray, rtol: float, what: str = "", floor: np.ndarray | None = None
) -> None:
    """Elementwise ``|a - e| <= rtol * max(|e|, floor)``.

    Pure relative error is meaningless where a value crosses zero by cancellation (a noisy stream's
    m_hat), so the default floor is a thousandth of the column's largest magnitude — still 1,000x
    tighter than an absolute tolerance at the column's scale. A running sum such as theta passes its
    own floor (see :func:`sum_floor`).
    """
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if floor is None:
        floor = np.max(np.abs(expected), axis=0, keepdims=True) * 1e-3
    bound = rtol * np.maximum(np.abs(expected), floor)
    error = np.abs(actual - expected)
    worst = np.unravel_index(np.argmax(error - bound), error.shape)
    assert np.all(error <= bound), (
        f"{what}: |{actual[worst]!r} - {expected[worst]!r}| = {error[worst]:.3g} > {bound[worst]:.3g} at {worst}"
    )


def sum_floor(steps: np.ndarray) -> np.ndarray:
    """The scale a running sum's rounding error is relative to: ``sum |step|`` so far.

    theta_t = theta_0 - sum(step) can cancel to near zero while its terms do not; the error of
    any computed sum is bounded relative to the sum of the magnitudes it added, not to the result.
    """
    return np.cumsum(np.abs(steps), axis=0)
