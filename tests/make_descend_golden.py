"""Regenerate ``tests/data/descend_golden.npz``: closed-loop runs computed by torch.optim and autograd.

Run once, by hand, in an environment with torch (not needed by the test suite)::

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/pip install --no-deps -e .
    /tmp/torchenv/bin/python tests/make_descend_golden.py

Each case puts the problem's coordinates in one float64 tensor, computes the loss with torch ops,
takes autograd's gradient, adds the same noise ``adamviz.sim.descend`` draws (NumPy's Philox, row
per step), and lets the torch optimizer step; θ and the optimizer's moment buffers are recorded after
every step. Plain arrays only (loaded with allow_pickle=False).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from make_torch_golden import DEFAULTS, make_optimizer

from adamviz.sim import PROBLEMS
from adamviz.sim.streams import rng_for

OUT = Path(__file__).parent / "data" / "descend_golden.npz"
SQRT_HALF = math.sqrt(0.5)

CASES = [
    # (name, problem, optimizer, settings, shape, start, noise, seed, iterations)
    ("bowl_adam_equal_betas", "bowl", "adam", {"beta1": 0.99, "beta2": 0.99}, {}, None, 0.0, 0, 3000),
    ("bowl_sgd", "bowl", "sgd", {}, {"curvature": 2.0, "optimum": 0.5}, [3.0], 0.0, 0, 500),
    ("bowl_noisy_amsgrad", "bowl", "amsgrad", {}, {}, [-2.0], 0.5, 3, 800),
    ("valley_adam", "valley", "adam", {}, {}, None, 0.0, 0, 1000),
    ("valley_sgd", "valley", "sgd", {}, {}, None, 0.0, 0, 1000),
    ("valley_momentum_wd", "valley", "momentum", {"weight_decay": 0.01}, {}, None, 0.0, 0, 600),
    (
        "valley_rotated_rmsprop",
        "valley",
        "rmsprop",
        {},
        {"rotated": True, "condition": 1000.0},
        None,
        0.0,
        0,
        800,
    ),
    ("valley_noisy_adamw", "valley", "adamw", {"weight_decay": 0.1}, {}, [1.0, -1.5], 2.0, 9, 800),
    ("rosenbrock_adam", "rosenbrock", "adam", {}, {}, None, 0.0, 0, 2000),
    ("rosenbrock_sgd", "rosenbrock", "sgd", {"lr": 0.001}, {}, [-1.0, 1.0], 0.0, 0, 1000),
]


def torch_loss(problem: str, theta: torch.Tensor, shape: dict) -> torch.Tensor:
    """The problem's loss written with torch ops (autograd differentiates it)."""
    if problem == "bowl":
        d = theta[0] - shape["optimum"]
        return 0.5 * shape["curvature"] * d * d
    if problem == "valley":
        x, y = theta[0], theta[1]
        u, w = ((x + y) * SQRT_HALF, (y - x) * SQRT_HALF) if shape["rotated"] else (x, y)
        return 0.5 * shape["curvature"] * (u * u / shape["condition"] + w * w)
    x, y = theta[0], theta[1]
    return (shape["a"] - x) ** 2 + shape["b"] * (y - x * x) ** 2


def run_case(problem, optimizer, settings, shape, start, noise, seed, iterations):
    s = {**DEFAULTS, **settings}
    p = PROBLEMS[problem]
    shape = {**p.shape, **shape}
    param = torch.tensor(p.start if start is None else start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, param, s)
    draws = rng_for(seed).uniform(-noise, noise, (iterations, p.dims)) if noise > 0 else None
    out = {"theta": [], "g": [], "m": [], "v": []}
    for i in range(iterations):
        opt.zero_grad()
        torch_loss(problem, param, shape).backward()
        if draws is not None:
            param.grad += torch.from_numpy(draws[i])
        out["g"].append(param.grad.detach().clone().numpy())
        opt.step()
        out["theta"].append(param.detach().clone().numpy())
        state = opt.state[param]
        if "exp_avg" in state:
            out["m"].append(state["exp_avg"].clone().numpy())
        if "exp_avg_sq" in state or "square_avg" in state:
            out["v"].append(state.get("exp_avg_sq", state.get("square_avg")).clone().numpy())
    return {key: np.array(values) for key, values in out.items() if values}


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    index = []
    for name, problem, optimizer, settings, shape, start, noise, seed, iterations in CASES:
        for key, value in run_case(
            problem, optimizer, settings, shape, start, noise, seed, iterations
        ).items():
            arrays[f"{name}/{key}"] = value
        index.append(
            {
                "name": name,
                "problem": problem,
                "optimizer": optimizer,
                "settings": settings,
                "shape": shape,
                "start": start,
                "noise": noise,
                "seed": seed,
                "iterations": iterations,
            }
        )
    arrays["index"] = np.array(json.dumps({"torch": torch.__version__, "cases": index}))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
