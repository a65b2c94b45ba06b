"""Load and soak for ``adamviz serve`` (a command, not part of CI):

    python tests/load.py --visitors 300                  # 300 first visits at once
    python tests/load.py --visitors 50 --minutes 10      # a soak: waves of 50 for ten minutes
    python tests/load.py --idle-flood 2000 --limit 1024  # 2,000 idle sockets against 1,024 descriptors

Each visitor is a fresh browser's worth of requests, all at once: the page, then BokehJS's two bundles
(uncached, as on a first visit), then — one visitor in ten — an export of changed settings (what the
page's Export button posts, each with other settings; at most 8 wait, the rest are answered 503 at once). Changing settings and playing happen in the page and cost the server
nothing, so they need no requests. Meanwhile ``--browsers`` real Chromium pages open the explorer
and report their time to interactive (until ``window.adamviz`` exists) under that load.

Prints failures, p50/p95 time to a visitor's last byte, the browsers' time to interactive, and the
server's resident memory before, after each wave and at the end (its drift).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import CHROMIUM_ARGS, free_port, listening_sockets, start_server


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("Pid", 0)) == pid or int(fields.get("PPid", -1)) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def visit(port: int, export: int | None, results: list, start: threading.Event) -> None:
    """One visitor: the page and BokehJS (a first visit), then maybe an export with seed `export`.
    Appends (outcome, seconds to the page's last byte, seconds for the export or None)."""
    start.wait()
    t0 = time.perf_counter()
    loaded = exported = None
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path in ("/", "/bokehjs/bokeh.min.js", "/bokehjs/bokeh-widgets.min.js"):
            connection.request("GET", path, headers={"Host": f"localhost:{port}"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
        loaded = time.perf_counter() - t0
        if export is not None:
            body = json.dumps({"beta1": 0.99, "seed": export, "iteration": 42}).encode()
            headers = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
            connection.request("POST", "/export", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            exported = time.perf_counter() - t0 - loaded
            if response.status == 503:  # the export queue is full: a clear answer, counted apart
                results.append(("busy", loaded, None))
                return
            if response.status != 200:
                raise RuntimeError(f"POST /export: {response.status}")
        connection.close()
        results.append(("ok", loaded, exported))
    except Exception as error:  # a failed visit is a figure, not a crash
        results.append((f"{type(error).__name__}: {error}", loaded, exported))


def browser_times(url: str, count: int, out: list) -> None:
    """Time to interactive of `count` Chromium pages opened one after another under the load."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for _ in range(count):
            context = browser.new_context()  # a fresh cache: a first visit
            page = context.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_function("window.adamviz !== undefined", timeout=60_000)
            out.append(time.perf_counter() - t0)
            context.close()
        browser.close()


def wave(port: int, visitors: int, browsers: int, number: int) -> tuple[list, list, float]:
    results: list = []
    start = threading.Event()
    threads = [
        threading.Thread(
            target=visit, args=(port, number * visitors + k if k % 10 == 0 else None, results, start)
        )
        for k in range(visitors)
    ]
    for thread in threads:
        thread.start()
    tti: list = []
    watcher = threading.Thread(target=browser_times, args=(f"http://localhost:{port}/", browsers, tti))
    t0 = time.perf_counter()
    start.set()
    watcher.start()
    for thread in threads:
        thread.join()
    watcher.join()
    return results, tti, time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visitors", type=int, default=300, help="visitors arriving at once, per wave")
    parser.add_argument("--minutes", type=float, default=0, help="keep sending waves this long (a soak)")
    parser.add_argument("--browsers", type=int, default=3, help="real Chromium pages timed per wave")
    parser.add_argument(
        "--idle-flood",
        type=int,
        default=0,
        metavar="N",
        help="instead: hold N idle sockets open, time visitors",
    )
    parser.add_argument("--limit", type=int, default=1024, help="the server's open-file limit (--idle-flood)")
    return parser


def idle_flood(sockets: int, limit: int, seconds: float = 20) -> None:
    """Hold ``sockets`` idle connections open (more than the server's ``limit`` on descriptors), keep
    opening new ones as the server closes them, and time a new visitor's page every second meanwhile."""
    import resource
    import socket

    resource.setrlimit(resource.RLIMIT_NOFILE, (sockets + 256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    command = ["bash", "-c", f'ulimit -n {limit} && exec "$@"', "bash", adamviz, "serve", "--port", str(port)]
    server = start_server(command, port)
    next(server)
    pid = _server_pid(port)
    held: list = []
    times: list[float] = []
    cpu0, t_end = cpu_seconds(pid), time.monotonic() + seconds
    while time.monotonic() < t_end:
        held = [s for s in held if not _closed(s)]
        while len(held) < sockets:
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        t0 = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/", headers={"Host": f"localhost:{port}"})
            connection.getresponse().read()
            times.append(time.perf_counter() - t0)
        except OSError as error:
            times.append(float("inf"))
            print("   a visitor failed:", error)
        time.sleep(1)
    descriptors = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    used = cpu_seconds(pid) - cpu0
    for sock in held:
        sock.close()
    server.close()
    print(
        f"idle flood: {sockets:,} idle sockets kept open against a limit of {limit:,} descriptors for {seconds:.0f} s; "
        f"a new visitor's page p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"(target <= 2,000 ms), {sum(t == float('inf') for t in times)} failed; server descriptors at the end "
        f"{descriptors:,}; server CPU {used:.1f} s over {seconds:.0f} s"
    )


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _closed(sock) -> bool:
    """Whether the server has closed ``sock`` (read gives end of file without blocking)."""
    sock.setblocking(False)
    try:
        gone = sock.recv(1) == b""
    except BlockingIOError:
        gone = False
    except OSError:
        gone = True
    sock.setblocking(True)
    if gone:
        sock.close()
    return gone


def main() -> None:
    args = build_parser().parse_args()
    if args.idle_flood:
        idle_flood(args.idle_flood, args.limit)
        return

    port = free_port()
    server = start_server([shutil.which("adamviz") or "adamviz", "serve", "--port", str(port)], port)
    next(server)
    pid = _server_pid(port)
    first = rss_mb(pid)
    print(f"adamviz serve on port {port}: RSS {first:.0f} MB before any visitor")
    deadline = time.monotonic() + args.minutes * 60
    waves = 0
    all_ok, all_failed, all_tti = [], [], []
    while True:
        results, tti, elapsed = wave(port, args.visitors, args.browsers, waves)
        waves += 1
        ok = [loaded for outcome, loaded, _ in results if outcome in ("ok", "busy")]
        exports = [seconds for outcome, _, seconds in results if outcome == "ok" and seconds is not None]
        busy = sum(outcome == "busy" for outcome, _, _ in results)
        failed = [outcome for outcome, _, _ in results if outcome not in ("ok", "busy")]
        all_ok += ok
        all_failed += failed
        all_tti += tti
        print(
            f"wave {waves}: {args.visitors} visitors at once, {len(failed)} failed; page + BokehJS last byte "
            f"p50 {statistics.median(ok):.2f} s, p95 {percentile(ok, 0.95):.2f} s; exports made "
            f"{len(exports)} (p50 {statistics.median(exports) if exports else float('nan'):.1f} s, max "
            f"{max(exports, default=float('nan')):.1f} s), {busy} answered 503 busy; Chromium time to "
            f"interactive {', '.join(f'{t:.2f}' for t in tti)} s; wave {elapsed:.1f} s; RSS {rss_mb(pid):.0f} MB"
        )
        if failed:
            print("   first failures:", "; ".join(sorted(set(failed))[:3]))
        if time.monotonic() >= deadline:
            break
    last = rss_mb(pid)
    print(
        f"== {waves} wave(s), {len(all_ok) + len(all_failed)} visits, {len(all_failed)} failed; "
        f"page + BokehJS last byte p95 {percentile(all_ok, 0.95):.2f} s; time to interactive p95 {percentile(all_tti, 0.95):.2f} s "
        f"(target <= 3 s); RSS {first:.0f} -> {last:.0f} MB (drift {last - first:+.0f} MB; no sessions, so "
        f"per visitor {max(0.0, last - first) * 1024 / max(1, len(all_ok)):.1f} KB)"
    )
    server.close()


def _server_pid(port: int) -> int:
    """The pid of the process listening on `port` (Linux /proc: the socket's inode, then its owner)."""
    inodes = set(listening_sockets(port).values())
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return int(fd.parts[2])
    raise RuntimeError(f"no process listens on port {port}")


if __name__ == "__main__":
    main()
