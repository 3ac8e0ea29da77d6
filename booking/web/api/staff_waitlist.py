"""JSON API v1 for staff, the waiting list: put someone on it (phone, desk, intermediary),
read a site's list (first in line first, contacts masked), take an entry off (audited)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from booking.core.statuses import Channel
from booking.use_cases.waitlist import EntryRow
from booking.web.api.waitlist import JoinBody, entry_json, join_request
from booking.web.deps import ActorDep, WaitlistDep
from booking.web.errors import documented_errors, request_language

STAFF_ERRORS = documented_errors(400, 401, 403, 404, 409, 422)
SiteId = Annotated[str, PathParameter(max_length=64)]
EntryId = Annotated[int, PathParameter(ge=1, le=2_000_000_000)]


class StaffJoinBody(JoinBody, kw_only=True):
    channel: Annotated[str, Meta(pattern="^(phone|desk|intermediary)$")] = "phone"


def row_json(row: EntryRow) -> dict[str, Any]:
    entry = row.entry
    return {
        "entry": entry.id,
        "position": row.position,
        "procedure_id": entry.procedure_id,
        "site_ids": entry.site_ids,
        "from": entry.first_day.isoformat(),
        "to": entry.last_day.isoformat(),
        "weekdays": entry.weekdays,
        "half_days": entry.half_days,
        "name": entry.name,
        "phone": row.phone,
        "channel": entry.channel,
        "offers_sent": entry.offers_sent,
        "offered_now": row.offered,
        "joined_at": entry.created_at.isoformat(),
    }


@post(
    "/waitlist",
    sync_to_thread=True,
    status_code=HTTP_201_CREATED,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def staff_join(
    request: Request, data: JSONBody[StaffJoinBody], actor: ActorDep, waitlist: WaitlistDep
) -> dict[str, Any]:
    """Put someone on the list for them (the same body as a citizen's, and the channel)."""
    wanted = join_request(data, request_language(request), Channel(data.channel))
    return entry_json(waitlist.join(wanted, actor=actor))


@get(
    "/sites/{site_id:str}/waitlist",
    sync_to_thread=True,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def site_waitlist(site_id: SiteId, actor: ActorDep, waitlist: WaitlistDep) -> dict[str, Any]:
    """The entries waiting for the site's seats, by procedure, first in line first."""
    return {"site": site_id, "entries": [row_json(r) for r in waitlist.site_list(actor, site_id)]}


@delete(
    "/sites/{site_id:str}/waitlist/{entry:int}",
    sync_to_thread=True,
    status_code=HTTP_204_NO_CONTENT,
    responses=STAFF_ERRORS,
    opt={"permission": "counter"},
)
def remove_entry(site_id: SiteId, entry: EntryId, actor: ActorDep, waitlist: WaitlistDep) -> None:
    """Take the entry off the list (audited); a seat offered to it goes to the next person."""
    waitlist.remove(actor, site_id, entry)


ROUTES = [staff_join, site_waitlist, remove_entry]
