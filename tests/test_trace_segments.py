"""A growing trace written as segments (adamviz.record.trace_writer): each flush appends only what is
new, a process killed at any moment leaves every earlier flush readable, and both readers — load() and
the page's (in Node) — read a chain as the one trace it makes, and refuse a broken one alike."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from trace_fuzz import disagreements, node_verdicts, python_verdict

from adamviz.record import archive, load
from adamviz.record.trace_file import read_npz
from adamviz.record.trace_writer import MAX_APPENDED, TraceWriter

from hostile_traces import chained, next_records, trace_bytes, valid_arrays

META = {"note": "fixed"}


class Run:
    """A fake recorder writing ``path``: ``valid_arrays``' trace, ``n`` records of it held so far."""

    def __init__(self, path: Path) -> None:
        self.n = 0
        self.writer = TraceWriter(path)

    def flush(self, n: int, meta: dict = META, *, whole: bool = False) -> int:
        """Hold ``n`` records and bring the file up to date; the bytes written."""
        self.n = n
        return self.writer.write(meta, [n], self.arrays_from, whole=whole)

    def arrays_from(self, starts: list[int]) -> dict[str, np.ndarray]:
        whole = valid_arrays(records=self.n)
        return {
            key: value if key in ("meta", "g0_index") else value[starts[0] :] for key, value in whole.items()
        }


def segments(path: Path) -> int:
    return len(archive.zip_segments(path.read_bytes(), path.name))


def test_each_flush_appends_only_its_records_and_reads_as_one_trace(tmp_path):
    path = tmp_path / "run.npz"
    run = Run(path)
    written = []
    for n in range(1, 41):
        written.append(run.flush(n))
        assert load(path).groups[0].steps.tolist() == list(range(1, n + 1))
        whole = load(path).arrays
        for key, value in valid_arrays(records=n).items():
            assert whole[key].dtype == value.dtype and np.array_equal(whole[key], value), key
    assert segments(path) > 1
    assert run.flush(40) == 0  # nothing new: nothing written


def test_a_long_runs_flushes_cost_what_is_new_not_the_whole_file(tmp_path):
    """1,000 flushes of one record each: an append is a record and a segment's own bytes (~2 KB: eight
    .npy headers, their zip entries); with the whole writes that keep the file under twice its live
    size, a flush writes at most twice that on average — flat, however long the run — where rewriting
    the file each time would write the whole trace (74 KB at the end)."""
    path = tmp_path / "run.npz"
    run = Run(path)
    writer = run.writer
    written = [run.flush(n) for n in range(1, 1001)]
    appended = max(size for size, n in zip(written, range(1, 1001), strict=True) if size < 3_000)
    assert np.mean(written[500:]) <= 2 * appended
    whole = len(trace_bytes(valid_arrays(records=1000)))
    assert whole > 20 * appended and path.stat().st_size <= 2 * writer.written["base"]


def test_the_file_is_written_whole_when_it_doubles_or_its_meta_changes(tmp_path):
    path = tmp_path / "run.npz"
    run = Run(path)
    writer = run.writer
    sizes = []
    for n in range(1, 200):
        run.flush(n)
        sizes.append((path.stat().st_size, writer.written["base"], segments(path)))
    assert all(size <= 2 * base for size, base, _ in sizes)  # dead weight stays below the live trace
    assert max(count for *_, count in sizes) <= MAX_APPENDED + 1
    run.flush(200, {"note": "changed"})  # a group joins, the run is thinned …
    assert segments(path) == 1
    run.flush(200, {"note": "changed"}, whole=True)  # close(): one plain .npz
    assert segments(path) == 1 and np.load(path)["g0_steps"].tolist() == list(range(1, 201))


def test_an_append_after_a_failed_one_cuts_its_partial_segment_off(tmp_path):
    path = tmp_path / "run.npz"
    run = Run(path)
    writer = run.writer
    run.flush(5)
    run.flush(6)
    with open(path, "ab") as out:
        out.write(b"PK\x03\x04 half a segment, then the disk was full")
    assert load(path).groups[0].steps[-1] == 6  # a reader passes over it
    run.flush(7)
    assert load(path).groups[0].steps.tolist() == list(range(1, 8))
    assert path.stat().st_size == writer.written["size"]


def test_a_file_replaced_or_cut_behind_the_writers_back_is_written_whole(tmp_path):
    path = tmp_path / "run.npz"
    run = Run(path)
    run.flush(5)
    run.flush(6)
    path.unlink()
    path.write_bytes(b"someone else's file")
    run.flush(7)
    assert load(path).groups[0].steps.tolist() == list(range(1, 8)) and segments(path) == 1
    path.unlink()
    run.flush(8)
    assert load(path).groups[0].steps.tolist() == list(range(1, 9))


def test_every_cut_of_the_last_segment_reads_as_the_flushes_before_it(tmp_path):
    """A process killed mid-append leaves a partial last segment: cut at every byte, both readers read
    the records of every whole segment before it."""
    data = chained(valid_arrays(records=12), next_records(12, 3), next_records(15, 2))
    before = len(chained(valid_arrays(records=12), next_records(12, 3)))
    files = [(f"cut{n}.npz", "cut", data[:n]) for n in range(before, len(data) + 1)]
    python = [python_verdict(name, cut, tmp_path) for name, _, cut in files]
    assert all(verdict["ok"] for verdict in python)
    assert [len(v["g"][0][0]) for v in python] == [15] * (len(files) - 1) + [17]
    assert disagreements(files, python, node_verdicts(files, tmp_path)) == []


def test_a_chain_reads_as_the_trace_it_makes():
    chain = read_npz(chained(valid_arrays(records=12), next_records(12, 3), next_records(15, 5)), "c.npz")
    whole = read_npz(trace_bytes(valid_arrays(records=20)), "w.npz")
    for key, value in whole.arrays.items():
        assert chain.arrays[key].dtype == value.dtype and np.array_equal(chain.arrays[key], value), key


WRITER = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from pathlib import Path
from hostile_traces import valid_arrays
from adamviz.record.trace_writer import TraceWriter
whole = valid_arrays(records=4000, sample=64, groups=[{{"name": "w", "shape": [100, 100]}}])
writer = TraceWriter(Path(sys.argv[1]))
for n in range(1, 4001):
    arrays = lambda starts: {{k: v if k in ("meta", "g0_index") else v[starts[0] : n] for k, v in whole.items()}}
    writer.write({{}}, [n], arrays)
    if n == 2:
        print("writing", flush=True)
"""


def test_a_writer_killed_at_any_moment_leaves_a_readable_trace(tmp_path):
    """SIGKILL a writer flushing as fast as it can, 12 times at random moments: each file reads, holds
    records 1, 2, … n with nothing lost before the last flush, and a new writer carries on from it."""
    rng = random.Random(3)
    script = WRITER.format(tests=str(Path(__file__).parent))
    kills = []
    for attempt in range(12):
        path = tmp_path / f"killed{attempt}.npz"
        writer = subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline() == "writing\n"
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=60)
        steps = load(path).groups[0].steps
        assert steps.tolist() == list(range(1, len(steps) + 1))
        kills.append(
            (len(steps), path.stat().st_size - len(read_npz(path.read_bytes(), path.name).to_bytes()))
        )
    assert len({n for n, _ in kills}) >= 6  # killed at many different moments


def _second_group_without(member: str) -> dict[str, np.ndarray]:
    """valid_arrays' trace with a second group, its copy, lacking ``member`` (optional per group)."""
    arrays = valid_arrays(groups=[{"name": "a", "shape": [3, 4]}, {"name": "b", "shape": [3, 4]}])
    for key in [key for key in arrays if key.startswith("g0_") and key != f"g0_{member}"]:
        arrays["g1_" + key[3:]] = arrays[key]
    return arrays


def _both_groups(segment: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A one-group segment's records given to two groups alike."""
    return {key: np.concatenate([value, value]) for key, value in segment.items()}


# each case's id is its file's name: the archives' bytes carry the moment they were written (a zip
# member's time), so ids made of them differ between test workers that collect a second apart
BROKEN_SEGMENTS = [
    (
        "segment-members.npz",
        chained(valid_arrays(), {"records": np.array([1]), "steps": np.array([13])}),
        "segment 2 must hold records, steps, g, exp_avg, exp_avg_sq, step, percentiles; it holds records, steps",
    ),
    (
        "segment-counts.npz",
        chained(valid_arrays(), {**next_records(12, 1), "records": np.array([-1])}),
        "segment 2: records must be 1 counts from 0 to 10,000, one per group",
    ),
    (
        "segment-dtype.npz",
        chained(valid_arrays(), {**next_records(12, 1), "g": np.zeros(2)}),
        "segment 2: g is float64; g0_g is float32",
    ),
    (
        "segment-length.npz",
        chained(valid_arrays(), {**next_records(12, 1), "step": np.zeros(3)}),
        "segment 2: step has shape (3,); its records make it (2,)",
    ),
    (
        "segment-steps.npz",
        chained(valid_arrays(), {**next_records(12, 1), "steps": np.array([12])}),
        "g0_steps must increase from 1 or more",
    ),
    (
        "segment-gap.npz",
        chained(valid_arrays(), next_records(12, 1), gap=b"junk"),
        "a damaged .npz archive (",
    ),
    (
        "segment-unheld.npz",  # group 1 keeps no percentiles; a segment brings them to both
        chained(_second_group_without("percentiles"), _both_groups(next_records(12, 1))),
        "segment 2 appends percentiles to group 1, which has none",
    ),
    (
        "segment-name.npz",
        chained(valid_arrays(), {**next_records(12, 1), "meta": np.zeros(1, np.uint8)}),
        "segment 2's member 'meta.npy' is not an array of an adamviz trace",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "words"), BROKEN_SEGMENTS, ids=[case[0] for case in BROKEN_SEGMENTS]
)
def test_a_broken_segment_is_refused_alike_with_its_place_named(name, data, words, tmp_path):
    verdict = python_verdict(name, data, tmp_path)
    assert not verdict["ok"] and verdict["message"].startswith(f"{name}: ") and words in verdict["message"]
    [page] = node_verdicts([(name, "hostile", data)], tmp_path)
    assert page == {"ok": False, "message": verdict["message"]}
