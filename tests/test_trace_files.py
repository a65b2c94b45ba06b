"""Trace files read by adamviz.record.load and ``adamviz export/serve --trace``: the good ones in full,
the malformed ones (tests/hostile_traces.py) each refused with one message naming the file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from adamviz.app.cli import main
from adamviz.record import MAX_RECORDS, TraceError, load
from adamviz.sim import simulate

from error_bounds import assert_within, float32_adam_bounds
from hostile_traces import hostile_files, trace_bytes, valid_arrays

HOSTILE = hostile_files()


def test_the_table_is_long_enough():
    assert len(HOSTILE) >= 25
    assert len({case.name for case in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_load_refuses_with_one_clear_message(tmp_path, case):
    path = tmp_path / case.name
    path.write_bytes(case.data)
    with pytest.raises(TraceError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(case.name)
    assert case.words in message
    assert "\n" not in message


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_export_refuses_and_writes_nothing(tmp_path, capsys, case):
    path = tmp_path / case.name
    path.write_bytes(case.data)
    out = tmp_path / "page.html"
    assert main(["export", str(out), "--trace", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"adamviz: error: {case.name}") and case.words in error
    assert not out.exists()


def test_nothing_but_the_recorder_needs_torch(tmp_path):
    """load(), the page's modules and the CLI import without torch (it is an optional extra)."""
    (tmp_path / "run.npz").write_bytes(trace_bytes(valid_arrays()))
    script = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now fails
        "import adamviz.sim, adamviz.app.cli, adamviz.app.figures, adamviz.app.server, adamviz.app.explorer\n"
        "from adamviz.record import load\n"
        f"print(load({str(tmp_path / 'run.npz')!r}).optimizer)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "adam"


def test_the_mlp_scenario_is_as_long_as_its_recording(tmp_path, capsys):
    assert main(["export", str(tmp_path / "x.html"), "--scenarios", "mlp", "--iterations", "2000"]) == 2
    assert "iterations must be at most 1000 with the mlp scenario (the steps it recorded); got 2000" in (
        capsys.readouterr().err
    )


def test_notebooks_and_panel_take_a_trace_too():
    from adamviz.app.explorer import AdamExplorer

    explorer = AdamExplorer(trace="mlp")
    assert explorer.settings.trace == "mlp"
    with pytest.raises(TraceError, match=r"nowhere\.npz: no such file"):
        AdamExplorer(trace="nowhere.npz")


def test_serve_refuses_a_bad_trace_before_listening(tmp_path, capsys):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"\x00" * 64)
    assert main(["serve", "--port", "1", "--trace", str(path)]) == 2
    assert "garbage.npz: not an .npz archive" in capsys.readouterr().err


@pytest.mark.parametrize("deflate", [False, True])
def test_a_good_trace_reads_back(tmp_path, deflate):
    arrays = valid_arrays()
    (tmp_path / "run.npz").write_bytes(trace_bytes(arrays, deflate=deflate))
    run = load(tmp_path / "run.npz")
    assert run.optimizer == "adam" and run.records == 12
    (group,) = run.groups
    assert group.name == "layer.weight" and group.shape == (3, 4)
    assert [c.index for c in group.coordinates] == [0, 5]
    assert group.scenario(group.coordinates[1]) == "layer.weight[5]"
    c = group.coordinates[0]
    # m̂ = m / (1 − β₁^t), √v̂ = √v / √(1 − β₂^t), as torch forms them (from the stored float32 moments),
    # β^t by Python's float power as torch's (numpy's vector power may differ in the last bit)
    correction1 = np.array([1 - 0.9**t for t in range(1, 13)])
    correction2 = np.array([1 - 0.999**t for t in range(1, 13)])
    np.testing.assert_array_equal(c.m_hat, arrays["g0_exp_avg"][:, 0].astype(float) / correction1)
    np.testing.assert_array_equal(
        c.sqrt_v_hat, np.sqrt(arrays["g0_exp_avg_sq"][:, 0].astype(float)) / np.sqrt(correction2)
    )
    # what the page is given is the same trace, uncompressed
    (tmp_path / "again.npz").write_bytes(run.to_bytes())
    again = load(tmp_path / "again.npz")
    for key in arrays:
        np.testing.assert_array_equal(again.arrays[key], arrays[key])


def test_gradient_logs_read_as_one_coordinate(tmp_path):
    (tmp_path / "log.csv").write_text("gradient\n0.5\n-0.25\n1e-3\n")
    np.save(tmp_path / "log.npy", np.arange(12, dtype=np.float32))
    csv, npy = load(tmp_path / "log.csv"), load(tmp_path / "log.npy")
    assert csv.optimizer is None and csv.groups[0].name == "log"
    np.testing.assert_array_equal(csv.groups[0].coordinates[0].g, [0.5, -0.25, 1e-3])
    assert csv.groups[0].coordinates[0].m_hat is None and csv.groups[0].percentiles is None
    np.testing.assert_array_equal(npy.groups[0].coordinates[0].g, np.arange(12.0))
    for name, end in (("windows.csv", b"\r\n"), ("mac.csv", b"\r")):
        (tmp_path / name).write_bytes(end.join([b"gradient", b"0.5", b"-0.25", b""]))
        np.testing.assert_array_equal(load(tmp_path / name).groups[0].coordinates[0].g, [0.5, -0.25])
    (tmp_path / "long.csv").write_text("0.1\n" * MAX_RECORDS)
    assert len(load(tmp_path / "long.csv").groups[0].steps) == MAX_RECORDS


def test_the_on_board_trace_is_a_real_adam_run():
    from adamviz.app.traces import on_board_path

    path = on_board_path()
    assert path.stat().st_size <= 300_000
    run = load(path)
    assert run.optimizer == "adam" and run.meta["lr"] == 0.001 and run.meta["betas"] == [0.9, 0.999]
    (group,) = run.groups
    assert group.name == "0.weight" and group.shape == (32, 64) and len(group.steps) == 1000
    assert len(group.coordinates) == 8
    for c in group.coordinates:
        # replayed in float64 at the run's own settings, Adam's m̂ and √v̂ are the run's (float32)
        # own, within float32's rounding as it accumulates (error_bounds.float32_adam_bounds)
        replay = simulate(c.g, optimizer="adam", lr=0.001)
        bound_m_hat, bound_sqrt_v_hat = float32_adam_bounds(
            c.g, c.m_hat, c.sqrt_v_hat, group.steps, 0.9, 0.999
        )
        assert_within(replay.m_hat, c.m_hat, bound_m_hat, f"{c.index} m_hat")
        assert_within(replay.sqrt_v_hat, c.sqrt_v_hat, bound_sqrt_v_hat, f"{c.index} sqrt_v_hat")


def test_the_mlp_card_says_what_its_data_shows():
    """The mlp card's text (app/text.py) on its data: the first recorded coordinate, replayed."""
    from adamviz.app.text import CARD_TEXT
    from adamviz.app.traces import on_board_path

    text = CARD_TEXT["mlp"][1]
    assert "nearly half" in text and "less than a fifth of η" in text and "last 500 steps" in text
    c = load(on_board_path()).groups[0].coordinates[0]
    replay = simulate(c.g, optimizer="adam", lr=0.001)
    flips = np.mean(np.sign(c.g[1:]) != np.sign(c.g[:-1]))
    assert 0.4 <= flips < 0.5  # "flips sign on nearly half the steps"
    assert np.mean(np.abs(replay.sqrt_v_hat) > np.abs(replay.m_hat)) > 0.95  # "m̂ stays far below √v̂"
    assert np.mean(np.abs(replay.scale[-500:])) < 0.2  # "less than a fifth of η"


def test_export_carries_a_trace_within_its_budget(tmp_path):
    """A 1,000-step, 8-coordinate trace adds under 300 KB to a page."""
    plain, traced = tmp_path / "plain.html", tmp_path / "traced.html"
    assert main(["export", str(plain), "--resources", "cdn"]) == 0
    assert main(["export", str(traced), "--resources", "cdn", "--trace", "mlp"]) == 0
    extra = traced.stat().st_size - plain.stat().st_size
    assert 190_000 < extra <= 300_000
