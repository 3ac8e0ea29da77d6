"""The Litestar application: routes, error handlers, OpenAPI at /schema."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Redirect

from booking.container import DATABASE_UNAVAILABLE, Container
from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.web.api.router import api_v1
from booking.web.errors import (
    error_response,
    on_booking_error,
    on_http_error,
    on_unexpected_error,
    on_validation_error,
)
from booking.web.headers import security_headers
from booking.web.health import health_router
from booking.web.metrics import metrics
from booking.web.pages.router import booking_problem, is_page, pages, problem_page
from booking.web.rendering import assets_version, static_router, template_config
from booking.web.request_log import request_log
from booking.web.staff.router import staff_pages
from booking.web.text_guard import refuse_nul_characters

MAX_BODY = 64 * 1024
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = N_("The service is momentarily unavailable: try again in a minute.")
log = logging.getLogger("guichet.web")


class RunningJobs(Protocol):
    def shutdown(self, wait: bool = True) -> None: ...


BackgroundJobs = Callable[[], RunningJobs]


def create_app(container: Container, *, background: BackgroundJobs | None = None) -> Litestar:
    """The application; with `background`, it also runs the jobs that send due messages (the
    embedded default: `guichet serve` passes the worker's scheduler)."""
    running = []

    def start_background() -> None:
        if background is not None:
            running.append(background())

    def stop_background() -> None:
        for jobs in running:
            jobs.shutdown(wait=True)

    version = assets_version()  # refuses to start without the pages' static files

    def booking_error(request: Request, exc: BookingError) -> Response:
        if not is_page(request):
            return on_booking_error(request, exc)
        if exc.status_code == 401:  # a staff page without a session: sign in first
            return Redirect("/staff/login", status_code=303)  # type: ignore[return-value]
        return booking_problem(request, exc)

    def http_error(request: Request, exc: HTTPException) -> Response:
        if is_page(request) and exc.status_code in (404, 405):
            return problem_page(request, exc.status_code)
        return on_http_error(request, exc)

    def database_unavailable(request: Request, exc: Exception) -> Response:
        """The database went away (stopped, restarted, unreachable): 503 with Retry-After,
        never a 500; the pool drops the broken connections and the next request reconnects."""
        log.warning("database unavailable: %s", type(exc).__name__)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if not is_page(request):
            return error_response(request, 503, UNAVAILABLE, headers=headers)
        answer = problem_page(request, 503)
        answer.headers.update(headers)
        return answer

    def unexpected_error(request: Request, exc: Exception) -> Response:
        answer = on_unexpected_error(request, exc)  # logs it
        return problem_page(request, 500) if is_page(request) else answer

    app = Litestar(
        on_startup=[start_background],
        on_shutdown=[stop_background],
        route_handlers=[
            api_v1,
            pages,
            staff_pages,
            health_router,
            metrics,
            static_router(version),
        ],
        request_max_body_size=MAX_BODY,  # every route: pages, the API, the staff's sign-in
        middleware=[request_log],
        before_send=[security_headers(container.settings.public_url)],
        before_request=refuse_nul_characters,
        template_config=template_config(),
        compression_config=CompressionConfig(backend="gzip", gzip_compress_level=6),
        exception_handlers={
            BookingError: booking_error,
            ValidationException: on_validation_error,
            HTTPException: http_error,
            **{error: database_unavailable for error in DATABASE_UNAVAILABLE},
            Exception: unexpected_error,
        },
        openapi_config=OpenAPIConfig(
            title="Guichet API",
            version="1.0.0",
            path="/schema",
            # The document only, here and at /schema/openapi.json: a viewer would load scripts
            # and fonts from a third party on the back office's origin.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
            components=Components(
                security_schemes={"staff": SecurityScheme(type="http", scheme="bearer")}
            ),
        ),
        debug=False,
        logging_config=None,  # keep the process's own logging (CLI, uvicorn, tests)
    )
    app.state.container = container
    app.state.assets_version = version
    return app
