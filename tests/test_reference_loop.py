"""The fast whole-array path equals the plain per-step loop of tests/reference_loop.py, within the
rounding-error bounds of tests/error_bounds.py."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, population, simulate, stream
from adamviz.sim.wide import BLOCK, WIDE

from error_bounds import assert_within, trajectory_bounds
from reference_loop import reference_trajectory

SETTINGS = [
    {},
    {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
    {"beta1": 0.0, "beta2": 0.0},
    {"beta1": 0.99, "beta2": 0.9999, "eps": 1e-12},
    {"bias_correction": False},
    {"weight_decay": 0.1, "theta0": 2.0},
    {"momentum": 0.0, "lr": 1.0, "theta0": -1.0},
]


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "defaults"
)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", ["consistent", "noisy", "reversal"])
def test_fast_path_matches_reference_loop(name, optimizer, settings):
    g = stream(name, 1000, seed=11)
    fast = simulate(g, optimizer=optimizer, **settings)
    slow = reference_trajectory(g.tolist(), optimizer=optimizer, **settings)
    bounds = trajectory_bounds(g, np.array(slow["theta"]), optimizer=optimizer, **settings)
    for key, expected in slow.items():
        assert_within(getattr(fast, key), np.array(expected), bounds[key], what=key)


@pytest.mark.parametrize("settings", [*SETTINGS[:5], {"weight_decay": 0.1, "theta0": 2.0}], ids=str)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_the_wide_path_matches_reference_loop(optimizer, settings):
    """Many columns (adamviz.sim.wide: time-major blocks) against the plain loop, column by column,
    over a length that ends in a partial block."""
    if settings.get("weight_decay") and optimizer != "adamw":
        pytest.skip("coupled weight decay takes the step-by-step path")
    g = population(WIDE + 3, 3 * BLOCK + 17, seed=5)
    fast = simulate(g, optimizer=optimizer, **settings)
    for column in (0, 1, WIDE // 2, WIDE + 2):
        slow = reference_trajectory(g[:, column].tolist(), optimizer=optimizer, **settings)
        bounds = trajectory_bounds(g[:, column], np.array(slow["theta"]), optimizer=optimizer, **settings)
        for key, expected in slow.items():
            assert_within(getattr(fast, key)[:, column], np.array(expected), bounds[key][:, 0], what=key)
    if not (optimizer == "adamw" and settings.get("weight_decay")):
        # θ is θ₀ minus the running sum of the steps, summed in order across blocks: numpy's cumsum
        theta0 = settings.get("theta0", 0.0)
        np.testing.assert_array_equal(fast.theta, theta0 - np.cumsum(fast.step, axis=0))
