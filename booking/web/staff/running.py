"""Staff pages beyond the agenda: booking for someone (phone, desk, intermediary) and the
site's closures."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Actor
from booking.core.booking_request import BookingRequest
from booking.core.errors import BookingError, FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.core.statuses import Channel
from booking.use_cases.directory import Directory
from booking.use_cases.site_admin import (
    AffectedVisits,
    ClosureRequest,
    CounterSpec,
    SiteAdmin,
    WindowSpec,
)
from booking.use_cases.visits import VisitView
from booking.web.deps import ActorDep, DirectoryDep, SiteAdminDep, VisitsDep
from booking.web.errors import request_language
from booking.web.pages.presenting import FILE_LABELS, documents_to_bring
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, parse_moment, parse_time
from booking.web.shared.forms import form_items
from booking.web.staff.session import check_csrf

SiteId = Annotated[str, PathParameter(max_length=64)]
CHANNELS = {
    "phone": N_("By phone"),
    "desk": N_("At the desk"),
    "intermediary": N_("Through an intermediary"),
}
COUNTER = {"permission": "counter"}
RUN_SITE = {"permission": "run_site"}


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
    check_csrf(actor, form.get("csrf"))
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
            errors = exc.errors or [FieldError("", exc.detail, exc.params)]
            if "missing" in exc.extra:
                errors = [FieldError("documents", exc.detail)]
        else:
            return Redirect(
                f"/staff/convocations/{view.appointment.reference}", status_code=HTTP_303_SEE_OTHER
            )
    return _booking_page(request, site_id, actor, directory, typed, errors, 422)


@get("/sites/{site_id:str}/fermetures", sync_to_thread=True, opt=RUN_SITE)
def closures_page(
    request: Request, site_id: SiteId, actor: ActorDep, directory: DirectoryDep
) -> Template:
    return _closures_page(request, site_id, actor, directory, {}, [], None)


def _closures_page(
    request: Request,
    site_id: str,
    actor: ActorDep,
    directory: DirectoryDep,
    typed: dict[str, str],
    errors: list[FieldError],
    affected: list | None,
    status_code: int = 200,
) -> Template:
    site = directory.site(site_id)
    return page(
        request,
        "staff/closures.html",
        status_code=status_code,
        actor=actor,
        site=site,
        counters=directory.counters(site_id),
        typed=typed,
        errors=errors,
        affected=affected,
        saved=request.query_params.get("saved") == "1",
    )


@post(
    "/sites/{site_id:str}/fermetures",
    sync_to_thread=True,
    status_code=200,
    opt=RUN_SITE,
)
def add_closure(
    request: Request,
    site_id: SiteId,
    body: RawBody,
    actor: ActorDep,
    directory: DirectoryDep,
    site_admin: SiteAdminDep,
) -> Template | Redirect:
    form = dict(form_items(body))
    check_csrf(actor, form.get("csrf"))
    start, end = (
        parse_date(form.get("start_date")),
        parse_date(form.get("end_date") or form.get("start_date")),
    )
    if start is None or end is None:
        error = FieldError("start_date", N_("Give a date as YYYY-MM-DD."))
        return _closures_page(request, site_id, actor, directory, form, [error], None, 422)
    counter = form.get("counter_id", "")
    closing = ClosureRequest(
        start_date=start,
        end_date=end,
        start_time=parse_time(form.get("start_time")),
        end_time=parse_time(form.get("end_time")),
        reason=form.get("reason", ""),
        counter_id=int(counter) if counter.isdigit() else None,
        cancel_affected=form.get("cancel_affected") == "1",
    )
    try:
        site_admin.add_closure(actor, site_id, closing)
    except AffectedVisits as exc:
        return _closures_page(
            request, site_id, actor, directory, form, [], exc.extra["affected"], 409
        )
    except InvalidRequest as exc:
        return _closures_page(request, site_id, actor, directory, form, exc.errors, None, 422)
    return Redirect(
        f"/staff/sites/{site_id}/fermetures?{urlencode({'saved': '1'})}",
        status_code=HTTP_303_SEE_OTHER,
    )


ROUTES = [book_for_someone, book_for_someone_now, closures_page, add_closure]


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
EMPTY_ROWS = 3


def _window_rows(items: list[tuple[str, str]]) -> tuple[list[WindowSpec], list[FieldError]]:
    """The grid's rows as typed: `weekday`, `start`, `end`, `valid_from`, `valid_to` repeated,
    one value per row in order; empty rows are ignored."""
    columns: dict[str, list[str]] = {}
    for key, value in items:
        if key in ("weekday", "start", "end", "valid_from", "valid_to"):
            columns.setdefault(key, []).append(value.strip())
    count = max((len(values) for values in columns.values()), default=0)
    specs, errors = [], []
    for row in range(count):
        cell = {key: (values[row] if row < len(values) else "") for key, values in columns.items()}
        if not cell.get("start") and not cell.get("end"):
            continue
        starts, ends = parse_time(cell.get("start")), parse_time(cell.get("end"))
        if starts is None or ends is None or not cell.get("weekday", "").isdigit():
            errors.append(FieldError(f"row-{row}", N_("Give the day and both times, as HH:MM.")))
            continue
        specs.append(
            WindowSpec(
                int(cell["weekday"]),
                starts,
                ends,
                parse_date(cell.get("valid_from")),
                parse_date(cell.get("valid_to")),
            )
        )
    return specs, errors


WINDOWS_PAGE = "/sites/{site_id:str}/guichets/{counter_id:int}/horaires"


@get(WINDOWS_PAGE, sync_to_thread=True, opt=RUN_SITE)
def windows_page(
    request: Request,
    site_id: SiteId,
    counter_id: Annotated[int, PathParameter(ge=1)],
    actor: ActorDep,
    directory: DirectoryDep,
    site_admin: SiteAdminDep,
) -> Template:
    windows = site_admin.windows(actor, site_id, counter_id)
    return _windows_page(request, site_id, counter_id, actor, directory, windows)


def _windows_page(
    request: Request,
    site_id: str,
    counter_id: int,
    actor: ActorDep,
    directory: DirectoryDep,
    windows: list[WindowSpec],
    *,
    errors: list[FieldError] | None = None,
    preview: object | None = None,
    status_code: int = 200,
) -> Template:
    counter = next((c for c in directory.counters(site_id) if c.id == counter_id), None)
    return page(
        request,
        "staff/windows.html",
        status_code=status_code,
        actor=actor,
        site=directory.site(site_id),
        counter=counter,
        rows=[*windows, *([None] * EMPTY_ROWS)],
        weekdays=WEEKDAYS,
        errors=errors or [],
        preview=preview,
        saved=request.query_params.get("saved") == "1",
    )


@post(WINDOWS_PAGE, sync_to_thread=True, status_code=200, opt=RUN_SITE)
def save_windows(
    request: Request,
    site_id: SiteId,
    counter_id: Annotated[int, PathParameter(ge=1)],
    body: RawBody,
    actor: ActorDep,
    directory: DirectoryDep,
    site_admin: SiteAdminDep,
) -> Template | Redirect:
    items = form_items(body)
    form = dict(items)
    check_csrf(actor, form.get("csrf"))
    specs, errors = _window_rows(items)
    if errors:
        return _windows_page(
            request, site_id, counter_id, actor, directory, specs, errors=errors, status_code=422
        )
    saving = form.get("action") == "save"
    try:
        outcome = site_admin.replace_windows(
            actor,
            site_id,
            counter_id,
            specs,
            dry_run=not saving,
            cancel_affected=form.get("cancel_affected") == "1",
        )
    except AffectedVisits as exc:
        preview = site_admin.preview(actor, site_id, counter_id, specs)
        preview = replace(preview, affected=exc.extra["affected"])
        return _windows_page(
            request, site_id, counter_id, actor, directory, specs, preview=preview, status_code=409
        )
    except InvalidRequest as exc:
        return _windows_page(
            request,
            site_id,
            counter_id,
            actor,
            directory,
            specs,
            errors=exc.errors,
            status_code=422,
        )
    if saving:
        return Redirect(
            f"/staff/sites/{site_id}/guichets/{counter_id}/horaires?saved=1",
            status_code=HTTP_303_SEE_OTHER,
        )
    preview = replace(
        site_admin.preview(actor, site_id, counter_id, specs), affected=outcome.affected
    )
    return _windows_page(request, site_id, counter_id, actor, directory, specs, preview=preview)


ROUTES += [windows_page, save_windows]


VISIT_PAGE = "/sites/{site_id:str}/visits/{reference:str}"


@get(VISIT_PAGE, sync_to_thread=True, opt=COUNTER)
def visit_page(
    request: Request,
    site_id: SiteId,
    reference: Annotated[str, PathParameter(max_length=40)],
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template:
    """One visit at the counter: tick the documents brought; book a return visit."""
    view = visits.for_staff(reference, actor)
    return _visit_page(request, actor, view, directory)


def _visit_page(
    request: Request, actor: Actor, view: VisitView, directory: Directory, **context: object
) -> Template:
    return page(
        request,
        "staff/visit.html",
        actor=actor,
        view=view,
        procedure=directory.catalogue.get(view.appointment.procedure_id),
        documents=documents_to_bring(view.documents, request_language(request)),
        presented=set(view.appointment.presented or view.appointment.declared),
        file_labels=FILE_LABELS,
        **context,
    )


@post(f"{VISIT_PAGE}/pieces", sync_to_thread=True, status_code=200, opt=COUNTER)
def record_documents(
    request: Request,
    site_id: SiteId,
    reference: Annotated[str, PathParameter(max_length=40)],
    body: RawBody,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template:
    items = form_items(body)
    check_csrf(actor, dict(items).get("csrf"))
    presented = [value for key, value in items if key == "doc"]
    view = visits.record_documents(reference, presented, actor=actor)
    return _visit_page(request, actor, view, directory, notice=N_("The documents are recorded."))


@post(f"{VISIT_PAGE}/retour", sync_to_thread=True, status_code=200, opt=COUNTER)
def book_return_visit(
    request: Request,
    site_id: SiteId,
    reference: Annotated[str, PathParameter(max_length=40)],
    body: RawBody,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template | Redirect:
    check_csrf(actor, dict(form_items(body)).get("csrf"))
    try:
        back = visits.return_visit(reference, actor=actor)
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        view = visits.for_staff(reference, actor)
        return _visit_page(request, actor, view, directory, notice=exc.detail)
    return Redirect(
        f"/staff/convocations/{back.appointment.reference}", status_code=HTTP_303_SEE_OTHER
    )


ROUTES += [visit_page, record_documents, book_return_visit]


COUNTERS_PAGE = "/sites/{site_id:str}/guichets"


@get(COUNTERS_PAGE, sync_to_thread=True, opt=RUN_SITE)
def counters_page(
    request: Request,
    site_id: SiteId,
    actor: ActorDep,
    directory: DirectoryDep,
    site_admin: SiteAdminDep,
) -> Template:
    return _counters_page(request, site_id, actor, directory, site_admin, [])


def _counters_page(
    request: Request,
    site_id: str,
    actor: Actor,
    directory: Directory,
    site_admin: SiteAdmin,
    errors: list[FieldError],
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "staff/counters.html",
        status_code=status_code,
        actor=actor,
        site=directory.site(site_id),
        counters=site_admin.counters(actor, site_id),
        procedures=list(directory.catalogue),
        errors=errors,
        saved=request.query_params.get("saved") == "1",
    )


@post(COUNTERS_PAGE, sync_to_thread=True, status_code=200, opt=RUN_SITE)
def save_counter(
    request: Request,
    site_id: SiteId,
    body: RawBody,
    actor: ActorDep,
    directory: DirectoryDep,
    site_admin: SiteAdminDep,
) -> Template | Redirect:
    items = form_items(body)
    form = dict(items)
    check_csrf(actor, form.get("csrf"))
    counter_id, capacity = form.get("id", ""), form.get("capacity", "1")
    spec = CounterSpec(
        name=form.get("name", "")[:120],
        capacity=int(capacity) if capacity.isdigit() else 0,
        procedures=tuple(value for key, value in items if key == "procedure"),
        active=form.get("active") == "1",
        id=int(counter_id) if counter_id.isdigit() else None,
    )
    try:
        site_admin.save_counter(actor, site_id, spec)
    except InvalidRequest as exc:
        return _counters_page(request, site_id, actor, directory, site_admin, exc.errors, 422)
    return Redirect(f"/staff/sites/{site_id}/guichets?saved=1", status_code=HTTP_303_SEE_OTHER)


ROUTES += [counters_page, save_counter]
