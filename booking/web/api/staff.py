"""JSON API v1 for desk kiosks and queue systems: staff sign-in, the agenda, the moves made at
the counter. Bearer tokens only (`Authorization: Bearer …`), never the pages' cookie, so these
routes need no CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.core.booking_request import BookingRequest
from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.core.references import display_reference
from booking.queries.agenda import AgendaRow
from booking.use_cases.site_admin import ClosureRequest, CounterSpec, WindowSpec
from booking.use_cases.visits import VisitView
from booking.web.api.booking_body import StaffBooking, booking_request
from booking.web.api.presenters import affected_json, appointment_json, visit_json
from booking.web.deps import (
    ActorDep,
    DeskDep,
    RecordsDep,
    SettingsDep,
    SiteAdminDep,
    StaffDep,
    VisitsDep,
    bearer_token,
    client_address,
    permission_guard,
    provide_bearer_actor,
)
from booking.web.errors import documented_errors
from booking.web.shared.dates import parse_date, parse_time, required_moment
from booking.web.shared.moves import COUNTER_MOVES, CounterMove

Reference = Annotated[str, PathParameter(max_length=40)]
SiteId = Annotated[str, PathParameter(max_length=64)]
STAFF_ERRORS = documented_errors(400, 401, 403, 404, 409, 422)


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=1, max_length=254)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class Cancellation(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=100)]


class Presented(msgspec.Struct, forbid_unknown_fields=True):
    presented: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)]


def row_json(row: AgendaRow | VisitView) -> dict[str, Any]:
    """An agenda row: the public appointment, and what the counter needs."""
    visit = row.appointment
    body = appointment_json(visit, row.site, row.counter)
    body["file_status"] = row.file_status
    body["checked_in_at"] = visit.checked_in_at.isoformat() if visit.checked_in_at else None
    body["called_at"] = visit.called_at.isoformat() if visit.called_at else None
    body["to_record"] = row.to_record
    return body


@post(
    "/login",
    status_code=200,
    sync_to_thread=True,
    responses=documented_errors(400, 401, 422, 429),
    opt={"public": True},
)
def staff_login(
    request: Request, data: JSONBody[Credentials], staff: StaffDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sign in: a bearer token for the other staff routes."""
    signed = staff.sign_in(
        data.email, data.password, address=client_address(request, settings), kind="bearer"
    )
    actor = signed.actor
    return {
        "token": signed.token,
        "expires_at": signed.expires_at.isoformat().replace("+00:00", "Z"),
        "role": actor.role,
        "sites": sorted(actor.sites),
    }


@post("/logout", status_code=204, sync_to_thread=True, responses=documented_errors(401))
def staff_logout(request: Request, actor: ActorDep, staff: StaffDep) -> None:
    staff.sign_out(bearer_token(request) or "")


@get(
    "/sites/{site_id:str}/agenda",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "agenda"},
)
def agenda(
    site_id: SiteId,
    actor: ActorDep,
    desk: DeskDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
    counter: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> dict[str, Any]:
    """The site's local day (today by default), every status, in time order."""
    found = desk.agenda(actor, site_id, parse_date(day, "date"), counter_id=counter)
    return {"date": found.day.isoformat(), "appointments": [row_json(r) for r in found.rows]}


def _move(counter_move: CounterMove):  # type: ignore[no-untyped-def]
    path = counter_move.path

    @post(
        f"/appointments/{{reference:str}}/{path}",
        status_code=200,
        sync_to_thread=True,
        responses=STAFF_ERRORS,
        opt={"permission": "counter"},
        name=f"staff-{path}",
    )
    def handler(reference: Reference, actor: ActorDep, visits: VisitsDep) -> dict[str, Any]:
        return row_json(visits.counter_move(reference, counter_move.move, actor=actor))

    handler.__doc__ = f"{path.replace('-', ' ').capitalize()}: a move the visit's rules allow."
    return handler


check_in = _move(COUNTER_MOVES["check-in"])


class CallBody(msgspec.Struct, forbid_unknown_fields=True):
    counter_id: Annotated[int, Meta(ge=1)] | None = None


@post(
    "/appointments/{reference:str}/call",
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def call(
    reference: Reference,
    actor: ActorDep,
    visits: VisitsDep,
    data: JSONBody[CallBody | None] = None,
) -> dict[str, Any]:
    """Call the visitor, to a counter of the site (`counter_id`) or the one booked; the wait
    is measured from the later of arrival and appointment time to this call."""
    counter_id = data.counter_id if data else None
    return row_json(visits.call(reference, actor=actor, counter_id=counter_id))


seen = _move(COUNTER_MOVES["seen"])
no_show = _move(COUNTER_MOVES["no-show"])


@post(
    "/appointments/{reference:str}/cancel",
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def cancel_by_office(
    reference: Reference, data: JSONBody[Cancellation], actor: ActorDep, visits: VisitsDep
) -> dict[str, Any]:
    """Cancel with a reason: the citizen is told through their channels, with a link to book."""
    return row_json(visits.cancel_by_office(reference, data.reason, actor=actor))


@post(
    "/appointments/{reference:str}/return-visit",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def return_visit(reference: Reference, actor: ActorDep, visits: VisitsDep) -> Response:
    """A return visit for a missing document: the next free time from tomorrow, answers and
    contacts copied, linked to this visit (`return_of`)."""
    view = visits.return_visit(reference, actor=actor)
    return _booked(view, view.appointment.language)


@post(
    "/appointments/{reference:str}/documents",
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def documents_presented(
    reference: Reference, data: JSONBody[Presented], actor: ActorDep, visits: VisitsDep
) -> dict[str, Any]:
    """The documents shown at the counter: the file becomes complete or incomplete."""
    return row_json(visits.record_documents(reference, data.presented, actor=actor))


def _staff_request(data: StaffBooking, start: datetime) -> BookingRequest:
    return booking_request(data, start=start, language=data.language, channel=data.channel)


def _booked(view: VisitView, language: str) -> Response[dict[str, Any]]:
    body = visit_json(view, language)
    body["token"] = view.token
    body["convocation_url"] = f"/staff/convocations/{view.appointment.reference}"
    return Response(body, status_code=HTTP_201_CREATED)


@post(
    "/appointments",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def book_on_behalf(
    data: JSONBody[StaffBooking], actor: ActorDep, visits: VisitsDep
) -> Response[dict[str, Any]]:
    """Book for someone on the phone, at the desk or through an intermediary: the same
    checklist and race-free booking, no minimum notice; phone and email may both be left out
    (a printed convocation). Without `start`, the next free time today (a walk-in)."""
    if not data.name.strip():
        raise InvalidRequest.for_field("name", N_("Give your name."))
    if data.start is None:
        request = _staff_request(data, datetime.now(UTC))
        return _booked(visits.walk_in(request, actor=actor), data.language)
    request = _staff_request(data, required_moment(data.start))
    return _booked(visits.book(request, actor=actor), data.language)


class ClosureBody(msgspec.Struct, forbid_unknown_fields=True):
    start_date: Annotated[str, Meta(min_length=10, max_length=10)]
    end_date: Annotated[str, Meta(min_length=10, max_length=10)]
    reason: Annotated[str, Meta(min_length=1, max_length=200)]
    start_time: Annotated[str, Meta(min_length=5, max_length=5)] | None = None
    end_time: Annotated[str, Meta(min_length=5, max_length=5)] | None = None
    counter_id: int | None = None
    dry_run: bool = False
    cancel_affected: bool = False


@post(
    "/sites/{site_id:str}/closures",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def add_closure(
    site_id: SiteId, data: JSONBody[ClosureBody], actor: ActorDep, site_admin: SiteAdminDep
) -> Response[dict[str, Any]]:
    """Close a counter or the whole site, days (inclusive) or hours, with a reason. Booked
    visits inside answer 409 with `affected`, unless `cancel_affected`: then they are cancelled
    by the office and told, in one transaction with the closure. `dry_run` saves nothing."""
    request = ClosureRequest(
        start_date=parse_date(data.start_date, "start_date"),
        end_date=parse_date(data.end_date, "end_date"),
        start_time=parse_time(data.start_time, "start_time"),
        end_time=parse_time(data.end_time, "end_time"),
        reason=data.reason,
        counter_id=data.counter_id,
        dry_run=data.dry_run,
        cancel_affected=data.cancel_affected,
    )
    outcome = site_admin.add_closure(actor, site_id, request)
    closure = outcome.closure
    body = {
        "closure": {
            "id": outcome.closure_id,
            "site_id": closure.site_id,
            "counter_id": closure.counter_id,
            "start": closure.starts_at.astimezone(ZoneInfo(outcome.timezone)).isoformat(),
            "end": closure.ends_at.astimezone(ZoneInfo(outcome.timezone)).isoformat(),
            "reason": closure.reason,
        },
        "affected": affected_json(outcome.affected, outcome.timezone),
    }
    return Response(body, status_code=200 if data.dry_run else HTTP_201_CREATED)


class CounterBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    capacity: Annotated[int, Meta(ge=1, le=50)] = 1
    procedures: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)] = []
    active: bool = True


def counter_json(spec: CounterSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "capacity": spec.capacity,
        "procedures": list(spec.procedures),
        "active": spec.active,
    }


@get(
    "/sites/{site_id:str}/counters",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_counters(
    site_id: SiteId, actor: ActorDep, site_admin: SiteAdminDep
) -> list[dict[str, Any]]:
    """The site's counters, their capacity and the procedures each serves."""
    return [counter_json(c) for c in site_admin.counters(actor, site_id)]


@post(
    "/sites/{site_id:str}/counters",
    status_code=HTTP_201_CREATED,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def add_counter(
    site_id: SiteId, data: JSONBody[CounterBody], actor: ActorDep, site_admin: SiteAdminDep
) -> dict[str, Any]:
    spec = CounterSpec(data.name, data.capacity, tuple(data.procedures), data.active)
    return counter_json(site_admin.save_counter(actor, site_id, spec))


@put(
    "/sites/{site_id:str}/counters/{counter_id:int}",
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def change_counter(
    site_id: SiteId,
    counter_id: Annotated[int, PathParameter(ge=1)],
    data: JSONBody[CounterBody],
    actor: ActorDep,
    site_admin: SiteAdminDep,
) -> dict[str, Any]:
    """Rename, set the capacity, the procedures served, or put a counter out of service."""
    spec = CounterSpec(data.name, data.capacity, tuple(data.procedures), data.active, counter_id)
    return counter_json(site_admin.save_counter(actor, site_id, spec))


class WindowBody(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, Meta(ge=0, le=6, description="0 = Monday")]
    start: Annotated[str, Meta(min_length=5, max_length=5, description="HH:MM, local")]
    end: Annotated[str, Meta(min_length=5, max_length=5)]
    valid_from: Annotated[str, Meta(min_length=10, max_length=10)] | None = None
    valid_to: Annotated[str, Meta(min_length=10, max_length=10, description="inclusive")] | None = (
        None
    )


class WindowsBody(msgspec.Struct, forbid_unknown_fields=True):
    windows: Annotated[list[WindowBody], Meta(max_length=100)]
    dry_run: bool = False
    cancel_affected: bool = False


CounterId = Annotated[int, PathParameter(ge=1)]
WINDOWS = "/sites/{site_id:str}/counters/{counter_id:int}/windows"


def windows_json(windows: list[WindowSpec]) -> list[dict[str, Any]]:
    return [
        {
            "weekday": w.weekday,
            "start": w.starts.strftime("%H:%M"),
            "end": w.ends.strftime("%H:%M"),
            "valid_from": w.valid_from.isoformat() if w.valid_from else None,
            "valid_to": w.valid_to.isoformat() if w.valid_to else None,
        }
        for w in windows
    ]


@get(WINDOWS, sync_to_thread=True, responses=STAFF_ERRORS, opt={"permission": "run_site"})
def counter_windows(
    site_id: SiteId, counter_id: CounterId, actor: ActorDep, site_admin: SiteAdminDep
) -> list[dict[str, Any]]:
    """The counter's weekly windows in force from today on, in the site's local time."""
    return windows_json(site_admin.windows(actor, site_id, counter_id))


@put(
    WINDOWS,
    status_code=200,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def replace_counter_windows(
    site_id: SiteId,
    counter_id: CounterId,
    data: JSONBody[WindowsBody],
    actor: ActorDep,
    site_admin: SiteAdminDep,
) -> dict[str, Any]:
    """Replace the counter's windows from today on (replaced ones end yesterday). Booked
    visits left outside, or on a grid that moved under them, answer 409 with `affected`
    unless `cancel_affected`; `dry_run` saves nothing."""
    specs = [
        WindowSpec(
            weekday=w.weekday,
            starts=parse_time(w.start, f"windows[{i}].start"),
            ends=parse_time(w.end, f"windows[{i}].end"),
            valid_from=parse_date(w.valid_from, f"windows[{i}].valid_from"),
            valid_to=parse_date(w.valid_to, f"windows[{i}].valid_to"),
        )
        for i, w in enumerate(data.windows)
    ]
    outcome = site_admin.replace_windows(
        actor,
        site_id,
        counter_id,
        specs,
        dry_run=data.dry_run,
        cancel_affected=data.cancel_affected,
    )
    return {
        "windows": windows_json(outcome.windows),
        "affected": affected_json(outcome.affected, outcome.timezone),
        "saved": outcome.saved,
    }


@get(
    "/sites/{site_id:str}/messages",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_messages(
    site_id: SiteId,
    actor: ActorDep,
    records: RecordsDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
) -> dict[str, Any]:
    """The site's outbox for a local due date, with delivery status; tokens are masked. With
    the console sender (the embedded default) this is what citizens would receive."""
    found, messages = records.messages(actor, site_id, parse_date(day, "date"))
    return {
        "date": found.isoformat(),
        "messages": [
            {
                "kind": m.kind,
                "channel": m.channel,
                "recipient": m.recipient,
                "status": m.status,
                "due_at": m.due_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "error": m.error,
                "body": m.body,
                "reference": display_reference(m.reference) if m.reference else None,
            }
            for m in messages
        ],
    }


@get(
    "/sites/{site_id:str}/audit",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "run_site"},
)
def site_audit(
    site_id: SiteId,
    actor: ActorDep,
    records: RecordsDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
) -> dict[str, Any]:
    """Who did what at the site on a local day, and from which address."""
    found, events = records.audit(actor, site_id, parse_date(day, "date"))
    return {
        "date": found.isoformat(),
        "events": [
            {
                "at": e.at.isoformat(),
                "staff": e.staff_email,
                "address": e.address,
                "action": e.action,
                "target": e.target,
                "details": e.details,
            }
            for e in events
        ],
    }


staff_api = Router(
    path="/staff",
    route_handlers=[
        staff_login,
        staff_logout,
        agenda,
        check_in,
        call,
        seen,
        no_show,
        cancel_by_office,
        documents_presented,
        return_visit,
        book_on_behalf,
        add_closure,
        counter_windows,
        replace_counter_windows,
        site_messages,
        site_audit,
        site_counters,
        add_counter,
        change_counter,
    ],
    dependencies={"actor": Provide(provide_bearer_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_bearer_actor)],
    security=[{"staff": []}],
)
