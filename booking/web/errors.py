"""One error shape for the whole API: {"detail", "errors": [{"field", "message"}], ...}.

Messages are translated into the request's language (Accept-Language, default French).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.web.api.presenters import affected_json, slots_json
from booking.web.shared.language import pick_language, translator

log = logging.getLogger("guichet.web")
# Links carry secrets in their fragment: never leak the address to another site.


def request_language(request: Request) -> str:
    default = request.app.state.container.settings.default_language
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in ("fr", "en"):
        return asked
    return pick_language(request.headers.get("accept-language"), default)


def error_response(
    request: Request,
    status_code: int,
    detail: str,
    errors: list[tuple[str, str, dict[str, Any]]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Response[dict[str, Any]]:
    t = translator(request_language(request))

    def text(message: str, values: dict[str, Any]) -> str:
        # Only our own messages have placeholders; others may quote the client's input.
        return t(message).format(**values) if values else t(message)

    body: dict[str, Any] = {
        "detail": text(detail, params),
        "errors": [
            {"field": field, "message": text(message, field_params)}
            for field, message, field_params in errors or []
        ],
    }
    body.update(extra or {})
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.JSON,
        headers=headers or {},
    )


def on_booking_error(request: Request, exc: BookingError) -> Response[dict[str, Any]]:
    errors = [(e.field, e.message, e.params) for e in exc.errors]
    extra = dict(exc.extra)
    if "alternatives" in extra:  # free slots offered after a lost race
        extra["alternatives"] = slots_json(extra["alternatives"], extra.pop("timezone"))
    if "affected" in extra:  # booked visits in the way of a closure or new windows
        extra["affected"] = affected_json(extra["affected"], extra.pop("timezone"))
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return error_response(
        request, exc.status_code, exc.detail, errors, extra, headers=headers, **exc.params
    )


_MSGSPEC_FIELD = re.compile(r"at `\$\.?([^`]*)`")


def on_validation_error(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's 400 for a body or parameter that does not fit: a 422 in our shape."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        field = item.get("key") or ""
        match = _MSGSPEC_FIELD.search(message)
        if match:
            field = match.group(1) or field
            message = message[: match.start()].rstrip(" -")
        errors.append((str(field), _plain(message), {}))
    detail = str(exc.detail).lower()
    if request.method != "GET" and ("malformed" in detail or "json" in detail):
        return error_response(request, 400, N_("The request body is not valid JSON."), errors)
    return error_response(request, 422, N_("Some fields are not valid."), errors)


def _plain(message: str) -> str:
    """msgspec's messages name types in backticks; keep them readable."""
    return message.replace("`", "")


def on_http_error(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail = {404: N_("Not found."), 405: N_("Method not allowed.")}.get(status, str(exc.detail))
    if status == 400 and "json" in detail.lower():
        detail = N_("The request body is not valid JSON.")
    return error_response(request, status, detail, headers=exc.headers)  # e.g. 405's Allow


def on_unexpected_error(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        N_("Something went wrong on our side. Try again later."),
    )


class FieldErrorBody(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    """The one error shape; some errors add keys (`alternatives`, `missing`)."""

    detail: str
    errors: list[FieldErrorBody]


_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "Not signed in, or the session has ended",
    403: "Not allowed",
    404: "Unknown, or not yours",
    409: "Conflict: taken just now, or no longer possible in this status",
    422: "A field is not valid; `errors` names it",
    410: "It is over for good: a held seat released or expired",
    429: "Too many attempts; `Retry-After` says when to try again",
}


def documented_errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers of a route, for its OpenAPI description."""
    return {
        code: ResponseSpec(ErrorBody, description=_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }
