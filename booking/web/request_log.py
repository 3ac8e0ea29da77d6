"""One log line a request, no secrets: the path without its query string (a calendar link
carries its token there), and the request's id — the proxy's `X-Request-Id` when the proxy is
trusted (`forwarded_allow_ips`) and the id is plain, otherwise a new one — sent back in the
answer's `X-Request-Id` so a citizen's report and the logs meet."""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from booking.config.metrics import HTTP_DURATION, HTTP_REQUESTS

requests_log = logging.getLogger("guichet.requests")
PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(scope: Scope) -> str:
    given = ""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
    if given and PLAIN_ID.fullmatch(given):
        settings = scope["app"].state.container.settings
        trusted = {ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()}
        peer = scope["client"][0] if scope.get("client") else ""
        if "*" in trusted or peer in trusted:
            return given
    return uuid.uuid4().hex


def request_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: `GET /api/v1/sites 200 3 ms id=…` once the answer has started."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        rid = request_id(scope)

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}  # type: ignore[assignment]
            await send(message)

        try:
            await app(scope, receive, remember_status)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"  # a template: few label values
            HTTP_REQUESTS.labels(route, scope["method"], str(status)).inc()
            HTTP_DURATION.labels(route).observe(seconds)
            elapsed = seconds * 1000
            requests_log.info(
                "%s %s %d %.0f ms id=%s", scope["method"], scope["path"], status, elapsed, rid
            )

    return middleware
