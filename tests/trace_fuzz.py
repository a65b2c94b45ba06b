"""Mutated trace files, fed alike to ``adamviz.record.load``, the CLI and the page's reader.

    python tests/trace_fuzz.py --count 2000 [--seed 1] [--cli 200]   # longer than CI's; prints figures

Each mutant comes from a good trace (stored, deflated, or a chain of segments as a recorder's flushes
append them) or a bare .npy by one of :data:`MUTATIONS`: bit
flips, truncations, insertions anywhere in the archive; a member's own bytes flipped, cut or extended
and the archive rebuilt (so its CRC holds and the .npy and JSON readers are reached); members renamed,
duplicated or dropped; declared sizes that lie; every compression method; meta values replaced. The
readers must agree on every one (accepted by both with equal numbers, or refused by both with one line
naming the file). tests/test_trace_fuzz.py runs a bounded number in CI; this command runs more and
prints the time and peak memory per file of each reader.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import shutil
import struct
import sys
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from hostile_traces import SETTINGS, _npy, bomb, chained, next_records, trace_bytes, valid_arrays

METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore")  # duplicated names are the point
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, compress_type=method)
    return out.getvalue()


def _flip(data: bytes, rng: random.Random, flips: int) -> bytes:
    out = bytearray(data)
    for _ in range(flips):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _meta_value(rng: random.Random) -> object:
    return rng.choice(
        [None, True, 0, -1, 1.5, 1e308, "x", [], {}, [3.0, 4.0], 2**53 + 1, "Adam", [0.9, 1.0], 10**30]
    )


def mutate(base: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutation of the .npz ``base``: (its kind, the mutant's bytes). A chain of segments (a
    recorder's appends) gets the mutations of its bytes: its members are rebuilt as one archive."""
    members = list(_members(base).items())
    chain = "meta.npy" not in dict(members)
    kind = rng.choice(BYTE_MUTATIONS if chain else MUTATIONS)
    if kind == "flip":
        return kind, _flip(base, rng, rng.choice([1, 1, 2, 8]))
    if kind == "truncate":
        return kind, base[: rng.randrange(len(base))]
    if kind == "insert":
        at = rng.randrange(len(base) + 1)
        return kind, base[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) + base[at:]
    if kind == "member-flip":
        k = rng.randrange(len(members))
        name, data = members[k]
        members[k] = (name, _flip(data, rng, rng.choice([1, 2, 4])))
    elif kind == "member-cut":
        k = rng.randrange(len(members))
        name, data = members[k]
        members[k] = (name, data[: rng.randrange(len(data) + 1)])
    elif kind == "member-extend":
        k = rng.randrange(len(members))
        name, data = members[k]
        members[k] = (name, data + bytes(rng.randrange(1, 64)))
    elif kind == "rename":
        k = rng.randrange(len(members))
        new = rng.choice(["g1_g.npy", "meta", "g0_g.npy", "arr_0.npy", "g0_steps.npy", "../x.npy", "é.npy"])
        members[k] = (new, members[k][1])
    elif kind == "duplicate":
        members.insert(rng.randrange(len(members) + 1), rng.choice(members))
    elif kind == "drop":
        members.pop(rng.randrange(len(members)))
    elif kind == "meta":
        meta = _meta_of(members)
        key = rng.choice(
            ["lr", "betas", "eps", "version", "groups", "optimizer", "amsgrad", "momentum", "every"]
        )
        if key == "groups" and rng.random() < 0.5:
            meta["groups"][0]["shape"] = _meta_value(rng)
        else:
            meta[key] = _meta_value(rng)
        members = [
            (n, _npy(np.frombuffer(json.dumps(meta).encode(), np.uint8)) if n == "meta.npy" else d)
            for n, d in members
        ]
    elif kind == "lying-size":
        out = bytearray(base)
        at = base.index(b"PK\x01\x02")
        for _ in range(rng.randrange(len(members))):
            at = base.index(b"PK\x01\x02", at + 4)
        struct.pack_into("<I", out, at + 24, rng.choice([0, 1, 64, 1_000, 2**31, 2**32 - 1]))
        return kind, bytes(out)
    elif kind == "method":
        return kind, _zip(members, rng.choice(METHODS))
    return kind, _zip(members, rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)))


def _meta_of(members: list[tuple[str, bytes]]) -> dict:
    from adamviz.record.archive import read_npy

    return json.loads(read_npy(dict(members)["meta.npy"], "meta").tobytes())


BYTE_MUTATIONS = ("flip", "truncate", "insert", "lying-size")
MUTATIONS = (
    "flip",
    "truncate",
    "insert",
    "member-flip",
    "member-cut",
    "member-extend",
    "rename",
    "duplicate",
    "drop",
    "meta",
    "lying-size",
    "method",
)


def mutants(seed: int, count: int) -> list[tuple[str, str, bytes]]:
    """``count`` mutants, (file name, mutation, bytes), the same for the same ``seed``."""
    rng = random.Random(seed)
    scheduled = valid_arrays(
        records=20, groups=[{"name": "layer.weight", "shape": [3, 4], "settings": SETTINGS}]
    )
    scheduled.update(g0_lr=np.linspace(0.001, 0.01, 20), g0_weight_decay=np.full(20, 0.1))
    bases = [
        trace_bytes(valid_arrays(records=20)),
        trace_bytes(valid_arrays(records=20), deflate=True),
        trace_bytes(scheduled, deflate=True),  # a scheduler's rates and the group's own settings
        chained(valid_arrays(records=12), next_records(12, 5), next_records(17, 3)),  # a recorder's flushes
    ]
    npy = _npy(np.linspace(-1, 1, 30))
    out = []
    for k in range(count):
        if k % 10 == 9:  # a bare gradient log, flipped or cut
            data = _flip(npy, rng, 1) if rng.random() < 0.7 else npy[: rng.randrange(len(npy))]
            out.append((f"m{k}.npy", "npy", data))
            continue
        kind, data = mutate(rng.choice(bases), rng)
        out.append((f"m{k}.npz", kind, data))
    return out


def python_verdict(name: str, data: bytes, folder: Path) -> dict:
    """load()'s verdict: {"ok": True, "g": [...]} (every coordinate's gradients) or {"ok": False, "message"}."""
    from adamviz.record import TraceError, load

    path = folder / name
    path.write_bytes(data)
    try:
        run = load(path)
    except TraceError as error:
        return {"ok": False, "message": str(error)}
    finally:
        path.unlink()
    return {"ok": True, "g": [[c.g.tolist() for c in group.coordinates] for group in run.groups]}


PAGE_VERDICTS = """async (files) => {
  const out = [];
  for (const [name, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const t0 = performance.now();
    try {
      const run = await window.AdamViz.traceFiles.read(name, bytes, window.__limits);
      out.push({ ok: true, g: run.groups.map((g) => g.coordinates.map((c) => Array.from(c.g))), ms: performance.now() - t0 });
    } catch (error) {
      out.push({ ok: false, message: error.message, ms: performance.now() - t0 });
    }
  }
  return out;
}"""


def page_verdicts(page, files: list[tuple[str, str, bytes]]) -> list[dict]:
    """The page reader's verdicts on ``files``, in one evaluation (``window.__limits`` set by the caller)."""
    encoded = [[name, base64.b64encode(data).decode()] for name, _, data in files]
    return page.evaluate(PAGE_VERDICTS, encoded)


def node_verdicts(files: list[tuple[str, str, bytes]], folder: Path) -> list[dict]:
    """The page reader's verdicts on ``files``, read in Node (tests/js/read_traces.mjs): no browser."""
    from test_engine_node import run_node

    encoded = [[name, base64.b64encode(data).decode()] for name, _, data in files]
    return run_node(Path(__file__).parent / "js" / "read_traces.mjs", encoded, folder)


def _same_numbers(ours: list, theirs: list) -> bool:
    """Every coordinate's gradients equal, as floats: JSON spells a large whole double such as 5.9e19
    without an exponent (JSON.stringify), which Python then reads as an int."""
    return len(ours) == len(theirs) and all(
        len(a) == len(b)
        and all(np.array_equal(np.array(x, float), np.array(y, float)) for x, y in zip(a, b, strict=True))
        for a, b in zip(ours, theirs, strict=True)
    )


def disagreements(files, python: list[dict], page: list[dict]) -> list[str]:
    """Every mutant on which the readers differ, said in a line."""
    out = []
    for (name, kind, _), ours, theirs in zip(files, python, page, strict=True):
        if ours["ok"] != theirs["ok"]:
            out.append(
                f"{name} ({kind}): Python {ours.get('message', 'accepts')}; page {theirs.get('message', 'accepts')}"
            )
        elif ours["ok"] and not _same_numbers(ours["g"], theirs["g"]):
            out.append(f"{name} ({kind}): both accept, the numbers differ")
        elif not ours["ok"] and not (
            ours["message"].startswith(name)
            and theirs["message"].startswith(name)
            and "\n" not in ours["message"]
        ):
            out.append(f"{name} ({kind}): a message that does not start with the file's name")
    return out


def cli_disagreements(files, python: list[dict], folder: Path) -> list[str]:
    """`adamviz export --trace` on each file: refused with load()'s own message in one line and nothing
    written, or an exported page; a line for each that does otherwise."""
    import contextlib
    import io

    from adamviz.app.cli import main as cli

    out = []
    for (name, kind, data), verdict in zip(files, python, strict=False):
        path, page = folder / name, folder / f"{name}.html"
        path.write_bytes(data)
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            status = cli(["export", str(page), "--trace", str(path)])
        expected = 0 if verdict["ok"] else 2
        said = errors.getvalue()
        if status != expected or (not verdict["ok"] and said != f"adamviz: error: {verdict['message']}\n"):
            out.append(f"{name} ({kind}): the CLI exited {status} saying {said.strip()[:120]!r}")
        elif page.exists() != verdict["ok"]:
            out.append(f"{name} ({kind}): the CLI {'wrote' if page.exists() else 'did not write'} a page")
        path.unlink()
        page.unlink(missing_ok=True)
    print(f"CLI:     {len(files)} mutants through `adamviz export --trace`")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cli",
        type=int,
        default=200,
        metavar="N",
        help="also run `adamviz export --trace` on the first N (0: none)",
    )
    args = parser.parse_args()
    import tempfile

    from playwright.sync_api import sync_playwright

    from adamviz.app.export import write_export
    from adamviz.app.settings import ExplorerSettings
    from adamviz.app.traces import trace_limits

    from conftest import CHROMIUM_ARGS

    files = mutants(args.seed, args.count)
    files.append(("bomb.npz", "bomb", bomb()))  # 50 KB declaring 1,000 bytes, inflating to 48 MB
    folder = Path(tempfile.mkdtemp())
    python, times, peaks = [], [], []
    for name, _, data in files:
        tracemalloc.start()
        t0 = time.perf_counter()
        python.append(python_verdict(name, data, folder))
        times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    page_file = folder / "page.html"
    write_export(page_file, ExplorerSettings())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function("window.AdamViz && window.AdamViz.traceFiles")
        page.evaluate("(limits) => { window.__limits = limits; }", trace_limits())
        client = page.context.new_cdp_session(page)
        client.send("Performance.enable")
        heap0 = {m["name"]: m["value"] for m in client.send("Performance.getMetrics")["metrics"]}[
            "JSHeapUsedSize"
        ]
        verdicts = []
        for start in range(0, len(files), 100):
            verdicts += page_verdicts(page, files[start : start + 100])
        heap1 = {m["name"]: m["value"] for m in client.send("Performance.getMetrics")["metrics"]}[
            "JSHeapUsedSize"
        ]
        browser.close()
    problems = disagreements(files, python, verdicts)
    problems += cli_disagreements(files[: args.cli], python, folder)
    accepted = sum(v["ok"] for v in python)
    page_ms = sorted(v["ms"] for v in verdicts)
    py_ms = sorted(t * 1000 for t in times)
    print(
        f"{len(files)} mutants (seed {args.seed}): {accepted} accepted by both, {len(files) - accepted - len(problems)} refused by both"
    )
    print(
        f"load():  per file p50 {py_ms[len(py_ms) // 2]:.2f} ms, max {py_ms[-1]:.1f} ms; peak memory max {max(peaks) / 2**20:.2f} MB"
    )
    print(
        f"page:    per file p50 {page_ms[len(page_ms) // 2]:.2f} ms, max {page_ms[-1]:.1f} ms; JS heap {heap0 / 2**20:.1f} → {heap1 / 2**20:.1f} MB"
    )
    print(
        f"bomb.npz ({len(files[-1][2]):,} B): load() {times[-1] * 1000:.1f} ms, peak {peaks[-1] / 2**20:.2f} MB; "
        f"page {verdicts[-1]['ms']:.1f} ms — {verdicts[-1].get('message')}"
    )
    print(f"disagreements: {len(problems)}")
    for line in problems[:40]:
        print("  " + line)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
