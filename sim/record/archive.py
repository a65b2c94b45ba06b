"""The bytes of a trace file, read under one set of rules — the same rules, step for step, as the page's
``assets/archive.js``, so a file one accepts the other accepts, and a file one refuses the other refuses
(tests/test_trace_fuzz.py feeds both the same mutations).

What is read, and nothing more:

- **zip** (an ``.npz``): the central directory at the end, each member's local header (its name must
  match), members *stored* or *deflated* and not encrypted. The declared sizes may add up to
  :data:`MAX_FILE_BYTES` at most, and a member is inflated with a running cap: it stops the moment its
  output passes the size the directory declares, so a bomb costs at most the limit. Its stream must
  end exactly where the member ends, with the declared size and CRC-32.
- **.npy**: a version 1–3 header that is a dict of exactly ``descr``, ``fortran_order`` and ``shape``,
  matched by pattern (never evaluated), a dtype of :data:`DTYPES`, and data at least as long as the shape.
- **JSON** (the meta): before parsing, a scan that bounds nesting (:data:`MAX_META_DEPTH`) and the length of
  any number (:data:`MAX_NUMBER_CHARS`), so no parser recurses deeply or converts a 5,000-digit integer.

Every refusal is a :class:`ArchiveError` whose message starts with ``where`` (the file, and the member).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any

import numpy as np

MAX_FILE_BYTES = 64 * 2**20
"""The largest file, and the most an archive may unpack to in all: some hundreds of 1,000-step,
8-coordinate groups."""
MAX_HEADER_BYTES = 10_000
"""The longest .npy header read (NumPy's own default guard against hostile headers)."""
MAX_META_DEPTH = 8
"""The deepest nesting of arrays and objects the meta may have (a trace's needs 3)."""
MAX_NUMBER_CHARS = 64
"""The longest number the meta may spell (a float's shortest form needs at most 24 characters)."""
SAFE_INTEGER = 2**53
"""The largest integer a step, an index or a tensor's size may be: the page's numbers hold every integer
up to it exactly."""
METHODS = {0: "stored", 8: "deflate"}
"""The compression methods read. Others are refused by name (:data:`METHOD_NAMES`)."""
METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    12: "bzip2",
    14: "lzma",
    93: "zstandard",
    95: "xz",
    98: "ppmd",
    99: "AES encryption",
}
DTYPES = {"f": (2, 4, 8), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8)}
"""The .npy dtypes read: IEEE floats of 16, 32 and 64 bits, integers of 8 to 64, either byte order."""
CHUNK = 2**20
"""Bytes inflated per call: the running cap is checked this often."""


def rules() -> dict[str, Any]:
    """The rules as the page's ``TRACE_LIMITS`` (contract.js) carries them."""
    return {
        "bytes": MAX_FILE_BYTES,
        "header": MAX_HEADER_BYTES,
        "metaDepth": MAX_META_DEPTH,
        "numberChars": MAX_NUMBER_CHARS,
        "safeInteger": SAFE_INTEGER,
        "segments": MAX_SEGMENTS,
        "methods": {str(k): v for k, v in METHODS.items()},
        "methodNames": {str(k): v for k, v in METHOD_NAMES.items()},
        "dtypes": {kind: list(sizes) for kind, sizes in DTYPES.items()},
    }


class ArchiveError(ValueError):
    """Bytes that break a rule; the message starts with where they are (file, member)."""


SHOWN_CHARACTERS = 80
"""The most of a name (a member's, from the file's bytes) a message shows."""


def quoted(text: str) -> str:
    """``text`` in single quotes, ``\\`` and ``'`` escaped and control characters as ``\\xNN`` (a
    message stays one printable line whatever a file holds), cut at :data:`SHOWN_CHARACTERS` (the
    page's ``quoted``)."""
    cut = text[:SHOWN_CHARACTERS]
    escaped = cut.replace("\\", "\\\\").replace("'", "\\'")
    escaped = "".join(c if " " <= c != "\x7f" else f"\\x{ord(c):02x}" for c in escaped)
    return "'" + escaped + ("…" if len(text) > SHOWN_CHARACTERS else "") + "'"


# ---- zip --------------------------------------------------------------------------------------------


MAX_SEGMENTS = 10_000
"""The most segments a file may chain (the recorder starts a new file well before: it appends at most
:data:`~.trace_writer.MAX_APPENDED`)."""
END = b"PK\x05\x06"
"""The signature of a zip archive's end record."""


def zip_segments(data: bytes, name: str) -> list[list[dict[str, Any]]]:
    """The segments of ``data``, first to last, each the members of one zip archive
    (``[{filename, method, flags, crc, packed, size, offset}]``, zip64 sizes and offsets resolved).

    A file is one zip archive (a plain ``.npz``), or several written one after another — what a
    recorder's flushes append (:mod:`.trace_writer`): each ends in its own central directory and end
    record, its offsets counted from the file's start. The last *complete* one is found by its end
    record — the last whose directory ends just where the record begins — so a segment cut short by a
    process killed mid-write is passed over; those before it are found from it, each ending just
    where the next one's first member begins.
    """

    def damaged(why: str) -> ArchiveError:
        return ArchiveError(f"{name}: a damaged .npz archive ({why})")

    end = len(data) - 22
    while end >= 0:
        end = data.rfind(END, 0, end + 4)
        if end < 0 or _end_record(data, end, last=True) is not None:
            break
        end -= 1
    if end < 0:
        raise damaged("no end of central directory")
    segments: list[list[dict[str, Any]]] = []
    while True:
        count, directory = _end_record(data, end, last=not segments)
        members = _directory(data, directory, count, damaged)
        segments.append(members)
        start = min((member["offset"] for member in members), default=directory)
        if start > directory:
            raise damaged("a segment's members lie after its directory")
        if start == 0:
            break
        if len(segments) == MAX_SEGMENTS:
            raise ArchiveError(f"{name}: chains more than {MAX_SEGMENTS:,} segments")
        end = start - 22
        if _end_record(data, end, last=False) is None:
            raise damaged(f"{start:,} bytes before its first member are not a whole segment")
    return segments[::-1]


def _end_record(data: bytes, at: int, *, last: bool) -> tuple[int, int] | None:
    """(member count, directory offset) of the end record at ``at``, or None if there is none there: its
    directory must end where it begins, and only the last segment's may carry a comment."""
    if at < 0 or at + 22 > len(data) or data[at : at + 4] != END:
        return None
    count, size, directory, comment = struct.unpack_from("<HIIH", data, at + 10)
    if directory + size != at or at + 22 + comment > len(data) or (comment and not last):
        return None
    return count, directory


def _directory(data: bytes, at: int, count: int, damaged) -> list[dict[str, Any]]:
    """The ``count`` members of the central directory at ``at``."""
    members = []
    for _ in range(count):
        if at + 46 > len(data) or data[at : at + 4] != b"PK\x01\x02":
            raise damaged("bad central directory entry")
        flags, method = struct.unpack_from("<HH", data, at + 8)
        crc, packed, size = struct.unpack_from("<III", data, at + 16)
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        offset = struct.unpack_from("<I", data, at + 42)[0]
        raw_name = data[at + 46 : at + 46 + name_length]
        member = {
            "filename": raw_name.decode("utf-8", "replace"),
            "method": method,
            "flags": flags,
            "crc": crc,
            "packed": packed,
            "size": size,
            "offset": offset,
        }
        extra = at + 46 + name_length
        extra_end = extra + extra_length
        while extra + 4 <= extra_end:
            kind, length = struct.unpack_from("<HH", data, extra) if extra + 4 <= len(data) else (0, 0)
            if kind == 1:  # zip64: the sizes and offset given as 0xFFFFFFFF, in this order
                field = extra + 4
                for key in ("size", "packed", "offset"):
                    if (
                        member[key] == 0xFFFFFFFF
                        and field + 8 <= extra + 4 + length
                        and field + 8 <= len(data)
                    ):
                        member[key] = struct.unpack_from("<Q", data, field)[0]
                        field += 8
            extra += 4 + length
        members.append(member)
        at = extra_end + comment_length
    return members


def check_members(members: list[dict[str, Any]], name: str) -> None:
    """What the directory alone shows: no encryption, a method that is read, a declared total within
    the limit."""
    for member in members:
        shown = quoted(member["filename"])
        if member["flags"] & 1:
            raise ArchiveError(f"{name}: member {shown} is encrypted; a trace is never encrypted")
        if member["method"] not in METHODS:
            method = member["method"]
            called = METHOD_NAMES.get(method, f"method {method}")
            raise ArchiveError(
                f"{name}: member {shown} is compressed with {called}; a trace's members are stored or deflated"
            )
    declared = sum(member["size"] for member in members)
    if declared > MAX_FILE_BYTES:
        raise ArchiveError(
            f"{name}: unpacks to {declared / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB"
        )


def member_bytes(data: bytes, member: dict[str, Any], name: str) -> bytes:
    """One member's bytes, inflated with a running cap (its declared size: :func:`check_members` has
    bounded their sum) and checked against that size and its CRC-32."""
    shown = quoted(member["filename"])

    def damaged(why: str) -> ArchiveError:
        return ArchiveError(f"{name}: a damaged .npz archive ({why})")

    at = member["offset"]
    if at + 30 > len(data) or data[at : at + 4] != b"PK\x03\x04":
        raise damaged(f"bad local header for member {shown}")
    name_length, extra_length = struct.unpack_from("<HH", data, at + 26)
    local_name = data[at + 30 : at + 30 + name_length].decode("utf-8", "replace")
    if local_name != member["filename"]:
        raise damaged(f"member {shown} is named {quoted(local_name)} in its local header")
    start = at + 30 + name_length + extra_length
    if start + member["packed"] > len(data):
        raise damaged(f"member {shown} is cut short")
    packed = data[start : start + member["packed"]]
    size = member["size"]
    out = packed if member["method"] == 0 else _inflate(packed, size, damaged, shown)
    if len(out) > size and member["method"] != 0:
        raise ArchiveError(f"{name}: member {shown} unpacks to more than the {size:,} bytes it declares")
    if len(out) != size or zlib.crc32(out) != member["crc"]:
        raise damaged(f"bad CRC-32 or size for member {shown}")
    return out


def _inflate(packed: bytes, cap: int, damaged, shown: str) -> bytes:
    """Raw deflate of ``packed``, stopping as soon as the output passes ``cap`` bytes (it is then
    returned ``cap + 1`` long, for the caller to refuse)."""
    inflater = zlib.decompressobj(-15)
    pieces: list[bytes] = []
    total = 0
    rest = packed
    try:
        while True:
            piece = inflater.decompress(rest, min(CHUNK, cap + 1 - total))
            pieces.append(piece)
            total += len(piece)
            if total > cap:
                return b"".join(pieces)
            rest = inflater.unconsumed_tail
            if inflater.eof or not piece:
                break
    except zlib.error as error:
        raise damaged(f"member {shown} does not inflate: {error}") from None
    if not inflater.eof or inflater.unused_data or rest:
        raise damaged(f"member {shown}'s deflate stream does not end where the member does")
    return b"".join(pieces)


# ---- .npy -------------------------------------------------------------------------------------------

_ENTRY = re.compile(
    r"[ \t\n\r]*'(descr|fortran_order|shape)'[ \t\n\r]*:[ \t\n\r]*('[^']*'|True|False|\([^()]*\))[ \t\n\r]*(,|$)"
)
_SHAPE = re.compile(r"^\([ \t\n\r]*(?:[0-9]+[ \t\n\r]*,[ \t\n\r]*)*(?:[0-9]+[ \t\n\r]*,?[ \t\n\r]*)?\)$")
_DESCR = re.compile(r"^([<>|=]?)([a-zA-Z])([0-9]+)$")


def read_npy(data: bytes, where: str) -> np.ndarray:
    """One .npy array from ``data`` (a view of its bytes, C order); ``where`` starts each message."""
    if not data.startswith(b"\x93NUMPY"):
        raise ArchiveError(f"{where} is not a .npy array (it does not start with NumPy's header)")
    major = data[6] if len(data) > 6 else None
    if major not in (1, 2, 3):
        minor = data[7] if len(data) > 7 else "?"
        raise ArchiveError(f"{where}: unsupported .npy version {major if major is not None else '?'}.{minor}")
    width = 2 if major == 1 else 4
    if len(data) < 8 + width:
        raise ArchiveError(f"{where} is truncated")
    length = int.from_bytes(data[8 : 8 + width], "little")
    if length > MAX_HEADER_BYTES:
        raise ArchiveError(f"{where}: header is {length:,} bytes; at most {MAX_HEADER_BYTES:,} are read")
    begin = 8 + width
    if len(data) < begin + length:
        raise ArchiveError(f"{where} is truncated")
    header = data[begin : begin + length].decode("utf-8" if major == 3 else "latin-1", "replace")
    descr, fortran, shape = _header(header, where)
    kind_match = _DESCR.match(descr)
    if "O" in descr:
        raise ArchiveError(f"{where} holds Python objects (a pickle); adamviz never unpickles")
    kind, size = (kind_match[2], int(kind_match[3])) if kind_match else ("?", 0)
    if size not in DTYPES.get(kind, ()):
        raise ArchiveError(
            f"{where}: dtype {descr} is not read; a trace holds floats or integers of up to 64 bits"
        )
    count = 1
    for n in shape:
        count *= n
    start = begin + length
    if len(data) < start + count * size:
        raise ArchiveError(f"{where} is truncated")
    dtype = np.dtype(f"{'>' if kind_match[1] == '>' else '<'}{kind}{size}")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=start)
    if size == 8 and kind in "iu" and (np.any(flat > SAFE_INTEGER) or np.any(flat < -SAFE_INTEGER)):
        raise ArchiveError(f"{where} holds an integer beyond 2**53")
    return flat.reshape(shape, order="F" if fortran else "C")


def _header(header: str, where: str) -> tuple[str, bool, tuple[int, ...]]:
    """``descr``, ``fortran_order`` and ``shape`` of a .npy header: a dict of exactly these three."""
    unreadable = ArchiveError(f"{where} is not a readable .npy array (cannot parse its header)")
    text = header.rstrip(" \t\r\n\x00")
    if not (text.startswith("{") and text.endswith("}")):
        raise unreadable
    body = text[1:-1]
    found: dict[str, str] = {}
    at = 0
    while body[at:].strip(" \t\n\r"):
        entry = _ENTRY.match(body, at)
        if not entry or entry[1] in found:
            raise unreadable
        found[entry[1]] = entry[2]
        at = entry.end()
        if entry[3] != ",":
            break
    if body[at:].strip(" \t\n\r") or len(found) != 3:
        raise unreadable
    descr, order, shape = found["descr"], found["fortran_order"], found["shape"]
    if not descr.startswith("'") or order not in ("True", "False") or not _SHAPE.match(shape):
        raise unreadable
    digits = re.findall(r"[0-9]+", shape)
    if any(len(n) > 16 or int(n) > SAFE_INTEGER for n in digits):
        raise ArchiveError(f"{where}: its shape has a dimension over 2**53")
    dims = tuple(int(n) for n in digits)
    return descr[1:-1], order == "True", dims


# ---- JSON -------------------------------------------------------------------------------------------

_TOKENS = re.compile(r'"(?:[^"\\]|\\[\s\S])*"|[\[\]{}]|[-+0-9.eE]+')


def read_json(text: str, where: str) -> Any:
    """``text`` parsed as JSON after a scan that bounds its nesting and its numbers' lengths."""
    depth = 0
    for token in _TOKENS.finditer(text):
        first = token[0][0]
        if first in "[{":
            depth += 1
            if depth > MAX_META_DEPTH:
                raise ArchiveError(f"{where} nests deeper than {MAX_META_DEPTH} levels")
        elif first in "]}":
            depth -= 1
        elif first != '"' and len(token[0]) > MAX_NUMBER_CHARS:
            raise ArchiveError(f"{where} spells a number in more than {MAX_NUMBER_CHARS} characters")

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as error:
        raise ArchiveError(f"{where} is not valid JSON ({error})") from None
