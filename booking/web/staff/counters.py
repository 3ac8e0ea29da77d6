"""A site's counters and their weekly opening hours: a preview of the coming week and of the
visits left out before saving."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from litestar import Request, get, post
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Actor
from booking.core.errors import FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.use_cases.affected_visits import AffectedVisits
from booking.use_cases.directory import Directory
from booking.use_cases.opening_hours import WindowSpec
from booking.use_cases.site_admin import CounterSpec, SiteAdmin
from booking.web.deps import ActorDep, DirectoryDep, OpeningHoursDep, SiteAdminDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, parse_time
from booking.web.shared.forms import form_items
from booking.web.shared.numbers import whole_number
from booking.web.staff.paths import RUN_SITE, SiteId

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
        weekday = whole_number(cell.get("weekday"))
        if starts is None or ends is None or weekday is None:
            errors.append(FieldError(f"row-{row}", N_("Give the day and both times, as HH:MM.")))
            continue
        specs.append(
            WindowSpec(
                weekday,
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
    opening_hours: OpeningHoursDep,
) -> Template:
    windows = opening_hours.windows(actor, site_id, counter_id)
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
    opening_hours: OpeningHoursDep,
) -> Template | Redirect:
    items = form_items(body)
    form = dict(items)
    specs, errors = _window_rows(items)
    if errors:
        return _windows_page(
            request, site_id, counter_id, actor, directory, specs, errors=errors, status_code=422
        )
    saving = form.get("action") == "save"
    try:
        outcome = opening_hours.replace_windows(
            actor,
            site_id,
            counter_id,
            specs,
            dry_run=not saving,
            cancel_affected=form.get("cancel_affected") == "1",
        )
    except AffectedVisits as exc:
        preview = opening_hours.preview(actor, site_id, counter_id, specs)
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
        opening_hours.preview(actor, site_id, counter_id, specs), affected=outcome.affected
    )
    return _windows_page(request, site_id, counter_id, actor, directory, specs, preview=preview)


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
    counter_id, capacity = form.get("id", ""), form.get("capacity", "1")
    spec = CounterSpec(
        name=form.get("name", "")[:120],
        capacity=whole_number(capacity) or 0,
        procedures=tuple(value for key, value in items if key == "procedure"),
        active=form.get("active") == "1",
        id=whole_number(counter_id),
    )
    try:
        site_admin.save_counter(actor, site_id, spec)
    except InvalidRequest as exc:
        return _counters_page(request, site_id, actor, directory, site_admin, exc.errors, 422)
    return Redirect(f"/staff/sites/{site_id}/guichets?saved=1", status_code=HTTP_303_SEE_OTHER)


ROUTES = [counters_page, save_counter, windows_page, save_windows]
