"""The citizen's pages, with their error pages: what a person sees instead of a stack trace."""

from __future__ import annotations

from litestar import Request, Response, Router

from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.web.deps import DEPENDENCIES
from booking.web.pages import code_step, journey, legal, manage, waitlist_pages
from booking.web.rendering import page
from booking.web.shared.csrf import csrf_guard

pages = Router(
    path="/",
    route_handlers=[
        *journey.ROUTES,
        *code_step.ROUTES,
        *waitlist_pages.ROUTES,
        *manage.ROUTES,
        *legal.ROUTES,
    ],
    dependencies=DEPENDENCIES,
    guards=[csrf_guard],
    include_in_schema=False,
)

PROBLEMS = {
    403: (N_("Not allowed"), ""),
    404: (N_("Page not found"), N_("This page does not exist, or no longer does.")),
    405: (N_("Page not found"), N_("This page does not exist, or no longer does.")),
    429: (N_("Too many attempts"), N_("Wait a few minutes, then try again.")),
    503: (
        N_("Service momentarily unavailable"),
        N_(
            "The service cannot reach its data for a moment. Nothing was lost: try again in a"
            " minute."
        ),
    ),
    500: (
        N_("Something went wrong"),
        N_("Something went wrong on our side. Nothing was booked twice: try again in a moment."),
    ),
}


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/schema", "/static/"))


def problem_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    heading, text = PROBLEMS.get(status_code, (N_("Something went wrong"), detail or ""))
    if detail and status_code not in (404, 405, 500):  # e.g. why it is not allowed
        text = detail
    return page(  # type: ignore[return-value]
        request, "message.html", status_code=status_code, heading=heading, text=text, switch_to="/"
    )


def booking_problem(request: Request, exc: BookingError) -> Response:
    return problem_page(request, exc.status_code, exc.detail)
