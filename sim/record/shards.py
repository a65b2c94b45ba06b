"""The recorder across processes (torch.distributed): which process writes, and reading a tensor that
FSDP2 (``fully_shard``) has split between them.

Under ``DistributedDataParallel`` every process holds the whole model and the same averaged gradients:
rank 0 records and writes, the others attach nothing. Under FSDP2 each process holds a shard — rows
``[start, stop)`` of dimension 0 (``Shard(0)``, split as ``torch.chunk`` splits) — of every parameter,
its gradient and its optimizer state (DTensors). Every process then takes part in each recorded step:
the sampled coordinates' values are summed across processes (each contributes the ones its shard
holds, zeros elsewhere: the sum is exact) and r_t's histograms are added (counts: exact), so rank 0
writes the same trace a single process would have. A process that never sends its part — gone, or
later than ``timeout`` seconds — is a :class:`MissingShardError`, which the Recorder reports by file and step.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import torch


class MissingShardError(RuntimeError):
    """Another process's part of a recorded step did not arrive: its process is gone, or late."""


def _all_reduce(tensor: torch.Tensor, timeout: float) -> None:
    """Sum ``tensor`` across processes in place, or a MissingShardError saying why not within ``timeout`` s."""
    import torch.distributed as dist

    try:
        work = dist.all_reduce(tensor, async_op=True)
        if work.wait(timeout=timedelta(seconds=timeout)) is False:
            raise MissingShardError(f"no answer within {timeout:g} s")
    except MissingShardError:
        raise
    except RuntimeError as error:  # gloo's closed connection or its timeout (DistBackendError is one)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MissingShardError(first) from None


def world() -> tuple[int, int]:
    """(this process's rank, the number of processes): (0, 1) outside torch.distributed."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_sharded(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` is a DTensor (FSDP2's parameters, gradients and optimizer state)."""
    return type(tensor).__name__ == "DTensor" and hasattr(tensor, "to_local")


def local(tensor: torch.Tensor) -> torch.Tensor:
    """This process's shard of ``tensor`` (``tensor`` itself when it is not sharded)."""
    return tensor.to_local() if is_sharded(tensor) else tensor


def shard_range(name: str, parameter: torch.Tensor) -> tuple[int, int]:
    """The flat indices [start, stop) of ``parameter`` that this process holds; a ValueError naming
    the parameter unless it is split along dimension 0 over all processes (FSDP2's ``fully_shard``)."""
    from torch.distributed.tensor import Shard

    rank, size = world()
    placements = tuple(parameter.placements)
    mesh = parameter.device_mesh
    if placements != (Shard(0),) or mesh.ndim != 1 or mesh.size() != size:
        raise ValueError(
            f"Recorder reads FSDP2 parameters split along dimension 0 over all {size} processes "
            f"(fully_shard's); {name} is placed {placements!r} on a {mesh.ndim}-D mesh of {mesh.size()}"
        )
    rows = parameter.shape[0] if parameter.dim() else 1
    per_rank = math.ceil(rows / size)
    first, last = min(rows, rank * per_rank), min(rows, (rank + 1) * per_rank)
    row_size = math.prod(parameter.shape[1:])
    if local(parameter).numel() != (last - first) * row_size:
        raise ValueError(
            f"{name}: this process holds {local(parameter).numel()} entries; splitting {rows} rows "
            f"as torch.chunk does gives it {(last - first) * row_size}"
        )
    return first * row_size, last * row_size


def gather_sampled(
    index: np.ndarray, span: tuple[int, int], tensors: list[torch.Tensor], timeout: float
) -> list[np.ndarray]:
    """Each of ``tensors`` (shards of one parameter's size) at the flat ``index``, in float64, whichever
    process holds each entry: one all-reduce (a sum of one value and zeros) for all of them."""
    start, stop = span
    mine = (index >= start) & (index < stop)
    device = local(tensors[0]).device  # (the backend's: gloo on the host, nccl on the GPU)
    where = torch.as_tensor(index[mine] - start, device=device)
    columns = torch.as_tensor(np.flatnonzero(mine), device=device)
    out = torch.zeros(len(tensors), len(index), dtype=torch.float64, device=device)
    for row, tensor in enumerate(tensors):
        shard = local(tensor).detach().reshape(-1)
        out[row, columns] = shard.index_select(0, where).double()
    _all_reduce(out, timeout)
    return list(out.cpu().numpy())


def add_histograms(counts: torch.Tensor, timeout: float) -> torch.Tensor:
    """The histograms of every process's shard, added (in place; exact: counts)."""
    _all_reduce(counts, timeout)
    return counts
