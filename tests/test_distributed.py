"""adamviz.record across processes (issue 26): the same run recorded by one process, by two under
DistributedDataParallel and by two under FSDP2's fully_shard (gloo, CPU) gives the same trace, to the
bit — rank 0 writes it, the others write nothing; a sharding the recorder cannot read is refused by
name before training starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from adamviz.record import load

from conftest import free_port

WORKER = Path(__file__).parent / "distributed_worker.py"


def record(mode: str, out: Path, processes: int) -> list[subprocess.CompletedProcess]:
    """Run tests/distributed_worker.py in ``processes`` processes at once; their results."""
    port = str(free_port())
    running = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(rank), str(processes), port, str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(processes)
    ]
    done = []
    for process in running:
        stdout, stderr = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return done


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "run.npz"
    [done] = record("single", out, 1)
    assert done.returncode == 0, done.stderr
    return load(out)


@pytest.mark.parametrize("mode", ["ddp", "fsdp"])
def test_two_processes_record_what_one_would_to_the_bit(single, mode, tmp_path):
    out = tmp_path / "run.npz"
    for done in record(mode, out, 2):
        assert done.returncode == 0, done.stderr
    run = load(out)
    assert run.meta == single.meta  # the same names too: DDP's "module." prefix is not the model's
    assert [g.name for g in run.groups] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert run.arrays.keys() == single.arrays.keys()
    for key, array in single.arrays.items():
        np.testing.assert_array_equal(run.arrays[key], array, err_msg=key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]  # one writer, no leftovers


def test_a_sharding_the_recorder_cannot_read_is_refused_by_name(tmp_path):
    for done in record("fsdp-columns", tmp_path / "run.npz", 2):
        assert done.returncode != 0
        assert (
            "ValueError: Recorder reads FSDP2 parameters split along dimension 0 over all 2 processes "
            "(fully_shard's); 0.weight is placed (Shard(dim=1),) on a 1-D mesh of 2" in done.stderr
        )
    assert not (tmp_path / "run.npz").exists()


@pytest.mark.parametrize("mode", ["fsdp-gone", "fsdp-late"])
def test_a_shard_that_never_reports_stops_the_run_by_name(mode, tmp_path):
    """Process 1 ends (or sleeps past the 3-s shard_timeout) after step 4's backward: process 0 says
    which file and step, and the trace on disk holds the three steps recorded before it."""
    out = tmp_path / "run.npz"
    first, _ = record(mode, out, 2)
    assert first.returncode != 0
    message = next(line for line in first.stderr.splitlines() if "Recorder (" in line)
    assert f"Recorder ({out}): process 0 of 2 waited for the other processes' shards of step 4" in message
    assert "and they never came (" in message and "run.npz keeps the steps recorded before it" in message
    run = load(out)
    assert [len(group.steps) for group in run.groups] == [3] * len(run.groups)
