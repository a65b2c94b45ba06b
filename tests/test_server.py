"""``adamviz serve`` as a client (and an attacker) sees it: one static page, BokehJS, the export
endpoint — safe by default (localhost, Host and Origin checks, security headers), nothing else."""

from __future__ import annotations

import http.client
import json
import shutil
import socket

import pytest
from test_export import CDN_BUDGET

from adamviz.app.server import EXPORT_BODY_LIMIT, HEADERS

from conftest import free_port, listening_sockets, start_server


@pytest.fixture(scope="module")
def server() -> tuple[str, int]:
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    generator = start_server([adamviz, "serve", "--port", str(port)], port)
    next(generator)
    yield "127.0.0.1", port
    generator.close()


def request(server, method: str, path: str, body: bytes | None = None, **headers: str):
    host, port = server
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Host": f"localhost:{port}", **{k.replace("_", "-"): v for k, v in headers.items()}}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_listens_on_localhost_only_by_default(server):
    _, port = server
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1, as /proc writes them
    addresses = set(listening_sockets(port))
    assert addresses and addresses <= loopback, addresses


def test_the_page_bokehjs_and_security_headers(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    # no inline BokehJS (1.27 MB), no data: within the cdn export's budget
    assert b"/bokehjs/bokeh.min.js" in body and len(body) < CDN_BUDGET
    for name, value in HEADERS.items():
        assert headers[name] == value
    status, headers, body = request(server, "GET", "/bokehjs/bokeh-widgets.min.js")
    assert status == 200 and "immutable" in headers["Cache-Control"] and len(body) > 100_000
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/../etc/passwd",
        "/bokehjs/../../../../etc/passwd",
        "/bokehjs/..%2f..%2f..%2fetc%2fpasswd",
        "/bokehjs/bokeh.js",  # only the two minified bundles are served
        "/bokehjs/",
        "/static/js/bokeh.min.js",
        "/ws",
        "/main",
        "/export",  # a GET of the export endpoint
        "//etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_nothing_else_is_served(server, path):
    status, _, body = request(server, "GET", path)
    assert status in (403, 404, 405), (path, status)
    assert b"root:" not in body


def test_foreign_hosts_get_nothing(server):
    """A DNS-rebinding page (its own name pointing at 127.0.0.1) sends its own Host: refused."""
    for host in ("evil.example", "evil.example:80", f"localhost.evil.example:{server[1]}"):
        status, _, _ = request(server, "GET", "/", Host=host)
        assert status == 403, host


def test_export_round_trip_and_what_it_refuses(server):
    _, port = server
    origin = f"http://localhost:{port}"
    report = {"beta1": 0.99, "seed": 7, "iteration": 42, "compare": ["sgd"], "grad_scale": 2}
    status, headers, body = request(server, "POST", "/export", json.dumps(report).encode(), Origin=origin)
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="adamviz.html"'
    assert body.startswith(b"<!DOCTYPE html>") and len(body) > 1_000_000  # inline: works offline
    assert b'["beta1",0.99]' in body and b'["seed",7]' in body  # the page's defaults (a Bokeh map)
    cases = [
        (b'{"beta1": 2}', 400, "beta1 must be a number in [0, 0.9999]; got 2"),
        (b"not json", 400, "a settings report must be a JSON object"),
        (b"[1, 2]", 400, "a settings report must be a JSON object"),
        (b'{"title": "<script>"}', 400, "unknown setting 'title'"),
        (b'{"compare": "sgd"}', 400, "compare must be a list of names"),
        (b'{"iteration": 500}', 400, "iteration must be an integer in [0, 199]; got 500"),
    ]
    for payload, expected_status, message in cases:
        status, _, body = request(server, "POST", "/export", payload, Origin=origin)
        assert status == expected_status and message in body.decode(), (payload, status, body[:200])
    status, _, body = request(server, "POST", "/export", b"{}", Origin="http://evil.example")
    assert status == 403 and b"evil.example" in body


def test_oversized_reports_are_refused_before_parsing(server):
    host, port = server
    with socket.create_connection((host, port), timeout=30) as raw:
        body = b"{" + b" " * (EXPORT_BODY_LIMIT * 4) + b"}"
        head = (
            f"POST /export HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        raw.sendall(head)
        answer = raw.recv(4096)
    # Tornado answers 400 as soon as Content-Length exceeds max_body_size, before reading the body
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")) or answer == b"", answer[:80]


def test_a_lecture_hall_name_is_answered(tmp_path):
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    command = [adamviz, "serve", "--port", str(port), "--address", "0.0.0.0"]
    generator = start_server([*command, "--allow-websocket-origin", f"hall-laptop:{port}"], port)
    next(generator)
    try:
        status, _, _ = request(("127.0.0.1", port), "GET", "/", Host=f"hall-laptop:{port}")
        assert status == 200
        assert "00000000" in set(listening_sockets(port))  # all interfaces, as asked
    finally:
        generator.close()


def test_the_tab_icon_is_answered(server):
    """Browsers ask for /favicon.ico on every visit: an answer, not a 404 in the log each time."""
    status, headers, body = request(server, "GET", "/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml" and body.startswith(b"<svg")


def test_a_port_in_use_names_the_flag_to_try(server):
    import subprocess

    _, port = server
    adamviz = shutil.which("adamviz") or "adamviz"
    done = subprocess.run([adamviz, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"port {port} is already in use" in done.stderr and f"--port {port + 1}" in done.stderr
