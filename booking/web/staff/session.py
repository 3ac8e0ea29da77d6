"""The pages' staff session: an HttpOnly cookie, and the CSRF token every form must echo."""

from __future__ import annotations

import hmac

from litestar import Request
from litestar.datastructures import Cookie

from booking.config.settings import Settings
from booking.core.access import Actor, Forbidden
from booking.core.i18n import N_
from booking.web.deps import client_address, container_of

COOKIE = "guichet_staff"


def session_cookie(settings: Settings, token: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=token,
        path="/staff",
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


def provide_page_actor(request: Request) -> Actor:
    """The staff member of a page: the session cookie only (401 leads to the sign-in page)."""
    cached = request.state.get("actor")
    if cached is not None:
        return cached
    container = container_of(request)
    address = client_address(request, container.settings)
    actor = container.staff.authenticate(
        request.cookies.get(COOKIE), kind="cookie", address=address
    )
    request.state.actor = actor
    return actor


def check_csrf(actor: Actor, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(actor.csrf.encode(), sent.encode()):
        raise Forbidden(N_("This form has expired: reload the page and try again."))
