"""Managing a visit from the link in its messages (`/r/{REF}#{token}`) or, without it, with
its reference and management code: see it, move it, cancel it; and "lost the link?".

The token lives in the link's fragment, which browsers never send: a few lines of script post
it, and the server keeps it in an HttpOnly cookie limited to this visit's pages. No token is
ever in a URL the server sees.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.errors import Conflict, FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.visit_views import VisitView
from booking.web.deps import DirectoryDep, SettingsDep, VisitsDep, address_of, client_address
from booking.web.downloads import calendar_response
from booking.web.errors import request_language
from booking.web.pages.journey import slot_page
from booking.web.pages.journey_state import Journey
from booking.web.pages.presenting import alternative_starts, documents_to_bring
from booking.web.rendering import page
from booking.web.shared.dates import parse_moment
from booking.web.shared.forms import form_items
from booking.web.shared.labels import STATUS_LABELS

Reference = Annotated[str, PathParameter(max_length=40)]
COOKIE = "guichet_visit"
SESSION_SECONDS = 2 * 3600
LIVE = ("booked", "checked_in", "called")


def _cookie(settings, reference: str, token: str | None, max_age: int) -> Cookie:  # type: ignore[no-untyped-def]
    return Cookie(
        key=COOKIE,
        value=token or "",
        path=f"/r/{reference}",
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


def _token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


@get(["/r/{reference:str}", "/r/{reference:str}/pieces"], sync_to_thread=False)
def open_visit(request: Request, reference: Reference) -> Template:
    return _open_page(request, reference, [])


def _open_page(
    request: Request, reference: str, errors: list[FieldError], status_code: int = 200
) -> Template:
    return page(
        request,
        "manage/open.html",
        status_code=status_code,
        reference=reference,
        documents=request.url.path.endswith("/pieces"),
        expired=request.query_params.get("expired") == "1",
        errors=errors,
    )


@post("/r/{reference:str}", sync_to_thread=True, status_code=200)
def unlock_visit(
    request: Request, body: RawBody, reference: Reference, visits: VisitsDep, settings: SettingsDep
) -> Template | Redirect:
    form = dict(form_items(body))
    token, code = form.get("token", "")[:200], form.get("code", "")[:20]
    typed_reference = form.get("reference", reference)[:20]
    try:
        if token:
            view = visits.show(reference, token, address=address_of(request))
            view_token = token
        else:
            view = visits.open_with_code(typed_reference, code, address=address_of(request))
            view_token = view.token
    except TooManyTries as exc:
        return _open_page(request, reference, [FieldError("code", exc.detail)], 429)
    except NotFound as exc:
        return _open_page(request, reference, [FieldError("code", exc.detail)], 404)
    canonical = view.appointment.reference
    target = f"/r/{canonical}/rendez-vous" + ("#pieces" if form.get("then") == "pieces" else "")
    return Redirect(
        target,
        status_code=HTTP_303_SEE_OTHER,
        cookies=[_cookie(settings, canonical, view_token, SESSION_SECONDS)],
    )


def _visit_page(
    request: Request,
    visits: VisitsDep,
    directory: DirectoryDep,
    view: VisitView,
    notice: str | None = None,
) -> Template:
    language = request_language(request)
    appointment = view.appointment
    start = appointment.starts_at.astimezone(ZoneInfo(view.site.timezone))
    return page(
        request,
        "manage/visit.html",
        view=view,
        start=start,
        can_change=view.changeable,
        live=appointment.status in LIVE,
        documents=documents_to_bring(view.documents, language),
        procedure=directory.procedure(appointment.procedure_id),
        code=visits.management_code(view),
        notice=notice,
        status_labels=STATUS_LABELS,
    )


def _session_view(request: Request, visits: VisitsDep, reference: str) -> VisitView | None:
    try:
        return visits.show(reference, _token(request), address=address_of(request))
    except NotFound:
        return None


def _expired(reference: str) -> Redirect:
    return Redirect(f"/r/{reference}?expired=1", status_code=HTTP_303_SEE_OTHER)


@get("/r/{reference:str}/rendez-vous", sync_to_thread=True)
def show_visit(
    request: Request, reference: Reference, visits: VisitsDep, directory: DirectoryDep
) -> Template | Redirect:
    view = _session_view(request, visits, reference)
    if view is None:
        return _expired(reference)
    return _visit_page(request, visits, directory, view)


@get("/r/{reference:str}/annuler", sync_to_thread=True)
def ask_cancel(request: Request, reference: Reference, visits: VisitsDep) -> Template | Redirect:
    view = _session_view(request, visits, reference)
    if view is None:
        return _expired(reference)
    start = view.appointment.starts_at.astimezone(ZoneInfo(view.site.timezone))
    return page(request, "manage/cancel.html", view=view, start=start)


@post("/r/{reference:str}/annuler", sync_to_thread=True, status_code=200)
def cancel_visit(
    request: Request, reference: Reference, visits: VisitsDep, directory: DirectoryDep
) -> Template | Redirect:
    try:
        view = visits.cancel(reference, _token(request), address=address_of(request))
    except NotFound:
        return _expired(reference)
    except Conflict as exc:
        view = visits.show(reference, _token(request), address=address_of(request))
        return _visit_page(request, visits, directory, view, notice=exc.detail)
    return _visit_page(
        request, visits, directory, view, notice=N_("Your appointment is cancelled.")
    )


@get("/r/{reference:str}/deplacer", sync_to_thread=True)
def choose_new_time(
    request: Request, reference: Reference, visits: VisitsDep, directory: DirectoryDep
) -> Template | Redirect:
    view = _session_view(request, visits, reference)
    if view is None:
        return _expired(reference)
    return _move_page(request, directory, view, [])


def _move_page(
    request: Request,
    directory: DirectoryDep,
    view: VisitView,
    errors: list[FieldError],
    alternatives: list[datetime] | None = None,
) -> Template:
    appointment = view.appointment
    journey = Journey(procedure=appointment.procedure_id, site=appointment.site_id)
    return slot_page(
        request,
        directory,
        journey,
        action=f"/r/{appointment.reference}/deplacer",
        method="post",
        back=f"/r/{appointment.reference}/rendez-vous",
        errors=errors,
        alternatives=alternatives,
        hidden=[],
        base=[],
        template="manage/move.html",
        view=view,
        taken=FieldError("start", errors[0].message) if alternatives and errors else None,
        current=appointment.starts_at.astimezone(ZoneInfo(view.site.timezone)),
    )


@post("/r/{reference:str}/deplacer", sync_to_thread=True, status_code=200)
def move_visit(
    request: Request,
    body: RawBody,
    reference: Reference,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template | Redirect:
    form = dict(form_items(body))
    token = _token(request)
    start = parse_moment(form.get("start"), field=None)
    if start is None:
        view = _session_view(request, visits, reference)
        if view is None:
            return _expired(reference)
        return _move_page(request, directory, view, [FieldError("start", N_("Choose a time."))])
    try:
        view = visits.reschedule(reference, token, start, address=address_of(request))
    except NotFound:
        return _expired(reference)
    except Conflict as exc:
        view = visits.show(reference, token, address=address_of(request))
        alternatives = alternative_starts(exc)
        if not alternatives and "alternatives" not in exc.extra:
            return _visit_page(request, visits, directory, view, notice=exc.detail)
        return _move_page(request, directory, view, [FieldError("start", exc.detail)], alternatives)
    except InvalidRequest as exc:
        view = visits.show(reference, token, address=address_of(request))
        return _move_page(request, directory, view, exc.errors or [FieldError("start", exc.detail)])
    return _visit_page(request, visits, directory, view, notice=N_("Your appointment is moved."))


@post("/r/{reference:str}/calendrier", sync_to_thread=True, status_code=200)
def visit_calendar(request: Request, reference: Reference, visits: VisitsDep) -> Response:
    try:
        calendar = visits.calendar(
            reference, _token(request), request_language(request), address=address_of(request)
        )
    except NotFound:
        return _expired(reference)
    return calendar_response(calendar)


@get("/r/retrouver", sync_to_thread=False)
def lost_link(request: Request) -> Template:
    return page(request, "manage/lost.html", sent=False, errors=[])


@post("/r/retrouver", sync_to_thread=True, status_code=200)
def resend_link(
    request: Request, body: RawBody, visits: VisitsDep, settings: SettingsDep
) -> Template:
    form = dict(form_items(body))
    reference = form.get("reference", "").strip()[:20]
    if not reference:
        error = FieldError("reference", N_("Give the reference of your appointment."))
        return page(request, "manage/lost.html", status_code=422, sent=False, errors=[error])
    visits.resend_link(reference, address=client_address(request, settings))
    # The same answer whether the reference exists or not, and whether or not it was sent.
    return page(request, "manage/lost.html", sent=True, errors=[])


ROUTES = [
    lost_link,
    resend_link,
    open_visit,
    unlock_visit,
    show_visit,
    ask_cancel,
    cancel_visit,
    choose_new_time,
    move_visit,
    visit_calendar,
]
