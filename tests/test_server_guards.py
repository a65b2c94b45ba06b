"""``adamviz serve`` against clients that misbehave: idle sockets by the hundred, bodies nested deep,
messages with any characters, a trace file changed under it, the same export asked for at once."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from test_server import request

from adamviz.app import connections, server
from adamviz.app.settings import ExplorerSettings

from conftest import free_port, start_server

ADAMVIZ = shutil.which("adamviz") or "adamviz"


def _run_apart(coroutine_function):
    """Run a coroutine on a fresh event loop in a thread of its own (the browser tests' loop may be
    running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


def _served(*flags: str, limit: int | None = None):
    port = free_port()
    command = [ADAMVIZ, "serve", "--port", str(port), *flags]
    if limit is not None:  # the process's open-file limit, soft and hard
        command = ["bash", "-c", f'ulimit -n {limit} && exec "$@"', "bash", *command]
    generator = start_server(command, port)
    next(generator)
    return generator, ("127.0.0.1", port)


def test_a_visitor_is_served_while_idle_sockets_outnumber_descriptors():
    """160 descriptors (96 connections) and 300 idle sockets held open: a newcomer still gets the page,
    and the server says nothing about it (no traceback per attempt)."""
    generator, address = _served(limit=160)
    idle = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection(address, timeout=10))
        time.sleep(0.5)  # (let the server accept what it will)
        status, _, body = request(address, "GET", "/")
        assert status == 200 and b"adamviz" in body
        # the evicted ones were closed by the server: reading them gives end of file at once
        closed = 0
        for sock in idle:
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                closed += sock.recv(1) == b""
        assert closed >= 300 - 96
    finally:
        for sock in idle:
            sock.close()
        generator.close()


def test_an_idle_connection_is_closed_after_the_header_timeout(server_address):
    sock = socket.create_connection(server_address, timeout=connections.HEADER_SECONDS + 10)
    try:
        t0 = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, not by our timeout (which would raise)
        assert time.monotonic() - t0 >= connections.HEADER_SECONDS - 1
    finally:
        sock.close()


@pytest.fixture(scope="module")
def server_address():
    generator, address = _served()
    yield address
    generator.close()


@pytest.mark.parametrize(
    "body, words",
    [
        (b"[" * 1000 + b"]" * 1000, "a settings report must be a JSON object"),
        (b'{"' + "é<b>€".encode() + b'": 1}', "unknown setting 'é<b>€'"),
        (b'{"seed": ' + b"9" * 5000 + b"}", "a settings report must be a JSON object"),
    ],
)
def test_a_refused_export_says_why_in_its_body(server_address, body, words):
    port = server_address[1]
    status, headers, text = request(
        server_address, "POST", "/export", body=body, Origin=f"http://localhost:{port}"
    )
    assert status == 400
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert words in text.decode("utf-8")


def test_serve_keeps_the_trace_it_validated(tmp_path):
    trace = tmp_path / "run.npy"
    np.save(trace, np.linspace(-1, 1, 30))
    generator, address = _served("--trace", str(trace))
    try:
        trace.unlink()  # deleted (or replaced) while it serves: exports carry the run it read at start
        port = address[1]
        status, _, page = request(
            address, "POST", "/export", body=b'{"seed": 3}', Origin=f"http://localhost:{port}"
        )
        assert status == 200 and b"run.npy" in page  # the run goes in under its file's name
    finally:
        generator.close()


def test_identical_concurrent_exports_are_made_once(monkeypatch):
    made = []

    def slow_page(settings, **kwargs):
        made.append(settings.seed)
        time.sleep(0.3)
        return f"page {settings.seed}"

    monkeypatch.setattr(server, "explorer_html", slow_page)

    async def run():
        exports = server.Exports(ThreadPoolExecutor(max_workers=1), {})
        same = [exports.make(ExplorerSettings(seed=5)) for _ in range(40)]
        other = [exports.make(ExplorerSettings(seed=k)) for k in range(6, 9)]
        return await asyncio.gather(*same, *other)

    pages = _run_apart(run)
    assert pages[:40] == [b"page 5"] * 40 and pages[40:] == [b"page 6", b"page 7", b"page 8"]
    assert sorted(made) == [5, 6, 7, 8]  # 43 requests, 4 exports made


def test_the_accept_loop_pauses_when_descriptors_run_out(tmp_path):
    """A server whose cap is above its descriptor limit (so accept() meets EMFILE): it pauses and says so
    in one line, however many connections keep coming, with no traceback; once the sockets close, a
    visitor is served again."""
    script = textwrap.dedent(
        """
        import asyncio, resource, sys, tornado.web
        from adamviz.app.connections import GuardedServer
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
        class Hello(tornado.web.RequestHandler):
            def get(self): self.write("hello")
        async def main():
            server = GuardedServer(tornado.web.Application([(r"/", Hello)]), cap=10_000)
            server.listen_on(int(sys.argv[1]), "127.0.0.1")
            print("ready", flush=True)
            await asyncio.sleep(6)
        asyncio.run(main())
        """
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    held = []
    try:
        for _ in range(120):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(2)
    finally:
        for sock in held:
            sock.close()
    visitor = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    visitor.request("GET", "/")
    assert visitor.getresponse().read() == b"hello"
    output = process.communicate(timeout=30)[0]
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "out of file descriptors" in lines[0], output[:2000]
    assert "Traceback" not in output


def test_the_cap_is_derived_from_the_limit():
    limit, cap = connections.connection_cap()
    assert cap == limit - connections.RESERVED_DESCRIPTORS >= connections.FEWEST_CONNECTIONS


def test_an_export_request_over_a_kept_alive_connection_still_works(server_address):
    port = server_address[1]
    connection = http.client.HTTPConnection(*server_address, timeout=30)
    for _ in range(2):
        connection.request("GET", "/", headers={"Host": f"localhost:{port}"})
        response = connection.getresponse()
        assert response.status == 200 and response.read()


def test_an_unforeseen_failure_is_one_line_naming_the_request(monkeypatch, capsys):
    import tornado.httpclient

    def broken(settings, **kwargs):
        raise RuntimeError("boom")

    async def run():
        port = free_port()
        app = server.make_app(port)
        monkeypatch.setattr(server, "explorer_html", broken)  # every export now fails unforeseen
        guarded = connections.GuardedServer(app, cap=100)
        guarded.listen_on(port, "127.0.0.1")
        headers = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
        client = tornado.httpclient.AsyncHTTPClient()
        url = f"http://127.0.0.1:{port}/export"
        responses = [
            await client.fetch(url, method="POST", body=b'{"seed": 4}', headers=headers, raise_error=False)
            for _ in range(2)
        ]
        guarded.close_all()
        return responses

    for response in _run_apart(run):
        assert response.code == 500
        assert response.body.decode() == "the server failed on POST /export; its log says why"
