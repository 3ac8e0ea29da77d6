"""The waiting list on the citizen's pages: join it from the slot page ("be told if a seat
frees up"), see where one stands and leave it, and answer a seat offered — its link opens a
page whose buttons post the answer (a link scanner's GET never accepts). Plain forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import PathParameter, RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.errors import BookingError, FieldError, Gone, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.waitlist import EntryView, JoinRequest
from booking.web.deps import DirectoryDep, VisitsDep, WaitlistDep, address_of
from booking.web.errors import request_language
from booking.web.pages.journey import SLOT, confirmation_page
from booking.web.pages.journey_state import Journey
from booking.web.rendering import page
from booking.web.shared.dates import parse_date
from booking.web.shared.forms import field_errors, form_items

JOIN = "/liste-attente"
EntryId = Annotated[int, PathParameter(ge=1, le=2_000_000_000)]
OfferId = Annotated[str, PathParameter(min_length=8, max_length=32)]
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
DECLINED = N_("You declined the seat and left the waiting list. You can book or join it again.")
LEFT = N_("You left the waiting list.")


def _join_page(
    request: Request,
    directory: DirectoryDep,
    journey: Journey,
    typed: dict[str, object],
    errors: list[FieldError],
    status: int = 200,
):  # type: ignore[no-untyped-def]
    procedure = directory.procedure(journey.procedure)
    sites = directory.sites_for(procedure.id, near_site=journey.site).offers
    today = directory.local_today(sites[0].site) if sites else None
    return page(
        request,
        "waitlist/join.html",
        status_code=status,
        switch_to="/",
        journey=journey,
        procedure=procedure,
        sites=sites,
        typed=typed,
        first=typed.get("from") or (today.isoformat() if today else ""),
        last=typed.get("to")
        or ((today + timedelta(days=procedure.horizon_days)).isoformat() if today else ""),
        weekdays=list(enumerate(WEEKDAYS, start=1)),
        errors=errors,
        back=journey.url(SLOT),
    )


@get(JOIN, sync_to_thread=True)
def join_form(request: Request, directory: DirectoryDep) -> Template:
    journey = Journey.read(request.query_params.multi_items())
    if directory.catalogue.get(journey.procedure) is None:
        raise NotFound(N_("Choose the procedure of your visit."))
    typed = {"sites": [journey.site] if journey.site else []}
    return _join_page(request, directory, journey, typed, [])


@post(JOIN, sync_to_thread=True, status_code=200)
def join(
    request: Request, body: RawBody, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    items = form_items(body)
    journey = Journey.read(items)
    form = dict(items)
    typed: dict[str, object] = {
        "sites": [v for k, v in items if k == "sites"],
        "weekdays": [v for k, v in items if k == "weekdays"],
        "half_days": [v for k, v in items if k == "half_days"],
        "from": form.get("from", ""),
        "to": form.get("to", ""),
        "name": form.get("name", ""),
        "phone": form.get("phone", ""),
        "email": form.get("email", ""),
    }
    try:
        first = parse_date(form.get("from"), "from")
        last = parse_date(form.get("to"), "to")
        if first is None or last is None:
            field = "from" if first is None else "to"
            raise BookingErrorForField(field)
        wanted = JoinRequest(
            procedure_id=journey.procedure,
            site_ids=tuple(typed["sites"]),  # type: ignore[arg-type]
            first_day=first,
            last_day=last,
            name=form.get("name", ""),
            phone=form.get("phone") or None,
            email=form.get("email") or None,
            weekdays=tuple(int(d) for d in typed["weekdays"] if str(d).isdigit()),  # type: ignore[attr-defined]
            half_days=tuple(typed["half_days"]),  # type: ignore[arg-type]
            answers=dict(journey.answers),
            declared=tuple(journey.declared),
            language=request_language(request),
        )
        view = waitlist.join(wanted, address=address_of(request))
    except TooManyTries as exc:
        errors = [FieldError(None, exc.detail)]
        return _join_page(request, directory, journey, typed, errors, 429)
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        errors = field_errors(exc)
        return _join_page(request, directory, journey, typed, errors, exc.status_code)
    if view.entry.state == "checking":
        return _code_page(request, view.entry.id, view.token or "", view.sent_to or "", [])  # type: ignore[arg-type]
    return _entry_page(request, directory, view, joined=True)


def _code_page(
    request: Request,
    entry_id: int,
    token: str,
    sent_to: str,
    errors: list[FieldError],
    status: int = 200,
) -> Template:
    return page(
        request,
        "waitlist/code.html",
        status_code=status,
        switch_to="/",
        entry_id=entry_id,
        token=token,
        sent_to=sent_to.replace(" ", "\u00a0"),
        errors=errors,
    )


@post(f"{JOIN}/{{entry:int}}/code", sync_to_thread=True, status_code=200)
def confirm_code(
    request: Request, entry: EntryId, body: RawBody, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    form = dict(form_items(body))
    token = form.get("t", "")[:64]
    address = address_of(request)
    try:
        view = waitlist.confirm_contact(entry, token, form.get("code", ""), address=address)
    except InvalidRequest as exc:
        checking = waitlist.status(entry, token, address=address)
        sent_to = checking.sent_to or ""
        return _code_page(request, entry, token, sent_to, field_errors(exc), 422)
    except Gone as exc:
        return page(request, "waitlist/over.html", status_code=410, message=exc.detail)
    return _entry_page(request, directory, view, joined=True, token=token)


class BookingErrorForField(BookingError):
    status_code = 422

    def __init__(self, field: str) -> None:
        message = N_("Give a date, for example 24/03/2026.")
        super().__init__(message, [FieldError(field, message)])


def _entry_page(
    request: Request,
    directory: DirectoryDep,
    view: EntryView,
    *,
    joined: bool = False,
    token: str | None = None,
    notice: str | None = None,
) -> Template:
    entry = view.entry
    token = view.token or token
    return page(
        request,
        "waitlist/entry.html",
        switch_to="/",
        view=view,
        entry=entry,
        token=token,
        joined=joined,
        notice=notice,
        procedure=directory.procedure(entry.procedure_id),
        sites=[directory.site(site_id) for site_id in entry.site_ids],
        link=f"{JOIN}/{entry.id}?t={token}",
        offer_link=(
            f"{JOIN}/offre/{view.offer.public_id}?t={token}"
            if view.offer is not None and view.offer.state == "open"
            else None
        ),
    )


@get(f"{JOIN}/{{entry:int}}", sync_to_thread=True)
def entry_status(
    request: Request, entry: EntryId, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    token = request.query_params.get("t", "")[:64]
    view = waitlist.status(entry, token, address=address_of(request))
    return _entry_page(request, directory, view, token=token)


@post(f"{JOIN}/{{entry:int}}/quitter", sync_to_thread=True, status_code=200)
def leave(
    request: Request, entry: EntryId, body: RawBody, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    token = dict(form_items(body)).get("t", "")[:64]
    waitlist.leave(entry, token, address=address_of(request))
    view = waitlist.status(entry, token, address=address_of(request))
    return _entry_page(request, directory, view, token=token, notice=LEFT)


def _offer_page(
    request: Request, directory: DirectoryDep, waitlist: WaitlistDep, offer: str, token: str
) -> Template:
    view = waitlist.offer_view(offer, token, address=address_of(request))
    held = view.offer
    if held is None or held.state != "open" or view.offer_start is None:
        return _over(request)
    site = directory.site(view.offer_site or "")
    return page(
        request,
        "waitlist/offer.html",
        switch_to="/",
        view=view,
        offer=held,
        token=token,
        site=site,
        start=view.offer_start,
        until=held.expires_at.astimezone(ZoneInfo(site.timezone)),
        procedure=directory.procedure(view.entry.procedure_id),
    )


def _over(request: Request) -> Template:
    return page(
        request,
        "waitlist/over.html",
        status_code=410,
        switch_to="/",
        message=N_("This offer is over: the seat went to someone else."),
    )


@get("/o/{offer:str}", sync_to_thread=False)
def short_offer_link(request: Request, offer: OfferId) -> Redirect:
    """The SMS's short link: to the offer's page, its token kept."""
    token = request.query_params.get("t", "")[:64]
    target = f"{JOIN}/offre/{offer}?{urlencode({'t': token})}"
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


@get(f"{JOIN}/offre/{{offer:str}}", sync_to_thread=True)
def offer_page(
    request: Request, offer: OfferId, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    """The seat offered; nothing is decided by opening this page."""
    token = request.query_params.get("t", "")[:64]
    return _offer_page(request, directory, waitlist, offer, token)


@post(f"{JOIN}/offre/{{offer:str}}/accepter", sync_to_thread=True, status_code=200)
def accept(
    request: Request,
    offer: OfferId,
    body: RawBody,
    directory: DirectoryDep,
    waitlist: WaitlistDep,
    visits: VisitsDep,
) -> Template:
    token = dict(form_items(body)).get("t", "")[:64]
    try:
        view = waitlist.accept(offer, token, address=address_of(request))
    except Gone:
        return _over(request)
    return confirmation_page(request, directory, visits, view)


@post(f"{JOIN}/offre/{{offer:str}}/refuser", sync_to_thread=True, status_code=200)
def decline(
    request: Request, offer: OfferId, body: RawBody, directory: DirectoryDep, waitlist: WaitlistDep
) -> Template:
    token = dict(form_items(body)).get("t", "")[:64]
    try:
        waitlist.decline(offer, token, address=address_of(request))
    except Gone:
        return _over(request)
    return page(request, "waitlist/over.html", switch_to="/", message=DECLINED, status_code=200)


ROUTES = [
    join_form,
    join,
    confirm_code,
    entry_status,
    leave,
    short_offer_link,
    offer_page,
    accept,
    decline,
]
