"""JSON API v1, a citizen's appointment: book, show (or its calendar file), cancel, move."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta
from sqlmodel import Session

from booking import appointments, documents, idempotency
from booking.errors import InvalidRequest
from booking.i18n import N_
from booking.models import Appointment, AppointmentStatus, Counter, Site
from booking.services import Services
from booking.web.checklists import documents_to_bring
from booking.web.deps import Reference, ServicesDep, TokenHeader
from booking.web.errors import request_language
from booking.web.presenters import appointment_json
from notifications.calendar import calendar_file, method_of

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


@contextmanager
def alternatives_when_taken(services: Services) -> Iterator[None]:
    """A lost race answers with the nearest free starts, searched once the write is over."""
    try:
        yield
    except appointments.SlotTaken as taken:
        with services.reading() as session:
            raise appointments.offer_alternatives(
                session, taken, now=services.now(), count=services.settings.alternatives_count
            ) from None


def _present(
    services: Services,
    session: Session,
    appointment: Appointment,
    language: str,
    *,
    with_token: bool,
) -> dict[str, Any]:
    site = session.get(Site, appointment.site_id)
    counter = session.get(Counter, appointment.counter_id)
    secret = services.settings.secret_key if with_token else None
    body = appointment_json(appointment, site, counter, secret_key=secret)
    today = services.now().astimezone(ZoneInfo(site.timezone)).date()
    checklist = documents.personal_list(session, services.catalogue, appointment, today=today)
    body["documents_to_bring"] = documents_to_bring(checklist, language)
    body["file_status"] = documents.file_status(appointment)
    body["missing_documents"] = appointment.missing_declared
    return body


@post("/appointments", sync_to_thread=True, status_code=HTTP_201_CREATED)
def create_appointment(
    services: ServicesDep,
    request: Request,
    data: JSONBody[AppointmentCreate],
    body: RawBody,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200),
    ] = None,
) -> Response[dict[str, Any]]:
    booking_request = appointments.BookingRequest(
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
        language=request_language(request),
    )
    if not booking_request.name.strip():
        raise InvalidRequest.for_field("name", N_("Give your name."))
    digest = idempotency.request_hash(body, request.url.path)

    def book(session: Session) -> tuple[int, dict[str, Any]]:
        now = services.now()
        appointment = appointments.book(
            session, catalogue=services.catalogue, request=booking_request, now=now
        )
        services.notices.booked(session, appointment, now)
        answer = _present(services, session, appointment, booking_request.language, with_token=True)
        return HTTP_201_CREATED, answer

    with alternatives_when_taken(services):
        answer = idempotency.run_once(services, idempotency_key, digest, book)
    return Response(answer.body, status_code=answer.status_code)


@get(
    "/appointments/{reference:str}",
    sync_to_thread=True,
    description="The appointment. `/appointments/{reference}.ics` returns its calendar file;"
    " calendar links cannot send headers, so the token may also be given as `?token=`.",
)
def show_appointment(
    request: Request,
    services: ServicesDep,
    reference: Reference,
    token: TokenHeader = None,
    token_query: Annotated[str | None, QueryParameter(name="token", max_length=200)] = None,
) -> Response[Any]:
    """The appointment with its documents to bring, or (`.ics`) its calendar file."""
    # Litestar cannot route "{reference}.ics" beside "{reference}": one handler serves both.
    wants_calendar = reference.endswith(".ics")
    reference = reference.removesuffix(".ics")
    with services.reading() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token or token_query, services.settings.secret_key
        )
        language = request_language(request)
        if not wants_calendar:
            return Response(_present(services, session, appointment, language, with_token=False))
        site = session.get(Site, appointment.site_id)
        today = services.now().astimezone(ZoneInfo(site.timezone)).date()
        checklist = documents.personal_list(session, services.catalogue, appointment, today=today)
        cancelled = appointment.status in (
            AppointmentStatus.cancelled_by_citizen,
            AppointmentStatus.cancelled_by_office,
        )
        labels = [d.label.get(language) for d in checklist.documents]
        event = services.notices.calendar(session, appointment, cancelled, labels, services.now())
        filename = f"{appointment.reference}.ics"
    return Response(
        calendar_file(event),
        media_type=f"text/calendar; charset=utf-8; method={method_of(event)}",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@post("/appointments/{reference:str}/cancel", sync_to_thread=True, status_code=200)
def cancel_appointment(
    request: Request, services: ServicesDep, reference: Reference, token: TokenHeader = None
) -> dict[str, Any]:
    with services.transaction() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token, services.settings.secret_key, lock=True
        )
        now = services.now()
        appointments.cancel(session, appointment, now=now)
        services.notices.cancelled(session, appointment, now)
        return _present(services, session, appointment, request_language(request), with_token=False)


@post("/appointments/{reference:str}/reschedule", sync_to_thread=True, status_code=200)
def reschedule_appointment(
    request: Request,
    services: ServicesDep,
    reference: Reference,
    data: JSONBody[Reschedule],
    token: TokenHeader = None,
) -> dict[str, Any]:
    new_start = parse_start(data.start)
    with alternatives_when_taken(services), services.transaction() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token, services.settings.secret_key, lock=True
        )
        now = services.now()
        appointments.reschedule(
            session, appointment, catalogue=services.catalogue, new_start=new_start, now=now
        )
        services.notices.moved(session, appointment, now)
        return _present(services, session, appointment, request_language(request), with_token=False)
