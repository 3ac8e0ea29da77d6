"""JSON API v1 for desk kiosks and queue systems: staff sign-in, the agenda, the moves made at
the counter, booking for someone; a site's running is in `site_admin.py`. Bearer tokens only
(`Authorization: Bearer …`), never the pages' cookie, so these routes need no CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from booking.core.booking_request import BookingRequest
from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.queries.agenda import AgendaRow
from booking.use_cases.visit_views import VisitView
from booking.web.api.booking_body import StaffBooking, booking_request
from booking.web.api.paths import STAFF_ERRORS, Reference, SiteId
from booking.web.api.presenters import appointment_json, visit_json
from booking.web.deps import (
    ActorDep,
    DeskDep,
    SettingsDep,
    StaffDep,
    VisitsDep,
    bearer_token,
    client_address,
    permission_guard,
    provide_bearer_actor,
)
from booking.web.errors import documented_errors
from booking.web.shared.dates import parse_date, required_moment
from booking.web.shared.moves import COUNTER_MOVES, CounterMove
from booking.web.shared.numbers import MAX_ID


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
    body["from_waitlist"] = visit.from_waitlist
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
    counter: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
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
    counter_id: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None


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
    "/appointments/{reference:str}/send-link",
    status_code=204,
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def send_link_again(reference: Reference, actor: ActorDep, visits: VisitsDep) -> None:
    """Send a new link and code to the citizen's contacts (the old ones stop working once the
    new link is first used); 409 when the visit is over or has no contact."""
    visits.send_link_again(reference, actor=actor)


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
    view = visits.book(request, actor=actor, second_visit=data.second_visit)
    return _booked(view, data.language)


from booking.web.api import site_admin, staff_waitlist  # noqa: E402  (their routes join it)

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
        send_link_again,
        book_on_behalf,
        *site_admin.ROUTES,
        *staff_waitlist.ROUTES,
    ],
    dependencies={"actor": Provide(provide_bearer_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_bearer_actor)],
    security=[{"staff": []}],
)
