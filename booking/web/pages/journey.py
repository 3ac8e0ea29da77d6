"""The booking journey, one decision a page: procedure → site → documents → day and time →
contact details → summary → confirmation. Each step is a GET form carrying the choices so far;
contact details go by POST only."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_307_TEMPORARY_REDIRECT

from booking.core.booking_request import BookingRequest
from booking.core.errors import Conflict, FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.directory import Offer, shift_month
from booking.use_cases.visit_views import VisitView
from booking.use_cases.visits import IdempotencyKey
from booking.web.deps import DirectoryDep, VisitsDep, address_of
from booking.web.downloads import calendar_response
from booking.web.errors import request_language
from booking.web.pages.journey_state import Journey
from booking.web.pages.presenting import alternative_starts, documents_to_bring, steps
from booking.web.rendering import page
from booking.web.shared.dates import parse_date, parse_moment, parse_month, required_moment
from booking.web.shared.forms import contact_form, field_errors, form_items

SITE, DOCUMENTS, SLOT = "/rendez-vous/lieu", "/rendez-vous/pieces", "/rendez-vous/creneau"
CONTACT, SUMMARY = "/rendez-vous/coordonnees", "/rendez-vous/recapitulatif"
CONFIRM, CALENDAR = "/rendez-vous/confirmation", "/rendez-vous/calendrier"
HOLD = "/rendez-vous/code/envoyer"  # procedures with a checked contact: a code before booking


def checks_contact(directory: DirectoryDep, journey: Journey) -> bool:
    """Whether the journey's procedure takes a code by SMS before booking (one more step)."""
    procedure = directory.catalogue.get(journey.procedure)
    return procedure is not None and procedure.contact_check


def journey_of(request: Request) -> Journey:
    return Journey.read(request.query_params.multi_items())


@get("/", sync_to_thread=False)
def home(request: Request, directory: DirectoryDep) -> Template:
    journey = journey_of(request)
    return _home(request, directory, journey, [])


def _home(request: Request, directory: DirectoryDep, journey: Journey, errors: list) -> Template:
    return page(
        request,
        "journey/procedure.html",
        status_code=422 if errors else 200,
        procedures=list(directory.catalogue),
        journey=journey,
        errors=errors,
        steps=steps(1),
    )


@get(SITE, sync_to_thread=True)
def choose_site(request: Request, directory: DirectoryDep) -> Template:
    journey = journey_of(request)
    procedure = directory.catalogue.get(journey.procedure)
    if procedure is None:
        error = FieldError("procedure", N_("Choose the procedure of your visit."))
        return _home(request, directory, journey, [error])
    postcode = request.query_params.get("postcode", "")[:10]
    errors = []
    if "postcode" in request.query_params and len(postcode.strip()) != 5:
        errors.append(FieldError("postcode", N_("Give a postcode of 5 digits, e.g. 75004.")))
    if request.query_params.get("go") and not journey.site:
        errors.append(FieldError("site", N_("Choose where you will go.")))
    choice = directory.sites_for(procedure.id, postcode)
    return page(
        request,
        "journey/site.html",
        status_code=422 if errors else 200,
        journey=journey,
        procedure=procedure,
        offers=choice.offers,
        national=choice.national,
        postcode=postcode,
        errors=errors,
        back=journey.but(site="").url("/"),
        steps=steps(2, checks_contact(directory, journey)),
    )


@get(DOCUMENTS, sync_to_thread=True)
def declare_documents(request: Request, directory: DirectoryDep) -> Template | Redirect:
    journey = journey_of(request)
    if not journey.site:
        return Redirect(journey.url(SITE, go="1"), status_code=HTTP_303_SEE_OTHER)
    procedure = directory.procedure(journey.procedure)
    submitted = request.query_params.get("check") == "1"
    errors: list[FieldError] = []
    try:
        checklist = directory.checklist(procedure, journey.answers, journey.declared)
    except InvalidRequest as exc:
        checklist = directory.checklist(procedure, {}, journey.declared)
        errors = [FieldError(f"q_{e.field}", N_("This answer is not valid.")) for e in exc.errors]
    if submitted and not errors:
        language = request_language(request)
        try:
            directory.check_file(
                journey.site, procedure.id, journey.answers, journey.declared, language
            )
        except InvalidRequest as exc:
            errors = [_documents_field(error) for error in exc.errors]
        else:
            return Redirect(journey.url(SLOT), status_code=HTTP_303_SEE_OTHER)
    return page(
        request,
        "journey/documents.html",
        status_code=422 if errors else 200,
        journey=journey,
        procedure=procedure,
        checklist=checklist,
        submitted=submitted,
        errors=errors,
        back=journey.url(SITE),
        steps=steps(3, checks_contact(directory, journey)),
    )


def _documents_field(error: FieldError) -> FieldError:
    """The booking's field names, as the documents page names its inputs."""
    if error.field.startswith("answers."):
        return replace(error, field="q_" + error.field.removeprefix("answers."))
    return replace(error, field="documents")


@get(SLOT, sync_to_thread=True)
def choose_slot(request: Request, directory: DirectoryDep) -> Template | Redirect:
    journey = journey_of(request)
    if not journey.site:
        return Redirect(journey.url(SITE, go="1"), status_code=HTTP_303_SEE_OTHER)
    errors = []
    if request.query_params.get("go") and not journey.start:
        errors.append(FieldError("start", N_("Choose a time.")))
    return slot_page(
        request,
        directory,
        journey,
        action=CONTACT,
        back=journey.url(DOCUMENTS),
        errors=errors,
    )


def slot_page(
    request: Request,
    directory: DirectoryDep,
    journey: Journey,
    *,
    action: str,
    back: str,
    errors: list[FieldError] | None = None,
    alternatives: list[datetime] | None = None,
    hidden: list[tuple[str, str]] | None = None,
    base: list[tuple[str, str]] | None = None,
    method: str = "get",
    template: str = "journey/slot.html",
    **context: Any,
) -> Template:
    """The days with free slots of one month and the times of the chosen day."""
    shown = directory.month(
        journey.site, journey.procedure, parse_month(request.query_params.get("month"))
    )
    offer, first = shown.offer, shown.month
    days = _days(offer)
    chosen = parse_date(request.query_params.get("day")) or (min(days) if days else None)
    start = parse_moment(journey.start, field=None)
    if start is not None:
        chosen = start.date()
    base = journey.fields(without=("start",)) if base is None else base

    def month_url(month_start: date) -> str:
        return f"{request.url.path}?{urlencode([*base, ('month', month_start.isoformat()[:7])])}"

    return page(
        request,
        template,
        status_code=422 if errors else (409 if alternatives else 200),
        journey=journey,
        offer=offer,
        month=first,
        days=sorted(days),
        previous_month=shift_month(first, -1) if first > offer.today.replace(day=1) else None,
        next_month=shift_month(first, 1) if shift_month(first, 1) <= offer.last_day else None,
        day=chosen,
        times=days.get(chosen, []) if chosen else [],
        nothing_before_horizon=shown.nothing_before_horizon,
        action=action,
        method=method,
        hidden_fields=hidden if hidden is not None else journey.fields(without=("start",)),
        day_fields=base,
        month_url=month_url,
        errors=errors or [],
        alternatives=alternatives or [],
        back=back,
        steps=steps(4, checks_contact(directory, journey)),
        **context,
    )


def _days(offer: Offer) -> dict[date, list[datetime]]:
    days: dict[date, list[datetime]] = {}
    for slot in offer.slots:
        local = offer.local(slot)
        days.setdefault(local.date(), []).append(local)
    return days


@get(CONTACT, sync_to_thread=True)
def contact_details(request: Request, directory: DirectoryDep) -> Template | Redirect:
    journey = journey_of(request)
    if not journey.start:
        return Redirect(journey.url(SLOT, go="1"), status_code=HTTP_303_SEE_OTHER)
    return contact_page(request, directory, journey, {}, [])


@post(CONTACT, sync_to_thread=True, status_code=200)
def edit_contact_details(request: Request, body: RawBody, directory: DirectoryDep) -> Template:
    """Back from the summary: the form again, as typed."""
    items = form_items(body)
    return contact_page(request, directory, Journey.read(items), contact_form(items), [])


def contact_page(
    request: Request,
    directory: DirectoryDep,
    journey: Journey,
    typed: dict,
    errors: list,
    status_code: int | None = None,
) -> Template:
    procedure = directory.procedure(journey.procedure)
    return page(
        request,
        "journey/contact.html",
        status_code=status_code or (422 if errors else 200),
        switch_to="/",
        journey=journey,
        procedure=procedure,
        typed=typed,
        errors=errors,
        back=journey.url(SLOT),
        steps=steps(5, checks_contact(directory, journey)),
    )


def booking_request(request: Request, journey: Journey, typed: dict) -> BookingRequest:
    return BookingRequest.of(
        site_id=journey.site,
        procedure_id=journey.procedure,
        start=required_moment(journey.start),  # a tampered form: a 422, never a 500
        name=typed.get("name", ""),
        phone=typed.get("phone"),
        email=typed.get("email"),
        motive=typed.get("motive"),
        answers=journey.answers,
        declared=journey.declared,
        notify=typed.get("notify") or None,  # nothing ticked: every contact given
        language=request_language(request),
    )


@post(SUMMARY, sync_to_thread=True, status_code=200)
def summary(
    request: Request, body: RawBody, directory: DirectoryDep, visits: VisitsDep
) -> Template:
    items = form_items(body)
    journey, typed = Journey.read(items), contact_form(items)
    booking = booking_request(request, journey, typed)
    try:
        visits.check_contacts(booking)
    except InvalidRequest as exc:
        return contact_page(request, directory, journey, typed, field_errors(exc))
    site = directory.site(journey.site)
    return page(
        request,
        "journey/summary.html",
        switch_to="/",
        journey=journey,
        typed=typed,
        booking=booking,
        site=site,
        procedure=directory.procedure(journey.procedure),
        start=booking.start.astimezone(ZoneInfo(site.timezone)),
        key=typed.get("key") or uuid.uuid4().hex,
        steps=steps(6, checks_contact(directory, journey)),
    )


@post(CONFIRM, sync_to_thread=True, status_code=200)
def confirm(
    request: Request, body: RawBody, directory: DirectoryDep, visits: VisitsDep
) -> Template | Redirect:
    items = form_items(body)
    journey, typed = Journey.read(items), contact_form(items)
    procedure = directory.catalogue.get(journey.procedure)
    if procedure is not None and procedure.contact_check:  # a code first (an old form)
        return Redirect(HOLD, status_code=HTTP_307_TEMPORARY_REDIRECT)
    booking = booking_request(request, journey, typed)
    digest = hashlib.sha256(repr(sorted(items)).encode()).hexdigest()
    key = IdempotencyKey(f"page:{typed.get('key', '')[:64]}", digest) if typed.get("key") else None
    try:
        view = visits.book(booking, key=key, address=address_of(request))
    except TooManyTries as exc:
        errors = [FieldError(None, exc.detail)]
        return contact_page(request, directory, journey, typed, errors, status_code=429)
    except Conflict as exc:
        return conflict_page(request, directory, journey, typed, exc)
    except InvalidRequest as exc:
        return contact_page(request, directory, journey, typed, field_errors(exc))
    return confirmation_page(request, directory, visits, view)


def conflict_page(
    request: Request, directory: DirectoryDep, journey: Journey, typed: dict, exc: Conflict
) -> Template:
    """Taken between choosing and confirming: the nearest free times, the details kept; a
    visit already booked for this procedure: said on the contact step."""
    if "alternatives" not in exc.extra:
        return contact_page(request, directory, journey, typed, field_errors(exc), 409)
    return slot_page(
        request,
        directory,
        journey.but(start=""),
        action=SUMMARY,
        method="post",
        back=journey.url(SLOT),
        errors=[],
        alternatives=alternative_starts(exc),
        taken=FieldError("start", N_("This time has just been taken. Choose another one.")),
        hidden=[*journey.fields(without=("start",)), *contact_hidden(typed)],
    )


def confirmation_page(
    request: Request, directory: DirectoryDep, visits: VisitsDep, view: VisitView
) -> Template:
    """The booked visit: its reference, code, time, place, documents and links."""
    language = request_language(request)
    return page(
        request,
        "journey/confirmation.html",
        switch_to="/",
        view=view,
        start=view.appointment.starts_at.astimezone(ZoneInfo(view.site.timezone)),
        procedure=directory.procedure(view.appointment.procedure_id),
        documents=documents_to_bring(view.documents, language),
        code=visits.management_code(view),
        manage_link=f"/r/{view.appointment.reference}#{view.token}",
    )


def contact_hidden(typed: dict) -> list[tuple[str, str]]:
    pairs = [(k, typed[k]) for k in ("name", "phone", "email", "motive", "key") if typed.get(k)]
    return pairs + [("notify", n) for n in typed.get("notify", ())]


@post(CALENDAR, sync_to_thread=True, status_code=200)
def calendar_download(request: Request, body: RawBody, visits: VisitsDep) -> Response[bytes]:
    """The .ics, asked for by a POST form: the token never appears in a URL."""
    form = dict(form_items(body))
    language = request_language(request)
    reference, token = form.get("reference", ""), form.get("token")
    calendar = visits.calendar(reference, token, language, address=address_of(request))
    return calendar_response(calendar)


ROUTES = [
    home,
    choose_site,
    declare_documents,
    choose_slot,
    contact_details,
    edit_contact_details,
    summary,
    confirm,
    calendar_download,
]
