"""What a site admin reads: the site's messages of a day (tokens masked) and its audit log."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from booking.web.deps import ActorDep, RecordsDep
from booking.web.rendering import page
from booking.web.shared.dates import parse_date
from booking.web.staff.paths import RUN_SITE, SiteId


@get("/sites/{site_id:str}/messages", sync_to_thread=True, opt=RUN_SITE)
def messages_page(
    request: Request, site_id: SiteId, actor: ActorDep, records: RecordsDep
) -> Template:
    """The site's outbox of a day: with the console sender, what citizens would receive."""
    day, messages = records.messages(actor, site_id, parse_date(request.query_params.get("date")))
    return page(
        request, "staff/messages.html", actor=actor, site_id=site_id, day=day, messages=messages
    )


@get("/sites/{site_id:str}/journal", sync_to_thread=True, opt=RUN_SITE)
def audit_page(request: Request, site_id: SiteId, actor: ActorDep, records: RecordsDep) -> Template:
    day, events = records.audit(actor, site_id, parse_date(request.query_params.get("date")))
    return page(request, "staff/audit.html", actor=actor, site_id=site_id, day=day, events=events)


ROUTES = [messages_page, audit_page]
