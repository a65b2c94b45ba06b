"""Regenerate ``tests/data/precision_golden.npz``: torch.optim stepped in float32, bfloat16 and float16.

Run by hand with torch 2.13 installed (``bash tests/run.sh`` installs it)::

    python tests/make_precision_golden.py

Each parameter is a one-element tensor of the case's dtype (a card's parameter; torch's scalar loop),
stepped over a seeded adamviz stream; the file keeps θ, and torch's own first and second moment
where the optimizer has them, after every step, as float64 (every value of the three formats is one).
Plain arrays only (loaded with allow_pickle=False). torch 2.13 on the CPU steps every one of the
eleven optimizers in all three dtypes (it refuses none), keeping the state in the parameter's dtype
(NAdam's μ-product in float32).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR

from adamviz.sim import OPTIMIZERS, stream
from adamviz.sim.schedules import torch_lambda

OUT = Path(__file__).parent / "data" / "precision_golden.npz"

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}

SETTINGS = [
    # (name, settings, streams, iterations); every optimizer in every dtype runs each
    ("default", {}, ["consistent", "noisy", "reversal"], 150),
    (
        "sharp",
        {"lr": 0.1, "beta1": 0.3, "beta2": 0.9, "eps": 1e-3, "momentum": 0.5, "theta0": 1.5},
        ["noisy"],
        100,
    ),
    ("decay", {"weight_decay": 0.1, "theta0": -2.0}, ["consistent", "noisy"], 100),
    ("cosine", {"lr": 0.05, "schedule": "cosine", "warmup": 10, "min_lr": 0.1}, ["reversal"], 100),
]

EXTRA = [
    # the adaptive optimizers' own keywords
    ("radam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "theta0": 1.0}, ["noisy"], 100),
    ("nadam", {"weight_decay": 0.2, "decoupled_weight_decay": True, "theta0": -1.0}, ["consistent"], 100),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}, ["noisy"], 100),
]

LESSON = [
    # half precision and ε: g = 1e-4 (its square, 1e-8, is below float16's smallest subnormal)
    ("tiny_eps8", "adam", "float16", {"eps": 1e-8}, 1e-4, 20),
    ("tiny_eps6", "adam", "float16", {"eps": 1e-6}, 1e-4, 20),
    ("tiny_eps8_bf16", "adam", "bfloat16", {"eps": 1e-8}, 1e-4, 20),
]

DEFAULTS = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.9}


def make_optimizer(name: str, params: list[torch.Tensor], s: dict) -> torch.optim.Optimizer:
    betas, decay = (s["beta1"], s["beta2"]), s["weight_decay"]
    decoupled = {"decoupled_weight_decay": s.get("decoupled_weight_decay", False)}
    if name in ("radam", "nadam"):
        kind = torch.optim.RAdam if name == "radam" else torch.optim.NAdam
        return kind(
            params, lr=s["lr"], betas=betas, eps=s["eps"], weight_decay=decay, foreach=False, **decoupled
        )
    if name == "adamax":
        return torch.optim.Adamax(
            params, lr=s["lr"], betas=betas, eps=s["eps"], weight_decay=decay, foreach=False
        )
    if name == "adagrad":
        extra = {key: s[key] for key in ("lr_decay", "initial_accumulator_value") if key in s}
        return torch.optim.Adagrad(
            params, lr=s["lr"], eps=s["eps"], weight_decay=decay, foreach=False, **extra
        )
    if name == "adafactor":
        return torch.optim.Adafactor(params, lr=s["lr"], weight_decay=decay, foreach=False)
    if name == "sgd":
        return torch.optim.SGD(params, lr=s["lr"], weight_decay=decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=s["lr"], momentum=s["momentum"], weight_decay=decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=s["lr"], alpha=s["beta2"], eps=s["eps"], weight_decay=decay)
    if name == "adamw":
        return torch.optim.AdamW(
            params, lr=s["lr"], betas=betas, eps=s["eps"], weight_decay=decay, foreach=False
        )
    return torch.optim.Adam(
        params,
        lr=s["lr"],
        betas=betas,
        eps=s["eps"],
        weight_decay=decay,
        amsgrad=name == "amsgrad",
        foreach=False,
    )


def run_case(
    optimizer: str, dtype: torch.dtype, settings: dict, gradients: np.ndarray
) -> dict[str, np.ndarray]:
    s = {**DEFAULTS, **settings}
    start = torch.tensor([settings.get("theta0", 0.0)], dtype=torch.float64)
    params = [start.to(dtype).requires_grad_() for _ in range(gradients.shape[1])]
    opt = make_optimizer(optimizer, params, s)
    schedule = {key: settings[key] for key in ("schedule", "warmup", "min_lr") if key in settings}
    scheduler = LambdaLR(opt, torch_lambda(len(gradients), **schedule)) if schedule else None
    rows: dict[str, list[list[float]]] = {"theta": [], "m": [], "v": []}
    for row in gradients:
        for param, value in zip(params, row, strict=True):
            param.grad = torch.tensor([value], dtype=torch.float64).to(dtype)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        rows["theta"].append([p.item() for p in params])
        states = [opt.state[p] for p in params]
        first = [st.get("exp_avg", st.get("momentum_buffer")) for st in states]
        second = [
            next((st[k] for k in ("exp_avg_sq", "square_avg", "exp_inf", "sum", "variance") if k in st), None)
            for st in states
        ]
        rows["m"].append([x.item() for x in first] if first[0] is not None else [])
        rows["v"].append([x.item() for x in second] if second[0] is not None else [])
    return {key: np.array(values) for key, values in rows.items() if values[0]}


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    index = []
    for precision, dtype in DTYPES.items():
        for optimizer in OPTIMIZERS:
            for label, settings, streams, iterations in SETTINGS:
                name = f"{optimizer}_{precision}_{label}"
                g = np.stack([stream(s, iterations, seed=11 + k) for k, s in enumerate(streams)], axis=1)
                arrays[f"{name}/g"] = g
                for key, value in run_case(optimizer, dtype, settings, g).items():
                    arrays[f"{name}/{key}"] = value
                index.append(
                    {"name": name, "optimizer": optimizer, "precision": precision, "settings": settings}
                )
    for precision, dtype in DTYPES.items():
        for k, (optimizer, settings, streams, iterations) in enumerate(EXTRA):
            name = f"{optimizer}_{precision}_extra{k}"
            g = np.stack([stream(s, iterations, seed=21 + j) for j, s in enumerate(streams)], axis=1)
            arrays[f"{name}/g"] = g
            for key, value in run_case(optimizer, dtype, settings, g).items():
                arrays[f"{name}/{key}"] = value
            index.append({"name": name, "optimizer": optimizer, "precision": precision, "settings": settings})
    for name, optimizer, precision, settings, gradient, iterations in LESSON:
        g = np.full((iterations, 1), gradient)
        arrays[f"{name}/g"] = g
        for key, value in run_case(optimizer, DTYPES[precision], settings, g).items():
            arrays[f"{name}/{key}"] = value
        index.append({"name": name, "optimizer": optimizer, "precision": precision, "settings": settings})
    arrays["index"] = np.array(json.dumps({"torch": torch.__version__, "cases": index}))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
