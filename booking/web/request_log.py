"""One log line a request, no secrets: the path without its query string (a calendar link
carries its token there)."""

from __future__ import annotations

import logging
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

requests_log = logging.getLogger("guichet.requests")


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
