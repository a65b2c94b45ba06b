"""Streams are seeded, registered, shaped as documented, and teach what the explorer's text says."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import STREAMS, simulate, stream
from adamviz.sim.precision import to_float16

SEEDS = range(40)


def test_registry_has_the_three_scenarios_in_order():
    assert list(STREAMS)[:3] == ["consistent", "noisy", "reversal"]


@pytest.mark.parametrize("name", list(STREAMS))
def test_same_seed_same_array_and_other_seed_other_array(name):
    a, b, c = stream(name, 500, seed=3), stream(name, 500, seed=3), stream(name, 500, seed=4)
    assert a.dtype == np.float64 and a.shape == (500,)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", list(STREAMS))
def test_longer_stream_extends_shorter(name):
    """The counter-based generator makes stream(n) a prefix of stream(n + k): changing the iteration
    count never redraws the history already shown."""
    np.testing.assert_array_equal(stream(name, 1000, seed=9)[:100], stream(name, 100, seed=9))


def test_golden_values_from_numpy_philox():
    """First draws for seed 0, recorded from NumPy 2.4's Philox(key=0) (NumPy keeps bit generator output
    stable across releases); the browser port is pinned to the same numbers."""
    assert np.random.Philox(key=0).random_raw(2).tolist() == [0x02F4BA6408E4D89B, 0x3DD62B0B9CA8C5B2]
    assert stream("consistent", 3, 0).tolist() == [0.5115467542863316, 0.7415491965627181, 0.6114258555149382]
    assert stream("noisy", 3, 0).tolist() == [-1.1722877897128041, -0.6202819282494765, -0.9325779467641482]
    assert stream("reversal", 3, 0).tolist() == [0.8534640262858995, 0.9224647589688154, 0.8834277566544815]


def test_shapes_are_as_documented():
    g = stream("consistent", 20_000, seed=1, mean=2.0, noise=0.25)
    assert g.min() >= 1.75 and g.max() < 2.25 and abs(g.mean() - 2.0) < 0.01
    g = stream("noisy", 20_000, seed=1, noise=0.5)
    assert g.min() >= -0.5 and g.max() < 0.5 and abs(g.mean()) < 0.01
    g = stream("reversal", 200, seed=1, noise=0.0, amplitude=3.0, flip_every=25)
    expected = np.repeat([3.0, -3.0, 3.0, -3.0, 3.0, -3.0, 3.0, -3.0], 25)
    np.testing.assert_array_equal(g, expected)
    g = stream("sparse", 20_000, seed=1, probability=0.25, size=3.0)
    assert set(np.unique(g)) == {0.0, 3.0} and abs((g > 0).mean() - 0.25) < 0.01
    g = stream("shrinking", 300, seed=1, size=2.0, drop_at=100, factor=10.0, noise=0.0)
    np.testing.assert_array_equal(g, np.repeat([2.0, 0.2], [100, 200]))
    g = stream("shrinking", 20_000, seed=1)
    assert np.all((g[:100] >= 0.5) & (g[:100] < 1.5)) and np.all((g[100:] >= 0.005) & (g[100:] < 0.015))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("steady", 10),
            "stream must be one of consistent, noisy, reversal, sparse, shrinking; got 'steady'",
        ),
        (("noisy", 0), "iterations must be an integer in [1, 1000000]; got 0"),
        (("noisy", 10, -1), "seed must be an integer in [0, 4294967295]; got -1"),
        (("noisy", 10, 2.5), "seed must be an integer in [0, 4294967295]; got 2.5"),
    ],
)
def test_bad_arguments_are_named(args, message):
    with pytest.raises(ValueError) as error:
        stream(*args)
    assert str(error.value) == message


def test_unknown_shape_parameter_is_named():
    with pytest.raises(ValueError, match="noisy has no shape parameter 'mean'; it takes: noise"):
        stream("noisy", 10, mean=1.0)


# The explorer's card texts (app/text.py) make these claims about the default streams; they must hold
# for every seed, not just the one in a screenshot.


def test_claim_consistent_scale_stays_near_one():
    for seed in SEEDS:
        scale = simulate(stream("consistent", 200, seed)).scale
        assert np.all((scale[10:] > 0.75) & (scale[10:] < 1.2)), seed


def test_claim_noisy_scale_shrinks():
    for seed in SEEDS:
        consistent = np.abs(simulate(stream("consistent", 200, seed)).scale[20:]).mean()
        noisy = np.abs(simulate(stream("noisy", 200, seed)).scale[20:]).mean()
        assert noisy < 0.3 < 0.9 < consistent, seed


def test_claim_reversal_scale_drops_through_zero_and_rebuilds():
    for seed in SEEDS:
        traj = simulate(stream("reversal", 200, seed))
        for flip in (50, 100, 150):  # steps 51, 101, 151 carry the new sign
            before, after = traj.scale[flip - 1], traj.scale[flip : flip + 30]
            crossing = int(np.flatnonzero(np.sign(after) != np.sign(before))[0])
            assert crossing < 10, (seed, flip)
            assert abs(before) > 0.7 and abs(after[-1]) > 0.7 and np.sign(after[-1]) == -np.sign(before)
            np.testing.assert_allclose(traj.sqrt_v_hat[flip : flip + 30], 1.0, atol=0.1)


# The lecture deck's slides (app/text.py DECK) make these claims.


def test_claim_without_bias_correction_first_steps_are_up_to_three_times_too_large():
    for seed in SEEDS:
        g = stream("consistent", 200, seed)
        raw = simulate(g, bias_correction=False).scale
        corrected = simulate(g).scale
        assert raw[:5].max() > 2.5 and raw[0] < 3.3  # (1 - 0.9) / sqrt(1 - 0.999) = 3.16 at t = 1
        assert corrected[:5].max() < 1.05


def test_claim_half_precision_and_eps():
    """Slide "Half precision and ε" and its preset, on gradients ×1e-4 in float16: (1 − β₂)·g² rounds to
    0 so v stays 0 on every stream; each step is lr·m̂/ε (up to the roundings of θ), on the
    slide's steady stream 94–103 η (median per seed, after ten steps): "100 η"; at ε = 1e-8, itself 0
    in float16, θ is ±∞ after the first step and never finite again (∞ − ∞ is NaN) — −∞ on the steady
    stream."""
    held_eps = to_float16(1e-6)
    assert to_float16(1e-8) == 0 and 5e-8 < to_float16(2.0**-24) < 7e-8
    for seed in SEEDS:
        for name in ("consistent", "noisy", "reversal"):
            g = stream(name, 200, seed) * float("1e-4")
            run = simulate(g, precision="float16", **{"eps": 1e-6})
            assert np.all(run.v == 0) and np.all(np.isfinite(run.theta)), (seed, name)
            # θ + step is rounded to float32, then to float16: half an ulp of each
            magnitude = np.abs(run.theta)
            theta_ulps = sum(np.spacing(magnitude.astype(f)).astype(float) for f in (np.float16, np.float32))
            quotient = 0.01 * run.m_hat / held_eps  # torch's: two float32 roundings (≤ 2⁻²³) from it
            bound = theta_ulps / 2 + 2.0**-22 * np.abs(quotient)
            assert np.all(np.abs(run.step - quotient) <= bound), (seed, name)
            lost = simulate(g, precision="float16", eps=1e-8).theta
            assert np.isinf(lost[0]) and not np.isfinite(lost).any(), (seed, name)
            if name == "consistent":
                assert 90 < np.median(run.step[10:] / 0.01) < 110, seed
                assert lost[0] == -np.inf, seed


def test_claim_long_memory_turns_several_times_slower():
    for seed in SEEDS:
        g = stream("reversal", 200, seed)
        short, long = simulate(g, beta1=0.9).m_hat, simulate(g, beta1=0.99).m_hat
        turn_short = int(np.flatnonzero(short[50:] < 0)[0])
        turn_long = int(np.flatnonzero(long[50:] < 0)[0])
        assert turn_long >= 3 * turn_short, (seed, turn_short, turn_long)
        assert np.all(simulate(g, beta1=0.99).step[50 : 50 + turn_long] > 0)  # theta keeps moving the old way


def test_claim_large_eps_shrinks_the_scale_for_every_stream():
    for seed in SEEDS:
        for name in ("consistent", "noisy", "reversal"):
            g = stream(name, 200, seed)
            small, large = simulate(g).scale, simulate(g, eps=0.5).scale
            assert np.abs(large).mean() < 0.8 * np.abs(small).mean(), (seed, name)


def test_claim_step_size_does_not_depend_on_the_gradient_size():
    g = stream("consistent", 200, 1)
    for factor in (1e-3, 1e3):
        np.testing.assert_allclose(simulate(factor * g).scale, simulate(g).scale, rtol=1e-4)


# The slides and cards about other optimizers and the new streams (app/text.py) make these claims.


def test_claim_adam_ignores_the_gradient_scale_and_sgd_does_not():
    """Slide "Adam vs SGD": at gradient scale 100, SGD's step/η is about 100; Adam's the same to 7 digits."""
    for seed in SEEDS:
        g = stream("consistent", 200, seed)
        sgd = simulate(100.0 * g, optimizer="sgd", lr=0.01).step / 0.01
        assert 90 < sgd[10:].mean() < 110, seed
        np.testing.assert_allclose(simulate(100.0 * g).scale, simulate(g).scale, rtol=1e-7)


def test_claim_momentum_builds_up_to_one_over_one_minus_mu():
    """Slide "Momentum is Adam's m, undamped": steps about 1/(1 − μ) = 10 × the gradient; Adam's near 1."""
    for seed in SEEDS:
        g = stream("consistent", 200, seed)
        momentum = simulate(g, optimizer="momentum", momentum=0.9).step[50:] / 0.01
        assert np.all((momentum > 7) & (momentum < 13)), seed
        assert np.all(np.abs(simulate(g).scale[50:] - 1) < 0.25), seed


def test_claim_rmsprop_first_step_and_noise():
    """Slide "RMSProp": first step 1/√(1 − β₂) ≈ 32 η; on noise, steps over ten times Adam's."""
    for seed in SEEDS:
        g = stream("noisy", 200, seed)
        rmsprop = simulate(g, optimizer="rmsprop").step / 0.01
        assert abs(abs(rmsprop[0]) - 1 / np.sqrt(1 - 0.999)) < 0.01, seed
        adam = simulate(g).scale
        assert np.abs(rmsprop[20:]).mean() > 10 * np.abs(adam[20:]).mean(), seed


def test_claim_sparse_gradients_get_about_three_times_the_rate():
    """Card and slide "sparse": √v̂ ≈ 0.3 and η/(√v̂+ε) about 3 (1/√0.1) times that of a steady gradient
    of the same size — from iteration 100 on, between 2½ and 5 times, as the rare gradients fall."""
    for seed in SEEDS:
        sparse = simulate(stream("sparse", 200, seed)).sqrt_v_hat
        steady = simulate(np.ones(200)).sqrt_v_hat
        ratio = (steady + 1e-8) / (sparse + 1e-8)
        assert np.all((ratio[99:] > 2.3) & (ratio[99:] < 5)), (seed, ratio[99:].min(), ratio[99:].max())
        assert np.all((sparse[99:] > 0.2) & (sparse[99:] < 0.42)), seed


def test_claim_shrinking_gradient_collapses_the_scale_and_it_climbs_back_slowly():
    """Card and slide "shrinking" (β₂ = 0.99): m̂ follows within a few dozen steps, √v̂ needs about 100 to
    halve, the scale falls to about 0.01 and climbs past 0.5 around step 800–950; at β₂ = 0.999 it is
    still below 0.2 at step 1,500."""
    for seed in SEEDS:
        g = stream("shrinking", 1500, seed)
        fast = simulate(g, beta2=0.99)
        assert np.all(np.abs(fast.m_hat[100 + 60 :]) < 0.02), seed  # 1 → 0.01 in ln(100)/(1−β₁) ≈ 46 steps
        halved = int(np.flatnonzero(fast.sqrt_v_hat[100:] < fast.sqrt_v_hat[99] / 2)[0])
        assert 80 <= halved <= 140, (seed, halved)
        lowest = fast.scale[100:300].min()
        assert 0.005 < lowest < 0.025, (seed, lowest)
        back = int(np.flatnonzero(fast.scale[200:] > 0.5)[0]) + 201  # the step number (from 1)
        assert 800 <= back <= 950, (seed, back)
        slow = simulate(g, beta2=0.999)
        assert slow.scale[150:].max() < 0.2, seed


def test_claim_adamw_decays_alike_and_l2_barely_at_large_gradients():
    """Slide "AdamW vs Adam + L2" (gradients ×100, w = 0.5, 1,000 steps): AdamW's θ settles near −2;
    Adam + L2's is past −9 by step 1,000; at gradient scale 1 the two end within 15% of each other."""
    for seed in SEEDS:
        g = stream("consistent", 1000, seed)
        adamw = simulate(100.0 * g, optimizer="adamw", weight_decay=0.5).theta
        l2 = simulate(100.0 * g, optimizer="adam", weight_decay=0.5).theta
        assert np.all(adamw > -2.1) and -2.1 < adamw[-1] < -1.7, seed
        assert l2[-1] < -9, seed
        same_w = simulate(g, optimizer="adamw", weight_decay=0.5).theta[-1]
        same_l2 = simulate(g, optimizer="adam", weight_decay=0.5).theta[-1]
        assert abs(same_l2 - same_w) < 0.15 * abs(same_w), seed


def test_claim_equal_betas_keep_the_scale_below_one():
    """Preset "β₁ = β₂": |m̂| ≤ √v̂ (a weighted mean is at most the weighted root-mean-square), so
    |scale| < 1 on every step, for every stream."""
    for seed in SEEDS:
        for name in STREAMS:
            scale = simulate(stream(name, 500, seed), beta1=0.99, beta2=0.99).scale
            assert np.all(np.abs(scale) < 1 + 1e-12), (seed, name)


def test_claim_sign_descent():
    """Preset "sign descent": β₁ = β₂ = 0 makes the scale g/(|g|+ε), the sign of g wherever |g| ≫ ε."""
    for seed in SEEDS:
        for name in STREAMS:
            g = stream(name, 200, seed)
            scale = simulate(g, beta1=0.0, beta2=0.0).scale
            big = np.abs(g) > 1e-4
            np.testing.assert_allclose(scale[big], np.sign(g[big]), atol=1e-4)
            assert np.all(scale[g == 0] == 0)


def test_claim_a_schedule_multiplies_the_step_and_leaves_the_scale():
    """Slide "Schedules multiply, Adam divides": warmup 40, cosine to η/10 over 400 steps."""
    slide = {"schedule": "cosine", "warmup": 40, "min_lr": 0.1}
    for seed in SEEDS:
        g = stream("consistent", 400, seed)
        plain, scheduled = simulate(g), simulate(g, **slide)
        np.testing.assert_array_equal(scheduled.scale, plain.scale)  # the same, to the bit
        np.testing.assert_array_equal(scheduled.step, scheduled.lr * scheduled.scale)
        assert np.all((scheduled.scale[10:] > 0.75) & (scheduled.scale[10:] < 1.2)), seed
        assert scheduled.lr[0] == 0.01 / 40 and scheduled.lr[39] == 0.01 and scheduled.lr[-1] == 0.001


def test_claim_why_warm_up():
    """Slide "Why warm up": on noise the first step is a full η; the first ten steps move 0.2–0.8 η a
    step, more than Adam settles to after step 100 (0.1–0.3 η) for every seed and twice as much for the
    median seed; a 20-step warmup cuts them to 0.04–0.2 η and leaves the scale alone."""
    ratios = []
    for seed in SEEDS:
        g = stream("noisy", 200, seed)
        plain, warm = simulate(g), simulate(g, warmup=20)
        moves = np.abs(plain.step) / 0.01
        assert abs(moves[0] - 1) < 1e-5, seed  # m̂₁/√v̂₁ = g₁/|g₁| (ε aside)
        early, late = moves[:10].mean(), moves[100:].mean()
        assert 0.2 <= early <= 0.85 and 0.1 <= late <= 0.3 and early > late, (seed, early, late)
        ratios.append(early / late)
        warmed = np.abs(warm.step[:10]).mean() / 0.01
        assert 0.03 <= warmed <= 0.21 and abs(warm.step[0]) / 0.01 == pytest.approx(1 / 20, rel=1e-5), seed
        np.testing.assert_array_equal(warm.scale, plain.scale)
    assert 1.8 <= np.median(ratios) <= 2.4


def test_claim_adam_then_sgd_goes_on_at_adams_step():
    """Slide "Adam, then SGD": switch at 100 on the steady stream, μ = 0.9."""
    for seed in SEEDS:
        g = stream("consistent", 200, seed)
        traj = simulate(g, switch_at=100)
        assert 0.09 <= traj.lr[100] / 0.01 <= 0.105, seed  # lr′ ≈ η/10
        adam, sgd = np.abs(traj.step[50:100]).mean(), np.abs(traj.step[150:]).mean()
        assert 1 / 1.12 <= sgd / adam <= 1.12, (seed, sgd / adam)
        assert abs(traj.step[100]) < abs(traj.step[99])  # no jump: the fresh buffer starts at g
        assert 9 <= traj.m_hat[150:].mean() / g[150:].mean() <= 11  # b ≈ g/(1 − μ) = 10 g
