"""The Litestar application: routes, error handlers, OpenAPI at /schema."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import ResponseHeader
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig

from booking.errors import BookingError
from booking.logs import request_log
from booking.services import Services
from booking.web.api.router import api_v1
from booking.web.errors import (
    SECURITY_HEADERS,
    on_booking_error,
    on_http_error,
    on_unexpected_error,
    on_validation_error,
)


def create_app(services: Services, *, dispatcher: bool = False) -> Litestar:
    """The application; with `dispatcher`, it also sends due messages (the embedded default)."""
    schedulers = []

    def start_dispatcher() -> None:
        from booking.dispatch import start_scheduler

        schedulers.append(start_scheduler(services))

    def stop_dispatcher() -> None:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)

    app = Litestar(
        on_startup=[start_dispatcher] if dispatcher else [],
        on_shutdown=[stop_dispatcher],
        route_handlers=[api_v1],
        middleware=[request_log],
        exception_handlers={
            BookingError: on_booking_error,
            ValidationException: on_validation_error,
            HTTPException: on_http_error,
            Exception: on_unexpected_error,
        },
        openapi_config=OpenAPIConfig(title="Guichet API", version="1.0.0", path="/schema"),
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        debug=False,
        logging_config=None,  # keep the process's own logging (CLI, uvicorn, tests)
    )
    app.state.services = services
    return app
