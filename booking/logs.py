"""Logs a person can read: one line a request, one line a batch of messages, no secrets.

Request lines name the path without its query string (a calendar link carries its token
there); APScheduler's line per tick is shown only at "debug".
"""

from __future__ import annotations

import logging
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
requests_log = logging.getLogger("guichet.requests")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=LEVELS[level],
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    quiet = logging.DEBUG if level == "debug" else logging.WARNING
    logging.getLogger("apscheduler").setLevel(quiet)


def request_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: `GET /api/v1/sites 200 3 ms` once the answer has started."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, remember_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            requests_log.info("%s %s %d %.0f ms", scope["method"], scope["path"], status, elapsed)

    return middleware
