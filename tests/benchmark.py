"""The benchmark command: ``python tests/benchmark.py [--browser] [--clips] [--recorder]``.

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

from adamviz.sim import STREAMS, population, rt_percentiles, simulate, stream
from adamviz.sim.population import PERCENTILES

from reference_loop import reference_trajectory


class Figures:
    """Every figure of a run, for the one table printed at its end: (figure, measured, target)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, figure: str, measured: str, target: str = "—") -> None:
        self.rows.append((figure, measured, target))

    def table(self) -> str:
        """The figures as a Markdown table, headed by the machine they were measured on."""
        rows = "\n".join("| " + " | ".join(row) + " |" for row in self.rows)
        return f"Measured on {machine()}.\n\n| figure | measured | target |\n| --- | --- | --- |\n{rows}\n"

    def print_table(self) -> None:
        print(f"\n== every figure beside its target\n{self.table()}")

    def write_docs(self, command: str) -> None:
        """Put the table into docs/performance.md between its markers (generated, never typed)."""
        path = Path(__file__).parent.parent / "docs" / "performance.md"
        text = path.read_text(encoding="utf-8")
        begin, end = text.index(DOCS_BEGIN) + len(DOCS_BEGIN), text.index(DOCS_END)
        block = f"\n`{command}` wrote this table ({time.strftime('%Y-%m-%d %H:%M')}):\n\n{self.table()}"
        path.write_text(text[:begin] + block + text[end:], encoding="utf-8")
        print(f"wrote the table into {path}")


DOCS_BEGIN = "<!-- tests/benchmark.py --docs: begin -->"
DOCS_END = "<!-- tests/benchmark.py --docs: end -->"


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
    # the speed-up, five times over: each run times the loop and the fast path back to back
    speedups = []
    for _ in range(5):
        loop = median_seconds(lambda: [reference_trajectory(streams[:, k].tolist()) for k in range(3)], 1)
        speedups.append(loop / median_seconds(lambda: simulate(streams), 50))
    speedup = statistics.median(speedups)
    print(f"3 streams x 10,000 iterations, one (10000, 3) call: {one_call * 1e3:7.3f} ms  (target <= 2 ms)")
    print(f"3 streams x 10,000 iterations, three 1-D calls:     {three_calls * 1e3:7.3f} ms")
    print(f"reference per-step loop on the same data:          {loop * 1e3:7.1f} ms")
    print(
        f"speed-up over the loop, five runs: {', '.join(f'{x:.0f}x' for x in speedups)}; "
        f"median {speedup:.0f}x  (target >= 30x)"
    )
    gradients = population(1000, 10_000, seed=0)
    drawn = median_seconds(lambda: population(1000, 10_000, seed=0), 3)
    many = median_seconds(lambda: simulate(gradients), 5)
    with_scan = median_seconds(lambda: _scan_only(gradients), 3)
    scale = simulate(gradients).scale
    percentiles = median_seconds(lambda: rt_percentiles(scale), 5)
    numpys = median_seconds(lambda: np.percentile(np.abs(scale), PERCENTILES, axis=1), 3)
    floor = median_seconds(lambda: [np.empty(gradients.shape).fill(0.0) for _ in range(8)], 3)
    print(
        f"simulate(population(1000, 10_000)), 1e7 parameter-steps: {many * 1e3:6.0f} ms  (target <= 150 ms); "
        f"the scan path on it {with_scan * 1e3:4.0f} ms; writing its 8 output arrays alone {floor * 1e3:4.0f} ms; "
        f"population() itself {drawn * 1e3:4.0f} ms"
    )
    print(
        f"rt_percentiles of it: {percentiles * 1e3:6.0f} ms  (target <= 100 ms); "
        f"numpy.percentile(axis=1) on it {numpys * 1e3:4.0f} ms"
    )
    million = stream("noisy", 1_000_000, seed=0)
    big = median_seconds(lambda: simulate(million), 5)
    print(f"1,000,000 iterations: {big:6.3f} s  (target <= 0.3 s)")
    figures.add("simulator, 3 × 10,000 iterations, one call", f"{one_call * 1e3:.2f} ms", "≤ 2 ms")
    figures.add(
        "… speed-up over the reference loop (median of 5)",
        f"{speedup:.0f}× ({', '.join(f'{x:.0f}' for x in speedups)})",
        "≥ 30×",
    )
    figures.add("simulator, 1,000,000 iterations", f"{big:.3f} s", "≤ 0.3 s")
    figures.add(
        "simulate(population(1000, 10_000))",
        f"{many * 1e3:.0f} ms (scan path {with_scan * 1e3:.0f}; writing 8 arrays {floor * 1e3:.0f})",
        "≤ 150 ms",
    )
    figures.add(
        "rt_percentiles of it",
        f"{percentiles * 1e3:.0f} ms (numpy.percentile {numpys * 1e3:.0f})",
        "≤ 100 ms",
    )


def _scan_only(gradients: np.ndarray) -> object:
    """simulate() with the many-columns path switched off: the baseline it is measured against."""
    from adamviz.sim import optimizers

    saved = optimizers.WIDE
    optimizers.WIDE = gradients.shape[1] + 1
    try:
        return simulate(gradients)
    finally:
        optimizers.WIDE = saved


def clip_figures(figures: Figures) -> None:
    """10 s of each clip format at its defaults (1280x720; 20 frames/s of video, 12 of GIF): the frames
    photographed once (the baseline: Chromium's rate), then each encoder's rate on those frames, and
    the files' sizes."""
    import tempfile

    from adamviz.app import clip
    from adamviz.app.settings import ExplorerSettings

    settings = ExplorerSettings(controls=[], autoplay=False)
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "clip.html"
        page_file.write_text(clip.explorer_html(settings, resources="inline"), encoding="utf-8")
        longest = clip.Clip(0, 199, 20, clip.DEFAULT_SIZE)
        started = time.perf_counter()
        with clip._Camera(page_file, longest) as camera:
            frames = list(camera.frames(clip._ProgressBar(longest.frames, None)))
            palette = clip._palette([frames[0], frames[119]])
        shot = time.perf_counter() - started
    print(f"== clips: {len(frames)} frames photographed at 1280x720 in {shot:.1f} s")
    figures.add(
        "clip frames photographed (Chromium: set, repaint, screenshot)", f"{len(frames) / shot:.1f} frames/s"
    )
    for suffix, count, target in ((".mp4", 200, 2e6), (".webm", 200, 2e6), (".gif", 120, 5e6)):
        fps = clip.DEFAULT_FPS[suffix]
        started = time.perf_counter()
        if suffix == ".gif":
            data = clip._encode_gif(iter(frames[:count]), fps, palette)
        else:
            data = clip._encode_video(
                iter(frames[:count]), clip.Clip(0, count - 1, fps, clip.DEFAULT_SIZE), suffix
            )
        encoded = time.perf_counter() - started
        total = count / (count / (len(frames) / shot) + encoded)
        figures.add(
            f"10 s {suffix} at 1280x720, {fps} frames/s: size; encode rate; whole clip rate",
            f"{len(data):,} bytes; {count / encoded:.0f} frames/s; {total:.1f} frames/s",
            f"≤ {target / 1e6:.0f} MB",
        )


def recorder_figures(figures: Figures) -> None:
    """The recorder on a 10.9 M-parameter transformer on CPU (tests/recorder_benchmark.py, in fresh
    processes): step time with a recorder at every=1 and every=10 against none (alternating blocks in
    one process: the baseline), the extra peak memory, and r_t's percentiles of the largest tensor by
    the on-device histogram against the old way (a float64 copy to the host, numpy.percentile)."""
    import json
    import subprocess

    import torch

    from adamviz.record.device_percentiles import histogram_percentiles, r_histogram

    worker = [sys.executable, str(Path(__file__).parent / "recorder_benchmark.py")]

    def ask(*flags: str) -> dict:
        done = subprocess.run([*worker, *flags], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    # the three modes interleaved in rounds, a block of 10 steps each, so that every=10 records one
    # step in ten (each block's recorder starts at t = 1). The step time drifts by 5-20% between
    # blocks here, more than the recorder costs: each round's mode is compared with the same round's
    # no-recorder block (the mean step, which counts every=10's one recording step in ten — a median
    # would pass it over), and the rounds' median is the figure
    block, rounds = 10, 6
    timed = ask("--timing", "--block", str(block), "--rounds", str(rounds))
    medians = {mode: statistics.median(times) for mode, times in timed["times"].items()}
    print(
        f"== recorder: {timed['parameters']:,} parameters in {timed['tensors']} tensors; step medians (s): {medians}"
    )
    figures.add(
        f"training step, {timed['parameters'] / 1e6:.1f} M-parameter transformer on CPU, no recorder (baseline)",
        f"{medians['none'] * 1000:.0f} ms",
    )

    def block_means(mode: str) -> list[float]:
        times = timed["times"][mode]
        return [statistics.mean(times[k : k + block]) for k in range(0, len(times), block)]

    for mode, target in (("every=1", "≤ 5%"), ("every=10", "≤ 1%")):
        paired = [t / base - 1 for t, base in zip(block_means(mode), block_means("none"), strict=True)]
        own = statistics.mean(timed["hooks"][mode])  # every=10: one recording step in ten, averaged
        print(f"recorder overhead at {mode}, round by round: {', '.join(f'{x:+.1%}' for x in paired)}")
        figures.add(
            f"recorder overhead at {mode}: mean step against the same round's without, median of "
            f"{rounds} rounds (its hooks' own time, mean)",
            f"{statistics.median(paired):+.1%} ({own * 1000:.1f} ms: {own / medians['none']:.1%} of a step)",
            target,
        )
    peaks = {mode: ask("--memory", mode)["peak_rss_mb"] for mode in ("none", "every=1")}
    figures.add(
        "recorder's extra peak memory at every=1 (process peak RSS)",
        f"{peaks['every=1'] - peaks['none']:+.0f} MB (of {peaks['none']:.0f} MB)",
    )
    m, v = torch.randn(10_000_000), torch.rand(10_000_000)
    histogram = best_of(lambda: histogram_percentiles(r_histogram(m, v, 0.5, 0.7, 1e-8), 0.7 / 0.5))
    copied = best_of(
        lambda: np.percentile(
            (m.double().abs() / 0.5 / (v.double().sqrt() / 0.7 + 1e-8)).numpy(), [10, 50, 90]
        )
    )
    figures.add(
        "r_t p10/p50/p90 of 10 M entries: on-device histogram (copy + numpy.percentile: baseline)",
        f"{histogram * 1000:.0f} ms ({copied * 1000:.0f} ms: {copied / histogram:.1f}×)",
    )


def flush_figures(figures: Figures, groups: int = 76, records: int = 2_000, per_flush: int = 10) -> None:
    """A long run's flushes: a trace of the benchmark transformer's shape (``groups`` float32 tensors, 8
    coordinates each) growing to ``records`` records, flushed every ``per_flush`` — by the recorder's
    TraceWriter (appending segments) against rewriting the whole file at each flush (the baseline, as
    the recorder did before), in bytes and time per flush over the run's second half."""
    import json
    import tempfile

    from adamviz.record.files import write_atomically
    from adamviz.record.trace_writer import TraceWriter, _npz

    rng = np.random.default_rng(0)
    meta = {
        "format": "adamviz-trace",
        "version": 2,
        "groups": [{"name": f"w{k}", "shape": [64, 64]} for k in range(groups)],
    }
    whole = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    for k in range(groups):
        whole[f"g{k}_steps"] = np.arange(1, records + 1)
        whole[f"g{k}_index"] = np.arange(8) * 7
        for key in ("g", "exp_avg", "exp_avg_sq"):
            whole[f"g{k}_{key}"] = rng.standard_normal((records, 8)).astype(np.float32)
        whole[f"g{k}_step"] = rng.standard_normal((records, 8))
        whole[f"g{k}_percentiles"] = rng.random((records, 3))
        whole[f"g{k}_lr"] = whole[f"g{k}_weight_decay"] = np.full(records, 1e-3)

    def held(n: int):
        def arrays_from(starts: list[int]) -> dict[str, np.ndarray]:
            return {
                key: value
                if key == "meta" or key.endswith("_index")
                else value[starts[int(key[1:].split("_")[0])] : n]
                for key, value in whole.items()
            }

        return arrays_from

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for way in ("rewrite", "append"):
            path = Path(folder) / f"{way}.npz"
            writer = TraceWriter(path)
            written, seconds = [], []
            for n in range(per_flush, records + 1, per_flush):
                started = time.perf_counter()
                if way == "append":
                    written.append(writer.write(meta, [n] * groups, held(n)))
                else:
                    data = _npz(held(n)([0] * groups))
                    write_atomically(path, data)
                    written.append(len(data))
                seconds.append(time.perf_counter() - started)
            half = len(written) // 2
            results[way] = (np.mean(written[half:]), np.mean(seconds[half:]), path.stat().st_size)
    (bytes_new, time_new, size), (bytes_old, time_old, _) = results["append"], results["rewrite"]
    figures.add(
        f"a flush of a growing trace ({groups} groups, {records:,} records, one flush per {per_flush}): bytes and "
        "time, mean over the second half (rewriting the whole file: baseline)",
        f"{bytes_new / 1e3:.0f} KB, {time_new * 1000:.1f} ms ({bytes_old / 1e6:.1f} MB, {time_old * 1000:.1f} ms: "
        f"{bytes_old / bytes_new:.0f}× the bytes)",
        "appends what is new",
    )
    print(f"== flushes: the appended file ends at {size:,} bytes")


def best_of(call: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--browser", action="store_true", help="also measure the explorer in Chromium")
    parser.add_argument("--clips", action="store_true", help="also film and encode 10 s of each clip format")
    parser.add_argument(
        "--recorder", action="store_true", help="also measure adamviz.record on a 10 M transformer"
    )
    parser.add_argument("--docs", action="store_true", help="write the final table into docs/performance.md")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    figures = Figures()
    simulator_figures(figures)
    if args.browser:
        from browser_benchmark import browser_figures

        browser_figures(figures)
    if args.clips:
        clip_figures(figures)
    if args.recorder:
        recorder_figures(figures)
        flush_figures(figures)
    figures.print_table()
    if args.docs:
        flags = " ".join(f"--{name}" for name in ("browser", "clips", "recorder") if getattr(args, name))
        figures.write_docs(f"python tests/benchmark.py {flags} --docs".replace("  ", " "))


if __name__ == "__main__":
    main()
