"""adamviz.record.summary and ``adamviz summary``: every recorded layer at a glance, frozen ones flagged."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from adamviz.app.cli import main
from adamviz.record import FROZEN_P90, load, summary

from hostile_traces import trace_bytes, valid_arrays


def _two_groups(records: int = 20) -> dict[str, np.ndarray]:
    """A trace of two tensors: ``embedding`` with r_t's p90 falling under the threshold, ``head`` not."""
    arrays = valid_arrays(records=records)
    meta = json.loads(arrays["meta"].tobytes())
    meta["groups"] = [
        {"name": "embedding.weight", "shape": [50, 4]},
        {"name": "head.weight", "shape": [3, 4]},
    ]
    t = np.arange(1, records + 1)[:, None]
    frozen = np.hstack([1e-5 / t, 1e-4 / t, FROZEN_P90 * 10 / t])  # p90 under the threshold from t = 11
    lively = np.tile([0.05, 0.2, 0.6], (records, 1)) + 0.001 * t
    out = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    for k, percentiles in enumerate((frozen, lively)):
        for key, value in arrays.items():
            if key.startswith("g0_"):
                out[f"g{k}_{key[3:]}"] = value
        out[f"g{k}_percentiles"] = percentiles
    return out


def test_each_group_at_the_end_and_over_its_last_tenth(tmp_path):
    arrays = _two_groups(records=25)
    (tmp_path / "run.npz").write_bytes(trace_bytes(arrays))
    rows = summary(load(tmp_path / "run.npz"))
    assert [row.name for row in rows] == ["embedding.weight", "head.weight"]
    for row, k in zip(rows, (0, 1), strict=True):
        p = arrays[f"g{k}_percentiles"]
        assert row.end == tuple(p[-1]) and row.records == 25 and row.last_step == 25
        tail = p[-math.ceil(0.1 * 25) :]  # the last 3 of 25
        assert row.recent == tuple(np.median(tail, axis=0))
    # embedding: p90 over the last three records 0.1/23, 0.1/24, 0.1/25 < 0.01; head: 0.62..
    assert [row.frozen for row in rows] == [True, False]
    assert rows[0].shape == (50, 4)


def test_the_command_prints_one_line_a_group(tmp_path, capsys):
    (tmp_path / "run.npz").write_bytes(trace_bytes(_two_groups()))
    assert main(["summary", str(tmp_path / "run.npz")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"run.npz: 2 groups; frozen: p90 of r_t under {FROZEN_P90:g} over the last 10%"
    embedding, head = lines[2], lines[3]
    assert embedding.startswith("embedding.weight  50×4") and embedding.endswith("frozen")
    assert head.startswith("head.weight") and "frozen" not in head


def test_a_gradient_log_has_no_r_t(tmp_path, capsys):
    np.save(tmp_path / "g.npy", np.linspace(-1, 1, 30))
    [row] = summary(load(tmp_path / "g.npy"))
    assert row.end is None and row.recent is None and row.frozen is None
    assert main(["summary", str(tmp_path / "g.npy")]) == 0
    assert "no r_t recorded (a gradient log)" in capsys.readouterr().out


@pytest.mark.parametrize("name, data", [("bad.npz", b"not a zip"), ("missing.npz", None)])
def test_a_bad_file_is_one_line(tmp_path, capsys, name, data):
    if data is not None:
        (tmp_path / name).write_bytes(data)
    assert main(["summary", str(tmp_path / name)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"adamviz: error: {name}: ") and error.count("\n") == 1
