"""The benchmark command: ``python tests/benchmark.py [--browser]``.

Prints each figure the issues ask for beside its target, and speed-ups as ratios against a baseline
run in the same process (never absolute timings alone: the machine varies, the ratio less so).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from adamviz.sim import STREAMS, population, simulate, stream

from reference_loop import reference_trajectory


class Figures:
    """Every figure of a run, for the one table printed at its end: (figure, measured, target)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, figure: str, measured: str, target: str = "—") -> None:
        self.rows.append((figure, measured, target))

    def print_table(self) -> None:
        print(f"\n== every figure beside its target ({machine()})")
        print("| figure | measured | target |\n| --- | --- | --- |")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


def machine() -> str:
    """What the figures were measured on: cores, CPU model, Chromium, date."""
    import os
    import platform
    import subprocess

    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        chromium = "no Chromium"
    return f"{os.cpu_count()} cores, {model}, {chromium or 'no Chromium'}, {time.strftime('%Y-%m-%d')}"


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def simulator_figures(figures: Figures) -> None:
    print("== simulator (adamviz.sim.simulate, Adam defaults)")
    streams = np.stack([stream(name, 10_000, seed=0) for name in list(STREAMS)[:3]], axis=1)
    one_call = median_seconds(lambda: simulate(streams), 200)
    three_calls = median_seconds(lambda: [simulate(streams[:, k]) for k in range(3)], 200)
    loop = median_seconds(lambda: [reference_trajectory(streams[:, k].tolist()) for k in range(3)], 5)
    print(f"3 streams x 10,000 iterations, one (10000, 3) call: {one_call * 1e3:7.3f} ms  (target <= 2 ms)")
    print(f"3 streams x 10,000 iterations, three 1-D calls:     {three_calls * 1e3:7.3f} ms")
    print(f"reference per-step loop on the same data:          {loop * 1e3:7.1f} ms")
    print(
        f"speed-up over the loop: {loop / one_call:6.0f}x one call, {loop / three_calls:6.0f}x three calls  (target >= 30x)"
    )
    gradients = population(1000, 10_000, seed=0)
    drawn = median_seconds(lambda: population(1000, 10_000, seed=0), 3)
    many = median_seconds(lambda: simulate(gradients), 3)
    floor = median_seconds(lambda: [np.empty(gradients.shape).fill(0.0) for _ in range(8)], 3)
    print(
        f"simulate(population(1000, 10_000)), 1e7 parameter-steps: {many * 1e3:6.0f} ms  (target <= 50 ms); "
        f"writing its 8 output arrays alone {floor * 1e3:4.0f} ms; population() itself {drawn * 1e3:4.0f} ms"
    )
    million = stream("noisy", 1_000_000, seed=0)
    big = median_seconds(lambda: simulate(million), 5)
    print(f"1,000,000 iterations: {big:6.3f} s  (target <= 0.3 s)")
    figures.add("simulator, 3 × 10,000 iterations, one call", f"{one_call * 1e3:.2f} ms", "≤ 2 ms")
    figures.add("… speed-up over the reference loop", f"{loop / one_call:.0f}×", "≥ 30×")
    figures.add("simulator, 1,000,000 iterations", f"{big:.3f} s", "≤ 0.3 s")
    figures.add(
        "simulate(population(1000, 10_000))",
        f"{many * 1e3:.0f} ms (writing 8 arrays: {floor * 1e3:.0f} ms)",
        "≤ 50 ms",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--browser", action="store_true", help="also measure the explorer in Chromium")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    figures = Figures()
    simulator_figures(figures)
    if args.browser:
        from browser_benchmark import browser_figures

        browser_figures(figures)
    figures.print_table()


if __name__ == "__main__":
    main()
