"""``adamviz serve``: the explorer on a local Panel server."""

from __future__ import annotations

import panel as pn

from .main import create_app


def serve(
    port: int = 5006,
    show: bool = False,
    lecture: bool = False,
    address: str | None = None,
    allow_websocket_origin: tuple[str, ...] = (),
) -> None:
    """Serve the explorer at ``http://localhost:PORT/`` until interrupted.

    Sessions are built per visitor and reaped a minute after their tab closes, so a lecture hall of
    browsers does not accumulate memory on the laptop serving it. To let other machines connect,
    pass ``address="0.0.0.0"`` and the host name they use in ``allow_websocket_origin``.
    """
    pn.serve(
        {"/": lambda: create_app(lecture=lecture)},
        port=port,
        show=show,
        title="adamviz",
        check_unused_sessions=10_000,
        unused_session_lifetime=60_000,
        address=address,
        websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}", *allow_websocket_origin],
        print_url=True,
    )
