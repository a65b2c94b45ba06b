"""A growing trace on disk: written whole once, then one segment appended per flush (NumPy only).

A recorder flushes every few seconds for hours. Rewriting the whole file each time would cost a long
run's flushes time and bytes that grow with the square of its length; here a flush writes only what
is new. The file is then a chain of *segments*, each a complete zip archive (a stored ``.npz``, its
offsets counted from the file's start) written after the last:

- the first is a whole trace in the layout of :mod:`.trace_file` (``meta``, ``g{k}_index``, each
  group's records so far);
- each later one holds the records that came after, packed across the groups:

  ==================  =========  ================================================================
  member              dtype      meaning
  ==================  =========  ================================================================
  ``records``         int (G,)   R_k: the number of new records of group k (0 or more), k = 0 … G−1
  ``steps``           int (N,)   each group's new ``g{k}_steps`` in turn, N = Σ R_k
  ``g``, ``exp_avg``,  (Σ R_k·w)  the same for ``g{k}_g``, … row by row, one group after another; w
  ``exp_avg_sq``,                 is a row's width: S_k sampled coordinates (``g``, the moments and
  ``step``,                       ``step``), 3 (``percentiles``) or 1 (``lr``, ``weight_decay``)
  ``percentiles``,
  ``lr``,
  ``weight_decay``
  ==================  =========  ================================================================

  A segment holds exactly the per-record members the first one's groups have, each in the dtype
  they all share.

An append goes after the last complete segment (a partial one left by a failed write is cut off
first) and is synced to disk: a process killed at any moment leaves the file's segments before it
whole, and the readers (:func:`.archive.zip_segments`, the page's ``archive.js``) read every one of
them, passing over a partial last one. The file is written whole again — to a temporary file, then
renamed into place — when the meta changes (a group joins, the run is thinned), when the groups'
dtypes differ, when the file has doubled since its last whole write or holds :data:`MAX_APPENDED`
segments, when it would pass the size limit, and when the recorder closes (a finished trace is one
plain ``.npz``): a run's flushes write a few times its final size in all.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .archive import MAX_FILE_BYTES
from .files import write_atomically
from .trace_file import RECORD_MEMBERS

MAX_APPENDED = 1_000
"""The most segments appended after a whole write (the readers refuse a chain of over 10,000)."""
ArraysFrom = Callable[[list[int]], dict[str, np.ndarray]]
"""The trace's members in :mod:`.trace_file`'s layout holding, for each group k, its records from the
``starts[k]``-th on (meta and indices included)."""


class TraceWriter:
    """Writes one growing trace to ``path``: :meth:`write` whole or a segment of what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written: dict[str, Any] | None = None
        """What the file on disk holds: its meta, each group's record count, its size, its size at the
        last whole write, its segment count and its identity (device, inode)."""

    def write(
        self, meta: dict[str, Any], counts: list[int], arrays_from: ArraysFrom, *, whole: bool = False
    ) -> int:
        """Bring the file up to date with ``counts[k]`` records of each group under ``meta``; returns
        the bytes written. Appends a segment where it can, else (or if ``whole``) writes it whole. An
        OSError leaves the file as it was: readable, the records still to be written."""
        written = self.written
        text = json.dumps(meta, sort_keys=True)
        current = written is not None and written["meta"] == text and written["counts"] == counts
        if current and (not whole or written["segments"] == 1):
            return 0  # nothing new (and, for a whole write, one plain .npz already)
        if not whole and written is not None and written["meta"] == text:
            starts = written["counts"]
            if all(n >= start for n, start in zip(counts, starts, strict=True)):
                segment = segment_bytes(arrays_from(starts), len(counts), written["size"])
                if segment is not None and self._fits(segment) and self._append(segment, counts):
                    return len(segment)
        data = _npz(arrays_from([0] * len(counts)))
        write_atomically(self.path, data)
        status = self.path.stat()
        self.written = {
            "meta": text,
            "counts": list(counts),
            "size": len(data),
            "base": len(data),
            "segments": 1,
            "identity": (status.st_dev, status.st_ino),
        }
        return len(data)

    def _fits(self, segment: bytes) -> bool:
        """Whether ``segment`` may be appended rather than the file rewritten."""
        written = self.written
        size = written["size"] + len(segment)
        return size <= MAX_FILE_BYTES and size <= 2 * written["base"] and written["segments"] <= MAX_APPENDED

    def _append(self, segment: bytes, counts: list[int]) -> bool:
        """Append ``segment``; False (nothing written) if the file is gone, or another stands at its path,
        or it is shorter than what was written: it is then written whole."""
        written = self.written
        try:
            out = open(self.path, "r+b")  # noqa: SIM115 (a context manager below)
        except FileNotFoundError:
            return False
        with out:
            status = os.fstat(out.fileno())
            if (status.st_dev, status.st_ino) != written["identity"] or status.st_size < written["size"]:
                return False
            out.truncate(written["size"])  # a partial segment of a write that failed
            out.seek(written["size"])
            out.write(segment)
            out.flush()
            os.fsync(out.fileno())
        written["size"] += len(segment)
        written["segments"] += 1
        written["counts"] = list(counts)
        return True


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def segment_bytes(arrays: dict[str, np.ndarray], groups: int, offset: int) -> bytes | None:
    """The records in ``arrays`` (one group's after another's) packed as a segment starting at byte
    ``offset`` of the file; None where a member's groups do not share one dtype."""
    kinds = [key for key in RECORD_MEMBERS if f"g0_{key}" in arrays]
    if any(f"g{k}_{key}" not in arrays for key in kinds for k in range(groups)):
        return None
    counts = np.array([len(arrays[f"g{k}_steps"]) for k in range(groups)], dtype=np.int64)
    members = [("records", counts)]
    for key in kinds:
        parts = [arrays[f"g{k}_{key}"] for k in range(groups)]
        if len({part.dtype for part in parts}) != 1:
            return None
        members.append((key, np.concatenate([part.reshape(-1) for part in parts])))
    return stored_zip([(f"{key}.npy", _npy(array)) for key, array in members], offset)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


_TIME = (0, 0x21)  # 00:00:00 on 1980-01-01, zip's first day: the same bytes for the same records


def stored_zip(members: list[tuple[str, bytes]], offset: int = 0) -> bytes:
    """A zip archive of ``members`` (name, bytes), stored, its offsets counted from byte ``offset``
    of the file it will be written into (zip32: a trace stays far below 4 GB)."""
    body, directory = bytearray(), bytearray()
    for name, data in members:
        raw = name.encode()
        crc = zlib.crc32(data)
        at = offset + len(body)
        body += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, *_TIME, crc, len(data), len(data), len(raw), 0
        )
        body += raw + data
        directory += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            0,
            *_TIME,
            crc,
            len(data),
            len(data),
            len(raw),
            0,
            0,
            0,
            0,
            0,
            at,
        )
        directory += raw
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset + len(body), 0
    )
    return bytes(body + directory + end)
