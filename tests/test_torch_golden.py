"""Trajectories recorded from torch.optim 2.13 (tests/make_torch_golden.py) are reproduced to 1e-12."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, simulate

from helpers import assert_close

GOLDEN = np.load(Path(__file__).parent / "data" / "torch_golden.npz", allow_pickle=False)
INDEX = json.loads(str(GOLDEN["index"]))
CASES = INDEX["cases"]


def test_every_optimizer_has_golden_cases():
    covered = {case["optimizer"] for case in CASES}
    assert covered == set(OPTIMIZERS)
    assert INDEX["torch"].startswith("2.13")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_matches_torch(case):
    name = case["name"]
    traj = simulate(GOLDEN[f"{name}/g"], optimizer=case["optimizer"], **case["settings"])
    assert_close(traj.theta, GOLDEN[f"{name}/theta"], 1e-12, what=f"{name} theta")
    previous = np.vstack(
        [np.full((1, traj.theta.shape[1]), case["settings"].get("theta0", 0.0)), traj.theta[:-1]]
    )
    assert_close(traj.step, previous - GOLDEN[f"{name}/theta"], 1e-9, what=f"{name} step")
    if f"{name}/m" in GOLDEN:
        assert_close(traj.m, GOLDEN[f"{name}/m"], 1e-12, what=f"{name} m")
    if f"{name}/v" in GOLDEN:
        assert_close(traj.v, GOLDEN[f"{name}/v"], 1e-12, what=f"{name} v")
