"""Recording a PyTorch run's optimizer state into a trace file (the one module of adamviz that imports
torch; ``pip install adamviz[torch]``)."""

from __future__ import annotations

import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .archive import MAX_FILE_BYTES
from .device_percentiles import Moments, counts_dtype, histogram_percentiles, r_histograms
from .files import temporary_beside
from .shards import MissingShardError, add_histograms, gather_sampled, is_sharded, local, shard_range, world
from .trace_file import (
    EXTRA_SETTINGS,
    FORMAT,
    MAX_GROUPS,
    MAX_NAME,
    MAX_RECORDS,
    RECORDED_OPTIMIZERS,
    VERSION,
    meta_array,
    utf16_length,
)
from .trace_writer import TraceWriter

NUMPY_VIEWED = (torch.float32, torch.float64, torch.float16)
"""Dtypes whose CPU tensors the sampled coordinates are read from through NumPy (bfloat16 has none)."""
SHADOW_BETAS = (0.9, 0.999)
SHADOW_EPS = 1e-8
"""Plain SGD keeps no moments: the recorder keeps Adam's (at its defaults) over the same gradients, to
show how Adam would have scaled them."""


class Recorder:
    """Record ``optimizer``'s state into the trace file ``path`` (format: :mod:`.trace_file`).

    Attaches through the optimizer's public step hooks (``register_step_pre_hook`` and
    ``register_step_post_hook``), for ``torch.optim.Adam``, ``AdamW``, ``SGD``, ``RMSprop`` (without
    momentum, not centered), ``RAdam``, ``NAdam``, ``Adamax`` and ``Adagrad``, each from its own state
    (:data:`~.trace_file.RECORDED_OPTIMIZERS`). Every ``every``-th step of each parameter tensor (t = 1, 1 + every, ...), for each tensor (a *group*): the p10, p50
    and p90 of r_t = |m̂| / (√v̂ + ε) over all its entries (on the tensor's own device, within 0.2%:
    :mod:`.device_percentiles`), and for ``sample`` coordinates drawn once
    from ``seed`` (without replacement) their gradient, m_t, v_t and step θ_{t−1} − θ_t.

    Groups are named by module path when the optimizer was built from ``model.named_parameters()``
    (torch ≥ 2.6) or when ``model`` is given; otherwise ``group{i}.param{j}``. They come in the
    model's order when ``model`` is given (its ``named_parameters()``), else in the optimizer's.
    ``only`` (names) keeps just those tensors. ``coordinates`` (name → flat indices) chooses a
    tensor's coordinates instead of the seeded draw — an embedding's rows of frequent and of rare
    tokens, say. At most every ``flush_seconds`` a flush appends the records since the last
    one to the file as a segment (:mod:`.trace_writer`: written whole at first, when the meta changes
    or the file has doubled, and by :meth:`close`, which leaves one plain ``.npz``): a crash loses
    only what came after the last flush, and the file on disk always reads as a complete trace. Use as a context manager, or call
    :meth:`close` at the end.

    It never writes a file :func:`~adamviz.record.load` refuses, and never stops training:

    - a run that outgrows a trace (more than ``MAX_RECORDS`` records, or a file over ``MAX_FILE_BYTES``)
      is *thinned*: every other record is dropped and from then on every ``2 × every``-th step is
      recorded (again as often as needed); meta's ``every`` says the spacing kept and ``thinned`` the
      factor, and a warning says so once;
    - a tensor whose gradient, moments or r_t stop being finite (a diverged run) stops being recorded
      at that step, with a warning; what came before stays;
    - an I/O error while flushing during training (a full disk) is a warning: the records stay in
      memory for the next flush. :meth:`close` raises it, naming the file, after the last attempt;
    - the constructor refuses a ``path`` that is a directory, does not end in ``.npz`` or lies in a
      folder it cannot write.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        path: str | os.PathLike,
        every: int = 1,
        sample: int = 8,
        seed: int = 0,
        *,
        model: torch.nn.Module | None = None,
        only: list[str] | None = None,
        coordinates: dict[str, list[int]] | None = None,
        flush_seconds: float = 10.0,
        shard_timeout: float = 300.0,
    ) -> None:
        kind = type(optimizer).__name__
        if kind not in RECORDED_OPTIMIZERS:
            raise TypeError(f"Recorder records torch.optim.{', '.join(RECORDED_OPTIMIZERS)}; got {kind}")
        for group in optimizer.param_groups:
            if kind == "RMSprop" and (group.get("momentum") or group.get("centered")):
                raise TypeError(
                    "Recorder records RMSprop without momentum and not centered (a step of the form "
                    "lr · g / (√v + ε)); got momentum "
                    f"{group.get('momentum')}, centered {group.get('centered')}"
                )
        for name, value, low in (("every", every, 1), ("sample", sample, 1), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low or value >= 2**64:
                raise ValueError(f"{name} must be an integer in [{low}, 2**64); got {value!r}")
        self.optimizer = optimizer
        self.rank, self.processes = world()
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.sharded = any(is_sharded(p) for p in params)
        # under DDP every process holds the same: rank 0 records; under FSDP2 all take part, rank 0 writes
        self.writes = self.rank == 0
        self.inert = self.processes > 1 and not self.sharded and not self.writes
        self.path = _writable(Path(path)) if self.writes else Path(path)
        self.every = every
        self.requested_every = every
        self.warned: set[str] = set()
        self.flush_seconds = flush_seconds
        if not (isinstance(shard_timeout, (int, float)) and 0 < shard_timeout < math.inf):
            raise ValueError(f"shard_timeout must be a number of seconds > 0; got {shard_timeout!r}")
        self.shard_timeout = float(shard_timeout)
        first = optimizer.param_groups[0]
        self.kind = kind
        self.shadow = kind == "SGD"
        self.amsgrad = bool(first.get("amsgrad", False))
        if type(model).__name__ == "DistributedDataParallel":
            model = model.module  # its parameters' names without DDP's "module." prefix
        names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
        self.groups: list[dict[str, Any]] = []
        for i, group in enumerate(optimizer.param_groups):
            given = group.get("param_names") or []
            for j, p in enumerate(group["params"]):
                # the model's own names first (a DDP-wrapped optimizer's say "module.0.weight")
                name = names.get(id(p)) or (given[j] if j < len(given) else f"group{i}.param{j}")
                if only is not None and name not in only:
                    continue
                if p.numel() == 0:
                    continue  # nothing to record (and a trace's shapes are at least 1)
                k = len(self.groups)
                if coordinates and name in coordinates:
                    index = _chosen(name, coordinates[name], p.numel())
                else:
                    rng = np.random.Generator(np.random.Philox([seed, k]))
                    index = np.sort(rng.choice(p.numel(), size=min(sample, p.numel()), replace=False))
                self.groups.append(
                    {
                        "name": name,
                        "param": p,
                        "param_group": group,
                        "settings": self._settings(group),
                        "index": index,
                        "where": torch.as_tensor(index, device=local(p).device),
                        "span": shard_range(name, p) if is_sharded(p) else None,
                        "records": [],
                        "views": {},  # id(tensor) -> (tensor, its data_ptr, NumPy's flat view): Recorder._at
                        "shadow": None,
                        "t": 0,
                    }
                )
        if model is not None:  # the model's order (the optimizer's groups may interleave its layers)
            order = {name: k for k, (name, _) in enumerate(model.named_parameters())}
            self.groups.sort(key=lambda g: order.get(g["name"], len(order)))
        unknown = set(coordinates or {}) - {g["name"] for g in self.groups}
        if unknown:
            raise ValueError(f"coordinates names tensors the recorder does not hold: {sorted(unknown)}")
        if only is not None and len(self.groups) != len(set(only)):
            missing = set(only) - {g["name"] for g in self.groups}
            raise ValueError(f"only names tensors the optimizer does not hold: {sorted(missing)}")
        if len(self.groups) > MAX_GROUPS:
            raise ValueError(
                f"the optimizer holds {len(self.groups):,} tensors; a trace holds at most {MAX_GROUPS:,}: "
                "choose some with only=[names]"
            )
        for group in self.groups:
            group["name"] = _within_a_name(group["name"])
        self.meta = {
            "format": FORMAT,
            "version": VERSION,
            "optimizer": kind,
            **self._settings(first),
            "amsgrad": self.amsgrad,
            "moments": "recorder" if self.shadow else "optimizer",
            "every": every,
            "sample": sample,
            "seed": seed,
            "groups": [
                {"name": g["name"], "shape": list(g["param"].shape) or [1], "settings": g["settings"]}
                for g in self.groups
            ],
        }
        self.last_flush = time.monotonic()
        self.writer = TraceWriter(self.path)
        self.hooks = (
            []
            if self.inert
            else [
                optimizer.register_step_pre_hook(self._before_step),
                optimizer.register_step_post_hook(self._after_step),
            ]
        )

    def _settings(self, group: dict) -> dict[str, Any]:
        """A param group's optimizer settings as a trace's meta holds them (its lr: the base rate a
        scheduler scales, ``initial_lr``, where one is attached; RMSprop's alpha as β₂; the settings
        only some optimizers have where this one has them)."""
        if self.shadow:
            betas = SHADOW_BETAS
        elif self.kind == "RMSprop":
            betas = (0.0, group["alpha"])
        elif self.kind == "Adagrad":
            betas = (0.0, 0.0)
        else:
            betas = tuple(group["betas"])
        out = {
            "lr": _as_float(group.get("initial_lr", group["lr"])),
            "betas": [float(b) for b in betas],
            "eps": float(SHADOW_EPS if self.shadow else group["eps"]),
            "weight_decay": float(group.get("weight_decay", 0.0)),
            "momentum": float(group.get("momentum", 0.0)) if self.kind == "SGD" else 0.0,
        }
        for key in RECORDED_OPTIMIZERS[self.kind]["extra"]:
            out[key] = bool(group[key]) if EXTRA_SETTINGS[key]["kind"] == "bool" else float(group[key])
        return out

    # ---- hooks ----------------------------------------------------------------------------

    def _sampled(self, group: dict, *tensors: torch.Tensor) -> list[np.ndarray]:
        """``tensors`` (the parameter's size) at the group's sampled coordinates (as :meth:`_at` reads
        them; in float64 from whichever process holds each under FSDP2)."""
        if group["span"] is not None:
            try:
                return gather_sampled(group["index"], group["span"], list(tensors), self.shard_timeout)
            except MissingShardError as error:
                self._missing(error, group["t"])
        return [self._at(group, t) for t in tensors]

    @staticmethod
    def _at(group: dict, tensor: torch.Tensor) -> np.ndarray:
        """``tensor``'s entries at the group's sampled flat indices: in the tensor's own dtype where
        NumPy has it, else in float64 (:meth:`_keep` stores them in the dtype the trace takes, exactly
        either way). A contiguous CPU tensor in a dtype NumPy has is read through NumPy's view of it (a
        few µs against torch's four kernels; 53 tensors a step add up), the view kept for the tensors
        that stay (the parameter and its state: not a gradient, which a new step replaces and a kept
        view would hold on to)."""
        views = group["views"]
        held = views.get(id(tensor))
        if held is not None and held[0] is tensor and held[1] == tensor.data_ptr():
            return held[2][group["index"]]
        if tensor.device.type == "cpu" and tensor.dtype in NUMPY_VIEWED and tensor.is_contiguous():
            view = tensor.detach().numpy().reshape(-1)
            if tensor is not group["param"].grad:
                if len(views) >= 3:  # (the parameter and two state tensors: a replaced one is let go)
                    views.clear()
                views[id(tensor)] = (tensor, tensor.data_ptr(), view)
            return view[group["index"]]
        return tensor.detach().reshape(-1).index_select(0, group["where"]).double().cpu().numpy()

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        for group in self.groups:
            p = group["param"]
            group["pending"] = None
            if p.grad is None:
                continue  # the optimizer skips it, and so does its step count
            group["t"] += 1
            if self.shadow:
                self._update_shadow(group, p.grad.detach())
            if (group["t"] - 1) % self.every == 0:
                # the rates this step uses: a scheduler sets them between steps
                rates = (
                    _as_float(group["param_group"]["lr"]),
                    float(group["param_group"].get("weight_decay", 0.0)),
                )
                group["pending"] = (*self._sampled(group, p.grad, p), rates)

    def _update_shadow(self, group: dict, grad: torch.Tensor) -> None:
        g = grad.double()
        if group["shadow"] is None:
            group["shadow"] = (torch.zeros_like(g), torch.zeros_like(g))
        m, v = group["shadow"]
        beta1, beta2 = SHADOW_BETAS
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)

    def _moments(self, group: dict) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(numerator, denominator state, t) of one tensor as RECORDED_OPTIMIZERS names them: torch's
        own state (the gradient itself where it keeps no numerator), or the recorder's shadow for SGD."""
        if self.shadow:
            m, v = group["shadow"]
            return m, v, group["t"]
        state = self.optimizer.state[group["param"]]
        form = RECORDED_OPTIMIZERS[self.kind]
        m = group["param"].grad if form["numerator"] == "grad" else state[form["numerator"]]
        v = state["max_exp_avg_sq"] if self.amsgrad else state[form["denominator"]]
        return m, v, int(state["step"])

    def _after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        due = []
        for group in self.groups:
            pending = group.pop("pending", None)
            if pending is not None and not group.get("stopped"):
                due.append((group, pending))
        if due:
            # every group's histogram first, then their percentiles all at once (one all-reduce
            # under FSDP2, one reading of all the counts): per-group reads cost more than the binning
            read = [self._read(group) for group, _ in due]
            # (counted in the dtype the whole tensors need: under FSDP2 the shards' counts are added)
            largest = max(group["param"].numel() for group, _ in due)
            counts = r_histograms([moments for *_, moments in read], counts_dtype(largest))
            if self.sharded:
                try:
                    counts = add_histograms(counts, self.shard_timeout)
                except MissingShardError as error:
                    self._missing(error, due[0][0]["t"])
            percentiles = histogram_percentiles(
                counts, [m.correction2_sqrt / m.correction1 for *_, m in read]
            )
            for (group, pending), (t, dtype, sampled, _), row in zip(due, read, percentiles, strict=True):
                self._keep(group, pending, t, dtype, sampled, row)
        self._keep_within_limits()
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            try:
                self.flush()
            except OSError as error:  # a full disk must not end the training run
                self.last_flush = time.monotonic()
                self._warn(
                    f"flush:{error.strerror}",
                    f"could not write {self.path} ({error.strerror}); the records are kept for the next flush",
                )

    def _missing(self, error: MissingShardError, step: int) -> None:
        """Another process's shards of ``step`` never came: keep what is recorded (rank 0 writes it) and
        stop the run with one message naming the file and the step."""
        kept = ""
        if self.writes:
            try:
                self.flush()
                kept = f"; {self.path.name} keeps the steps recorded before it"
            except OSError as failure:
                kept = f"; {self.path.name} could not be written ({failure.strerror})"
        raise RuntimeError(
            f"Recorder ({self.path}): process {self.rank} of {self.processes} waited for the other "
            f"processes' shards of step {step}, and they never came ({error}){kept}"
        ) from None

    def _read(self, group: dict) -> tuple[int, torch.dtype, list[np.ndarray], Moments]:
        """One due group after the step: (t, its state's dtype, the sampled numerator, denominator and
        parameter, and what r_t's histogram is made of over this process's part of the tensor) — m̂ =
        m / (1 − β₁^t), √v̂ = √v / √(1 − β₂^t) with the group's own betas and eps, as
        RECORDED_OPTIMIZERS says: some optimizers correct neither; Adamax's u is its own root, ε inside."""
        m, v, t = self._moments(group)
        sampled = self._sampled(group, m, v, group["param"])
        (beta1, beta2), eps = group["settings"]["betas"], group["settings"]["eps"]
        form = RECORDED_OPTIMIZERS[self.kind]
        correction1 = 1.0 - beta1 ** float(t) if form["corrected"][0] else 1.0
        correction2_sqrt = (1.0 - beta2 ** float(t)) ** 0.5 if form["corrected"][1] else 1.0
        epsilon = eps if form["root"] else 0.0
        moments = Moments(local(m), local(v), correction1, correction2_sqrt, epsilon, form["root"])
        return t, m.dtype, sampled, moments

    def _keep(
        self, group: dict, pending: tuple, t: int, dtype: torch.dtype, sampled: list, percentiles
    ) -> None:
        """Add one record to ``group`` — or, where anything in it is not finite, stop recording it."""
        g, before, rates = pending
        m_sampled, v_sampled, after = sampled
        # in the parameter's own precision, exactly as torch holds them (float32 for bf16/fp16 too;
        # the samples are fresh arrays, so one already in that dtype is kept as it is)
        stored = np.float64 if dtype == torch.float64 else np.float32
        record = (
            t,
            np.asarray(g, dtype=np.float64 if group["param"].dtype == torch.float64 else np.float32),
            np.asarray(m_sampled, dtype=stored),
            np.asarray(v_sampled, dtype=stored),
            np.subtract(before, after, dtype=np.float64),  # (each exact in float64 first)
            np.asarray(percentiles, dtype=np.float64),
            np.array(rates),
        )
        if not np.isfinite(np.concatenate(record[1:], dtype=np.float64)).all():
            group["stopped"] = t
            self._warn(
                f"stopped:{group['name']}",
                f"{group['name']}: not finite at step {t} (the run diverged?); its records stop at the step before",
            )
            return
        group["records"].append(record)

    def _warn(self, key: str, message: str) -> None:
        """Warn once per ``key``."""
        if key not in self.warned:
            self.warned.add(key)
            warnings.warn(f"adamviz.record: {message}", RuntimeWarning, stacklevel=3)

    def _keep_within_limits(self) -> None:
        """Thin the run (every other record, twice the spacing from now on) while it holds more records
        than a trace may, or its file would pass the size limit."""
        while self._too_big():
            self.every *= 2
            for group in self.groups:
                group["records"] = [r for r in group["records"] if (r[0] - 1) % self.every == 0]
            self._warn(
                "thinned",
                f"{self.path.name} has outgrown a trace ({MAX_RECORDS:,} records or "
                f"{MAX_FILE_BYTES // 2**20} MB): every other record dropped, and every "
                f"{self.every}-th step kept from now on (meta's every and thinned say so)",
            )

    def _too_big(self) -> bool:
        records = max((len(group["records"]) for group in self.groups), default=0)
        if records > MAX_RECORDS:
            return True
        size = 64 * 1024  # the meta and the archive's own bytes, generously
        for group in self.groups:
            if group["records"]:
                first = group["records"][0]
                per_record = 8 + sum(part.nbytes for part in first[1:])
                size += len(group["records"]) * per_record + 8 * len(group["index"]) + 8 * 256
        return size > MAX_FILE_BYTES

    # ---- the file -------------------------------------------------------------------------

    def arrays(self, starts: list[int] | None = None) -> dict[str, np.ndarray]:
        """The trace's members as recorded so far (each group's records from its ``starts[k]``-th on,
        ``starts`` counting the groups in the file's order)."""
        meta, recorded = self._file_meta()
        out = {"meta": meta_array(meta)}
        for k, g in enumerate(recorded):  # k: the group's number in the file, g: in the optimizer
            group = self.groups[g]
            records = group["records"][starts[k] if starts else 0 :]
            sample = len(group["index"])
            out[f"g{k}_steps"] = np.array([record[0] for record in records], dtype=np.int64)
            out[f"g{k}_index"] = group["index"].astype(np.int64)
            first = group["records"][0]  # its dtypes (those of no records at all too)
            for j, key in enumerate(("g", "exp_avg", "exp_avg_sq", "step"), start=1):
                column = [record[j] for record in records]
                out[f"g{k}_{key}"] = np.array(column, dtype=first[j].dtype).reshape(len(records), sample)
            out[f"g{k}_percentiles"] = np.array([record[5] for record in records], dtype=np.float64).reshape(
                len(records), 3
            )
            rates = np.array([record[6] for record in records], dtype=np.float64).reshape(len(records), 2)
            out[f"g{k}_lr"], out[f"g{k}_weight_decay"] = rates[:, 0].copy(), rates[:, 1].copy()
        return out

    def _file_meta(self) -> tuple[dict[str, Any], list[int]]:
        """The meta the file holds now, and which groups it holds (their numbers in the optimizer): a
        tensor that has not had a gradient yet has nothing to show, and joins once it has."""
        recorded = [g for g, group in enumerate(self.groups) if group["records"]]
        meta = {**self.meta, "every": self.every, "groups": [self.meta["groups"][g] for g in recorded]}
        if self.every != self.requested_every:
            meta["thinned"] = self.every // self.requested_every
        return meta, recorded

    def flush(self, *, whole: bool = False) -> Path:
        """Bring ``path`` up to date with everything recorded: the records since the last flush
        appended as a segment, or the file written whole (:mod:`.trace_writer`; either way a process
        killed midway leaves every earlier flush readable). Only rank 0 writes when several processes
        train."""
        if not self.writes:
            return self.path
        meta, recorded = self._file_meta()
        counts = [len(self.groups[g]["records"]) for g in recorded]
        self.writer.write(meta, counts, self.arrays, whole=whole)
        self.last_flush = time.monotonic()
        return self.path

    def close(self) -> Path:
        """Detach from the optimizer and flush (an OSError naming the file if that fails: the records
        are still here, so free some space and call :meth:`flush` again)."""
        for hook in self.hooks:
            hook.remove()
        self.hooks = []
        try:
            return self.flush(whole=True)  # a finished trace: one plain .npz
        except OSError as error:
            raise OSError(
                f"could not write {self.path} ({error.strerror}); the records are still in this Recorder: "
                "call flush() once there is room"
            ) from None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_float(value: float | torch.Tensor) -> float:
    """A param group's lr as a float (a scheduler may hold it as a tensor)."""
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def _chosen(name: str, indices: list[int], size: int) -> np.ndarray:
    """The coordinates chosen for tensor ``name`` (``size`` entries), sorted; a ValueError naming the
    first one outside [0, size) or repeated."""
    chosen = [int(i) for i in indices]
    if not chosen:
        raise ValueError(f"coordinates[{name!r}] is empty; give at least one flat index in [0, {size})")
    for i in chosen:
        if not 0 <= i < size:
            raise ValueError(f"coordinates[{name!r}] holds {i}; a flat index of {name} lies in [0, {size})")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"coordinates[{name!r}] repeats an index: {chosen}")
    return np.array(sorted(chosen), dtype=np.int64)


def _within_a_name(name: str) -> str:
    """``name``, or "…" and as much of its end as fits in a trace's MAX_NAME UTF-16 units (the end of a
    module path says most; a character beyond U+FFFF takes two units)."""
    if utf16_length(name) <= MAX_NAME:
        return name
    units, kept = 1, 0  # "…" is one unit
    for character in reversed(name):
        width = 2 if ord(character) > 0xFFFF else 1
        if units + width > MAX_NAME:
            break
        units += width
        kept += 1
    return "…" + name[len(name) - kept :]


def _writable(path: Path) -> Path:
    """``path`` if a trace can be written there; a ValueError saying why not otherwise (checked now, not
    at the first flush, minutes into training)."""
    if path.suffix.lower() != ".npz":
        raise ValueError(f"{path}: a trace's name must end in .npz (what load() reads); got {path.suffix!r}")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory; give a file name such as {path / 'run.npz'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{path}: the folder {folder} does not exist")
    try:
        handle, probe = temporary_beside(path)
    except OSError as error:
        raise ValueError(f"{path}: cannot write in {folder} ({error.strerror})") from None
    os.close(handle)
    os.unlink(probe)
    return path
