"""``adamviz serve --trace RUN.npz --follow`` (issue 26): a recorder writing the trace in another process,
an open page in Chromium showing each flush — keeping its view, its iteration and its settings, growing
with the run where it showed all of it — and, while the file is deleted or broken, saying so and keeping
what it had. How soon (the promise: within 2 s of the flush) is measured by ``tests/benchmark.py
--browser``, not here: a loaded machine would fail a clock by luck, so these waits are generous."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")

from browser_helpers import open_explorer, set_params, state
from conftest import free_port, start_server

pytestmark = pytest.mark.browser

PATIENCE = 30.0
"""Seconds a wait here may take before it fails (the benchmark measures the real latency)."""

MESSAGE = "window.AdamViz.instances[0].models.message"
"""The explorer's message (the Div above the controls), in the page's JavaScript."""

WRITER = textwrap.dedent(
    """
    import sys, time, torch
    from adamviz.record import Recorder
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.named_parameters(), lr=0.01)
    x, y = torch.randn(32, 5), torch.randn(32, 2)
    with Recorder(optimizer, sys.argv[1], model=model, flush_seconds=0.0) as recorder:
        for step in range(int(sys.argv[2])):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            optimizer.step()
            if step + 1 == int(sys.argv[3]):  # a pause mid-run: the page shows this flush first
                time.sleep(float(sys.argv[4]))
    """
)


def write(path, steps: int, pause_at: int = 0, pause: float = 0.0) -> subprocess.Popen:
    """A recorder in another process, flushing after every step (atomically: a whole file each time)."""
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(steps), str(pause_at), str(pause)])


def wait_for(page, expression: str, seconds: float) -> None:
    """Wait until ``expression`` holds in the page; fail after ``seconds``."""
    page.wait_for_function(expression, timeout=seconds * 1000)


def test_a_page_follows_a_run_as_it_is_written(page, tmp_path):
    path = tmp_path / "run.npz"
    assert write(path, 12).wait(timeout=120) == 0
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    for url in start_server([adamviz, "serve", "--port", str(port), "--trace", str(path), "--follow"], port):
        open_explorer(page, url)
        assert state(page)["params"]["iterations"] == 12  # all of it
        set_params(page, iteration=7, beta2=0.99)
        # the run goes on (a new run over the same file): its flushes reach the page
        writer = write(path, 30, pause_at=20, pause=4.0)
        wait_for(page, "window.adamviz.state().params.iterations === 20", 30)  # (torch's import first)
        now = state(page)
        assert (now["iteration"], now["params"]["beta2"], now["params"]["view"]) == (7, 0.99, "cards")
        assert writer.wait(timeout=120) == 0  # its last flush came before it ended
        wait_for(page, "window.adamviz.state().params.iterations === 30", PATIENCE)
        # the Layers view draws the newest run too
        set_params(page, view="layers")
        rows = page.evaluate("window.AdamViz.instances[0].layers.grid.steps.length")
        assert rows == 30
        # the file cut short (another writer, not atomic), then gone: each said, naming it; the page
        # keeps the run
        path.write_bytes(path.read_bytes()[:5000])
        wait_for(page, f"{MESSAGE}.visible && {MESSAGE}.text.includes('<div>run.npz: ')", PATIENCE)
        assert state(page)["params"]["iterations"] == 30
        path.unlink()
        wait_for(page, f"{MESSAGE}.visible && {MESSAGE}.text.includes('run.npz: no such file')", PATIENCE)
        assert state(page)["params"]["iterations"] == 30 and state(page)["params"]["view"] == "layers"
        # and comes back: the complaint is answered
        assert write(path, 15).wait(timeout=120) == 0
        wait_for(page, f"!{MESSAGE}.visible", PATIENCE)
        assert state(page)["params"]["view"] == "layers"


def test_follow_needs_a_trace_file(tmp_path, capsys):
    from adamviz.app.cli import main

    assert main(["serve", "--follow", "--trace", "mlp", "--port", str(free_port())]) == 2
    assert "--follow watches a trace file as a run writes it; got --trace 'mlp'" in capsys.readouterr().err
