"""JSON API v1, a citizen's appointment: book, show (or its calendar file), cancel, move."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.use_cases.visits import BookingRequest, IdempotencyKey
from booking.web.api.presenters import visit_json
from booking.web.deps import Reference, TokenHeader, VisitsDep
from booking.web.downloads import calendar_response
from booking.web.errors import documented_errors, request_language

Answer = str | bool | int | float | None


class AppointmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    site_id: Annotated[str, Meta(min_length=1, max_length=64)]
    procedure_id: Annotated[str, Meta(min_length=1, max_length=64)]
    start: Annotated[str, Meta(min_length=1, max_length=40, description="ISO 8601 with UTC offset")]
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    phone: Annotated[str, Meta(max_length=40)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    motive: Annotated[str, Meta(max_length=1000)] | None = None
    answers: Annotated[dict[Annotated[str, Meta(max_length=64)], Answer], Meta(max_length=100)] = {}
    declared: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)] = []
    notify: Annotated[list[Literal["sms", "email"]], Meta(max_length=2)] | None = None


class Reschedule(msgspec.Struct, forbid_unknown_fields=True):
    start: Annotated[str, Meta(min_length=1, max_length=40)]


def parse_start(text: str) -> datetime:
    message = N_("Give the start as an ISO 8601 date and time with its UTC offset.")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest.for_field("start", message) from None
    if start.tzinfo is None:
        raise InvalidRequest.for_field("start", message)
    return start


@post(
    "/appointments",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=documented_errors(400, 404, 409, 422),
)
def create_appointment(
    visits: VisitsDep,
    request: Request,
    data: JSONBody[AppointmentCreate],
    body: RawBody,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200),
    ] = None,
) -> Response[dict[str, Any]]:
    if not data.name.strip():
        raise InvalidRequest.for_field("name", N_("Give your name."))
    language = request_language(request)
    booking_request = BookingRequest(
        site_id=data.site_id,
        procedure_id=data.procedure_id,
        start=parse_start(data.start),
        name=data.name,
        phone=data.phone,
        email=data.email,
        motive=data.motive,
        answers=dict(data.answers),
        declared=tuple(data.declared),
        notify=tuple(data.notify) if data.notify is not None else None,
        language=language,
    )
    key = None
    if idempotency_key:
        digest = hashlib.sha256(request.url.path.encode() + b"\n" + body).hexdigest()
        key = IdempotencyKey(idempotency_key, digest)
    view = visits.book(booking_request, key=key)
    return Response(visit_json(view, language), status_code=HTTP_201_CREATED)


@get(
    "/appointments/{reference:str}",
    sync_to_thread=True,
    responses=documented_errors(404, 422),
    description="The appointment. `/appointments/{reference}.ics` returns its calendar file;"
    " calendar links cannot send headers, so the token may also be given as `?token=`.",
)
def show_appointment(
    request: Request,
    visits: VisitsDep,
    reference: Reference,
    token: TokenHeader = None,
    token_query: Annotated[str | None, QueryParameter(name="token", max_length=200)] = None,
) -> Response[Any]:
    """The appointment with its documents to bring, or (`.ics`) its calendar file."""
    language = request_language(request)
    # Litestar cannot route "{reference}.ics" beside "{reference}": one handler serves both.
    if not reference.endswith(".ics"):
        return Response(visit_json(visits.show(reference, token or token_query), language))
    calendar = visits.calendar(reference.removesuffix(".ics"), token or token_query, language)
    return calendar_response(calendar)


@post(
    "/appointments/{reference:str}/cancel",
    sync_to_thread=True,
    status_code=200,
    responses=documented_errors(400, 404, 409, 422),
)
def cancel_appointment(
    request: Request, visits: VisitsDep, reference: Reference, token: TokenHeader = None
) -> dict[str, Any]:
    return visit_json(visits.cancel(reference, token), request_language(request))


@post(
    "/appointments/{reference:str}/reschedule",
    sync_to_thread=True,
    status_code=200,
    responses=documented_errors(400, 404, 409, 422),
)
def reschedule_appointment(
    request: Request,
    visits: VisitsDep,
    reference: Reference,
    data: JSONBody[Reschedule],
    token: TokenHeader = None,
) -> dict[str, Any]:
    view = visits.reschedule(reference, token, parse_start(data.start))
    return visit_json(view, request_language(request))
