"""adamviz.sim.population: the distribution it promises, its seeding, its checks, and the engine's
copy of it (bit for bit) and of the r_t diagnostic (within the rounding bounds of tests/error_bounds.py)."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_node import run_engine

from adamviz.sim import simulate
from adamviz.sim.population import (
    LOG_GRID,
    PERCENTILE_BLOCK_BYTES,
    SQRT3,
    STEPS_PER_DECADE,
    population,
    population_parameters,
    population_shapes,
    rt_percentiles,
    update_rms_for_noise,
)

from error_bounds import trajectory_bounds

U = 2.0**-53


def test_shape_seed_and_determinism():
    g = population(50, 30, seed=4)
    assert g.shape == (30, 50) and g.dtype == np.float64
    np.testing.assert_array_equal(g, population(50, 30, seed=4))
    assert not np.array_equal(g, population(50, 30, seed=5))
    # parameters are drawn first: more iterations extend the same columns
    np.testing.assert_array_equal(population(50, 60, seed=4)[:30], g)


def test_each_dense_parameter_has_its_magnitude_and_spread():
    """μ² + σ² = s² and σ/|μ| = γ, exactly up to a few roundings (each ≤ U relative)."""
    p = population_parameters(2000, seed=1)
    dense = ~p.sparse
    sigma = p.noise / SQRT3
    np.testing.assert_allclose((p.mean**2 + sigma**2)[dense], p.magnitude[dense] ** 2, rtol=16 * U, atol=0)
    np.testing.assert_allclose((sigma / np.abs(p.mean))[dense], p.spread[dense], rtol=16 * U, atol=0)


def test_sparse_parameters_report_their_on_and_off_gradient():
    """A sparse gradient B·g (B ~ Bernoulli(q)) has mean q·μ and mean square q·(μ² + σ²)."""
    q = population_shapes()["sparse_probability"]
    p = population_parameters(2000, seed=2)
    sparse = p.sparse
    assert 100 < sparse.sum() < 300  # ~10% of 2,000; binomial sd 13
    sigma = p.noise / SQRT3
    mean_square = q * (p.mean**2 + sigma**2)
    np.testing.assert_allclose(p.magnitude[sparse] ** 2, mean_square[sparse], rtol=32 * U)
    variance = mean_square - (q * p.mean) ** 2
    np.testing.assert_allclose(p.spread[sparse], np.sqrt(variance / (q * p.mean) ** 2)[sparse], rtol=1e-12)


def test_magnitudes_and_spreads_are_log_uniform_on_their_grid():
    p = population_parameters(60_000, seed=3, sparse_fraction=0.0)
    grid = np.array([10.0**k * m for k in range(-3, 3) for m in LOG_GRID])
    assert np.isin(p.magnitude, grid).all()
    decades = np.floor(np.log10(p.magnitude) + 1e-12).astype(int)
    counts = np.bincount(decades + 3, minlength=6)
    # each decade holds 1/6 of 60,000 = 10,000; binomial sd 91, so ±6 sd is 550
    assert np.abs(counts - 10_000).max() < 550, counts
    assert p.spread.min() >= 0.1 and p.spread.max() < 10.0
    assert len(LOG_GRID) == STEPS_PER_DECADE


def test_gradients_have_the_drawn_mean():
    """Sample means over 4,000 steps: within 6 standard errors σ/√T of μ for every dense parameter."""
    n, steps = 400, 4000
    g = population(n, steps, seed=6)
    p = population_parameters(n, seed=6)
    dense = ~p.sparse
    sigma = p.noise / SQRT3
    error = np.abs(g.mean(axis=0) - p.mean)
    assert (error[dense] <= 6 * sigma[dense] / np.sqrt(steps) + 1e-12 * p.magnitude[dense]).all()
    sparse_zero_share = (g[:, p.sparse] == 0).mean()
    assert 0.88 < sparse_zero_share < 0.92  # inactive 90% of steps


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_params": 0}, "n_params must be an integer in [1, 100000]; got 0"),
        ({"iterations": 0}, "iterations must be an integer in [1, 1000000]; got 0"),
        ({"spread_low": 2}, "spread_high must be an integer in [3, 13]; got 1"),
        ({"sparse_fraction": 1.5}, "sparse_fraction must be a number in [0, 1]; got 1.5"),
        ({"sparse_probability": 0.0}, "sparse_probability must be a number in (0, 1]; got 0.0"),
        ({"colour": 1}, "population has no shape parameter 'colour'"),
        ({"seed": -1}, "seed must be an integer in [0, 4294967295]; got -1"),
    ],
)
def test_bad_arguments_name_the_value_and_range(arguments, message):
    call = {"n_params": 10, "iterations": 5, **arguments}
    with pytest.raises(ValueError) as raised:
        population(**call)
    assert message in str(raised.value)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 999, 1000, 1001])
@pytest.mark.parametrize("kind", ["normal", "ties", "tiny", "huge", "nan", "inf and -0"])
def test_rt_percentiles_are_numpys_to_the_bit(n, kind):
    """Selecting only the order statistics it needs, along rows, gives numpy.percentile's numbers exactly
    (its interpolation copied), for ties, subnormal and huge values, and rows holding NaN."""
    scale = np.random.default_rng(n).normal(size=(9, n))
    scale = {"ties": np.round(scale), "tiny": scale * 1e-310, "huge": scale * 1e300}.get(kind, scale)
    if kind == "nan":
        scale[[1, 4], [0, n - 1]] = np.nan
    if kind == "inf and -0":
        scale[[2, 3, 5], [0, n - 1, n // 2]] = [np.inf, -np.inf, -0.0]
    expected = np.stack([np.percentile(np.abs(row), [10, 50, 90]) for row in scale])
    np.testing.assert_array_equal(rt_percentiles(scale), expected)
    with pytest.raises(ValueError, match="scale must have shape"):
        rt_percentiles(scale[0])


def test_rt_percentiles_in_blocks_on_every_core_are_numpys():
    """Past a cache-sized block of rows the work is split across threads: the same numbers."""
    scale = np.random.default_rng(8).normal(size=(2_000, 700))
    scale[1_500, 3] = np.nan
    assert scale.nbytes > 4 * PERCENTILE_BLOCK_BYTES  # (several blocks)
    expected = np.percentile(np.abs(scale), [10, 50, 90], axis=1).T
    np.testing.assert_array_equal(rt_percentiles(scale), expected)


def test_update_rms_on_pure_noise_tends_to_its_limit():
    """A pure-noise column (μ = 0): the RMS of m̂/√v̂ over late steps is √((1 − β₁)/(1 + β₁))."""
    g = np.random.Generator(np.random.Philox(key=1)).uniform(-1, 1, (20_000, 200))
    scale = simulate(g, beta1=0.9, beta2=0.9999).scale[5000:]
    rms = np.sqrt(np.mean(scale**2))
    # v̂ at β₂ = 0.9999 averages ~10⁴ squares: it wobbles by ~1%; the RMS estimate over 3e6 values by less
    assert rms == pytest.approx(update_rms_for_noise(0.9), rel=0.03)


def engine_population_request(n_params: int, iterations: int, seed: int, **shape: float) -> dict:
    return {
        "kind": "population",
        "n_params": n_params,
        "iterations": iterations,
        "seed": seed,
        "shape": {**population_shapes(), **shape},
        "grid": list(LOG_GRID),
    }


def test_engine_population_is_bit_identical(tmp_path):
    cases = [
        (10, 5, 0, {}),
        (333, 120, 7, {}),
        (1000, 30, 2**32 - 1, {}),
        (
            64,
            50,
            11,
            {"magnitude_low": -8, "magnitude_high": 8, "sparse_fraction": 0.5, "sparse_probability": 0.3},
        ),
    ]
    answers = run_engine([engine_population_request(n, t, s, **shape) for n, t, s, shape in cases], tmp_path)
    for (n, t, seed, shape), got in zip(cases, answers, strict=True):
        np.testing.assert_array_equal(np.array(got["g"]).reshape(t, n), population(n, t, seed, **shape))
        drawn = population_parameters(n, seed, **shape)
        for key in ("magnitude", "spread", "mean", "noise"):
            np.testing.assert_array_equal(np.array(got[key]), getattr(drawn, key), err_msg=key)
        np.testing.assert_array_equal(np.array(got["sparse"], dtype=bool), drawn.sparse)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "adamw"])
def test_engine_percentiles_match_numpy(optimizer, tmp_path):
    """A percentile moves by at most the largest change among its inputs, so the bound per step is the
    largest rounding bound on |scale| over the parameters at that step."""
    n, steps, seed = 300, 400, 3
    settings = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1}
    request = {**engine_population_request(n, steps, seed), "kind": "population_run", "optimizer": optimizer}
    [got] = run_engine([{**request, "settings": settings}], tmp_path)
    g = population(n, steps, seed)
    if optimizer != "adamw":
        settings = {**settings, "weight_decay": 0.0}
        request["settings"] = settings
        [got] = run_engine([request], tmp_path)
    expected = simulate(g, optimizer=optimizer, **settings)
    bounds = trajectory_bounds(g, expected.theta, optimizer=optimizer, **settings, power_ulps=1)
    reference = rt_percentiles(expected.scale)
    bound = bounds["scale"].max(axis=1)[:, np.newaxis]
    actual = np.array(got["percentiles"]).reshape(steps, 3)
    assert (np.abs(actual - reference) <= bound).all()
    # the page's promise: 1e-12 relative to the step's largest percentile (p10 may be exactly 0)
    assert (np.abs(actual - reference) <= 1e-12 * reference[:, 2:]).all()
    per_lr = np.array(got["per_lr"], dtype=np.float64).reshape(steps, n)
    np.testing.assert_allclose(per_lr, np.abs(expected.step) / settings["lr"], rtol=2**-23)


@pytest.mark.parametrize(
    "optimizer, settings",
    [
        ("adam", {}),
        ("adamw", {"bias_correction": False}),
        ("adam", {"schedule": "cosine", "warmup": 20}),
        ("adamw", {"weight_decay": 0.1}),
        ("amsgrad", {}),
    ],
)
def test_the_pages_adam_loop_gives_the_steppers_numbers(optimizer, settings, tmp_path):
    """The many-parameters view steps Adam and AdamW without weight decay in a loop of its own (the
    others through the stepper the cards use): its percentiles, |step|/η and γ̂ are the stepper's
    to the bit, under a schedule and without bias correction too."""
    base = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0, "schedule": "constant"}
    request = {**engine_population_request(200, 150, 5), "kind": "population_paths", "optimizer": optimizer}
    [got] = run_engine([{**request, "settings": {**base, **settings}}], tmp_path)
    for key in ("percentiles", "per_lr", "spread_hat"):
        np.testing.assert_array_equal(
            np.array(got["run"][key], dtype=float), np.array(got["reference"][key], dtype=float), err_msg=key
        )


@pytest.mark.parametrize(
    "n, settings",
    [
        (201, {}),  # odd: the kernel's padding parameter
        (64, {"bias_correction": False}),
        (300, {"eps": 0.0}),  # 0/0 where a sparse parameter has had no gradient: NaN scale and γ̂
        (33, {"beta1": 0.99, "beta2": 0.99}),  # β₁ = β₂: γ̂ exactly 0 at t = 1
        (1, {"schedule": "cosine", "warmup": 20}),
    ],
)
def test_the_adam_kernel_gives_the_javascript_loops_numbers(n, settings, tmp_path):
    """The many-parameters view steps Adam on adam_rows.wat, two parameters at a time: r_t's
    percentiles, |step|/η, γ̂ (−0 and NaN included) and their extents are the JavaScript loop's to
    the bit — and Node runs the kernel, so this compares the two."""
    base = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "schedule": "constant"}
    request = {**engine_population_request(n, 120, 3), "kind": "adam_kernel", "settings": base | settings}
    [got] = run_engine([request], tmp_path)
    assert got["kernelRuns"]
    assert got["kernel"] == got["javascript"]
    if settings.get("eps") == 0.0:
        assert "NaN" in got["kernel"]["spreadHat"] and "NaN" in got["kernel"]["perLr"]


def test_a_run_fills_a_finished_runs_arrays_with_its_own_numbers(tmp_path):
    """A worker hands columnRun the arrays of a run nothing reads any more (its chunks of r, a replaced
    result's |step|/η and γ̂): the run fills those very arrays (taking them from the spares) with the
    numbers a run on fresh arrays gives — every entry written, none left from before."""
    settings = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "schedule": "constant"}
    request = {
        **engine_population_request(101, 90, 2),
        **{"kind": "column_run_spare", "settings": settings, "beta1": 0.5, "rows": 20},
    }
    [got] = run_engine([request], tmp_path)
    assert got["sameArrays"] and got["taken"]
    assert got["reused"] == got["fresh"]


@pytest.mark.parametrize(
    "optimizer, settings, widths, rows",
    [
        ("adam", {}, [101, 100], 7),  # two blocks as the page splits 201 columns
        ("adam", {"schedule": "cosine", "warmup": 20}, [60, 141], 150),  # one chunk: one owner
        ("rmsprop", {}, [100, 101], 13),
        ("adamw", {"weight_decay": 0.1}, [1, 200], 1),  # a chunk a row
        ("sgd", {}, [67, 67, 67], 40),  # three blocks
        ("adam", {}, [201], 16),  # one block: no other to wait for
    ],
)
def test_a_run_split_by_columns_is_the_whole_run(optimizer, settings, widths, rows, tmp_path):
    """The page's workers step blocks of columns (columnRun) and take each chunk of rows' percentiles
    over every block's part of it (ChunkPercentiles, chunk c by block c mod B): percentiles, |step|/η,
    γ̂ (read a row at a time, keptRow) and their extents are populationRun's to the bit; without
    `keep` (a compared optimizer) the percentiles alone."""
    base = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0, "schedule": "constant"}
    requests = [
        {
            **engine_population_request(sum(widths), 150, 5),
            **{"kind": "column_run", "optimizer": optimizer, "settings": {**base, **settings}},
            **{"widths": widths, "rows": rows, "keep": keep},
        }
        for keep in (True, False)
    ]
    for keep, got in zip((True, False), run_engine(requests, tmp_path), strict=True):
        for key in ("percentiles", "per_lr", "spread_hat"):
            whole, split = got["whole"][key], got["split"][key]
            assert (whole is None) == (split is None) == (not keep and key != "percentiles"), key
            if whole is not None:
                np.testing.assert_array_equal(
                    np.array(split, dtype=float), np.array(whole, dtype=float), err_msg=key
                )
        assert got["split"]["extent"] == got["whole"]["extent"]


# The lecture deck's many-parameters slides (app/text.py DECK) make these claims, each checked over
# 40 seeds at the slide's settings.
SEEDS = range(40)


def test_claim_which_parameters_learn():
    for seed in SEEDS:
        g = population(1000, 1000, seed)
        drawn = population_parameters(1000, seed)
        assert drawn.magnitude.max() / drawn.magnitude.min() > 1e5, seed  # "a millionfold"
        scale = simulate(g).scale
        p10, p50, p90 = rt_percentiles(scale)[-1]
        assert 0.55 < p50 < 0.75 and 0.95 < p90 < 1.05, (seed, p50, p90)  # "two thirds", "about 1"
        r = np.abs(scale[-1])
        bottom = r <= p10
        sparse_or_noise = drawn.sparse[bottom] | (drawn.spread[bottom] > 3)
        assert sparse_or_noise.mean() > 0.8, seed  # "most of the bottom tenth"


def test_claim_spread_not_size_sets_the_step():
    lr = 0.01
    for seed in SEEDS:
        g = population(1000, 3000, seed)
        drawn = population_parameters(1000, seed)
        law = np.sqrt(drawn.spread**2 + 1)
        equal = simulate(g, lr=lr, beta1=0.999, beta2=0.999)
        ratio = np.abs(equal.step[-1]) / lr * law
        low, high = np.percentile(ratio, [10, 90])
        assert low > 0.92 and high < 1.08, (seed, low, high)  # "nine in ten within 8%"
        # "dots of every colour": the size does not sort the ratio
        assert abs(np.corrcoef(np.log10(drawn.magnitude), ratio)[0, 1]) < 0.15, seed
        assert (np.abs(equal.scale) <= 1.0).all()  # at β₁ = β₂, |m̂| ≤ √v̂ on every step
        default = simulate(g, lr=lr)
        low, high = np.percentile(np.abs(default.step[-1]) / lr * law, [10, 90])
        assert 0.35 < low < 0.65 and 1.5 < high < 2.0, (seed, low, high)  # "half to nearly twice"
        m_hat, v_hat = equal.m_hat[-1], equal.v_hat[-1]
        estimated = np.sqrt(np.maximum(v_hat - m_hat**2, 0.0)) / np.abs(m_hat)
        on_curve = np.abs(equal.step[-1]) / lr * np.sqrt(estimated**2 + 1)
        # exactly m̂/√v̂ = 1/√(γ̂² + 1); ε moves it by ε/√v̂ ≤ 1e-8/(√0.1 · 1e-3) ≈ 3e-5
        assert (np.abs(on_curve - 1) < 1e-4).all(), seed


@pytest.mark.parametrize("n_params", [1, 37, 10_000])
def test_engine_population_yields_between_slices_of_bounded_work(n_params, tmp_path):
    """The page keeps answering while it computes many parameters because the engine's generators
    yield after at most ROWS_WORK parameter-steps (or one row, when a row alone is more): a
    machine-independent proxy for the page's longest task, which tests/benchmark.py measures."""
    iterations = 60
    request = {
        **engine_population_request(n_params, iterations, 5),
        "kind": "yields",
        "optimizer": "adam",
        "settings": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    }
    [got] = run_engine([request], tmp_path)
    for name, row in (("drawing", 4 * n_params), ("stepping", n_params)):
        gaps = got[name]
        assert sum(gaps) == iterations * row, name  # every row, once
        assert max(gaps) <= max(got["rowsWork"], row), (name, max(gaps))
