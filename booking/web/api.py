"""JSON API v1: thin handlers that parse, call one use case and present the result."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.params import Dependency, Parameter
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking import appointments, idempotency
from booking.availability import search_slots
from booking.errors import FieldError, InvalidRequest
from booking.models import Appointment, Counter, Site
from booking.services import Services
from booking.web.errors import request_language
from booking.web.presenters import appointment_json, procedure_json, site_json, slots_json

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


class Reschedule(msgspec.Struct, forbid_unknown_fields=True):
    start: Annotated[str, Meta(min_length=1, max_length=40)]


def parse_start(text: str) -> datetime:
    message = "Give the start as an ISO 8601 date and time with its UTC offset."
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(message, [FieldError("start", message)]) from None
    if start.tzinfo is None:
        raise InvalidRequest(message, [FieldError("start", message)])
    return start


def provide_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Dependency(skip_validation=True)]
TokenHeader = Annotated[
    str | None, Parameter(header="X-Manage-Token", required=False, max_length=200)
]


@get("/sites", sync_to_thread=True)
def list_sites(services: ServicesDep) -> list[dict[str, Any]]:
    with services.transaction() as session:
        sites = session.execute(select(Site).order_by(Site.name)).scalars().all()
        return [site_json(site) for site in sites]


@get("/procedures", sync_to_thread=False)
def list_procedures(services: ServicesDep, request: Request) -> list[dict[str, Any]]:
    language = request_language(request)
    return [procedure_json(p, language) for p in services.catalogue]


@get("/sites/{site_id:str}/slots", sync_to_thread=True)
def site_slots(
    services: ServicesDep,
    site_id: str,
    procedure: Annotated[str, Parameter(query="procedure", max_length=64)],
    first_day: Annotated[date, Parameter(query="from")],
    last_day: Annotated[date, Parameter(query="to")],
) -> dict[str, Any]:
    if last_day < first_day:
        raise InvalidRequest(
            "'to' must not be before 'from'.", [FieldError("to", "'to' must not be before 'from'.")]
        )
    if (last_day - first_day).days >= MAX_SEARCH_DAYS:
        message = "Search at most {days} days at a time."
        raise InvalidRequest(
            message, [FieldError("to", message, {"days": MAX_SEARCH_DAYS})], days=MAX_SEARCH_DAYS
        )
    chosen = appointments.get_procedure(services.catalogue, procedure, "procedure")
    with services.transaction() as session:
        site = appointments.get_site(session, site_id)
        slots = search_slots(session, site, chosen, first_day, last_day, services.now())
    return {"slots": slots_json(slots, site.timezone)}


def _present(
    services: Services, session: Any, appointment: Appointment, *, with_token: bool
) -> dict[str, Any]:
    site = session.get(Site, appointment.site_id)
    counter = session.get(Counter, appointment.counter_id)
    secret = services.settings.secret_key if with_token else None
    return appointment_json(appointment, site, counter, secret_key=secret)


@post("/appointments", sync_to_thread=True, status_code=HTTP_201_CREATED)
def create_appointment(
    services: ServicesDep,
    request: Request,
    data: AppointmentCreate,
    body: bytes,
    idempotency_key: Annotated[
        str | None,
        Parameter(header="Idempotency-Key", required=False, min_length=1, max_length=200),
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
        language=request_language(request),
    )
    if not booking_request.name.strip():
        raise InvalidRequest("Some fields are not valid.", [FieldError("name", "Give your name.")])
    digest = idempotency.request_hash(body, request.url.path)
    if idempotency_key:
        with services.transaction() as session:
            stored = idempotency.stored_answer(session, idempotency_key, digest)
        if stored:
            return Response(stored.body, status_code=stored.status_code)
    try:
        with services.transaction() as session:
            now = services.now()
            reserved = (
                idempotency.reserve(session, idempotency_key, digest, now)
                if idempotency_key
                else None
            )
            appointment = appointments.book(
                session,
                catalogue=services.catalogue,
                request=booking_request,
                now=now,
                alternatives_count=services.settings.alternatives_count,
            )
            answer = _present(services, session, appointment, with_token=True)
            if reserved is not None:
                idempotency.complete(session, reserved, HTTP_201_CREATED, answer)
    except IntegrityError:
        if not idempotency_key:
            raise
        with services.transaction() as session:  # a concurrent retry won: give its answer
            stored = idempotency.stored_answer(session, idempotency_key, digest)
        if stored is None:
            raise
        return Response(stored.body, status_code=stored.status_code)
    return Response(answer, status_code=HTTP_201_CREATED)


@get("/appointments/{reference:str}", sync_to_thread=True)
def show_appointment(
    services: ServicesDep, reference: str, token: TokenHeader = None
) -> dict[str, Any]:
    with services.transaction() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token, services.settings.secret_key
        )
        return _present(services, session, appointment, with_token=False)


@post("/appointments/{reference:str}/cancel", sync_to_thread=True, status_code=200)
def cancel_appointment(
    services: ServicesDep, reference: str, token: TokenHeader = None
) -> dict[str, Any]:
    with services.transaction() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token, services.settings.secret_key, lock=True
        )
        appointments.cancel(session, appointment, now=services.now())
        return _present(services, session, appointment, with_token=False)


@post("/appointments/{reference:str}/reschedule", sync_to_thread=True, status_code=200)
def reschedule_appointment(
    services: ServicesDep, reference: str, data: Reschedule, token: TokenHeader = None
) -> dict[str, Any]:
    new_start = parse_start(data.start)
    with services.transaction() as session:
        appointment = appointments.find_for_citizen(
            session, reference, token, services.settings.secret_key, lock=True
        )
        appointments.reschedule(
            session,
            appointment,
            catalogue=services.catalogue,
            new_start=new_start,
            now=services.now(),
            alternatives_count=services.settings.alternatives_count,
        )
        return _present(services, session, appointment, with_token=False)


api_v1 = Router(
    path="/api/v1",
    route_handlers=[
        list_sites,
        list_procedures,
        site_slots,
        create_appointment,
        show_appointment,
        cancel_appointment,
        reschedule_appointment,
    ],
    dependencies={"services": Provide(provide_services, sync_to_thread=False)},
    request_max_body_size=64 * 1024,
)
