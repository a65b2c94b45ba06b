"""The Layers view's numbers (assets/layer_table.js) against adamviz.record.summary: the page reads a run
with its own reader and summarises it in Node to the same rows — the same p10/p50/p90 at the end, the same
medians over the last tenth (odd and even counts), the same frozen flags — and maps the same p50s."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_engine_node import run_node

from adamviz.app.traces import on_board_path
from adamviz.record import load, summary
from adamviz.record.summary import FROZEN_P90

from hostile_traces import trace_bytes, valid_arrays

LAYERS_CLI = Path(__file__).parent / "js" / "layers_cli.mjs"


def layered_arrays(p50s: list[float], records: int, *, lr: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """A trace of len(p50s) groups whose r_t percentiles wander (seeded) around each p50 — the first
    group's p90 held under the frozen threshold when its p50 is tiny; a recorded lr_t if given."""
    base = valid_arrays(records)
    meta = json.loads(base["meta"].tobytes())
    meta["groups"] = [{"name": f"layer{k}.weight", "shape": [3, 4]} for k in range(len(p50s))]
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    rng = np.random.Generator(np.random.Philox(11))
    for k, p50 in enumerate(p50s):
        for key, value in base.items():
            if key.startswith("g0_"):
                arrays[f"g{k}_{key[3:]}"] = value
        wander = p50 * np.exp(rng.normal(scale=0.3, size=records))
        arrays[f"g{k}_percentiles"] = np.stack([wander / 4, wander, wander * 2], axis=1)
        if lr is not None:
            arrays[f"g{k}_lr"] = lr * (1 if k % 2 else 0.5)
            arrays[f"g{k}_weight_decay"] = np.zeros(records)
    return arrays


def summaries(paths: list[Path], tmp_path: Path) -> list[dict]:
    return run_node(LAYERS_CLI, [str(p) for p in paths], tmp_path)


def assert_rows_equal(page: list[dict], path: Path) -> None:
    """Every row of the page's table equals summary(load(path))'s, to the bit."""
    rows = summary(load(path))
    assert [r["name"] for r in page] == [row.name for row in rows]
    for got, row in zip(page, rows, strict=True):
        assert (got["records"], got["lastStep"], tuple(got["shape"])) == (
            row.records,
            row.last_step,
            row.shape,
        )
        assert tuple(got["end"]) == row.end and tuple(got["recent"]) == row.recent, row.name
        assert got["frozen"] == row.frozen


@pytest.mark.parametrize("records", [12, 19, 20, 21, 100])
def test_the_page_summarises_a_run_as_python_does(records, tmp_path):
    # 12 → a tail of 2 (an even median), 19/20 → 2, 21 → 3 (odd), 100 → 10
    path = tmp_path / f"run{records}.npz"
    path.write_bytes(trace_bytes(layered_arrays([1e-4, 0.05, 0.3, 2.0], records)))
    [page] = summaries([path], tmp_path)
    assert_rows_equal(page["rows"], path)
    assert [row["frozen"] for row in page["rows"]] == [True, False, False, False]
    assert page["rows"][0]["recent"][2] < FROZEN_P90


def test_the_on_board_runs_summarise_as_python_does(tmp_path):
    paths = [on_board_path("mlp"), on_board_path("transformer")]
    for page, path in zip(summaries(paths, tmp_path), paths, strict=True):
        assert_rows_equal(page["rows"], path)


def test_the_map_holds_each_groups_p50_at_its_step(tmp_path):
    path = on_board_path("transformer")
    [page] = summaries([path], tmp_path)
    run = load(path)
    steps = np.array(page["grid"]["steps"])
    np.testing.assert_array_equal(steps, run.groups[0].steps)  # every group recorded the same steps
    values = np.array(page["grid"]["values"], dtype=float).reshape(len(run.groups), len(steps))
    for k, group in enumerate(run.groups):
        np.testing.assert_array_equal(values[k], group.percentiles[:, 1])


def test_groups_that_share_a_schedule_share_a_line(tmp_path):
    records = 30
    lr = np.linspace(1e-3, 2e-3, records)
    path = tmp_path / "scheduled.npz"
    path.write_bytes(trace_bytes(layered_arrays([0.1, 0.2, 0.3], records, lr=lr)))
    [page] = summaries([path], tmp_path)
    lines = sorted(page["lines"], key=lambda line: line["groups"])
    assert [line["groups"] for line in lines] == [["layer0.weight", "layer2.weight"], ["layer1.weight"]]
    np.testing.assert_array_equal(lines[0]["lr"], lr * 0.5)
    np.testing.assert_array_equal(lines[1]["lr"], lr)


def test_the_transformer_cards_claims_hold_on_its_data():
    """The `transformer` scenario's text (app/text.py) against the trace it shows."""
    from adamviz.app.text import CARD_TEXT
    from adamviz.app.traces import SCENARIO_COORDINATES

    words = CARD_TEXT["transformer"][1]
    run = load(on_board_path("transformer"))
    group_name, index = SCENARIO_COORDINATES["transformer"]
    [group] = [g for g in run.groups if g.name == group_name]
    assert run.groups[0] is group and group.shape[1] == 144  # the token embedding, first in the model's order
    assert run.meta["every"] == 20 and "every 20th step" in words
    width = group.shape[1]
    frequent = [c for c in group.coordinates if c.index // width in (1, 64, 68, 83)]  # space, a, e, t
    [rare] = [c for c in group.coordinates if c.index == index]
    assert rare.index // width == 98  # ‘ (the characters sorted: tests/make_transformer_trace.py)

    def at_hits(c):
        hit = c.g != 0
        return hit, np.median(np.abs(c.g[hit])), np.median(np.abs(c.step[hit]) / group.lr[hit])

    hit, rare_g, rare_step = at_hits(rare)
    assert hit.mean() < 0.2  # "most steps its gradient is 0" (of the recorded ones)
    ratios = [at_hits(c)[1] / rare_g for c in frequent]
    assert all(c.g.all() for c in frequent) and "8 to 16 times smaller" in words
    assert round(min(ratios)) == 8 and round(max(ratios)) == 16
    steps = [at_hits(c)[2] for c in frequent]
    assert f"{rare_step:.2f}" == "0.28" and "median step, 0.28" in words
    assert "(0.11–0.15)" in words
    assert rare_step > max(steps) and min(steps) >= 0.105 and max(steps) < 0.155  # "(0.11–0.15)"


def test_what_the_docs_say_a_practitioner_sees_on_the_transformer_run(capsys):
    """docs/training-runs.md's reading of the on-board transformer run, and `adamviz summary transformer`."""
    from adamviz.app.cli import main

    run = load(on_board_path("transformer"))
    rows = summary(run)
    assert not any(row.frozen for row in rows)
    recent = [row.recent[1] for row in rows]
    assert round(min(recent), 2) == 0.13 and round(max(recent), 2) == 0.19
    p10 = {row.name: row.end[0] for row in rows}
    others = [v for name, v in p10.items() if name != "tok_emb.weight"]
    assert min(p10, key=p10.get) == "tok_emb.weight" and round(p10["tok_emb.weight"], 3) == 0.015
    assert round(min(others), 2) == 0.02 and round(max(others), 2) == 0.04
    matrices = [g for g in run.groups if g.name.startswith("blocks.") and len(g.shape) == 2]
    for group in matrices:  # darker through the warmup's peak than at the end
        peak = (group.steps >= 100) & (group.steps <= 700)
        assert group.percentiles[peak, 1].mean() < group.percentiles[-10:, 1].mean(), group.name
    assert main(["summary", "transformer"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("transformer_trace.npz: 37 groups") and "tok_emb.weight" in out
