"""The recorder's cost on a real model: ``python tests/benchmark.py --recorder`` runs this.

A 10.9 M-parameter GPT-style transformer (6 blocks of width 384, 6 heads, 128 characters of context,
a 256-byte vocabulary; tests/make_transformer_trace.py's model) trains on CPU with AdamW on batches of
8 × 128 random bytes. ``--timing`` alternates blocks of steps without a recorder, with one at every=1
and with one at every=10 (three rounds, so that a machine's drift hits all three alike) and prints each
one's step times; ``--memory MODE`` runs a few steps in MODE alone and prints this process's peak
resident memory (run it in fresh processes to compare). Output: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from make_transformer_trace import CharTransformer

from adamviz.record import Recorder

BATCH, CONTEXT, VOCABULARY = 8, 128, 256
MODES = {"none": None, "every=1": 1, "every=10": 10}


def build() -> tuple[torch.nn.Module, torch.optim.Optimizer, torch.Generator]:
    torch.manual_seed(0)
    model = CharTransformer(VOCABULARY, width=384, heads=6, blocks=6, context=CONTEXT)
    optimizer = torch.optim.AdamW(model.named_parameters(), lr=1e-3)
    return model, optimizer, torch.Generator().manual_seed(0)


def train_step(model, optimizer, data: torch.Generator) -> float:
    """One step; its wall time in seconds."""
    started = time.perf_counter()
    tokens = torch.randint(VOCABULARY, (BATCH, CONTEXT + 1), generator=data)
    logits = model(tokens[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), tokens[:, 1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return time.perf_counter() - started


def run(mode: str, steps: int, model, optimizer, data, folder: Path) -> tuple[list[float], list[float]]:
    """``steps`` timed steps in ``mode`` (a recorder attached for them, closed after: its last write
    is the file's, not a step's): each step's wall time, and the time the recorder's own hooks took
    in it (hooks registered just before and just after the recorder's time them: pre-hooks and
    post-hooks run in the order they were registered)."""
    every = MODES[mode]
    if every is None:
        return [train_step(model, optimizer, data) for _ in range(steps)], [0.0] * steps
    spent = [0.0]
    started = [0.0]

    def begin(*_: object) -> None:
        started[0] = time.perf_counter()

    def end(*_: object) -> None:
        spent[0] += time.perf_counter() - started[0]

    handles = [optimizer.register_step_pre_hook(begin), optimizer.register_step_post_hook(begin)]
    recorder = Recorder(optimizer, folder / f"{mode}.npz", every=every, model=model, flush_seconds=1e9)
    handles += [optimizer.register_step_pre_hook(end), optimizer.register_step_post_hook(end)]
    times, hooks = [], []
    try:
        for _ in range(steps):
            spent[0] = 0.0
            times.append(train_step(model, optimizer, data))
            hooks.append(spent[0])
        return times, hooks
    finally:
        recorder.close()
        for handle in handles:
            handle.remove()


def timing(block: int, rounds: int) -> dict:
    model, optimizer, data = build()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    hooks: dict[str, list[float]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(3):  # warm-up: allocator, kernels, the optimizer's state
            train_step(model, optimizer, data)
        for _ in range(rounds):
            for mode in MODES:
                step_times, hook_times = run(mode, block, model, optimizer, data, Path(folder))
                times[mode] += step_times
                hooks[mode] += hook_times
    parameters = sum(p.numel() for p in model.parameters())
    return {
        "parameters": parameters,
        "tensors": len(list(model.parameters())),
        "times": times,
        "hooks": hooks,
    }


def memory(mode: str, steps: int) -> dict:
    model, optimizer, data = build()
    with tempfile.TemporaryDirectory() as folder:
        run(mode, steps, model, optimizer, data, Path(folder))
    return {"mode": mode, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--memory", choices=list(MODES))
    parser.add_argument("--block", type=int, default=5, help="steps per block (--timing)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three blocks (--timing)")
    parser.add_argument("--steps", type=int, default=4, help="steps (--memory)")
    args = parser.parse_args()
    out = timing(args.block, args.rounds) if args.timing else memory(args.memory, args.steps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
