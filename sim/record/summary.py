"""Every recorded layer at a glance: the per-group table of a run's r_t percentiles (NumPy only).

For each group (one parameter tensor), r_t = |m̂| / (√v̂ + ε) over all its entries was recorded as its
p10, p50 and p90 at each recorded step. The table gives them at the last record and, steadier, as the
median of each over the last tenth of the records; a group is *frozen by the denominator* when its p90
over that last tenth stays below :data:`FROZEN_P90` — nine entries in ten step less than 1% of the
learning rate, however large their gradients, because √v̂ has grown to dwarf m̂.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .trace_file import RecordedRun

FROZEN_P90 = 0.01
"""The p90 of r_t below which a group counts as frozen (its steps under 1% of η for 90% of entries)."""
RECENT_FRACTION = 0.1
"""The share of the records, the latest, that "recent" summarises."""


@dataclass(frozen=True)
class GroupSummary:
    """One group's row: ``end`` is (p10, p50, p90) of r_t at its last record, ``recent`` the median of
    each over its last tenth of records (both None for a gradient log, which records no r_t)."""

    name: str
    shape: tuple[int, ...]
    records: int
    last_step: int
    end: tuple[float, float, float] | None
    recent: tuple[float, float, float] | None
    frozen: bool | None


def summary(run: RecordedRun) -> list[GroupSummary]:
    """The per-group table of ``run`` (from :func:`~adamviz.record.load`), in the run's group order."""
    rows = []
    for group in run.groups:
        end = recent = frozen = None
        if group.percentiles is not None:
            p = group.percentiles
            tail = p[-max(1, math.ceil(RECENT_FRACTION * len(p))) :]
            end = tuple(float(x) for x in p[-1])
            recent = tuple(float(x) for x in np.median(tail, axis=0))
            frozen = recent[2] < FROZEN_P90
        rows.append(
            GroupSummary(group.name, group.shape, len(group.steps), int(group.steps[-1]), end, recent, frozen)
        )
    return rows


def summary_text(run: RecordedRun) -> str:
    """The table as text, one group a line (what ``adamviz summary run.npz`` prints)."""
    rows = summary(run)
    width = max(len("group"), *(len(row.name) for row in rows))
    head = f"{'group':<{width}}  {'shape':<14} {'records':>7}  r_t at the end: p10 / p50 / p90   last 10%: p50 / p90"
    groups = f"{len(rows)} group{'' if len(rows) == 1 else 's'}"
    lines = [f"{run.source}: {groups}; frozen: p90 of r_t under {FROZEN_P90:g} over the last 10%", head]
    for row in rows:
        shape = "×".join(str(n) for n in row.shape)
        if row.end is None:
            numbers = "no r_t recorded (a gradient log)"
        else:
            end = " / ".join(f"{x:.3g}" for x in row.end)
            numbers = f"{end:<32} {row.recent[1]:.3g} / {row.recent[2]:.3g}" + (
                "   frozen" if row.frozen else ""
            )
        lines.append(f"{row.name:<{width}}  {shape:<14} {row.records:>7}  {numbers}")
    return "\n".join(lines)
