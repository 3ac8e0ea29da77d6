"""The pages' staff session: an HttpOnly cookie (its CSRF token is checked by
`booking.web.shared.csrf`, for every form at once)."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie

from booking.config.settings import Settings
from booking.core.access import Actor
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
