"""Malformed gradient and trace files, each with the words its message must hold — the same table for
``adamviz export --trace`` (tests/test_trace_files.py) and the page's "Load gradients"
(tests/test_trace_browser.py). Every message starts with the file's name."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from typing import NamedTuple

import numpy as np


class Hostile(NamedTuple):
    name: str  # the file's name (its extension decides how it is read)
    data: bytes
    words: str  # what the message says, after "<name>: "


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=True)
    return out.getvalue()


def _npz(members: dict[str, bytes], *, deflate: bool = False) -> bytes:
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def valid_arrays(records: int = 12, sample: int = 2, **meta_changes) -> dict[str, np.ndarray]:
    """A small well-formed trace (Adam, one 3×4 tensor), as arrays: change one thing to break it."""
    meta = {
        "format": "adamviz-trace",
        "version": 1,
        "optimizer": "Adam",
        "lr": 0.01,
        "betas": [0.9, 0.999],
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "amsgrad": False,
        "moments": "optimizer",
        "every": 1,
        "groups": [{"name": "layer.weight", "shape": [3, 4]}],
        **meta_changes,
    }
    rng = np.random.Generator(np.random.Philox(5))
    g = rng.normal(size=(records, sample)).astype(np.float32)
    m = np.zeros(sample)
    v = np.zeros(sample)
    exp_avg, exp_avg_sq = [], []
    for row in g.astype(np.float64):
        m = 0.9 * m + 0.1 * row
        v = 0.999 * v + 0.001 * row * row
        exp_avg.append(m)
        exp_avg_sq.append(v)
    return {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "g0_steps": np.arange(1, records + 1, dtype=np.int64),
        "g0_index": np.arange(sample, dtype=np.int64) * 5,
        "g0_g": g,
        "g0_exp_avg": np.array(exp_avg, dtype=np.float32),
        "g0_exp_avg_sq": np.array(exp_avg_sq, dtype=np.float32),
        "g0_step": np.full((records, sample), 0.01),
        "g0_percentiles": np.tile([0.1, 0.5, 0.9], (records, 1)),
    }


SETTINGS = {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0}
"""A group's own optimizer settings, as the recorder writes them (the trace's own, unchanged)."""


def trace_bytes(arrays: dict[str, np.ndarray], *, deflate: bool = False) -> bytes:
    return _npz({f"{key}.npy": _npy(value) for key, value in arrays.items()}, deflate=deflate)


def chained(first: dict[str, np.ndarray], *later: dict[str, np.ndarray], gap: bytes = b"") -> bytes:
    """A trace written as the recorder's flushes write it: ``first`` whole, then each of ``later`` as a
    segment (its members as given: packed ``records``, ``steps``, ``g`` …; :mod:`adamviz.record.trace_writer`)."""
    from adamviz.record.trace_writer import stored_zip

    data = trace_bytes(first) + gap
    for segment in later:
        data += stored_zip([(f"{key}.npy", _npy(value)) for key, value in segment.items()], len(data))
    return data


def next_records(start: int, records: int, sample: int = 2) -> dict[str, np.ndarray]:
    """A segment for :func:`valid_arrays`' trace holding its records ``start`` … ``start + records − 1``
    (0-based) of a longer run made the same way."""
    whole = valid_arrays(records=start + records, sample=sample)
    rows = slice(start, start + records)
    return {
        "records": np.array([records], dtype=np.int64),
        **{
            key: whole[f"g0_{key}"][rows].reshape(-1)
            for key in ("steps", "g", "exp_avg", "exp_avg_sq", "step", "percentiles")
        },
    }


def _changed(**changes) -> bytes:
    arrays = valid_arrays()
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return trace_bytes(arrays)


def _absurd_shape() -> bytes:
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000000, 1000000000000000), }"
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(96)


def _huge_header() -> bytes:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), " + b" " * 20_000 + b"}\n"
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + np.zeros(3).tobytes()


def _central(data: bytes, member: str) -> int:
    """Where ``member``'s central directory entry starts in the zip ``data``."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(member)] != member.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    return at


def _patched(data: bytes, member: str, *, flags: int | None = None, size: int | None = None) -> bytes:
    """``data`` with ``member``'s flags or declared size changed (in its central directory entry, which
    is what both readers believe)."""
    out = bytearray(data)
    at = _central(data, member)
    if flags is not None:
        struct.pack_into("<H", out, at + 8, flags)
    if size is not None:
        struct.pack_into("<I", out, at + 24, size)
    return bytes(out)


def _compressed(method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for key, value in valid_arrays().items():
            archive.writestr(f"{key}.npy", _npy(value), compress_type=method)
    return out.getvalue()


def bomb() -> bytes:
    """A 50 KB archive whose g0_g member declares 1,000 bytes and inflates to 48 MB of zeros."""
    members = {f"{key}.npy": _npy(value) for key, value in valid_arrays().items()}
    members["g0_g.npy"] = members["g0_g.npy"] + bytes(48 * 2**20)
    return _patched(_npz(members, deflate=True), "g0_g.npy", size=1_000)


def _renamed_locally(data: bytes, old: str, new: str) -> bytes:
    at = data.index(old.encode()) - 30  # the first mention: its local header
    out = bytearray(data)
    out[at + 30 : at + 30 + len(new)] = new.encode()
    return bytes(out)


def _deep_meta(depth: int) -> np.ndarray:
    text = json.dumps(valid_arrays_meta())[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    return np.frombuffer(text.encode(), dtype=np.uint8)


def valid_arrays_meta() -> dict:
    return json.loads(valid_arrays()["meta"].tobytes())


def hostile_files() -> list[Hostile]:
    good = trace_bytes(valid_arrays())
    meta = valid_arrays()["meta"]
    member_g = _npy(valid_arrays()["g0_g"])
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0xFF  # one flipped byte inside an array
    return [
        Hostile("empty.npz", b"", "empty file"),
        Hostile("empty.csv", b"", "empty file"),
        Hostile("garbage.npz", bytes(range(256)) * 8, "not an .npz archive"),
        Hostile("garbage.npy", bytes(range(256)) * 8, "is not a .npy array"),
        Hostile("binary.csv", b"\xff\xfe\x00\x81garbage\x00", "cannot read as UTF-8"),
        Hostile("notes.txt", b"0.1\n0.2\n", "must end in .npz, .npy or .csv"),
        Hostile("truncated.npz", good[: len(good) // 2], "a damaged .npz archive"),
        Hostile("corrupt.npz", bytes(corrupt), "a damaged .npz archive"),
        Hostile(
            "pickled.npy", _npy(np.array([{"a": 1}, None], dtype=object)), "holds Python objects (a pickle)"
        ),
        Hostile(
            "pickle-inside.npz",
            _npz({"meta.npy": meta.tobytes(), "g0_g.npy": pickle.dumps({"evil": 1})}),
            "is not a .npy array",
        ),
        Hostile(
            "object-member.npz",
            trace_bytes({**valid_arrays(), "g0_g": np.array([[1, None]] * 12, dtype=object)}),
            "holds Python objects (a pickle)",
        ),
        Hostile("truncated.npy", _npy(np.arange(100.0))[:-40], "is truncated"),
        Hostile(
            "truncated-member.npz", _npz({"meta.npy": _npy(meta), "g0_g.npy": member_g[:-16]}), "is truncated"
        ),
        Hostile("huge-header.npy", _huge_header(), "header is 20,058 bytes; at most 10,000"),
        Hostile("nan.npy", _npy(np.array([0.1, np.nan, 0.3] * 5)), "not finite at record 1 (nan)"),
        Hostile("inf.csv", b"g\n0.1\ninf\n", "inf.csv:3: gradients must be finite"),
        Hostile(
            "nan-trace.npz", _changed(g0_g=np.full((12, 2), np.nan, dtype=np.float32)), "g0_g is not finite"
        ),
        Hostile("ragged.csv", b"g\n0.1\n0.2,0.3\n", "3: expected one column"),
        Hostile("text.csv", b"g\n0.1\nabc\n", "3: not a number: 'abc'"),
        Hostile("header-only.csv", b"gradient\n", "no gradients found"),
        Hostile("rows-1e7.csv", b"0.5\n" * 10_000_001, "more than 10,000 gradients"),
        Hostile("matrix.npy", _npy(np.zeros((20, 2))), "must be 1-D"),
        Hostile("strings.npy", _npy(np.array(["a", "b"])), "dtype <U1 is not read"),
        Hostile("no-meta.npz", trace_bytes({"g0_g": np.zeros((12, 2))}), "not an adamviz trace (no meta"),
        Hostile(
            "foreign.npz",
            trace_bytes({"arr_0": np.zeros(3)}),
            "member 'arr_0.npy' is not an array of an adamviz trace",
        ),
        Hostile(
            "bad-json.npz",
            _changed(meta=np.frombuffer(b"{not json", dtype=np.uint8)),
            "meta is not valid JSON",
        ),
        Hostile(
            "wrong-format.npz", trace_bytes(valid_arrays(format="other")), "not an adamviz trace (format"
        ),
        Hostile(
            "version-9.npz",
            trace_bytes(valid_arrays(version=9)),
            "trace version 9; this adamviz reads versions 1 and 2",
        ),
        Hostile("zero-rows.npz", trace_bytes(valid_arrays(records=0)), "no records"),
        Hostile(
            "mismatched.npz",
            _changed(g0_exp_avg=np.zeros((11, 2), dtype=np.float32)),
            "g0_exp_avg has shape (11, 2); g0_steps and g0_index make it (12, 2)",
        ),
        Hostile("missing-moment.npz", _changed(g0_step=None), "g0_step missing"),
        Hostile("index-outside.npz", _changed(g0_index=np.array([0, 12])), "g0_index must name"),
        Hostile("steps-backwards.npz", _changed(g0_steps=np.arange(12, 0, -1)), "g0_steps must increase"),
        Hostile("betas.npz", trace_bytes(valid_arrays(betas=[0.9, 1.5])), "betas must be a number in [0, 1)"),
        Hostile(
            "optimizer.npz", trace_bytes(valid_arrays(optimizer="Lion")), "optimizer must be one of Adam"
        ),
        Hostile(
            "decoupled.npz",
            trace_bytes(valid_arrays(optimizer="NAdam", decoupled_weight_decay="yes")),
            "decoupled_weight_decay must be true or false",
        ),
        Hostile(
            "lr-decay.npz",
            trace_bytes(valid_arrays(optimizer="Adagrad", lr_decay=-1)),
            "lr_decay must be a number in [0, inf]",
        ),
        Hostile(
            "control-name.npz",
            _npz({"meta.npy": _npy(meta), "g0_g\n\x01" + "x" * 200 + ".npy": member_g}),
            "member 'g0_g\\x0a\\x01" + "x" * 74 + "…' is not an array of an adamviz trace",
        ),
        Hostile("bomb.npz", bomb(), "member 'g0_g.npy' unpacks to more than the 1,000 bytes it declares"),
        Hostile("bzip2.npz", _compressed(zipfile.ZIP_BZIP2), "is compressed with bzip2; a trace's members"),
        Hostile("lzma.npz", _compressed(zipfile.ZIP_LZMA), "is compressed with lzma"),
        Hostile("encrypted.npz", _patched(good, "g0_g.npy", flags=1), "member 'g0_g.npy' is encrypted"),
        Hostile(
            "renamed-inside.npz",
            _renamed_locally(good, "g0_g.npy", "g0_x.npy"),
            "member 'g0_g.npy' is named 'g0_x.npy' in its local header",
        ),
        Hostile("lying-size.npz", _patched(good, "g0_g.npy", size=64), "bad CRC-32 or size for member"),
        Hostile(
            "uint64-steps.npz",
            _changed(g0_steps=np.array([2**64 - 1, *range(1, 12)], dtype=np.uint64)),
            "member 'g0_steps.npy' holds an integer beyond 2**53",
        ),
        Hostile(
            "unsorted-uint64.npz",
            _changed(g0_steps=np.array([5, 4, *range(6, 16)], dtype=np.uint64)),
            "g0_steps must increase",
        ),
        Hostile(
            "float128.npz",
            _changed(g0_step=np.full((12, 2), 0.01, dtype=np.longdouble)),
            "dtype <f16 is not read",
        ),
        Hostile("nested-meta.npz", _changed(meta=_deep_meta(1_000)), "meta nests deeper than 8 levels"),
        Hostile(
            "digits-meta.npz",
            _changed(
                meta=np.frombuffer(json.dumps({**valid_arrays_meta(), "seed": 10**4000}).encode(), np.uint8)
            ),
            "meta spells a number in more than 64 characters",
        ),
        Hostile(
            "absurd-shape.npz",
            _npz({**{f"{k}.npy": _npy(v) for k, v in valid_arrays().items()}, "g0_g.npy": _absurd_shape()}),
            "member 'g0_g.npy' is truncated",
        ),
        Hostile("version-true.npz", trace_bytes(valid_arrays(version=True)), "trace version"),
        Hostile(
            "long-name.npz",
            trace_bytes(valid_arrays(groups=[{"name": "🙂" * 150, "shape": [3, 4]}])),
            "meta's group 0 needs a name",
        ),
        Hostile(
            "too-long.npz",
            trace_bytes(valid_arrays(records=10_001, sample=1)),
            "the page shows at most 10,000",
        ),
        # a scheduler's learning rates and a group's own settings
        Hostile(
            "nan-lr.npz", _changed(g0_lr=np.array([0.01] * 11 + [np.nan])), "g0_lr is not finite at record 11"
        ),
        Hostile("negative-lr.npz", _changed(g0_lr=np.full(12, -0.01)), "g0_lr must be >= 0"),
        Hostile(
            "short-lr.npz",
            _changed(g0_lr=np.full(11, 0.01)),
            "g0_lr has shape (11,); g0_steps makes it (12,)",
        ),
        Hostile(
            "text-decay.npz", _changed(g0_weight_decay=np.array(["a"] * 12)), "member 'g0_weight_decay.npy'"
        ),
        Hostile(
            "group-betas.npz",
            trace_bytes(
                valid_arrays(
                    groups=[{"name": "w", "shape": [3, 4], "settings": {**SETTINGS, "betas": [1.5, 0.9]}}]
                )
            ),
            "meta's group 0: betas must be a number in [0, 1)",
        ),
        Hostile(
            "group-settings.npz",
            trace_bytes(valid_arrays(groups=[{"name": "w", "shape": [3, 4], "settings": [0.01]}])),
            "meta's group 0: settings must be an object, with an optimizer",
        ),
    ]
