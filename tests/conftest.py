"""Fixtures for the browser tests: Debian's Chromium through Playwright, a served explorer, a static one.

Chromium is the system's (``which chromium``), never a Playwright download.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# CI draws the same examples every run (a fuzzer must not fail a landing by luck); `long` explores.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("long", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
LONG_FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "long"

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


BROWSER_FIXTURES = {"page", "context", "browser", "browser_type"}
"""pytest-playwright's fixtures: a test that takes one (directly or through another fixture) drives Chromium."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that launches Chromium is marked ``browser`` (so ``-m "not browser"`` never starts it),
    whether or not its module remembered to say so."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed; `bash tests/run.sh` installs it")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_sockets(port: int) -> dict[str, str]:
    """The sockets listening on ``port``, as {local address: inode} (Linux's /proc/net/tcp{,6}, where
    127.0.0.1 reads 0100007F and ::1 reads 00000000000000000000000001000000)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found[address] = fields[9]
    return found


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_server(command: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    url = f"http://localhost:{port}/"
    try:
        wait_for_http(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the whole group: --num-procs children survive the parent
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def served_url() -> Iterator[str]:
    """``adamviz serve`` on a free port."""
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    yield from start_server([adamviz, "serve", "--port", str(port)], port)


@pytest.fixture(scope="session")
def lecture_served_url() -> Iterator[str]:
    """``adamviz serve --lecture`` on a free port."""
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    yield from start_server([adamviz, "serve", "--port", str(port), "--lecture"], port)


@pytest.fixture(scope="session")
def lecture_static_url(tmp_path_factory) -> str:
    """``adamviz export --lecture``: the whole lecture in one offline file."""
    from adamviz.app.export import write_export
    from adamviz.app.settings import ExplorerSettings

    path = write_export(tmp_path_factory.mktemp("lecture") / "deck.html", ExplorerSettings(lecture=True))
    return path.as_uri()


@pytest.fixture(scope="session")
def panel_served_url() -> Iterator[str]:
    """``panel serve app/main.py`` on a free port, as the README says."""
    port = free_port()
    main = Path(__file__).parents[1] / "app" / "main.py"
    yield from start_server(
        [sys.executable, "-m", "panel", "serve", str(main), "--port", str(port), "--index", "main"], port
    )


@pytest.fixture(scope="session")
def static_url(tmp_path_factory) -> str:
    """The explorer exported as one self-contained HTML file."""
    from adamviz.app.export import write_export

    path = write_export(tmp_path_factory.mktemp("static") / "explorer.html")
    return path.as_uri()


@pytest.fixture(params=["served", "static"])
def explorer_url(request) -> str:
    """The explorer as ``adamviz serve`` serves it, then as an exported file: a test taking this runs on both."""
    return request.getfixturevalue("served_url" if request.param == "served" else "static_url")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
