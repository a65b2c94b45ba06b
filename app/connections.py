"""The server's connections, guarded: a visitor is served however many sockets others hold open.

- **Timeouts in seconds**: a request's headers (and a kept-alive connection's next request) must arrive
  within :data:`HEADER_SECONDS`, its body within :data:`BODY_SECONDS`.
- **A cap below the descriptor limit**: at start the process's soft limit on open files is raised
  toward its hard limit (at most :data:`WANTED_DESCRIPTORS`), and connections are capped
  :data:`RESERVED_DESCRIPTORS` below it, so the server never runs out of descriptors itself.
- **Newcomers first**: at the cap, the connection that has waited longest without sending a request is
  closed for the newcomer (a flood of idle sockets evicts itself; a request in progress is never
  cut). Only when every connection is busy is a newcomer turned away.
- **An accept loop that backs off**: when the system has no descriptor to give (EMFILE, ENFILE), it
  pauses accepting for :data:`PAUSE_SECONDS` and says so once, instead of spinning and logging a
  traceback per attempt.

Only Tornado's public API is used: the server delegate's ``handle_stream``, ``start_request`` and
``on_close``, ``HTTP1ServerConnection.stream``, ``bind_sockets`` and the IOLoop's handlers.
"""

from __future__ import annotations

import errno
import resource
import socket
import time
from collections.abc import Callable
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets

HEADER_SECONDS = 10.0
"""A request's headers must arrive within this, and an idle kept-alive connection is closed after it."""
BODY_SECONDS = 10.0
"""A request's body must arrive within this (an export's settings are ~400 bytes)."""
WANTED_DESCRIPTORS = 4096
RESERVED_DESCRIPTORS = 64
"""Descriptors kept for what is not a connection: the listening sockets, the export thread, logging."""
FEWEST_CONNECTIONS = 16
PAUSE_SECONDS = 0.5
ACCEPTS_PER_WAKE = 128
"""Connections accepted per wake-up at most, so a flood cannot starve requests already in."""
OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def connection_cap() -> tuple[int, int]:
    """(the open-file limit, the connections allowed): the soft limit raised toward the hard one first.
    A ValueError when the limit leaves too few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(hard, WANTED_DESCRIPTORS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    limit = WANTED_DESCRIPTORS if soft == resource.RLIM_INFINITY else soft
    cap = limit - RESERVED_DESCRIPTORS
    if cap < FEWEST_CONNECTIONS:
        raise ValueError(
            f"the open-file limit is {limit}; serving needs at least "
            f"{FEWEST_CONNECTIONS + RESERVED_DESCRIPTORS} (raise it with ulimit -n)"
        )
    return limit, cap


class GuardedServer(HTTPServer):
    """Tornado's HTTPServer with the guards above; :meth:`listen_on` instead of ``listen``."""

    def initialize(self, *args: Any, cap: int, log: Callable[[str], None] = print, **kwargs: Any) -> None:
        super().initialize(*args, idle_connection_timeout=HEADER_SECONDS, body_timeout=BODY_SECONDS, **kwargs)
        self.cap = cap
        self.log = log
        self.connections = 0
        self.idle: dict[Any, None] = {}  # connections waiting for a request, the longest waiting first
        self.listening: list[socket.socket] = []
        self.pauses = 0
        self.last_said = -float("inf")

    # ---- accepting ------------------------------------------------------------------------------

    def listen_on(self, port: int, address: str) -> None:
        """Bind ``address:port`` and accept on it (an OSError if the port is taken)."""
        for sock in bind_sockets(port, address=address):
            self.listening.append(sock)
            self._watch(sock)

    def _watch(self, sock: socket.socket) -> None:
        IOLoop.current().add_handler(sock, lambda fd, events: self._accept(sock), IOLoop.READ)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_WAKE):
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in OUT_OF_DESCRIPTORS:
                    raise
                self._pause(sock, error)
                return
            self.handle_stream(IOStream(connection), address)

    def _pause(self, sock: socket.socket, error: OSError) -> None:
        """No descriptor to accept with: stop watching the socket for a moment; say so at most once a
        minute (the first time, then with a count)."""
        IOLoop.current().remove_handler(sock)
        IOLoop.current().call_later(PAUSE_SECONDS, self._watch, sock)
        self.pauses += 1
        now = time.monotonic()
        if now - self.last_said >= 60:
            self.last_said = now
            self.log(
                f"adamviz: out of file descriptors ({error.strerror}); pausing new connections "
                f"{PAUSE_SECONDS} s at a time ({self.pauses} pause{'s' if self.pauses > 1 else ''} so far)"
            )

    def close_all(self) -> None:
        for sock in self.listening:
            IOLoop.current().remove_handler(sock)
            sock.close()
        self.listening = []

    # ---- the cap --------------------------------------------------------------------------------

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        while self.connections >= self.cap and self.idle:
            oldest = next(iter(self.idle))
            del self.idle[oldest]
            oldest.stream.close()
        if self.connections >= self.cap:  # every connection is in a request: turn the newcomer away
            stream.close()
            return
        self.connections += 1
        super().handle_stream(stream, address)

    def start_request(
        self, server_conn: Any, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        self.idle.pop(server_conn, None)
        self.idle[server_conn] = None  # waiting for its (next) request: the newest of the idle
        delegate = super().start_request(server_conn, request_conn)
        return _Busy(delegate, lambda: self.idle.pop(server_conn, None))

    def on_close(self, server_conn: Any) -> None:
        self.idle.pop(server_conn, None)
        self.connections -= 1
        super().on_close(server_conn)


class _Busy(httputil.HTTPMessageDelegate):
    """A request's delegate that marks its connection busy once its headers are in."""

    def __init__(self, inner: httputil.HTTPMessageDelegate, busy: Callable[[], object]) -> None:
        self.inner, self.busy = inner, busy

    def headers_received(self, start_line, headers):
        self.busy()
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk):
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()
