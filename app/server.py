"""``adamviz serve``: the explorer served as the static document it is, to any number of visitors.

Every frame and every control runs in the page, so the server keeps no session per visitor: ``GET /``
answers one page built (and gzipped) once at start (docs/performance.md has its size) whose BokehJS comes
from ``/bokehjs/`` (gzipped once, cached by browsers for a year), and ``POST /export`` turns a page's
settings into a self-contained HTML file (in a worker thread, one at a time, so the event loop keeps
answering). Nothing else exists to attack.

Safe by default: it listens on localhost unless ``address`` says otherwise; a request whose ``Host``
is not one of the served names gets 403 (DNS rebinding), an export from a foreign ``Origin`` gets 403
(no server work for other sites), and every response carries security headers (:data:`HEADERS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import hashlib
import json
import webbrowser
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import bokeh
import tornado.web

from adamviz.record import RecordedRun, TraceError

from .connections import GuardedServer, connection_cap
from .export import BOKEHJS_ROUTE, explorer_html
from .settings import ExplorerSettings, settings_from_report
from .traces import read_trace

EXPORT_ROUTE = "/export"
FOLLOW_ROUTE = "/trace"
"""``serve --trace RUN.npz --follow``: the page asks here for the trace again (its version in ``have``)."""
FOLLOW_EVERY = 0.5
"""Seconds between a following page's questions: a flush shows within this plus a read."""
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<path d="M2 14V8M6 14V4M10 14V9M14 14V6" stroke="#0072B2" stroke-width="2.5" stroke-linecap="round"/></svg>'
)
"""The tab's icon: four lollipop stems in m̂'s blue (an SVG: every current browser takes it as favicon.ico)."""
EXPORT_BODY_LIMIT = 16 * 1024
"""Bytes: a page's settings report is ~400; anything larger is not one."""
EXPORT_QUEUE = 8
"""Exports waiting at most (each ~0.5 s): a ninth gets 503 at once."""
EXPORT_CACHE = 8
"""Recent exports kept (each an inline page): the same settings twice give the same file."""

HEADERS = {
    # BokehJS compiles CustomJS callbacks with `new Function` (unsafe-eval) and the page embeds its
    # models in an inline script; the many-parameters view's workers run the page's own bundle from a
    # blob: URL (only the page's scripts can make one); everything else is locked to this origin, and
    # framing to this site.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; worker-src blob:; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Sent with every response. To embed the explorer in another site, export it: the file has no server."""


class _Base(tornado.web.RequestHandler):
    """Every handler: the Host check and the security headers."""

    def initialize(self, hosts: frozenset[str]) -> None:
        self.hosts = hosts

    def set_default_headers(self) -> None:
        for name, value in HEADERS.items():
            self.set_header(name, value)

    def prepare(self) -> None:
        if self.request.host.lower() not in self.hosts:
            raise Refused(403, "unknown host")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The message in the body, as UTF-8 text whatever its characters (a reason phrase must be
        Latin-1 without markup, so Tornado would replace ours with "Unknown")."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, Refused):
            message = error.message
        elif status_code >= 500:  # (the traceback goes to the server's log, for whoever runs it)
            message = f"the server failed on {self.request.method} {self.request.path}; its log says why"
        else:
            message = self._reason
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(message.encode("utf-8"))


class Refused(tornado.web.HTTPError):
    """A request refused with ``message`` (any text) in the response's body; the status line says
    only the status's standard phrase."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, "%s", message)  # (logged as one line: "403 GET / (...): message")
        self.message = message


class _Prebuilt(_Base):
    """A file built (and gzipped) once at start: the page, or one of BokehJS's bundles."""

    def initialize(self, hosts: frozenset[str], files: dict[str, Prebuilt], cache: str) -> None:
        super().initialize(hosts)
        self.files, self.cache = files, cache

    def get(self, name: str = "") -> None:
        prebuilt = self.files.get(name)
        if prebuilt is None:
            raise Refused(404, "not found")
        self.set_header("Content-Type", prebuilt.content_type)
        self.set_header("Cache-Control", self.cache)
        self.set_header("Vary", "Accept-Encoding")
        self.set_header("ETag", prebuilt.etag)
        if self.request.headers.get("If-None-Match") == prebuilt.etag:
            self.set_status(304)
            return
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            self.write(prebuilt.gzipped)
        else:
            self.write(prebuilt.raw)


class Prebuilt(NamedTuple):
    """A response body kept in memory, plain and gzipped (compressed once, not per visitor)."""

    content_type: str
    raw: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, content_type: str, raw: bytes) -> Prebuilt:
        return cls(content_type, raw, gzip.compress(raw, 9), f'"{hashlib.sha256(raw).hexdigest()[:32]}"')


class Exports:
    """Exports are made one at a time in a worker thread (each takes ~0.5 s of CPU), at most
    ``EXPORT_QUEUE`` waiting: beyond that a request is answered 503 at once instead of queueing for
    minutes. The same settings twice give the same file: recent ones are kept, and requests for an
    export being made wait for that one (they take no place in the queue).

    ``runs``: the traces the server validated at start, by name — an export carries these, whatever
    has since become of their files."""

    def __init__(self, pool: ThreadPoolExecutor, runs: dict[str, RecordedRun]) -> None:
        self.pool = pool
        self.runs = runs
        self.recent: OrderedDict[str, bytes] = OrderedDict()
        self.making: dict[str, asyncio.Future[bytes]] = {}  # the exports queued or being made, by settings

    async def make(self, settings: ExplorerSettings) -> bytes:
        values = {name: value for name, value in settings.param.values().items() if name != "name"}
        key = json.dumps(values, sort_keys=True, default=str)
        if key in self.recent:
            self.recent.move_to_end(key)
            return self.recent[key]
        if key not in self.making:
            if len(self.making) >= EXPORT_QUEUE:
                raise Refused(503, "the server is busy making other exports; try again in a few seconds")
            made = asyncio.get_running_loop().run_in_executor(self.pool, self._page, settings)
            made.add_done_callback(lambda done: self._finished(key, done))
            self.making[key] = made
        # shielded: a request that goes away does not cancel the export others wait for
        return await asyncio.shield(self.making[key])

    def _finished(self, key: str, done: asyncio.Future[bytes]) -> None:
        """An export is made (or failed): no longer queued, and kept among the recent when made."""
        del self.making[key]
        if done.cancelled() or done.exception() is not None:  # (retrieved: logged once, by its request)
            return
        self.recent[key] = done.result()
        while len(self.recent) > EXPORT_CACHE:
            self.recent.popitem(last=False)

    def _page(self, settings: ExplorerSettings) -> bytes:
        return explorer_html(settings, runs=self.runs).encode("utf-8")


class Follower:
    """The trace a ``--follow`` server watches: read again (validated, in a worker thread) when its
    size or modification time changes; the last good one is kept while the file is missing or broken
    (deleted, or caught half-written by a writer that does not write atomically), with that message."""

    def __init__(self, path: str, run: RecordedRun, pool: ThreadPoolExecutor) -> None:
        self.path, self.pool = Path(path), pool
        self.signature = self._signature()
        self.error: str | None = None
        self._keep(run)

    def _signature(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def _keep(self, run: RecordedRun) -> None:
        self.data = run.to_bytes()
        self.version = hashlib.sha256(self.data).hexdigest()[:16]

    async def current(self) -> Follower:
        """This follower, its trace read again first if the file changed since."""
        signature = self._signature()
        if signature != self.signature:
            self.signature = signature
            try:
                run = await asyncio.get_running_loop().run_in_executor(self.pool, read_trace, str(self.path))
            except TraceError as error:
                self.error = str(error)
            else:
                self.error = None
                self._keep(run)
        return self


class _Follow(_Base):
    """GET /trace?have=VERSION: 204 while the trace is the page's; else its bytes (and version), or,
    while the file is missing or broken, JSON naming the problem (the page keeps what it has)."""

    def initialize(self, hosts: frozenset[str], follower: Follower) -> None:
        super().initialize(hosts)
        self.follower = follower

    async def get(self) -> None:
        now = await self.follower.current()
        self.set_header("Cache-Control", "no-store")
        if now.error is not None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": now.error}))
        elif self.get_query_argument("have", "") == now.version:
            self.set_status(204)
            self.finish()
        else:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("X-Trace-Version", now.version)
            self.finish(now.data)


class _Export(_Base):
    def initialize(
        self, hosts: frozenset[str], origins: frozenset[str], base: ExplorerSettings, exports: Exports
    ) -> None:
        super().initialize(hosts)
        self.origins, self.base, self.exports = origins, base, exports

    async def post(self) -> None:
        origin = self.request.headers.get("Origin")
        if origin is not None and origin.lower() not in self.origins:
            raise Refused(403, f"exports are made for pages of this server, not {origin}")
        try:
            settings = export_settings(self.request.body, self.base)
        except ValueError as error:
            raise Refused(400, str(error)) from None
        try:
            page = await self.exports.make(settings)
        except ValueError as error:  # settings valid alone but not together (the page checks them too)
            raise Refused(400, str(error)) from None
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="adamviz.html"')
        self.write(page)


def export_settings(body: bytes, base: ExplorerSettings) -> ExplorerSettings:
    """A page's settings report (JSON: every browser setting and ``iteration``) on top of ``base``,
    validated like every other input; a ValueError names what is wrong."""
    if len(body) > EXPORT_BODY_LIMIT:
        raise ValueError(f"a settings report must be at most {EXPORT_BODY_LIMIT} bytes; got {len(body)}")
    return settings_from_report(body, base)


def allowed_names(port: int, address: str, extra: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The Host headers and Origins this server answers: its loopback names, ``address`` if it is one,
    and the ``HOST[:PORT]`` names given (a laptop's name in a lecture hall)."""
    names = {"localhost", "127.0.0.1", "[::1]"}
    if address not in ("", "0.0.0.0", "::", "localhost"):
        names.add(address)
    hosts = {f"{name}:{port}" for name in names} | {name.lower() for name in extra}
    hosts |= {f"{name}:{port}" for name in extra if ":" not in name}
    origins = {f"http://{host}" for host in hosts} | {f"https://{host}" for host in hosts}
    return frozenset(h.lower() for h in hosts), frozenset(o.lower() for o in origins)


def make_app(
    port: int,
    *,
    lecture: bool = False,
    trace: str = "",
    theme: str = "light",
    address: str = "localhost",
    allow_websocket_origin: tuple[str, ...] = (),
    follow: bool = False,
) -> tornado.web.Application:
    """The whole server: the page, BokehJS, the export endpoint, the tab's icon — and with ``follow``
    the trace as the run writes it (``trace`` must then be a file)."""
    hosts, origins = allowed_names(port, address, allow_websocket_origin)
    base = ExplorerSettings(lecture=lecture, trace=trace, theme=theme)
    if follow and not (trace and Path(trace).is_file()):
        raise ValueError(f"--follow watches a trace file as a run writes it; got --trace {trace!r}")
    runs = {trace: read_trace(trace)} if trace else {}  # validated once: the file may change later
    follower = None
    if follow:  # (its reads in a thread of their own: the event loop keeps answering)
        follower = Follower(
            trace, runs[trace], ThreadPoolExecutor(max_workers=1, thread_name_prefix="adamviz-follow")
        )
    watch = {"url": FOLLOW_ROUTE, "version": follower.version, "every": FOLLOW_EVERY} if follower else None
    page = explorer_html(base, resources="server", export_url=EXPORT_ROUTE, runs=runs, follow=watch)
    page = page.encode("utf-8")
    bokehjs = Path(bokeh.__file__).parent / "server" / "static" / "js"
    bundles = {
        name: Prebuilt.of("text/javascript; charset=utf-8", (bokehjs / name).read_bytes())
        for name in ("bokeh.min.js", "bokeh-widgets.min.js")
    }
    exports = Exports(ThreadPoolExecutor(max_workers=1, thread_name_prefix="adamviz-export"), runs)
    year = "public, max-age=31536000, immutable"  # the bundles' names change with Bokeh's version
    return tornado.web.Application(
        [
            (
                r"/",
                _Prebuilt,
                {
                    "hosts": hosts,
                    "files": {"": Prebuilt.of("text/html; charset=utf-8", page)},
                    "cache": "no-cache",
                },
            ),
            (rf"{BOKEHJS_ROUTE}([^/]+)", _Prebuilt, {"hosts": hosts, "files": bundles, "cache": year}),
            (
                r"/(favicon\.ico)",  # browsers ask on every visit; an answer keeps the log clean
                _Prebuilt,
                {
                    "hosts": hosts,
                    "files": {"favicon.ico": Prebuilt.of("image/svg+xml", FAVICON)},
                    "cache": year,
                },
            ),
            (EXPORT_ROUTE, _Export, {"hosts": hosts, "origins": origins, "base": base, "exports": exports}),
            *([(FOLLOW_ROUTE, _Follow, {"hosts": hosts, "follower": follower})] if follower else []),
        ],
        default_handler_class=_NotFound,
        default_handler_args={"hosts": hosts},
    )


class _NotFound(_Base):
    def prepare(self) -> None:
        super().prepare()
        raise Refused(404, "not found")


def serve(
    port: int = 5006,
    show: bool = False,
    lecture: bool = False,
    trace: str = "",
    theme: str = "light",
    address: str | None = None,
    allow_websocket_origin: tuple[str, ...] = (),
    follow: bool = False,
) -> None:
    """Serve the explorer at ``http://localhost:PORT/`` until interrupted (``follow``: the trace as
    the run writes it, open pages updated within a second of each flush).

    ``address``: the interface to listen on (default: localhost only). To let a lecture hall connect,
    pass ``address="0.0.0.0"`` and the name students type in ``allow_websocket_origin``.
    """
    address = address or "localhost"
    app = make_app(
        port,
        lecture=lecture,
        trace=trace,
        theme=theme,
        address=address,
        allow_websocket_origin=allow_websocket_origin,
        follow=follow,
    )
    limit, cap = connection_cap()
    server = GuardedServer(app, cap=cap, max_body_size=EXPORT_BODY_LIMIT, xheaders=False)

    async def run() -> None:
        try:
            server.listen_on(port, address)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise OSError(
                f"port {port} is already in use on {address} (another adamviz, Jupyter or panel serve?): "
                f"stop it, or pass --port {port + 1} (or any free port)"
            ) from None
        url = f"http://localhost:{port}/"
        print(
            f"adamviz: serving the explorer at {url} (listening on {address}:{port}; "
            f"up to {cap:,} connections at once, the open-file limit being {limit:,})",
            flush=True,
        )
        if show:
            webbrowser.open(url)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it quietly
        asyncio.run(run())
