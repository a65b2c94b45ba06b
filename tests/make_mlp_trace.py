"""Regenerate assets/mlp_trace.npz: a real model's first-layer weights, recorded while it trains.

A small MLP (64 → 32 → 10, ReLU) learns scikit-learn's handwritten digits (8×8 images, shipped inside
the scikit-learn package: nothing is downloaded) with torch.optim.Adam at its defaults, mini-batches of
64, for 1,000 steps; adamviz.record.Recorder samples 8 coordinates of the first layer's weight.

    pip install torch==2.13.0 scikit-learn && python tests/make_mlp_trace.py
"""

from __future__ import annotations

from pathlib import Path

import torch
from sklearn.datasets import load_digits

from adamviz.record import Recorder

OUT = Path(__file__).resolve().parent.parent / "assets" / "mlp_trace.npz"
STEPS = 1000
BATCH = 64


def main() -> None:
    torch.manual_seed(0)
    images, labels = load_digits(return_X_y=True)
    x = torch.tensor(images / 16.0, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.long)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.named_parameters())
    order = torch.Generator().manual_seed(0)
    with Recorder(optimizer, OUT, sample=8, seed=0, only=["0.weight"], flush_seconds=1e9):
        batches = torch.empty(0, dtype=torch.long)
        for _ in range(STEPS):
            if len(batches) < BATCH:
                batches = torch.cat([batches, torch.randperm(len(x), generator=order)])
            batch, batches = batches[:BATCH], batches[BATCH:]
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes); last loss {loss.item():.3f}, accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
