"""Adam, then SGD (adamviz.sim.switch): the hand-over, the rule for SGD's learning rate, and bad input.
torch's own run of it is in tests/data/torch_golden.npz (adam_then_sgd, adamw_then_sgd_decay)."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import descend, simulate, stream

from error_bounds import U


def test_before_the_switch_nothing_changes_and_after_it_momentum_starts_fresh():
    g = stream("noisy", 300, 3)
    plain, switched = simulate(g), simulate(g, switch_at=120, switch_lr=0.003)
    for key in ("m_hat", "sqrt_v_hat", "scale", "step", "theta"):
        np.testing.assert_array_equal(getattr(switched, key)[:120], getattr(plain, key)[:120])
    buffer = np.zeros(1)
    for t in range(120, 300):  # b = μ·b + g from b = 0, θ carried on
        buffer = 0.9 * buffer + g[t]
        assert switched.m[t] == buffer[0] and switched.step[t] == 0.003 * buffer[0]
    np.testing.assert_array_equal(switched.lr[120:], 0.003)
    assert switched.theta[120] == switched.theta[119] - switched.step[120]


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_the_rule_matches_adams_steps_on_steady_gradients(momentum):
    """On a constant gradient c Adam's steps are η (its scale is 1): the rule gives lr′ = (1 − μ)·η/c, and
    momentum's steps settle to lr′·c/(1 − μ) = η — within the rule's roundings and (μ^k) of the settling."""
    c = 3.0
    traj = simulate(np.full(600, c), switch_at=300, momentum=momentum)
    assert traj.lr[300] == pytest.approx((1 - momentum) * 0.01 / c, rel=1e-7)  # Adam's scale is 1 − O(ε/c)
    assert abs(traj.step[-1] - 0.01) <= 0.01 * (momentum**300 + 1e-7 + 16 * U)


def test_the_rule_follows_the_schedule_and_its_zero_cases():
    g = np.full(200, 2.0)
    traj = simulate(g, switch_at=100, schedule="linear", min_lr=0.5)
    f = traj.lr[:100] / 0.01
    factors = traj.lr[100:] / traj.lr[100]
    np.testing.assert_allclose(factors[-1], 0.5 / (0.5 + 0.5 * (1 - 100 / 199)), rtol=1e-12)  # f_T / f_101
    assert f[0] == 1.0
    zero = simulate(np.zeros(50), switch_at=20)  # no gradient before the switch: η itself
    np.testing.assert_array_equal(zero.lr[20:], 0.01)


def test_a_switch_at_or_past_the_end_is_no_switch():
    g = stream("reversal", 100, 1)
    for at in (0, 100, 5000):
        np.testing.assert_array_equal(simulate(g, switch_at=at).theta, simulate(g).theta)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"switch_at": -1}, "switch_at must be an integer in [0, 1000000]; got -1"),
        ({"switch_at": 2.5}, "switch_at must be an integer in [0, 1000000]; got 2.5"),
        ({"switch_lr": -0.1}, "switch_lr must be a number >= 0; got -0.1"),
    ],
)
def test_bad_switches_are_refused_by_name(bad, message):
    with pytest.raises(ValueError) as refused:
        simulate(np.ones(10), **bad)
    assert str(refused.value) == message


def test_the_closed_loop_switches_too():
    plain = descend("valley", 400, optimizer="adam")
    switched = descend("valley", 400, optimizer="adam", switch_at=200, switch_lr=0.001)
    np.testing.assert_array_equal(switched[0].theta[:200], plain[0].theta[:200])
    assert np.all(switched[0].lr[200:] == 0.001)
    assert not np.array_equal(switched[0].theta[200:], plain[0].theta[200:])
