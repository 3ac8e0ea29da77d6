"""The site admins' page of the day's refused attempts (issue 16): by masked address and
masked phone, counts only, to see a bot at work without reading anyone's data."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from booking.core.i18n import N_
from booking.web.deps import ActorDep, DirectoryDep, SiteAdminDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date
from booking.web.staff.paths import RUN_SITE, SiteId

REASONS = {
    "booking-attempts": N_("Too many booking attempts from one address"),
    "codes-per-phone": N_("Too many codes to one phone"),
    "codes-per-address": N_("Too many codes from one address"),
    "code-resends": N_("A code sent again too often"),
    "wrong-credentials": N_("Too many wrong codes or links from one address"),
    "second_visit": N_("A second visit for the same procedure"),
}


@get("/sites/{site_id:str}/refus", sync_to_thread=True, opt=RUN_SITE)
def refusals_page(
    request: Request,
    site_id: SiteId,
    actor: ActorDep,
    site_admin: SiteAdminDep,
    directory: DirectoryDep,
    day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
) -> Template:
    site = site_admin.site(actor, site_id)
    chosen = parse_date(day, "date") or directory.local_today(site)
    rows = site_admin.refusals(actor, site_id, chosen)
    return page(
        request,
        "staff/refusals.html",
        actor=actor,
        site=site,
        day=chosen,
        rows=rows,
        reasons=REASONS,
        total=sum(row.count for row in rows),
    )


ROUTES = [refusals_page]
