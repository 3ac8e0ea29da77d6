"""The site's waiting list for staff: who waits for which procedure, first in line first, their
wishes, offers sent, masked contacts; taking someone off the list."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.web.deps import ActorDep, DirectoryDep, WaitlistDep
from booking.web.errors import request_language
from booking.web.rendering import page
from booking.web.staff.paths import SiteId

COUNTER = {"permission": "counter"}
EntryId = Annotated[int, PathParameter(ge=1, le=2_000_000_000)]


@get("/sites/{site_id:str}/liste-attente", sync_to_thread=True, opt=COUNTER)
def waitlist_page(
    request: Request,
    site_id: SiteId,
    actor: ActorDep,
    waitlist: WaitlistDep,
    directory: DirectoryDep,
) -> Template:
    rows = waitlist.site_list(actor, site_id)
    language = request_language(request)
    names = {p.id: p.name.get(language) for p in directory.catalogue}
    return page(
        request,
        "staff/waitlist.html",
        actor=actor,
        site=directory.site(site_id),
        rows=rows,
        procedure_names=names,
        removed=request.query_params.get("removed") == "1",
    )


@post(
    "/sites/{site_id:str}/liste-attente/{entry:int}/retirer",
    sync_to_thread=True,
    status_code=200,
    opt=COUNTER,
)
def remove(site_id: SiteId, entry: EntryId, actor: ActorDep, waitlist: WaitlistDep) -> Redirect:
    waitlist.remove(actor, site_id, entry)
    target = f"/staff/sites/{site_id}/liste-attente?removed=1"
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


ROUTES = [waitlist_page, remove]
