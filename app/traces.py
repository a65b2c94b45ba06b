"""The training runs a page carries: ``trace=FILE`` (or ``mlp``, ``transformer``: the on-board ones) and
the scenarios of the on-board ones.

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

from .settings import ON_BOARD_TRACES, ExplorerSettings

SCENARIO_COORDINATES = {"transformer": ("tok_emb.weight", 14158)}
"""The coordinate an on-board trace's scenario card shows, where not its first: (group, flat index) —
the transformer's token-embedding entry in the row of ‘, a rare character (tests/make_transformer_trace.py)."""

TRACE_CARDS = 4
"""Cards a page that opens on a trace holds: the trace's coordinates show this many at a time."""


def on_board_path(name: str = "mlp") -> Path:
    """Where on-board trace ``name`` lies (:data:`ON_BOARD_TRACES`: assets/<name>_trace.npz)."""
    return Path(str(resources.files("adamviz.assets").joinpath(ON_BOARD_TRACES[name])))


def read_trace(name: str) -> RecordedRun:
    """``name``'s run (``mlp``, ``transformer``: an on-board one), checked for what a page needs; TraceError if not."""
    run = load(on_board_path(name) if name in ON_BOARD_TRACES else name)
    shortest = min(len(group.steps) for group in run.groups)
    low = ExplorerSettings.param.iterations.bounds[0]
    if shortest < low:
        raise TraceError(f"{run.source}: has {shortest} records; the page needs at least {low}")
    return run


def scenario_coordinate(name: str, run: RecordedRun) -> str:
    """The recorded coordinate the scenario ``name`` (an on-board trace) shows, by its page name
    "<group>[<index>]": :data:`SCENARIO_COORDINATES`' choice, else the first group's first one."""
    group_name, index = SCENARIO_COORDINATES.get(
        name, (run.groups[0].name, run.groups[0].coordinates[0].index)
    )
    return f"{group_name}[{index}]"


def trace_limits() -> dict[str, int]:
    """The reader's limits, as the page's trace_files.js takes them (one table for both languages)."""
    return {"records": MAX_RECORDS, **rules()}


def page_traces(
    settings: ExplorerSettings, runs: dict[str, RecordedRun] | None = None
) -> list[dict[str, Any]]:
    """The runs a page built from ``settings`` carries: the ``trace`` (its cards show first), then each
    on-board one a scenario wants (unless the trace is that one). Each has the scenario name it lends a
    coordinate to (``alias``, and which: ``aliasOf``) or None. ``runs``: traces already read and checked,
    by name (``adamviz serve`` reads its trace once)."""
    out = []
    run = None
    if settings.trace:
        run = (runs or {}).get(settings.trace) or read_trace(settings.trace)
        out.append({"name": run.source, "data": _encoded(run), "alias": None, "aliasOf": None})
    for name in ON_BOARD_TRACES:
        if name not in settings.scenarios:
            continue
        on_board = run if settings.trace == name else read_trace(name)
        records = min(len(group.steps) for group in on_board.groups)
        if not settings.trace and settings.iterations > records:  # (a trace sets the page's length itself)
            raise ValueError(
                f"iterations must be at most {records} with the {name} scenario (the steps it "
                f"recorded); got {settings.iterations}"
            )
        entry = {"alias": name, "aliasOf": scenario_coordinate(name, on_board)}
        if on_board is run:
            out[0].update(entry)
        else:
            out.append({"name": on_board.source, "data": _encoded(on_board), **entry})
    return out


def _encoded(run: RecordedRun) -> str:
    return base64.b64encode(run.to_bytes()).decode("ascii")
