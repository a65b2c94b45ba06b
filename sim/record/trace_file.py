"""The trace file: what :class:`adamviz.record.Recorder` writes and :func:`load` reads (NumPy only).

Format ``adamviz-trace``, version 2 — an ``.npz`` archive (stored or deflated) of plain ``.npy``
arrays, never a pickle. For the k-th recorded parameter tensor (a *group*), R records and S sampled
coordinates:

==================  ===============  =========================================================
member              dtype, shape     meaning
==================  ===============  =========================================================
``meta``            uint8 (n,)       UTF-8 JSON: ``format`` ("adamviz-trace"), ``version`` (2),
                                     ``optimizer`` (a key of RECORDED_OPTIMIZERS or null), ``lr``,
                                     ``betas``, ``eps``, ``weight_decay``, ``momentum``,
                                     ``amsgrad``, ``moments`` ("optimizer": torch's own state;
                                     "recorder": kept by the recorder for SGD), ``every``,
                                     ``groups``: [{``name``, ``shape``}] in k order
``g{k}_steps``      int (R,)         the step t of each record (1, 2, ...; increasing)
``g{k}_index``      int (S,)         the sampled coordinates' flat indices into the tensor
``g{k}_g``          float (R, S)     the gradient each sampled coordinate met at step t
``g{k}_exp_avg``    float (R, S)     m_t, torch's ``exp_avg`` (optional, with the next three;
                                     RECORDED_OPTIMIZERS says what each optimizer's holds)
``g{k}_exp_avg_sq`` float (R, S)     v_t, torch's ``exp_avg_sq`` (``max_exp_avg_sq`` under
                                     amsgrad: what the denominator used; RMSprop's
                                     ``square_avg``, Adamax's ``exp_inf``, Adagrad's ``sum``)
``g{k}_step``       float64 (R, S)   θ_{t-1} − θ_t, what the coordinate moved
``g{k}_percentiles`` float64 (R, 3)  p10, p50, p90 of r_t = |m̂| / (√v̂ + ε) over the whole tensor
``g{k}_lr``         float64 (R,)     the learning rate step t used (a scheduler's lr_t; optional)
``g{k}_weight_decay`` float64 (R,)   the weight decay step t used (optional)
==================  ===============  =========================================================

A group may carry its own optimizer settings in meta (``groups[k].settings``: ``lr`` (its first),
``betas``, ``eps``, ``weight_decay``, ``momentum`` — torch's param group it belongs to); where it
does, they are the group's (its m̂ and √v̂ use its own betas), and the run's are the first group's.

The moments are stored as torch holds them (in the parameter's dtype), so they equal ``exp_avg`` and
``exp_avg_sq`` exactly; the bias-corrected ones follow as torch forms them (Adam's; the others as
RECORDED_OPTIMIZERS says)::

    m̂_t = m_t / (1 − β₁^t)        √v̂_t = √v_t / √(1 − β₂^t)

A file may also be a chain of such archives, one after another (version 2: what the recorder's
flushes append, :mod:`.trace_writer`): the first a whole trace, each later one *segment* the records
that came after it; they read as the one trace they make, and a last segment cut short is passed
over (version 1: one archive).

A bare gradient log (``.npy``: 1-D; ``.csv``: one column) reads as a run of one group named after the
file with one coordinate (index 0) and no moments.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import archive
from .archive import MAX_FILE_BYTES
from .gradient_files import read_gradients

FORMAT = "adamviz-trace"
VERSION = 2
"""The version the recorder writes: 2 may chain segments (:mod:`.trace_writer`); 1 is one archive."""
VERSIONS = (1, 2)
"""The versions read."""
MAX_RECORDS = 10_000
"""The most records (steps) a trace may hold: the explorer's longest history (its iterations bound)."""
MAX_GROUPS = 10_000
"""The most groups (parameter tensors) a trace may hold."""
MAX_NAME = 200
"""The longest group name, in UTF-16 code units (as the page counts)."""
MOMENT_MEMBERS = ("exp_avg", "exp_avg_sq", "step")
RECORDED_OPTIMIZERS = {
    # torch class: replays, numerator state, denominator state, (m̂, v̂) bias-corrected, √ of it, extras
    name: {
        "replays": replays,
        "numerator": numerator,
        "denominator": denominator,
        "corrected": list(corrected),
        "root": root,
        "extra": list(extra),
    }
    for name, replays, numerator, denominator, corrected, root, extra in (
        ("Adam", "adam", "exp_avg", "exp_avg_sq", (True, True), True, ()),
        ("AdamW", "adamw", "exp_avg", "exp_avg_sq", (True, True), True, ()),
        ("SGD", "sgd", "exp_avg", "exp_avg_sq", (True, True), True, ()),
        ("RMSprop", "rmsprop", "grad", "square_avg", (False, False), True, ()),
        ("RAdam", "radam", "exp_avg", "exp_avg_sq", (True, True), True, ("decoupled_weight_decay",)),
        (
            "NAdam",
            "nadam",
            "exp_avg",
            "exp_avg_sq",
            (True, True),
            True,
            ("momentum_decay", "decoupled_weight_decay"),
        ),
        ("Adamax", "adamax", "exp_avg", "exp_inf", (True, False), False, ()),
        (
            "Adagrad",
            "adagrad",
            "grad",
            "sum",
            (False, False),
            True,
            ("lr_decay", "initial_accumulator_value"),
        ),
    )
}
"""Each torch.optim class a trace may hold: the adamviz optimizer that replays it (Adam with amsgrad →
amsgrad, SGD with momentum → momentum), and what its ``exp_avg`` and ``exp_avg_sq`` members hold — the
state torch keeps for the numerator (``grad``: the gradient itself, where it keeps none) and for what
the step divides by — and how m̂ and √v̂ follow from them: each divided by its bias correction or not
(``corrected``), the second by way of its square root or as it is (``root``: Adamax's u already is
one, ε included). r_t = |m̂| / (√v̂ + ε) (Adamax: |m̂| / u). One table for Python and the page
(app/contract.py hands it over). SGD's are the recorder's own Adam moments (``moments: "recorder"``)."""
OPTIMIZERS = {name: row["replays"] for name, row in RECORDED_OPTIMIZERS.items()}
"""torch.optim class → the adamviz optimizer that replays it."""
EXTRA_SETTINGS = {
    "lr_decay": {"kind": "number", "default": 0.0},
    "initial_accumulator_value": {"kind": "number", "default": 0.0},
    "momentum_decay": {"kind": "number", "default": 0.004},
    "decoupled_weight_decay": {"kind": "bool", "default": False},
}
"""Settings only some optimizers have (Adagrad's lr_decay and initial_accumulator_value, NAdam's
momentum_decay, RAdam's and NAdam's decoupled_weight_decay), with torch's defaults: in meta where the
optimizer has them. The page has no control for them and steps at the defaults (and says so)."""
SCHEDULE_MEMBERS = ("lr", "weight_decay")
"""Optional per-record members: the learning rate and weight decay the step used (a scheduler's)."""
RECORD_MEMBERS = ("steps", "g", "exp_avg", "exp_avg_sq", "step", "percentiles", "lr", "weight_decay")
"""A group's per-record members, in a later segment's order (after ``records``)."""
TABLES = ("g", "exp_avg", "exp_avg_sq", "step", "percentiles")
"""The per-record members with a row per record (the others hold a value per record)."""
_SEGMENT_MEMBER = re.compile(rf"^(records|{'|'.join(RECORD_MEMBERS)})$")
_MEMBER = re.compile(rf"^(meta|g(0|[1-9]\d{{0,3}})_(index|{'|'.join(RECORD_MEMBERS)}))$")


@dataclass(frozen=True)
class RecordedCoordinate:
    """One sampled coordinate: its flat ``index`` into the tensor and its per-record arrays (float64;
    ``m_hat``, ``sqrt_v_hat`` and ``step`` are None for a bare gradient log)."""

    index: int
    g: np.ndarray
    m_hat: np.ndarray | None
    sqrt_v_hat: np.ndarray | None
    step: np.ndarray | None


@dataclass(frozen=True)
class RecordedGroup:
    """One parameter tensor: its ``name`` (the module path where the recorder could tell), ``shape``,
    the recorded ``steps``, ``percentiles`` (records × 3: p10, p50, p90 of r_t; None for a bare log)
    and its sampled ``coordinates``."""

    name: str
    shape: tuple[int, ...]
    steps: np.ndarray
    percentiles: np.ndarray | None
    coordinates: tuple[RecordedCoordinate, ...]
    settings: dict[str, Any] | None = None
    """The optimizer settings of the group's param group (lr, betas, eps, weight_decay, momentum);
    the run's own (meta's) where the trace does not give the group its own; None for a bare log."""
    lr: np.ndarray | None = None
    """The learning rate each recorded step used (float64, per record), if recorded."""
    weight_decay: np.ndarray | None = None
    """The weight decay each recorded step used, if recorded."""

    def scenario(self, coordinate: RecordedCoordinate) -> str:
        """The name the page gives this coordinate's card: ``"<group>[<index>]"``."""
        return f"{self.name}[{coordinate.index}]"


@dataclass(frozen=True)
class RecordedRun:
    """A trace as read back: ``meta`` (the JSON above), its ``groups``, and ``arrays`` (the archive's
    members as validated, for writing the same trace again)."""

    source: str
    meta: dict[str, Any]
    groups: tuple[RecordedGroup, ...]
    arrays: dict[str, np.ndarray]

    @property
    def optimizer(self) -> str | None:
        """The adamviz optimizer that replays this run (None for a bare gradient log)."""
        name = self.meta.get("optimizer")
        if name is None:
            return None
        if name == "SGD":
            return "momentum" if self.meta.get("momentum") else "sgd"
        return "amsgrad" if name == "Adam" and self.meta.get("amsgrad") else OPTIMIZERS[name]

    @property
    def records(self) -> int:
        """The longest group's number of records."""
        return max(len(group.steps) for group in self.groups)

    def to_bytes(self) -> bytes:
        """This trace as an uncompressed ``.npz`` (the members validated, nothing else)."""
        buffer = io.BytesIO()
        np.savez(buffer, **self.arrays)
        return buffer.getvalue()


def meta_array(meta: dict[str, Any]) -> np.ndarray:
    """The ``meta`` member: the JSON's UTF-8 bytes as uint8."""
    return np.frombuffer(json.dumps(meta, allow_nan=False).encode(), dtype=np.uint8)


class TraceError(ValueError):
    """A file that is not a readable trace; the message names the file and the problem."""


def load(path: str | Path) -> RecordedRun:
    """Read a trace (``.npz`` from the recorder) or a bare gradient log (``.npy``, ``.csv``).

    Nothing is unpickled. A file that is not one raises :class:`TraceError` (a ValueError) whose
    message starts with the file's name and says what is wrong.
    """
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".npy", ".csv"):
        raise TraceError(f"{name}: must end in .npz, .npy or .csv; got {suffix or 'no extension'!r}")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TraceError(f"{name}: no such file") from None
    except OSError as error:
        raise TraceError(f"{name}: cannot be read ({error.strerror})") from None
    if size == 0:
        raise TraceError(f"{name}: empty file")
    if size > MAX_FILE_BYTES:
        raise TraceError(f"{name}: is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
    if suffix != ".csv":
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TraceError(f"{name}: cannot be read ({error.strerror})") from None
        if suffix == ".npz":
            return read_npz(data, name)
        g = _read_member(data, name)
        if g.dtype.kind not in "iuf":
            raise TraceError(f"{name}: gradients must hold numbers; got dtype {g.dtype}")
        if g.ndim != 1 or len(g) == 0:
            raise TraceError(f"{name}: gradients must be 1-D and not empty; got shape {g.shape}")
    else:
        try:
            g = read_gradients(path, limit=MAX_RECORDS + 1)
        except ValueError as error:
            raise TraceError(str(error).replace(str(path), name, 1)) from None
    if len(g) > MAX_RECORDS:
        raise TraceError(
            f"{name}: has more than {MAX_RECORDS:,} gradients; the page shows at most {MAX_RECORDS:,}"
        )
    _finite(g, "gradients", name)  # (a CSV's reader has checked already, line by line)
    return bare_run(g, name)


def bare_run(g: np.ndarray, name: str) -> RecordedRun:
    """A gradient log as a trace of one group (named after the file) with one coordinate."""
    group = Path(name).stem or "gradients"
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "optimizer": None,
        "groups": [{"name": group, "shape": [1]}],
    }
    arrays = {
        "meta": meta_array(meta),
        "g0_steps": np.arange(1, len(g) + 1, dtype=np.int64),
        "g0_index": np.zeros(1, dtype=np.int64),
        "g0_g": np.asarray(g, dtype=np.float64).reshape(-1, 1),
    }
    return _run(name, meta, arrays)


def read_npz(data: bytes, name: str) -> RecordedRun:
    """Validate and read an ``.npz`` trace held in ``data`` (``name`` is for messages): one zip archive,
    or a chain of segments (:mod:`.trace_writer`), each later one's records appended to the first's."""
    if not data.startswith(b"PK\x03\x04"):
        raise TraceError(f"{name}: not an .npz archive (it does not start with a zip header)")
    try:
        segments = archive.zip_segments(data, name)
        keyed: list[list[tuple[str, dict]]] = []
        for j, members in enumerate(segments):  # the names first: nothing is unpacked from a non-trace
            pattern, whose = (_MEMBER, "") if j == 0 else (_SEGMENT_MEMBER, f"segment {j + 1}'s ")
            keys: list[str] = []
            for info in members:
                key = info["filename"].removesuffix(".npy")
                shown = archive.quoted(info["filename"])
                if not info["filename"].endswith(".npy") or not pattern.match(key):
                    raise TraceError(f"{name}: {whose}member {shown} is not an array of an adamviz trace")
                if key in keys:
                    raise TraceError(f"{name}: {whose}member {shown} appears twice")
                keys.append(key)
            keyed.append(list(zip(keys, members, strict=True)))
        archive.check_members([info for members in segments for info in members], name)
        read = []
        for j, members in enumerate(keyed):
            whose = "" if j == 0 else f"segment {j + 1}'s "
            read.append(
                {
                    key: archive.read_npy(
                        archive.member_bytes(data, info, name),
                        f"{name}: {whose}member {archive.quoted(info['filename'])}",
                    )
                    for key, info in members
                }
            )
    except archive.ArchiveError as error:
        raise TraceError(str(error)) from None
    arrays = read[0]
    meta = _read_meta(arrays, name)
    run = _run(name, meta, arrays)
    if len(read) == 1:
        return run
    return _run(name, meta, _appended(run, read[1:], name))


def _appended(run: RecordedRun, segments: list[dict[str, np.ndarray]], name: str) -> dict[str, np.ndarray]:
    """The first segment's members (``run``'s, validated) with each later segment's records appended
    (the layout: :mod:`.trace_writer`); a TraceError naming the segment where one does not fit."""
    arrays = run.arrays
    groups = len(run.groups)

    def width(key: str, k: int) -> int:
        """The values a record of group k holds in member ``key``."""
        return 3 if key == "percentiles" else len(run.groups[k].coordinates) if key in TABLES else 1

    kinds = [key for key in RECORD_MEMBERS if f"g0_{key}" in arrays]
    pieces: dict[str, list[np.ndarray]] = {}  # each group's member: its first segment's, then the others'
    for j, segment in enumerate(segments, start=2):
        where = f"{name}: segment {j}"
        if sorted(segment) != sorted(["records", *kinds]):
            raise TraceError(
                f"{where} must hold records, {', '.join(kinds)}; it holds {', '.join(segment) or 'nothing'}"
            )
        counts = segment["records"]
        if (
            counts.dtype.kind not in "iu"
            or counts.shape != (groups,)
            or np.any(counts < 0)
            or np.any(counts > MAX_RECORDS)
        ):
            raise TraceError(
                f"{where}: records must be {groups} counts from 0 to {MAX_RECORDS:,}, one per group"
            )
        counts = counts.astype(np.int64)
        for key in kinds:
            values = segment[key]
            for k in range(groups):
                own = arrays.get(f"g{k}_{key}")
                if own is None:
                    raise TraceError(f"{where} appends {key} to group {k}, which has none")
                if (own.dtype.kind, own.dtype.itemsize) != (values.dtype.kind, values.dtype.itemsize):
                    raise TraceError(f"{where}: {key} is {_dtype(values)}; g{k}_{key} is {_dtype(own)}")
            sizes = counts * np.array([width(key, k) for k in range(groups)], dtype=np.int64)
            if values.ndim != 1 or len(values) != int(sizes.sum()):
                raise TraceError(
                    f"{where}: {key} has shape {values.shape}; its records make it ({int(sizes.sum())},)"
                )
            at = 0
            for k in range(groups):
                rows = values[at : at + sizes[k]]
                parts = pieces.setdefault(f"g{k}_{key}", [arrays[f"g{k}_{key}"]])
                parts.append(rows.reshape(-1, width(key, k)) if key in TABLES else rows)
                at += sizes[k]
    merged = dict(arrays)
    for key, parts in pieces.items():
        merged[key] = np.concatenate(parts)
    return merged


def _dtype(array: np.ndarray) -> str:
    """A dtype's name as the page says it: float32, int64, uint8 …"""
    return f"{dict(f='float', i='int', u='uint')[array.dtype.kind]}{array.dtype.itemsize * 8}"


def _read_member(data: bytes, where: str) -> np.ndarray:
    try:
        return archive.read_npy(data, where)
    except archive.ArchiveError as error:
        raise TraceError(str(error)) from None


def _read_meta(arrays: dict[str, np.ndarray], name: str) -> dict[str, Any]:
    if "meta" not in arrays:
        raise TraceError(
            f"{name}: not an adamviz trace (no meta member; record one with adamviz.record.Recorder)"
        )
    raw = arrays["meta"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise TraceError(f"{name}: meta must be UTF-8 JSON bytes (uint8, 1-D); got {raw.dtype} {raw.shape}")
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise TraceError(f"{name}: meta is not UTF-8 text") from None
    try:
        meta = archive.read_json(text, f"{name}: meta")
    except archive.ArchiveError as error:
        raise TraceError(str(error)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise TraceError(f"{name}: not an adamviz trace (format {found!r}, expected {FORMAT!r})")
    if isinstance(meta.get("version"), bool) or meta.get("version") not in VERSIONS:
        raise TraceError(
            f"{name}: trace version {meta.get('version')!r}; this adamviz reads versions 1 and 2"
        )
    groups = meta.get("groups")
    if not isinstance(groups, list) or not groups or len(groups) > MAX_GROUPS:
        raise TraceError(f"{name}: meta must list the groups (1 to {MAX_GROUPS:,}); got {str(groups)[:60]}")
    for k, group in enumerate(groups):
        shape = group.get("shape") if isinstance(group, dict) else None
        if not (
            isinstance(group, dict)
            and isinstance(group.get("name"), str)
            and 0 < utf16_length(group["name"]) <= MAX_NAME
            and isinstance(shape, list)
            and all(_whole(n) for n in shape)
            and math.prod(int(n) for n in shape) <= archive.SAFE_INTEGER
        ):
            raise TraceError(f"{name}: meta's group {k} needs a name (1–200 characters) and a shape")
        group["shape"] = [int(n) for n in shape]  # 3.0 is 3, as in the page
    optimizer = meta.get("optimizer")
    if optimizer is not None and (not isinstance(optimizer, str) or optimizer not in RECORDED_OPTIMIZERS):
        raise TraceError(
            f"{name}: optimizer must be one of {', '.join(OPTIMIZERS)} or null; got {optimizer!r}"
        )
    if optimizer is not None:
        _optimizer_settings(meta, name)
    for k, group in enumerate(groups):
        if "settings" in group:
            if optimizer is None or not isinstance(group["settings"], dict):
                raise TraceError(f"{name}: meta's group {k}: settings must be an object, with an optimizer")
            _optimizer_settings(group["settings"], f"{name}: meta's group {k}:")
    if not isinstance(meta.get("amsgrad", False), bool):
        raise TraceError(f"{name}: amsgrad must be true or false; got {meta['amsgrad']!r}")
    return meta


SETTING_KEYS = ("lr", "betas", "eps", "weight_decay", "momentum")
"""An optimizer's settings in a trace's meta (the run's, and optionally each group's)."""


def _optimizer_settings(settings: dict, where: str) -> None:
    """Check lr, eps, weight_decay (numbers >= 0), betas ([β₁, β₂] in [0, 1)) and momentum ([0, 1]), and
    where present the extra settings (numbers >= 0, or true or false)."""
    for key, low, high in (
        ("lr", 0.0, math.inf),
        ("eps", 0.0, math.inf),
        ("weight_decay", 0.0, math.inf),
    ):
        _number(settings, key, low, high, where)
    betas = settings.get("betas")
    if not (isinstance(betas, list) and len(betas) == 2):
        raise TraceError(f"{_where(where)} betas must be [β₁, β₂]; got {betas!r}")
    for beta in betas:
        _number({"betas": beta}, "betas", 0.0, 1.0, where, high_open=True)
    _number(settings, "momentum", 0.0, 1.0, where)
    for key, spec in EXTRA_SETTINGS.items():
        if key not in settings:
            continue
        if spec["kind"] == "bool" and not isinstance(settings[key], bool):
            raise TraceError(f"{_where(where)} {key} must be true or false; got {settings[key]!r}")
        if spec["kind"] == "number":
            _number(settings, key, 0.0, math.inf, where)


def _whole(n: object) -> bool:
    """A JSON number that is a whole number from 1 to 2**53 (3.0 counts: the page cannot tell it from 3)."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return False
    return (isinstance(n, int) or n.is_integer()) and 1 <= n <= archive.SAFE_INTEGER


def utf16_length(text: str) -> int:
    """The length of ``text`` as the page counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _where(where: str) -> str:
    """A message's start: the file's name and a colon (or a longer place that ends in one)."""
    return where if where.endswith(":") else f"{where}:"


def _number(meta: dict, key: str, low: float, high: float, name: str, *, high_open: bool = False) -> float:
    value = meta.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (value >= high if high_open else value > high):
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise TraceError(f"{_where(name)} {key} must be a number in {bound}; got {value!r}")
    return float(value)


def _run(name: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> RecordedRun:
    """Check each group's arrays against each other and build the run."""
    declared = meta["groups"]
    found = {int(key[1:].split("_")[0]) for key in arrays if key != "meta"}
    if found - set(range(len(declared))):
        raise TraceError(f"{name}: arrays for group {max(found)}, but meta names {len(declared)} groups")
    groups = []
    for k, spec in enumerate(declared):
        groups.append(_group(name, meta, arrays, k, spec))
    return RecordedRun(source=name, meta=meta, groups=tuple(groups), arrays=dict(arrays))


def _member(arrays: dict, key: str, name: str, kinds: str, ndim: int) -> np.ndarray:
    if key not in arrays:
        raise TraceError(f"{name}: {key} missing")
    array = arrays[key]
    if array.dtype.kind not in kinds:
        wanted = "integers" if kinds == "iu" else "numbers"
        raise TraceError(f"{name}: {key} must hold {wanted}; got dtype {array.dtype}")
    if array.ndim != ndim:
        raise TraceError(f"{name}: {key} must be {ndim}-D; got shape {array.shape}")
    return array


def _group(name: str, meta: dict, arrays: dict, k: int, spec: dict) -> RecordedGroup:
    steps = _member(arrays, f"g{k}_steps", name, "iu", 1)
    index = _member(arrays, f"g{k}_index", name, "iu", 1)
    g = _member(arrays, f"g{k}_g", name, "iuf", 2)
    records = len(steps)
    if records == 0:
        raise TraceError(f"{name}: g{k}_steps: no records")
    if records > MAX_RECORDS:
        raise TraceError(f"{name}: g{k} has {records:,} records; the page shows at most {MAX_RECORDS:,}")
    if np.any(steps < 1) or np.any(steps > archive.SAFE_INTEGER):
        raise TraceError(f"{name}: g{k}_steps must increase from 1 or more, up to 2**53")
    steps = steps.astype(np.int64)  # (exact now: uint64's differences would wrap round)
    if np.any(np.diff(steps) <= 0):
        raise TraceError(f"{name}: g{k}_steps must increase from 1 or more, up to 2**53")
    size = math.prod(spec["shape"])
    if len(index) == 0 or np.any(index < 0) or np.any(index >= size):
        raise TraceError(f"{name}: g{k}_index must name 1 or more entries of the {size:,}-entry tensor")
    shape = (records, len(index))
    optional = [key for key in MOMENT_MEMBERS if f"g{k}_{key}" in arrays]
    if optional and len(optional) != len(MOMENT_MEMBERS):
        missing = next(key for key in MOMENT_MEMBERS if key not in optional)
        raise TraceError(f"{name}: g{k}_{missing} missing (exp_avg, exp_avg_sq and step come together)")
    if optional and meta.get("optimizer") is None:
        raise TraceError(f"{name}: g{k} holds moments but meta names no optimizer")
    moments = {key: _member(arrays, f"g{k}_{key}", name, "iuf", 2) for key in optional}
    for key, array in [("g", g), *moments.items()]:
        if array.shape != shape:
            raise TraceError(
                f"{name}: g{k}_{key} has shape {array.shape}; g{k}_steps and g{k}_index make it {shape}"
            )
        _finite(array, f"g{k}_{key}", name)
    percentiles = None
    if f"g{k}_percentiles" in arrays:
        percentiles = _member(arrays, f"g{k}_percentiles", name, "iuf", 2)
        if percentiles.shape != (records, 3):
            raise TraceError(
                f"{name}: g{k}_percentiles has shape {percentiles.shape}; expected {(records, 3)}"
            )
        _finite(percentiles, f"g{k}_percentiles", name)
        percentiles = percentiles.astype(np.float64)
    settings = None
    if meta.get("optimizer") is not None:
        source = spec.get("settings", meta)
        settings = {key: source[key] for key in (*SETTING_KEYS, *EXTRA_SETTINGS) if key in source}
    schedule = {}
    for key in SCHEDULE_MEMBERS:
        if f"g{k}_{key}" not in arrays:
            continue
        if settings is None:
            raise TraceError(f"{name}: g{k}_{key} is recorded but meta names no optimizer")
        values = _member(arrays, f"g{k}_{key}", name, "iuf", 1)
        if values.shape != (records,):
            raise TraceError(f"{name}: g{k}_{key} has shape {values.shape}; g{k}_steps makes it {(records,)}")
        _finite(values, f"g{k}_{key}", name)
        if np.any(values < 0):
            raise TraceError(f"{name}: g{k}_{key} must be >= 0")
        schedule[key] = values.astype(np.float64)
    if moments:
        # 1 − β^t with Python floats, as torch forms it (numpy's vector pow may differ in the last bit)
        beta1, beta2 = settings["betas"]
        form = RECORDED_OPTIMIZERS[meta["optimizer"]]
        ones = np.ones(records)
        correction1 = (
            np.array([1.0 - beta1 ** float(t) for t in steps.tolist()]) if form["corrected"][0] else ones
        )
        correction2_sqrt = (
            np.sqrt(np.array([1.0 - beta2 ** float(t) for t in steps.tolist()]))
            if form["corrected"][1]
            else ones
        )
        root = np.sqrt if form["root"] else np.asarray
        if np.any(moments["exp_avg_sq"] < 0):
            raise TraceError(f"{name}: g{k}_exp_avg_sq must be >= 0")
    coordinates = []
    for j, flat in enumerate(index.tolist()):
        m_hat = sqrt_v_hat = step = None
        if moments:
            m_hat = moments["exp_avg"][:, j].astype(np.float64) / correction1
            sqrt_v_hat = root(moments["exp_avg_sq"][:, j].astype(np.float64)) / correction2_sqrt
            step = moments["step"][:, j].astype(np.float64)
        coordinates.append(RecordedCoordinate(flat, g[:, j].astype(np.float64), m_hat, sqrt_v_hat, step))
    return RecordedGroup(
        spec["name"],
        tuple(spec["shape"]),
        steps.astype(np.int64),
        percentiles,
        tuple(coordinates),
        settings,
        schedule.get("lr"),
        schedule.get("weight_decay"),
    )


def _finite(array: np.ndarray, key: str, name: str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(np.argwhere(bad)[0].tolist())
        where = f"record {first[0]}" + (f", coordinate {first[1]}" if len(first) > 1 else "")
        raise TraceError(f"{name}: {key} is not finite at {where} ({array[first]})")
