"""The day's agenda of a site (refreshing itself unless in use), the moves made at the counter
from it, and a visit's printable convocation."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Actor, Permission
from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.web.deps import (
    ActorDep,
    DeskDep,
    VisitsDep,
)
from booking.web.errors import request_language
from booking.web.pages.presenting import documents_to_bring
from booking.web.rendering import page
from booking.web.shared.dates import parse_date
from booking.web.shared.forms import form_items
from booking.web.shared.labels import FILE_LABELS, STATUS_LABELS
from booking.web.shared.moves import COUNTER_MOVES, allowed_moves
from booking.web.shared.numbers import whole_number
from booking.web.staff.paths import AGENDA, COUNTER, Reference, SiteId


@get("/sites/{site_id:str}/agenda", sync_to_thread=True, opt=AGENDA)
def agenda_page(request: Request, site_id: SiteId, actor: ActorDep, desk: DeskDep) -> Template:
    return _agenda(request, site_id, actor, desk)


def _agenda(
    request: Request,
    site_id: str,
    actor: Actor,
    desk: DeskDep,
    *,
    refused: str | None = None,
    status_code: int = 200,
) -> Template:
    query = request.query_params
    counter = query.get("counter")
    agenda = desk.agenda(
        actor,
        site_id,
        parse_date(query.get("date")),
        counter_id=whole_number(counter),
        search=query.get("q", "")[:100],
    )
    partial = request.headers.get("x-fragment") == "agenda"
    made = COUNTER_MOVES.get(query.get("done", ""))
    return page(
        request,
        "staff/agenda_rows.html" if partial else "staff/agenda.html",
        status_code=status_code,
        refused=refused,
        agenda=agenda,
        actor=actor,
        search=query.get("q", ""),
        counter=counter or "",
        done=made.done if made else None,
        status_labels=STATUS_LABELS,
        file_labels=FILE_LABELS,
        allowed_moves=allowed_moves,
        run_site=Permission.run_site,
        procedure_names={p.id: p.name.get(request_language(request)) for p in desk.catalogue},
        back_to=_without_notice(request),
    )


def _without_notice(request: Request) -> str:
    """This page's address without the notice of the last move (forms come back here)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "done"]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


@post(
    "/sites/{site_id:str}/visits/{reference:str}/{move:str}",
    sync_to_thread=True,
    status_code=200,
    opt=COUNTER,
)
def move_visit(
    request: Request,
    site_id: SiteId,
    reference: Reference,
    move: Annotated[str, PathParameter(max_length=20)],
    body: RawBody,
    actor: ActorDep,
    visits: VisitsDep,
    desk: DeskDep,
) -> Redirect | Template:
    form = dict(form_items(body))
    back = form.get("back", "")
    if not back.startswith(f"/staff/sites/{site_id}/agenda"):
        back = f"/staff/sites/{site_id}/agenda"
    if move not in COUNTER_MOVES:
        raise BookingError(N_("Not found."))
    try:
        visits.counter_move(reference, COUNTER_MOVES[move].move, actor=actor)
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        return _agenda(request, site_id, actor, desk, refused=exc.detail, status_code=409)
    separator = "&" if "?" in back else "?"
    return Redirect(
        f"{back}{separator}{urlencode({'done': move})}#visit-{reference}",
        status_code=HTTP_303_SEE_OTHER,
    )


@get("/convocations/{reference:str}", sync_to_thread=True, opt=COUNTER)
def convocation(
    request: Request, reference: Reference, actor: ActorDep, visits: VisitsDep, desk: DeskDep
) -> Template:
    """A printable convocation for someone without phone or email."""
    view = visits.for_staff(reference, actor)
    language = view.appointment.language
    return page(
        request,
        "staff/convocation.html",
        actor=actor,
        view=view,
        start=view.appointment.starts_at.astimezone(ZoneInfo(view.site.timezone)),
        procedure=desk.catalogue.get(view.appointment.procedure_id),
        documents=documents_to_bring(view.documents, language),
        code=visits.management_code(view),
        visit_language=language,
    )


ROUTES = [agenda_page, move_visit, convocation]
