"""Replaying a recorded coordinate: its gradients stepped again by adamviz.sim at the run's own settings
(or others), NumPy only.

At the run's own settings — its optimizer, the group's betas, eps and momentum, and the learning rate
each step used (a scheduler's lr_t where the trace recorded it, else the group's lr) — the replayed
step is the run's: the same arithmetic on the same gradients, equal to the recorded step up to float
rounding (tests/test_record.py). Weight decay acts on θ, which a trace does not record: with a decay,
the replay starts from ``theta0`` (0 unless given) and its steps differ from the run's by the decay's
share of them.
"""

from __future__ import annotations

from typing import Any

from adamviz.sim import Trajectory, simulate

from .trace_file import RecordedCoordinate, RecordedGroup, RecordedRun

SHOWN_CHOICES = 20
"""How many group names or coordinates a message lists before "…"."""


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN_CHOICES])
    return shown + (f", … ({len(items):,} in all)" if len(items) > SHOWN_CHOICES else "")


def find(
    run: RecordedRun, group: str | None = None, coordinate: int | None = None
) -> tuple[RecordedGroup, RecordedCoordinate]:
    """The group named ``group`` (the only one if None) and its recorded coordinate whose flat index is
    ``coordinate`` (the first sampled if None); a ValueError lists the choices."""
    names = [g.name for g in run.groups]
    if group is None:
        if len(run.groups) > 1:
            raise ValueError(
                f"{run.source} holds {len(names)} groups; name one with --group: {_listed(names)}"
            )
        chosen = run.groups[0]
    else:
        matches = [g for g in run.groups if g.name == group]
        if not matches:
            raise ValueError(f"{run.source} has no group {group!r}; it has: {_listed(names)}")
        chosen = matches[0]
    indices = [c.index for c in chosen.coordinates]
    if coordinate is None:
        return chosen, chosen.coordinates[0]
    if coordinate not in indices:
        raise ValueError(
            f"{run.source}: group {chosen.name!r} recorded coordinates {_listed([str(i) for i in indices])}; "
            f"got {coordinate}"
        )
    return chosen, chosen.coordinates[indices.index(coordinate)]


def replay_settings(run: RecordedRun, group: RecordedGroup, iterations: int | None = None) -> dict[str, Any]:
    """``simulate``'s keywords for ``group`` at the run's own settings (its first ``iterations``
    records): ``lr`` is the recorded lr_t per step where the trace holds it. Empty for a bare
    gradient log (no optimizer: simulate's defaults)."""
    if run.optimizer is None or group.settings is None:
        return {}
    s = group.settings
    records = len(group.steps) if iterations is None else iterations
    return {
        "optimizer": run.optimizer,
        "lr": group.lr[:records] if group.lr is not None else s["lr"],
        "beta1": s["betas"][0],
        "beta2": s["betas"][1],
        "eps": s["eps"],
        "weight_decay": s["weight_decay"],
        "momentum": s["momentum"],
        # (NAdam's momentum_decay is not simulate's: its replay takes torch's default, 0.004)
        **{
            key: s[key]
            for key in ("lr_decay", "initial_accumulator_value", "decoupled_weight_decay")
            if key in s
        },
    }


def replay(
    run: RecordedRun, group: str | None = None, coordinate: int | None = None, **settings: Any
) -> Trajectory:
    """Step one recorded coordinate's gradients again: at the run's own settings
    (:func:`replay_settings`), each overridden by ``settings`` (``simulate``'s keywords; a given
    ``lr``, ``schedule`` or ``warmup`` replaces the recorded lr_t)."""
    chosen, recorded = find(run, group, coordinate)
    own = replay_settings(run, chosen)
    if {"lr", "schedule", "warmup"} & settings.keys() and "lr" in own and own["lr"] is chosen.lr:
        own["lr"] = chosen.settings["lr"]
    return simulate(recorded.g, **{**own, **settings})
