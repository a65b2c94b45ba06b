"""Trajectories recorded from torch.optim 2.13 (tests/make_torch_golden.py), reproduced within the
rounding-error bounds of tests/error_bounds.py (the two sides evaluate the same sums in different orders)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, SCHEDULES, simulate

from error_bounds import assert_within, trajectory_bounds

GOLDEN = np.load(Path(__file__).parent / "data" / "torch_golden.npz", allow_pickle=False)
INDEX = json.loads(str(GOLDEN["index"]))
CASES = INDEX["cases"]


def test_every_optimizer_has_golden_cases():
    covered = {case["optimizer"] for case in CASES}
    assert covered == set(OPTIMIZERS)
    scheduled = {
        case["settings"].get("schedule", "constant")
        for case in CASES
        if "warmup" in case["settings"] or "schedule" in case["settings"]
    }
    assert scheduled == set(SCHEDULES), "every schedule stepped by torch's LambdaLR"
    assert INDEX["torch"].startswith("2.13")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_matches_torch(case):
    name, settings = case["name"], case["settings"]
    torch_theta = GOLDEN[f"{name}/theta"]
    traj = simulate(GOLDEN[f"{name}/g"], optimizer=case["optimizer"], **settings)
    bounds = trajectory_bounds(GOLDEN[f"{name}/g"], torch_theta, optimizer=case["optimizer"], **settings)
    np.testing.assert_array_equal(
        traj.lr, GOLDEN[f"{name}/lr"], err_msg=f"{name}: lr_t is torch's LambdaLR's"
    )
    assert_within(traj.theta, torch_theta, bounds["theta"], what=f"{name} theta")
    previous = np.vstack([np.full((1, torch_theta.shape[1]), settings.get("theta0", 0.0)), torch_theta[:-1]])
    assert_within(traj.step, previous - torch_theta, bounds["step"], what=f"{name} step")
    if f"{name}/m" in GOLDEN:
        assert_within(traj.m, GOLDEN[f"{name}/m"], bounds["m"], what=f"{name} m")
    if f"{name}/v" in GOLDEN:
        assert_within(traj.v, GOLDEN[f"{name}/v"], bounds["v"], what=f"{name} v")


def test_bounds_are_tight_enough_to_catch_a_one_ulp_slip_in_the_correction():
    """The tolerance is not so loose that the bug it guards against would pass: 1 − β₂ᵗ off by one
    ulp of βᵗ at t = 2, β₂ = 0.9999 moves θ's first steps by ~1e-12 relative — far above the bound."""
    case = next(c for c in CASES if c["name"] == "adam_slow")
    g, settings = GOLDEN["adam_slow/g"], case["settings"]
    bounds = trajectory_bounds(g, GOLDEN["adam_slow/theta"], optimizer="adam", **settings)
    beta2 = settings["beta2"]
    slipped = 1 - np.nextafter(beta2**2, 1.0)
    relative_shift = abs(np.sqrt(slipped / (1 - beta2**2)) - 1)
    step = abs(GOLDEN["adam_slow/theta"][1] - GOLDEN["adam_slow/theta"][0])
    assert np.all(relative_shift * step > bounds["step"][1])
