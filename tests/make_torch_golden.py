"""Regenerate ``tests/data/torch_golden.npz``: trajectories computed by torch.optim itself.

Run once, by hand, in an environment with torch (not needed by the test suite)::

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/pip install --no-deps -e .
    /tmp/torchenv/bin/python tests/make_torch_golden.py

Each case steps a float64 parameter tensor (one column per parameter) from theta0 over a seeded
adamviz stream, recording the parameter after every step and, where the optimizer keeps them,
torch's own moment buffers. The file holds plain arrays only (loaded with allow_pickle=False).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR

from adamviz.sim import stream
from adamviz.sim.schedules import torch_lambda

OUT = Path(__file__).parent / "data" / "torch_golden.npz"

CASES = [
    # (name, optimizer, settings, streams, iterations)
    ("adam_default", "adam", {}, ["consistent", "noisy", "reversal"], 200),
    ("adam_sharp", "adam", {"lr": 0.3, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}, ["reversal"], 120),
    ("adam_wd", "adam", {"weight_decay": 0.1, "theta0": 1.5}, ["noisy", "consistent"], 150),
    ("adam_slow", "adam", {"beta1": 0.99, "beta2": 0.9999, "eps": 1e-12}, ["noisy"], 300),
    ("amsgrad_default", "amsgrad", {}, ["reversal", "noisy"], 200),
    ("amsgrad_wd", "amsgrad", {"weight_decay": 0.05, "theta0": -2.0, "lr": 0.05}, ["consistent"], 100),
    ("adamw_default", "adamw", {"weight_decay": 0.01}, ["consistent", "reversal"], 200),
    ("adamw_strong", "adamw", {"weight_decay": 0.5, "lr": 0.1, "theta0": 3.0}, ["noisy"], 150),
    ("sgd_plain", "sgd", {"lr": 0.05}, ["consistent", "noisy"], 100),
    ("sgd_wd", "sgd", {"lr": 0.05, "weight_decay": 0.2, "theta0": 1.0}, ["noisy"], 100),
    ("momentum_plain", "momentum", {"lr": 0.01, "momentum": 0.9}, ["reversal", "noisy"], 200),
    (
        "momentum_wd",
        "momentum",
        {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.3, "theta0": 2.0},
        ["noisy"],
        100,
    ),
    ("rmsprop_plain", "rmsprop", {"lr": 0.01, "beta2": 0.99, "eps": 1e-8}, ["consistent", "reversal"], 200),
    (
        "rmsprop_wd",
        "rmsprop",
        {"lr": 0.01, "beta2": 0.9, "eps": 1e-6, "weight_decay": 0.1, "theta0": 1.0},
        ["noisy"],
        100,
    ),
    # schedules, stepped by torch's LambdaLR with adamviz.sim.schedules.torch_lambda
    (
        "adam_cosine",
        "adam",
        {"lr": 0.05, "schedule": "cosine", "warmup": 20, "min_lr": 0.1},
        ["noisy", "reversal"],
        200,
    ),
    (
        "adamw_linear",
        "adamw",
        {"lr": 0.1, "schedule": "linear", "warmup": 10, "weight_decay": 0.2, "theta0": 1.0},
        ["consistent"],
        150,
    ),
    (
        "adam_step_wd",
        "adam",
        {"schedule": "step", "warmup": 5, "weight_decay": 0.1, "theta0": -1.0},
        ["noisy"],
        120,
    ),
    ("momentum_warmup", "momentum", {"lr": 0.02, "warmup": 40}, ["reversal"], 100),
    ("rmsprop_cosine", "rmsprop", {"lr": 0.01, "beta2": 0.99, "schedule": "cosine"}, ["noisy"], 100),
    ("amsgrad_linear", "amsgrad", {"schedule": "linear", "min_lr": 0.5, "warmup": 3}, ["reversal"], 100),
    ("sgd_step", "sgd", {"lr": 0.05, "schedule": "step", "min_lr": 0.2}, ["consistent"], 100),
    # torch.optim's other adaptive optimizers (adamviz.sim.adaptive)
    ("radam_default", "radam", {}, ["consistent", "noisy", "reversal"], 200),
    ("radam_sharp", "radam", {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}, ["reversal"], 120),
    (
        "radam_decoupled",
        "radam",
        {"weight_decay": 0.1, "decoupled_weight_decay": True, "theta0": 1.0},
        ["noisy"],
        150,
    ),
    ("radam_cosine", "radam", {"schedule": "cosine", "warmup": 10, "lr": 0.05}, ["noisy"], 100),
    ("nadam_default", "nadam", {}, ["consistent", "noisy", "reversal"], 200),
    ("nadam_slow", "nadam", {"beta1": 0.99, "beta2": 0.9999, "lr": 0.002}, ["noisy"], 300),
    (
        "nadam_decoupled",
        "nadam",
        {"weight_decay": 0.2, "decoupled_weight_decay": True, "theta0": -1.0},
        ["consistent"],
        150,
    ),
    ("adamax_default", "adamax", {}, ["consistent", "noisy", "reversal"], 200),
    ("adamax_sharp", "adamax", {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}, ["reversal"], 120),
    ("adagrad_default", "adagrad", {}, ["consistent", "noisy", "reversal"], 200),
    (
        "adagrad_decay",
        "adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5},
        ["noisy"],
        150,
    ),
    ("adagrad_linear", "adagrad", {"schedule": "linear", "warmup": 20, "eps": 1e-6}, ["reversal"], 100),
    # Adafactor (torch's defaults; each parameter its own one-element tensor: the per-coordinate form)
    ("adafactor_default", "adafactor", {}, ["consistent", "noisy", "reversal"], 200),
    ("adafactor_sharp", "adafactor", {"lr": 0.5, "theta0": -2.0}, ["reversal", "noisy"], 150),
    ("adafactor_decay", "adafactor", {"weight_decay": 0.1, "theta0": 1.5}, ["noisy"], 150),
    ("adafactor_cosine", "adafactor", {"lr": 0.2, "schedule": "cosine", "warmup": 10}, ["consistent"], 120),
    # Adam, then SGD with momentum from a fresh buffer (a new torch.optim.SGD at the switch)
    (
        "adam_then_sgd",
        "adam",
        {"switch_at": 80, "switch_lr": 0.002, "momentum": 0.9},
        ["consistent", "reversal"],
        200,
    ),
    (
        "adamw_then_sgd_decay",
        "adamw",
        {"switch_at": 50, "switch_lr": 0.01, "weight_decay": 0.05, "theta0": 1.0, "momentum": 0.5},
        ["noisy"],
        120,
    ),
]

DEFAULTS = {
    "lr": 0.01,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "weight_decay": 0.0,
    "momentum": 0.9,
    "theta0": 0.0,
}


def make_optimizer(name: str, param: torch.Tensor | list[torch.Tensor], s: dict) -> torch.optim.Optimizer:
    betas = (s["beta1"], s["beta2"])
    if name == "adafactor":  # param: one one-element tensor per column
        return torch.optim.Adafactor(param, lr=s["lr"], weight_decay=s["weight_decay"], foreach=False)
    if name == "sgd":
        return torch.optim.SGD([param], lr=s["lr"], weight_decay=s["weight_decay"])
    if name == "momentum":
        return torch.optim.SGD([param], lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"])
    if name == "rmsprop":
        return torch.optim.RMSprop(
            [param], lr=s["lr"], alpha=s["beta2"], eps=s["eps"], weight_decay=s["weight_decay"]
        )
    extra = {key: s[key] for key in ("decoupled_weight_decay",) if key in s}
    if name in ("radam", "nadam"):
        kind = torch.optim.RAdam if name == "radam" else torch.optim.NAdam
        return kind(
            [param],
            lr=s["lr"],
            betas=betas,
            eps=s["eps"],
            weight_decay=s["weight_decay"],
            foreach=False,
            **extra,
        )
    if name == "adamax":
        return torch.optim.Adamax(
            [param], lr=s["lr"], betas=betas, eps=s["eps"], weight_decay=s["weight_decay"], foreach=False
        )
    if name == "adagrad":
        options = {key: s[key] for key in ("lr_decay", "initial_accumulator_value") if key in s}
        return torch.optim.Adagrad(
            [param],
            lr=s["lr"],
            eps=s.get("eps", 1e-10),
            weight_decay=s["weight_decay"],
            foreach=False,
            **options,
        )
    if name in ("adam", "amsgrad"):
        return torch.optim.Adam(
            [param],
            lr=s["lr"],
            betas=betas,
            eps=s["eps"],
            weight_decay=s["weight_decay"],
            amsgrad=name == "amsgrad",
            foreach=False,
        )
    return torch.optim.AdamW(
        [param], lr=s["lr"], betas=betas, eps=s["eps"], weight_decay=s["weight_decay"], foreach=False
    )


def run_per_element(optimizer: str, settings: dict, gradients: np.ndarray) -> dict[str, np.ndarray]:
    """Each column its own one-element tensor (Adafactor's RMS over a tensor is then |θ|)."""
    s = {**DEFAULTS, **settings}
    params = [torch.full((1,), s["theta0"], dtype=torch.float64, requires_grad=True) for _ in gradients[0]]
    opt = make_optimizer(optimizer, params, s)
    schedule = {key: settings[key] for key in ("schedule", "warmup", "min_lr") if key in settings}
    scheduler = LambdaLR(opt, torch_lambda(len(gradients), **schedule)) if schedule else None
    theta, v, lr = [], [], []
    for row in gradients:
        for param, value in zip(params, row, strict=True):
            param.grad = torch.tensor([value], dtype=torch.float64)
        lr.append(opt.param_groups[0]["lr"])
        opt.step()
        if scheduler is not None:
            scheduler.step()
        theta.append([p.item() for p in params])
        v.append([opt.state[p]["variance"].item() for p in params])
    return {"theta": np.array(theta), "lr": np.array(lr), "v": np.array(v)}


def run_case(optimizer: str, settings: dict, gradients: np.ndarray) -> dict[str, np.ndarray]:
    if optimizer == "adafactor":
        return run_per_element(optimizer, settings, gradients)
    s = {**DEFAULTS, **settings}
    param = torch.full((gradients.shape[1],), s["theta0"], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, param, s)
    schedule = {key: settings[key] for key in ("schedule", "warmup", "min_lr") if key in settings}
    scheduler = LambdaLR(opt, torch_lambda(len(gradients), **schedule)) if schedule else None
    theta, m, v, lr = [], [], [], []
    for t, row in enumerate(gradients):
        if t == s.get("switch_at", 0) > 0:  # Adam, then SGD: a new optimizer, a fresh momentum buffer
            opt = torch.optim.SGD(
                [param], lr=s["switch_lr"], momentum=s["momentum"], weight_decay=s["weight_decay"]
            )
        param.grad = torch.tensor(row, dtype=torch.float64)
        lr.append(opt.param_groups[0]["lr"])
        opt.step()
        if scheduler is not None:
            scheduler.step()
        theta.append(param.detach().clone().numpy())
        state = opt.state[param]
        if t >= s.get("switch_at", 0) > 0:  # the buffer, as adamviz.sim's m after the switch
            m.append(state["momentum_buffer"].clone().numpy())
            v.append(np.zeros_like(m[-1]))
            continue
        if "exp_avg" in state:
            m.append(state["exp_avg"].clone().numpy())
        second = next((state[k] for k in ("exp_avg_sq", "square_avg", "exp_inf", "sum") if k in state), None)
        if second is not None:
            v.append(second.clone().numpy())
    out = {"theta": np.array(theta), "lr": np.array(lr)}
    if m:
        out["m"] = np.array(m)
    if v:
        out["v"] = np.array(v)
    return out


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    index = []
    for name, optimizer, settings, streams, iterations in CASES:
        gradients = np.stack([stream(s, iterations, seed=7 + k) for k, s in enumerate(streams)], axis=1)
        arrays[f"{name}/g"] = gradients
        for key, value in run_case(optimizer, settings, gradients).items():
            arrays[f"{name}/{key}"] = value
        index.append({"name": name, "optimizer": optimizer, "settings": settings})
    arrays["index"] = np.array(json.dumps({"torch": torch.__version__, "cases": index}))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
