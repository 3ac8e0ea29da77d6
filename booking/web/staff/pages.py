"""Staff pages: sign in and out, the day's agenda of a site with one button a move."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Router, get, post
from litestar.di import Provide
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Actor, NotSignedIn, Permission
from booking.core.errors import BookingError, FieldError
from booking.core.i18n import N_
from booking.use_cases.staff_accounts import TooManyAttempts
from booking.web.deps import (
    DEPENDENCIES,
    ActorDep,
    DeskDep,
    SettingsDep,
    StaffDep,
    VisitsDep,
    client_address,
    permission_guard,
)
from booking.web.errors import request_language
from booking.web.pages.presenting import (
    FILE_LABELS,
    STATUS_LABELS,
    documents_to_bring,
)
from booking.web.rendering import page
from booking.web.shared.dates import parse_date
from booking.web.shared.forms import form_items
from booking.web.shared.moves import COUNTER_MOVES, allowed_moves
from booking.web.staff import figures_pages, running, site_pages
from booking.web.staff.session import COOKIE, check_csrf, provide_page_actor, session_cookie

SiteId = Annotated[str, PathParameter(max_length=64)]
Reference = Annotated[str, PathParameter(max_length=40)]


@get("/login", sync_to_thread=False, opt={"public": True})
def login_page(request: Request) -> Template:
    return page(request, "staff/login.html", errors=[], email="")


@post("/login", sync_to_thread=True, status_code=200, opt={"public": True})
def sign_in(
    request: Request, body: RawBody, staff: StaffDep, settings: SettingsDep
) -> Template | Redirect:
    form = dict(form_items(body))
    email = form.get("email", "")[:254]
    try:
        signed = staff.sign_in(
            email,
            form.get("password", "")[:200],
            address=client_address(request, settings),
            kind="cookie",
        )
    except (NotSignedIn, TooManyAttempts) as exc:
        error = FieldError("password", exc.detail)
        return page(
            request,
            "staff/login.html",
            status_code=exc.status_code,
            errors=[error],
            email=email,
        )
    max_age = settings.staff_session_hours * 3600
    return Redirect(
        "/staff/",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[session_cookie(settings, signed.token, max_age)],
    )


@post("/logout", sync_to_thread=True, status_code=200)
def sign_out(
    request: Request, body: RawBody, actor: ActorDep, staff: StaffDep, settings: SettingsDep
) -> Redirect:
    check_csrf(actor, dict(form_items(body)).get("csrf"))
    staff.sign_out(request.cookies.get(COOKIE, ""))
    return Redirect(
        "/staff/login",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[session_cookie(settings, "", 0)],
    )


@get("/", sync_to_thread=False)
def staff_home(request: Request, actor: ActorDep) -> Template | Redirect:
    sites = sorted(actor.sites)
    if actor.may(Permission.agenda) and len(sites) == 1:
        return Redirect(f"/staff/sites/{sites[0]}/agenda", status_code=HTTP_303_SEE_OTHER)
    if actor.may(Permission.statistics) and not actor.may(Permission.agenda):
        return Redirect("/staff/stats", status_code=HTTP_303_SEE_OTHER)  # a manager
    return page(request, "staff/home.html", actor=actor, sites=sites, Permission=Permission)


@get("/sites/{site_id:str}/agenda", sync_to_thread=True, opt={"permission": "agenda"})
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
        counter_id=int(counter) if counter and counter.isdigit() else None,
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
    opt={"permission": "counter"},
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
    check_csrf(actor, form.get("csrf"))
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


@get("/convocations/{reference:str}", sync_to_thread=True, opt={"permission": "counter"})
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


staff_pages = Router(
    path="/staff",
    route_handlers=[
        *running.ROUTES,
        *site_pages.ROUTES,
        *figures_pages.ROUTES,
        login_page,
        sign_in,
        sign_out,
        staff_home,
        agenda_page,
        move_visit,
        convocation,
    ],
    dependencies={**DEPENDENCIES, "actor": Provide(provide_page_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_page_actor)],
    include_in_schema=False,
)
