"""The training runs a page carries: ``trace=FILE`` (or ``mlp``, the on-board one) and the ``mlp`` scenario.

A trace goes into the page as the bytes of an uncompressed ``.npz`` (only the validated members), base64:
the page reads it with the same code as a file the user drops on it (assets/trace_files.js). It adds
4/3 of that size to the page (docs/performance.md has the on-board trace's); the limit is
:data:`adamviz.record.MAX_FILE_BYTES`.
"""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path
from typing import Any

from adamviz.record import MAX_RECORDS, RecordedRun, TraceError, load
from adamviz.record.archive import rules

from .settings import ON_BOARD_TRACE, ExplorerSettings

TRACE_CARDS = 4
"""Cards a page that opens on a trace holds: the trace's coordinates show this many at a time."""


def on_board_path() -> Path:
    """Where the on-board trace lies (assets/mlp_trace.npz, made by tests/make_mlp_trace.py)."""
    return Path(str(resources.files("adamviz.assets").joinpath("mlp_trace.npz")))


def read_trace(name: str) -> RecordedRun:
    """``name``'s run (``mlp``: the on-board one), checked for what a page needs; TraceError if not."""
    run = load(on_board_path() if name == ON_BOARD_TRACE else name)
    shortest = min(len(group.steps) for group in run.groups)
    low = ExplorerSettings.param.iterations.bounds[0]
    if shortest < low:
        raise TraceError(f"{run.source}: has {shortest} records; the page needs at least {low}")
    return run


def trace_limits() -> dict[str, int]:
    """The reader's limits, as the page's trace_files.js takes them (one table for both languages)."""
    return {"records": MAX_RECORDS, **rules()}


def page_traces(
    settings: ExplorerSettings, runs: dict[str, RecordedRun] | None = None
) -> list[dict[str, Any]]:
    """The runs a page built from ``settings`` carries: the ``trace`` (its cards show first), then the
    on-board one when the ``mlp`` scenario wants it and the trace is not already that one. ``runs``:
    traces already read and checked, by name (``adamviz serve`` reads its trace once)."""
    out = []
    run = None
    if settings.trace:
        run = (runs or {}).get(settings.trace) or read_trace(settings.trace)
        out.append({"name": run.source, "data": _encoded(run), "alias": None})
    if ON_BOARD_TRACE in settings.scenarios:
        on_board = run if settings.trace == ON_BOARD_TRACE else read_trace(ON_BOARD_TRACE)
        records = len(on_board.groups[0].steps)
        if not settings.trace and settings.iterations > records:  # (a trace sets the page's length itself)
            raise ValueError(
                f"iterations must be at most {records} with the {ON_BOARD_TRACE} scenario (the steps it "
                f"recorded); got {settings.iterations}"
            )
        if on_board is run:
            out[0]["alias"] = ON_BOARD_TRACE
        else:
            out.append({"name": on_board.source, "data": _encoded(on_board), "alias": ON_BOARD_TRACE})
    return out


def _encoded(run: RecordedRun) -> str:
    return base64.b64encode(run.to_bytes()).decode("ascii")
