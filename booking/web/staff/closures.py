"""A site's closures: the visits a closure would cancel are shown before it is confirmed."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.errors import FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.use_cases.affected_visits import AffectedVisits
from booking.use_cases.closures import ClosureRequest
from booking.web.deps import ActorDep, ClosuresDep, DirectoryDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, parse_time
from booking.web.shared.forms import form_items
from booking.web.shared.numbers import whole_number
from booking.web.staff.paths import RUN_SITE, SiteId


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
    closures: ClosuresDep,
) -> Template | Redirect:
    form = dict(form_items(body))
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
        counter_id=whole_number(counter),
        cancel_affected=form.get("cancel_affected") == "1",
    )
    try:
        closures.add_closure(actor, site_id, closing)
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


ROUTES = [closures_page, add_closure]
