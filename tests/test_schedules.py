"""Learning-rate schedules (adamviz.sim.schedules): their closed forms, torch's own schedulers chained as
practitioners chain them, and every optimizer stepping lr_t."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamviz.sim import OPTIMIZERS, SCHEDULES, learning_rates, simulate, stream
from adamviz.sim.schedules import factors

from error_bounds import U, assert_within, trajectory_bounds
from reference_loop import reference_trajectory


def test_warmup_climbs_linearly_to_lr_then_each_schedule_starts_its_decay_at_lr():
    for schedule in SCHEDULES:
        f = factors(100, schedule, warmup=10, min_lr=0.2)
        np.testing.assert_array_equal(f[:10], np.arange(1, 11) / 10)
        assert abs(f[10] - 1.0) <= U, schedule  # the decay's first step: lr itself (min + (1 − min): ±½ ulp)
        assert np.all(np.diff(f[10:]) <= 0), f"{schedule} never rises after the warmup"


def test_the_decays_end_at_min_lr():
    assert factors(100, "linear", 10, 0.2)[-1] == 0.2
    # cos²(π/2) is (6.1e-17)², not 0: within 4e-33 of min_lr
    assert factors(100, "cosine", 10, 0.2)[-1] == pytest.approx(0.2, abs=4e-33)
    assert factors(100, "cosine", 10, 0.0)[-1] < 4e-33
    np.testing.assert_array_equal(factors(50, "constant", 0, 0.2), np.ones(50))


def test_the_cosine_is_the_half_cosine_between_its_bounds():
    f = factors(1001, "cosine", warmup=0, min_lr=0.1)
    p = np.arange(1001) / 1000
    np.testing.assert_allclose(f, 0.1 + 0.9 * (1 + np.cos(np.pi * p)) / 2, rtol=0, atol=8 * U)


def test_the_step_schedule_halves_at_each_quarter_and_never_goes_below_min_lr():
    f = factors(110, "step", warmup=10, min_lr=0.0)
    for k in range(4):  # D = 100: four plateaus of 25
        np.testing.assert_array_equal(f[10 + 25 * k : 10 + 25 * (k + 1)], 0.5**k)
    assert set(factors(110, "step", 10, 0.3)[10:]) == {1.0, 0.5, 0.3}
    odd = factors(17, "step")  # D = 17: plateaus of ⌈17/4⌉ = 5, the last two steps long
    assert odd.tolist() == [1.0] * 5 + [0.5] * 5 + [0.25] * 5 + [0.125] * 2


def test_a_warmup_longer_than_the_run_never_reaches_lr():
    np.testing.assert_array_equal(factors(5, "cosine", warmup=10), np.arange(1, 6) / 10)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(SCHEDULES)),
    st.integers(1, 400),
    st.integers(0, 500),
    st.floats(0.0, 1.0),
)
def test_every_factor_lies_between_min_lr_and_one(schedule, iterations, warmup, min_lr):
    f = factors(iterations, schedule, warmup, min_lr)
    after = f[warmup:]
    assert np.all((f > 0) | (min_lr == 0)) and np.all(f <= 1.0)
    assert np.all(after >= min_lr * (1 - 2 * U) - 1e-300)  # cos² may land a rounding below min_lr + 0
    assert np.all(np.diff(after) <= 0)


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            {"schedule": "exponential"},
            "schedule must be one of constant, cosine, linear, step; got 'exponential'",
        ),
        ({"warmup": -1}, "warmup must be an integer in [0, 1000000]; got -1"),
        ({"warmup": 2.5}, "warmup must be an integer in [0, 1000000]; got 2.5"),
        ({"min_lr": 1.5}, "min_lr must be a number in [0, 1]; got 1.5"),
        ({"min_lr": float("nan")}, "min_lr must be a number in [0, 1]; got nan"),
    ],
)
def test_bad_schedules_are_refused_by_name(bad, message):
    with pytest.raises(ValueError) as refused:
        simulate(np.ones(10), **bad)
    assert str(refused.value) == message


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_step_is_lr_t_times_the_direction(optimizer):
    """Each optimizer under a schedule takes the plain loop's steps with lr_t in place of lr, within
    the rounding-error bounds of tests/error_bounds.py (adamw also with its decoupled decay, whose
    shrink 1 − lr_t·w now changes every step)."""
    options = {"schedule": "cosine", "warmup": 30, "min_lr": 0.05, "lr": 0.03}
    decay = 0.1 if optimizer == "adamw" else 0.0
    for g in (stream("noisy", 300, 4), stream("reversal", 300, 5)):
        traj = simulate(g, optimizer=optimizer, weight_decay=decay, **options)
        rates = learning_rates(0.03, 300, "cosine", 30, 0.05)
        np.testing.assert_array_equal(traj.lr, rates)
        want = reference_trajectory(g.tolist(), optimizer=optimizer, weight_decay=decay, lr=rates.tolist())
        bounds = trajectory_bounds(
            g, np.array(want["theta"]), optimizer=optimizer, weight_decay=decay, **options
        )
        assert_within(traj.theta, np.array(want["theta"]), bounds["theta"][:, 0], what=f"{optimizer} θ")


def test_many_columns_take_the_same_rates():
    """The time-major path for many columns (sim/wide.py) steps lr_t as the scan does."""
    g = np.stack([stream("noisy", 500, seed) for seed in range(300)], axis=1)
    wide = simulate(g, schedule="linear", warmup=50)
    narrow = simulate(g[:, :5], schedule="linear", warmup=50)
    np.testing.assert_array_equal(wide.lr, narrow.lr)
    np.testing.assert_array_equal(wide.step, wide.lr[:, np.newaxis] * wide.scale)


def test_the_schedule_multiplies_the_step_and_leaves_adams_scale_alone():
    g = stream("consistent", 400, 1)
    plain, scheduled = simulate(g), simulate(g, schedule="cosine", warmup=40)
    np.testing.assert_array_equal(plain.scale, scheduled.scale)
    np.testing.assert_array_equal(scheduled.step, scheduled.lr * scheduled.scale)


def test_torchs_chained_schedulers_come_within_their_recursive_rounding():
    """SequentialLR(LinearLR warmup, CosineAnnealingLR / LinearLR / StepLR) is this closed form
    evaluated recursively, each lr from the last: each step rounds its ratio and product (≤ 4 U), so
    after k steps the two differ by ≤ 4kU of lr plus their own roundings (8U)."""
    torch = pytest.importorskip("torch")
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR, StepLR

    iterations, warmup, min_lr, lr = 2000, 100, 0.1, 0.01
    decay_steps = iterations - warmup
    for schedule in ("cosine", "linear", "step"):
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=lr)
        decay = {
            "cosine": lambda o: CosineAnnealingLR(o, T_max=decay_steps - 1, eta_min=min_lr * lr),
            "linear": lambda o: LinearLR(o, 1.0, min_lr, total_iters=decay_steps - 1),
            "step": lambda o: StepLR(o, math.ceil(decay_steps / 4), 0.5),
        }[schedule](optimizer)
        warm = LinearLR(optimizer, 1 / warmup, 1.0, total_iters=warmup - 1)
        chained = SequentialLR(optimizer, [warm, decay], milestones=[warmup])
        got = []
        for _ in range(iterations):
            got.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            chained.step()
        want = learning_rates(lr, iterations, schedule, warmup, min_lr if schedule != "step" else 0.0)
        steps = np.arange(1, iterations + 1)
        assert np.all(np.abs(np.array(got) - want) <= (4 * steps + 8) * U * lr), schedule
