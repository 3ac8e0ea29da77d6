"""JSON API v1, a citizen's appointment: book, show (or its calendar file), cancel, move."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.use_cases.visits import IdempotencyKey
from booking.web.api.booking_body import AppointmentCreate, booking_request
from booking.web.api.presenters import visit_json
from booking.web.deps import Reference, TokenHeader, VisitsDep, address_of
from booking.web.downloads import calendar_response
from booking.web.errors import documented_errors, request_language
from booking.web.shared.dates import required_moment


class Reschedule(msgspec.Struct, forbid_unknown_fields=True):
    start: Annotated[str, Meta(min_length=1, max_length=40)]


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
    wanted = booking_request(data, start=required_moment(data.start), language=language)
    key = None
    if idempotency_key:
        digest = hashlib.sha256(request.url.path.encode() + b"\n" + body).hexdigest()
        key = IdempotencyKey(idempotency_key, digest)
    view = visits.book(wanted, key=key, address=address_of(request))
    return Response(visit_json(view, language), status_code=HTTP_201_CREATED)


@get(
    "/appointments/{reference:str}",
    sync_to_thread=True,
    responses=documented_errors(404, 422, 429),
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
    language, address = request_language(request), address_of(request)
    # Litestar cannot route "{reference}.ics" beside "{reference}": one handler serves both.
    if not reference.endswith(".ics"):
        return Response(
            visit_json(visits.show(reference, token or token_query, address=address), language)
        )
    calendar = visits.calendar(
        reference.removesuffix(".ics"), token or token_query, language, address=address
    )
    return calendar_response(calendar)


@post(
    "/appointments/{reference:str}/cancel",
    sync_to_thread=True,
    status_code=200,
    responses=documented_errors(400, 404, 409, 422, 429),
)
def cancel_appointment(
    request: Request, visits: VisitsDep, reference: Reference, token: TokenHeader = None
) -> dict[str, Any]:
    view = visits.cancel(reference, token, address=address_of(request))
    return visit_json(view, request_language(request))


@post(
    "/appointments/{reference:str}/reschedule",
    sync_to_thread=True,
    status_code=200,
    responses=documented_errors(400, 404, 409, 422, 429),
)
def reschedule_appointment(
    request: Request,
    visits: VisitsDep,
    reference: Reference,
    data: JSONBody[Reschedule],
    token: TokenHeader = None,
) -> dict[str, Any]:
    start = required_moment(data.start)
    view = visits.reschedule(reference, token, start, address=address_of(request))
    return visit_json(view, request_language(request))
