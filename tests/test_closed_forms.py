"""Closed forms the simulator must reproduce exactly (DESIGN.md §5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, simulate, stream


@pytest.mark.parametrize("g", [1.0, -0.37, 2.5e-6, 1e8])
@pytest.mark.parametrize("optimizer", ["adam", "amsgrad", "adamw"])
def test_constant_gradient_has_unbiased_moments(g, optimizer):
    """g_t = g for all t  =>  m_hat_t = g, v_hat_t = g**2 and step = lr*g/(|g|+eps) from t = 1."""
    lr, eps = 0.03, 1e-8
    traj = simulate(np.full(500, g), optimizer=optimizer, lr=lr, eps=eps, beta1=0.9, beta2=0.999)
    np.testing.assert_allclose(traj.m_hat, g, rtol=1e-13)
    np.testing.assert_allclose(traj.v_hat, g * g, rtol=1e-12)
    np.testing.assert_allclose(traj.sqrt_v_hat, abs(g), rtol=1e-12)
    np.testing.assert_allclose(traj.step, lr * g / (abs(g) + eps), rtol=1e-12)
    np.testing.assert_allclose(traj.theta, -lr * g / (abs(g) + eps) * np.arange(1, 501), rtol=1e-12)


def test_without_bias_correction_moments_start_at_zero():
    """Bias correction off: m_hat_t = (1 - beta1**t) * g for a constant g (the bias the correction undoes)."""
    t = np.arange(1, 101)
    traj = simulate(np.full(100, 2.0), beta1=0.9, beta2=0.99, bias_correction=False)
    np.testing.assert_allclose(traj.m_hat, 2.0 * (1 - 0.9**t), rtol=1e-12)
    np.testing.assert_allclose(traj.v_hat, 4.0 * (1 - 0.99**t), rtol=1e-12)


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
