"""The fast whole-array path equals the plain per-step loop of tests/reference_loop.py, within the
rounding-error bounds of tests/error_bounds.py."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, simulate, stream

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
