"""Hypothesis properties over the whole valid input space of the Adam family."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adamviz.sim import simulate

betas = st.floats(0.0, 1.0, exclude_max=True)
eps = st.floats(1e-12, 1.0)
lr = st.floats(1e-6, 10.0)
magnitude = st.one_of(st.just(0.0), st.floats(1e-30, 1e30))
gradient = st.builds(lambda mag, sign: sign * mag, magnitude, st.sampled_from([-1.0, 1.0]))
gradients = st.lists(gradient, min_size=1, max_size=60)
optimizer = st.sampled_from(["adam", "amsgrad", "adamw"])

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(gradients, optimizer, betas, betas, eps, lr, st.booleans())
def test_every_output_is_finite(g, name, beta1, beta2, epsilon, rate, correct):
    traj = simulate(
        np.array(g), optimizer=name, beta1=beta1, beta2=beta2, eps=epsilon, lr=rate, bias_correction=correct
    )
    for key, values in traj.as_dict().items():
        assert np.all(np.isfinite(values)), key


def cauchy_schwarz_bound(beta1: float, beta2: float, t: np.ndarray) -> np.ndarray:
    """Upper bound on |m_hat_t| / sqrt(v_hat_t) for any gradients, when beta1**2 < beta2.

    m_t = (1-b1) sum b1^(t-k) g_k = (1-b1) sum (b1/sqrt(b2))^(t-k) * sqrt(b2)^(t-k) g_k, so by
    Cauchy–Schwarz m_t**2 <= (1-b1)**2 * sum (b1**2/b2)^j * v_t / (1-b2) and sum_j (b1**2/b2)^j
    < 1 / (1 - b1**2/b2); the corrections then contribute sqrt(1-b2**t) / (1-b1**t).
    """
    return (
        (1 - beta1)
        * np.sqrt(1 - beta2**t)
        / ((1 - beta1**t) * math.sqrt(1 - beta2) * math.sqrt(1 - beta1**2 / beta2))
    )


@PROFILE
@given(gradients, betas, betas, eps, lr)
def test_scale_obeys_cauchy_schwarz_bound(g, beta1, beta2, epsilon, rate):
    if not beta1 * beta1 < beta2:
        return
    traj = simulate(np.array(g), beta1=beta1, beta2=beta2, eps=epsilon, lr=rate)
    t = np.arange(1, len(g) + 1)
    live = traj.sqrt_v_hat > 0
    ratio = np.abs(traj.m_hat[live]) / traj.sqrt_v_hat[live]
    assert np.all(ratio <= cauchy_schwarz_bound(beta1, beta2, t[live]) * (1 + 1e-9))
    assert np.all(np.abs(traj.scale[live]) <= ratio)


@PROFILE
@given(gradients, betas, betas, eps, lr, st.floats(-10, 10))
def test_step_and_theta_agree(g, beta1, beta2, epsilon, rate, theta0):
    traj = simulate(np.array(g), beta1=beta1, beta2=beta2, eps=epsilon, lr=rate, theta0=theta0)
    np.testing.assert_allclose(traj.step, rate * traj.scale, rtol=0, atol=0)
    np.testing.assert_allclose(
        np.diff(traj.theta, prepend=theta0), -traj.step, rtol=1e-9, atol=1e-9 * (1 + abs(traj.theta).max())
    )


def test_the_bound_is_tight():
    """Gradients g_k proportional to (b1/b2)^(t-k) hit the bound as t grows (so 1e-9 slack is all there is)."""
    beta1, beta2, t = 0.9, 0.999, 400
    k = np.arange(1, t + 1)
    g = (beta1 / beta2) ** (t - k)
    traj = simulate(g, beta1=beta1, beta2=beta2)
    ratio = abs(traj.m_hat[-1]) / traj.sqrt_v_hat[-1]
    assert ratio / cauchy_schwarz_bound(beta1, beta2, np.array([t]))[0] > 0.999
