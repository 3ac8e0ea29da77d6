"""JSON API v1: thin handlers that parse, call one use case and present the result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import (
    HeaderParameter,
    JSONBody,
    PathParameter,
    QueryParameter,
    RawBody,
    SkipValidation,
)
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta
from sqlalchemy import select
from sqlmodel import Session

from booking import appointments, documents, idempotency
from booking.documents import check_eligibility, evaluate_answers
from booking.errors import InvalidRequest, NotFound
from booking.i18n import N_
from booking.models import Appointment, AppointmentStatus, Counter, Site
from booking.services import Services
from booking.web.checklists import checklist_json, documents_to_bring
from booking.web.errors import request_language
from booking.web.presenters import appointment_json, procedure_json, site_json
from booking.web.provider import twilio_inbound, twilio_status
from booking.web.slot_lists import SlotListCache, site_and_revision, slot_list_body
from notifications.calendar import calendar_file, method_of

MAX_SEARCH_DAYS = 92
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


def provide_services(request: Request) -> Services:
    return request.app.state.services


def provide_slot_lists(request: Request) -> SlotListCache:
    return request.app.state.slot_lists


ServicesDep = NamedDependency[SkipValidation[Services]]
TokenHeader = Annotated[str | None, HeaderParameter(name="X-Manage-Token", max_length=200)]
Reference = Annotated[str, PathParameter(max_length=40)]
OptionalQuery = Annotated[str | None, QueryParameter(max_length=64)]


def parse_day(text: str | None, field_name: str) -> date:
    message = N_("Give a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise InvalidRequest.for_field(field_name, message) from None


@get("/sites", sync_to_thread=True)
def list_sites(services: ServicesDep) -> list[dict[str, Any]]:
    with services.transaction() as session:
        sites = session.execute(select(Site).order_by(Site.name)).scalars().all()
        return [site_json(site) for site in sites]


@get("/procedures", sync_to_thread=False)
def list_procedures(services: ServicesDep, request: Request) -> list[dict[str, Any]]:
    language = request_language(request)
    return [procedure_json(p, language) for p in services.catalogue]


@get("/sites/{site_id:str}/slots")
async def site_slots(
    request: Request,
    services: ServicesDep,
    slot_lists: NamedDependency[SkipValidation[SlotListCache]],
    site_id: Annotated[str, PathParameter(max_length=64)],
    procedure: OptionalQuery = None,
    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
) -> Response[bytes]:
    """Free starts of a procedure at a site over local days [from, to], earliest first."""
    first_day, last_day = parse_day(first, "from"), parse_day(last, "to")
    if last_day < first_day:
        raise InvalidRequest.for_field("to", N_("'to' must not be before 'from'."))
    if (last_day - first_day).days >= MAX_SEARCH_DAYS:
        message = N_("Search at most {days} days at a time.")
        raise InvalidRequest.for_field("to", message, days=MAX_SEARCH_DAYS)
    chosen = appointments.get_procedure(services.catalogue, procedure or "", "procedure")
    answers = answers_in_query(request, reserved={"procedure", "from", "to", "lang"})
    if answers:  # e.g. a renewal outside its window: say why, and show no slot
        site_values, _ = site_and_revision(services, site_id)
        today = services.now().astimezone(ZoneInfo(site_values["timezone"])).date()
        check_eligibility(chosen, answers, today=today, language=request_language(request))
    body = await slot_list_body(
        services, slot_lists, site_id, chosen, first_day, last_day, services.now()
    )
    return Response(body, media_type=MediaType.JSON)


def answers_in_query(request: Request, reserved: set[str]) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in reserved}


@get("/procedures/{procedure_id:str}/checklist", sync_to_thread=False)
def procedure_checklist(
    request: Request,
    services: ServicesDep,
    procedure_id: Annotated[str, PathParameter(max_length=64)],
) -> dict[str, Any]:
    """The whole checklist; with answers as query parameters, only what applies to them."""
    procedure = services.catalogue.get(procedure_id)
    if procedure is None:
        raise NotFound(N_("Unknown procedure."))
    language = request_language(request)
    raw = answers_in_query(request, reserved={"lang"})
    if not raw:
        return checklist_json(procedure, language)
    evaluated = evaluate_answers(procedure, raw, today=services.now().date())
    return checklist_json(procedure, language, evaluated)


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


api_v1 = Router(
    path="/api/v1",
    route_handlers=[
        list_sites,
        list_procedures,
        site_slots,
        procedure_checklist,
        create_appointment,
        show_appointment,
        cancel_appointment,
        reschedule_appointment,
        twilio_status,
        twilio_inbound,
    ],
    dependencies={
        "services": Provide(provide_services, sync_to_thread=False),
        "slot_lists": Provide(provide_slot_lists, sync_to_thread=False),
    },
    request_max_body_size=64 * 1024,
)
