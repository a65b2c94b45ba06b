"""Closed forms the simulator must reproduce (to within its rounding-error bounds, tests/error_bounds.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, simulate, stream

from error_bounds import U, assert_within, trajectory_bounds


@pytest.mark.parametrize("g", [1.0, -0.37, 2.5e-6, 1e8])
@pytest.mark.parametrize("optimizer", ["adam", "amsgrad", "adamw"])
def test_constant_gradient_has_unbiased_moments(g, optimizer):
    """g_t = g for all t  =>  m_hat_t = g, v_hat_t = g**2 and step = lr*g/(|g|+eps) from t = 1.

    Tolerances: the rounding-error bounds of tests/error_bounds.py against exact arithmetic
    (``power_ulps=1``), plus the few roundings of the expected expression.
    """
    lr, eps, iterations = 0.03, 1e-8, 500
    gradients = np.full(iterations, g)
    traj = simulate(gradients, optimizer=optimizer, lr=lr, eps=eps, beta1=0.9, beta2=0.999)
    bounds = trajectory_bounds(gradients, traj.theta, optimizer=optimizer, lr=lr, eps=eps, power_ulps=1)
    step = lr * g / (abs(g) + eps)
    assert_within(traj.m_hat, np.full(iterations, g), bounds["m_hat"][:, 0], what="m_hat")
    assert_within(traj.sqrt_v_hat, np.full(iterations, abs(g)), bounds["sqrt_v_hat"][:, 0], what="sqrt_v_hat")
    v_hat_bound = 2 * abs(g) * bounds["sqrt_v_hat"][:, 0] + 2 * U * g * g  # v_hat = sqrt_v_hat**2, rounded
    assert_within(traj.v_hat, np.full(iterations, g * g), v_hat_bound, what="v_hat")
    assert_within(traj.step, np.full(iterations, step), bounds["step"][:, 0] + 4 * U * abs(step), what="step")
    expected_theta = -step * np.arange(1, iterations + 1)
    assert_within(
        traj.theta, expected_theta, bounds["theta"][:, 0] + 5 * U * abs(expected_theta), what="theta"
    )


def test_without_bias_correction_moments_start_at_zero():
    """Bias correction off: m_hat_t = (1 - beta1**t) * g for a constant g (the bias the correction undoes)."""
    t = np.arange(1, 101)
    g = np.full(100, 2.0)
    traj = simulate(g, beta1=0.9, beta2=0.99, bias_correction=False)
    bounds = trajectory_bounds(g, traj.theta, beta1=0.9, beta2=0.99, bias_correction=False, power_ulps=1)
    expected_m = 2.0 * (1 - 0.9 ** t.astype(float))  # pow within 1 ulp, then two roundings
    assert_within(traj.m_hat, expected_m, bounds["m_hat"][:, 0] + 4 * U * 2.0, what="m_hat")
    expected_v = 4.0 * (1 - 0.99 ** t.astype(float))
    v_bound = 2 * np.sqrt(expected_v) * bounds["sqrt_v_hat"][:, 0] + 4 * U * 4.0
    assert_within(traj.v_hat, expected_v, v_bound, what="v_hat")


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_zero_gradient_never_moves(optimizer):
    traj = simulate(np.zeros((50, 3)), optimizer=optimizer, theta0=1.25)
    assert np.all(traj.theta == 1.25)
    assert np.all(traj.step == 0.0)
    assert np.all(traj.scale == 0.0)


def test_reversal_first_moment_changes_sign_where_predicted():
    """A noiseless square wave of amplitude A: after a flip at step k the raw first moment obeys
    m_{k+j} = beta1**j * m_k - A * (1 - beta1**j), which first turns negative at
    j* = ceil(log(A / (m_k + A)) / log(beta1))."""
    beta1, amplitude, flip_every = 0.9, 1.0, 50
    g = stream("reversal", 200, seed=0, noise=0.0, amplitude=amplitude, flip_every=flip_every)
    traj = simulate(g, beta1=beta1)
    m_at_flip = traj.m[flip_every - 1]
    j_star = math.ceil(math.log(amplitude / (m_at_flip + amplitude)) / math.log(beta1))
    first_negative = int(np.flatnonzero(traj.m[flip_every:] < 0)[0]) + 1
    assert first_negative == j_star
    assert np.all(traj.m[flip_every - 1 : flip_every - 1 + j_star] > 0)
    # m_hat shares m's sign (the correction is a positive factor)
    assert np.array_equal(np.sign(traj.m_hat), np.sign(traj.m))


def test_columns_are_independent_parameters():
    g = np.stack([stream(name, 300, seed=4) for name in ("consistent", "noisy", "reversal")], axis=1)
    together = simulate(g, lr=0.02)
    for k in range(3):
        alone = simulate(g[:, k], lr=0.02)
        np.testing.assert_array_equal(together.theta[:, k], alone.theta)
        np.testing.assert_array_equal(together.scale[:, k], alone.scale)
