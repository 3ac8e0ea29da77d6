"""The headers every answer carries, set in one place (a hook on every message sent, so error
answers and static files get them too): a Content-Security-Policy that allows this site's own files
only (no inline script or style, no framing), no MIME sniffing, no referrer, HSTS when the
service is public over https, and `Cache-Control: no-store` on every answer but the static
files (pages and JSON carry personal data: agenda, visit, convocation, confirmation…)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # the design system's icons are data: URIs in its CSS
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(public_url: str) -> BeforeMessageSendHookHandler:
    """The `before_send` hook of a service published at `public_url` (it sees every answer,
    the router's own 404s and 405s included)."""
    https = public_url.startswith("https://")

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in ALWAYS.items():
            headers[name] = value
        if https:
            headers["Strict-Transport-Security"] = HSTS
        if not scope["path"].startswith("/static/") and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"

    return add_headers
