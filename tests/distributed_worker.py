"""One process of a run that tests/test_distributed.py records: ``python tests/distributed_worker.py MODE
RANK PROCESSES PORT OUT``, MODE ``single`` (one process), ``ddp`` (DistributedDataParallel), ``fsdp``
(FSDP2's ``fully_shard``) or ``fsdp-columns`` (FSDP2 splitting matrices by columns), on the gloo
backend (CPU).

A float64 6 → 5 → 3 network, AdamW, 8 steps on 16 fixed examples. With two processes each takes half
the batch (rows r, r + 2, ...) and the gradients are averaged across them; the single process takes
the same two halves one after the other, each loss halved, so that its gradient is g₀/2 + g₁/2 — what
the two processes' average is, to the bit (halving is exact, and a sum of two is the same either way).
"""

from __future__ import annotations

import os
import sys
import time

import torch

from adamviz.record import Recorder

STEPS = 8


def main() -> None:
    mode, rank, processes, port, out = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
        sys.argv[5],
    )
    if mode != "single":
        import torch.distributed as dist

        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        dist.init_process_group("gloo", rank=rank, world_size=processes)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    data = torch.Generator().manual_seed(1)
    x = torch.randn(16, 6, generator=data, dtype=torch.float64)
    y = torch.randn(16, 3, generator=data, dtype=torch.float64)
    trained = model
    if mode == "ddp":
        trained = torch.nn.parallel.DistributedDataParallel(model)
    elif mode in ("fsdp", "fsdp-columns", "fsdp-gone", "fsdp-late"):
        from torch.distributed.fsdp import fully_shard
        from torch.distributed.tensor import Shard

        # fsdp-columns: the matrices split along dimension 1, which the recorder does not read
        # (fully_shard splits a dimension 1 only evenly: 0.weight's 6 columns)
        columns = {
            "shard_placement_fn": lambda p: Shard(1) if p.dim() == 2 and p.shape[1] % 2 == 0 else Shard(0)
        }
        placement = columns if mode == "fsdp-columns" else {}
        for layer in (model[0], model[2]):
            fully_shard(layer, **placement)
        trained = fully_shard(model, **placement)
    optimizer = torch.optim.AdamW(trained.named_parameters(), lr=0.01, weight_decay=0.01)
    halves = [rank] if mode != "single" else [0, 1]
    # fsdp-gone: process 1 ends after step 3's backward; fsdp-late: it sleeps there past the timeout
    with Recorder(optimizer, out, sample=4, seed=3, model=trained, shard_timeout=3.0, flush_seconds=1e9):
        for step in range(STEPS):
            optimizer.zero_grad()
            for half in halves:
                loss = ((trained(x[half::2]) - y[half::2]) ** 2).mean()
                (loss / len(halves)).backward()
            if rank == 1 and step == 3 and mode == "fsdp-gone":
                os._exit(0)
            if rank == 1 and step == 3 and mode == "fsdp-late":
                time.sleep(5)  # (past the 3-s timeout: process 0 has given up by then)
                os._exit(0)
            optimizer.step()
    if mode != "single":
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
