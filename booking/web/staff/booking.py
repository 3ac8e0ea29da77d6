"""Booking for someone on the phone, at the desk or through an intermediary: the same checklist
and race-free booking as online, no minimum notice, then a printable convocation."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.booking_request import BookingRequest
from booking.core.errors import BookingError, FieldError
from booking.core.i18n import N_
from booking.core.statuses import Channel
from booking.web.deps import ActorDep, DirectoryDep, VisitsDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, parse_moment
from booking.web.shared.forms import field_errors, form_items
from booking.web.shared.labels import STAFF_CHANNEL_LABELS as CHANNELS
from booking.web.staff.paths import COUNTER, SiteId


@get("/sites/{site_id:str}/reserver", sync_to_thread=True, opt=COUNTER)
def book_for_someone(
    request: Request, site_id: SiteId, actor: ActorDep, directory: DirectoryDep
) -> Template:
    query = request.query_params
    return _booking_page(request, site_id, actor, directory, dict(query.items()), [])


def _booking_page(
    request: Request,
    site_id: str,
    actor: ActorDep,
    directory: DirectoryDep,
    typed: dict[str, str],
    errors: list[FieldError],
    status_code: int = 200,
) -> Template:
    site = directory.site(site_id)
    procedures = list(directory.catalogue)
    chosen = directory.catalogue.get(typed.get("procedure", "")) or procedures[0]
    day = parse_date(typed.get("day")) or directory.local_today(site)
    offer = directory.offer(site_id, chosen.id, day, day, staff=True)
    return page(
        request,
        "staff/book.html",
        status_code=status_code,
        actor=actor,
        site=site,
        procedures=procedures,
        procedure=chosen,
        day=day,
        times=[offer.local(slot) for slot in offer.slots],
        typed=typed,
        declared=typed.get("_declared", []),
        channels=CHANNELS,
        errors=errors,
    )


@post(
    "/sites/{site_id:str}/reserver",
    sync_to_thread=True,
    status_code=200,
    opt=COUNTER,
)
def book_for_someone_now(
    request: Request,
    site_id: SiteId,
    body: RawBody,
    actor: ActorDep,
    directory: DirectoryDep,
    visits: VisitsDep,
) -> Template | Redirect:
    items = form_items(body)
    form = dict(items)
    declared = [value for key, value in items if key == "doc"]
    answers = {k.removeprefix("q_"): v for k, v in items if k.startswith("q_") and v}
    typed = {**form, "_declared": declared}  # type: ignore[dict-item]
    start = parse_moment(form.get("start"), field=None)
    errors = [] if start else [FieldError("start", N_("Choose a time."))]
    if start:
        booking = BookingRequest.of(
            site_id=site_id,
            procedure_id=form.get("procedure", ""),
            start=start,
            name=form.get("name", ""),
            phone=form.get("phone"),
            email=form.get("email"),
            answers=answers,
            declared=declared,
            language=form.get("language"),
            channel=form.get("channel") if form.get("channel") in CHANNELS else Channel.phone,
        )
        try:
            view = visits.book(booking, actor=actor)
        except BookingError as exc:
            if exc.status_code in (401, 403):
                raise
            errors = field_errors(exc)
            if "missing" in exc.extra:
                errors = [FieldError("documents", exc.detail)]
        else:
            return Redirect(
                f"/staff/convocations/{view.appointment.reference}", status_code=HTTP_303_SEE_OTHER
            )
    return _booking_page(request, site_id, actor, directory, typed, errors, 422)


ROUTES = [book_for_someone, book_for_someone_now]
