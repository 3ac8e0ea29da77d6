"""CSRF, checked in one place: a guard on every page route (the citizen's and the staff's),
for every unsafe method, before the handler runs.

- Every such request must come from our own pages: a browser's `Sec-Fetch-Site` must say
  `same-origin` (or `none`, typed by the user), else its `Origin` must be this service's.
  Clients that send neither (not a browser) pass; cookies are SameSite=Lax besides.
- A request signed in by the staff session cookie must also echo the session's CSRF token in
  its form (`csrf`); the permission guard, which runs first, has resolved who sent it.

The JSON API is outside: its staff routes take bearer tokens only, never a cookie.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlsplit

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from booking.core.access import Actor, Forbidden
from booking.core.i18n import N_

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_FIELD = "csrf"
EXPIRED = N_("This form has expired: reload the page and try again.")
CROSS_SITE = N_("This form was sent from another site: open the page here and try again.")


async def csrf_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    if connection.scope["method"] not in UNSAFE_METHODS:
        return
    if not _from_our_pages(connection):
        raise Forbidden(CROSS_SITE)
    actor = connection.state.get("actor")
    if isinstance(actor, Actor) and actor.csrf:
        body = await connection.body()  # type: ignore[attr-defined]  (an HTTP request's)
        sent = dict(parse_qsl(body.decode("utf-8", errors="replace"))).get(TOKEN_FIELD, "")
        if not sent or not hmac.compare_digest(actor.csrf.encode(), sent.encode()):
            raise Forbidden(EXPIRED)


def _from_our_pages(connection: ASGIConnection) -> bool:
    fetch_site = connection.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    ours = {f"{connection.url.scheme}://{connection.headers.get('host', '')}"}
    public_url = connection.app.state.container.settings.public_url
    parts = urlsplit(public_url)
    ours.add(f"{parts.scheme}://{parts.netloc}")
    return origin in ours
