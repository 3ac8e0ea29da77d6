"""The code step of a procedure with a checked contact: after the summary the seat is held and
a code goes by SMS; this page asks for it, says until when the seat is held, sends it again,
or lets the citizen change their number (the hold is released and they go back to the
contact step). Plain POST forms: no script needed."""

from __future__ import annotations

from contextlib import suppress
from zoneinfo import ZoneInfo

from litestar import Request, post
from litestar.params import RawBody
from litestar.response import Template

from booking.core.errors import Conflict, FieldError, Gone, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.use_cases.citizen_access import TooManyTries
from booking.use_cases.holds import HeldSeat
from booking.web.deps import DirectoryDep, HoldsDep, VisitsDep, address_of
from booking.web.pages.journey import (
    HOLD,
    SLOT,
    booking_request,
    confirmation_page,
    conflict_page,
    contact_hidden,
    contact_page,
)
from booking.web.pages.journey_state import Journey
from booking.web.pages.presenting import steps
from booking.web.rendering import page
from booking.web.shared.forms import contact_form, field_errors, form_items

CODE = "/rendez-vous/code"
RESEND, CHANGE = "/rendez-vous/code/renvoyer", "/rendez-vous/code/changer"

OVER_MESSAGES = {
    "not_sent": N_(
        "We could not send the code in time (the SMS service did not answer), so the seat was"
        " released. Choose a time again; nothing was booked."
    ),
    "tries": N_("Too many wrong codes: the seat was released. Choose a time again."),
}
OVER = N_("The seat is no longer held for you: choose a time again. Nothing was booked.")
SENT_AGAIN = N_("A new code is on its way; the previous one no longer works.")


@post(HOLD, sync_to_thread=True, status_code=200)
def hold_seat(
    request: Request, body: RawBody, directory: DirectoryDep, holds: HoldsDep
) -> Template:
    """From the summary: hold the seat and send the code."""
    items = form_items(body)
    journey, typed = Journey.read(items), contact_form(items)
    booking = booking_request(request, journey, typed)
    try:
        held = holds.hold(booking, address=address_of(request))
    except Conflict as exc:  # taken meanwhile: the nearest free times, as for a booking
        return conflict_page(request, directory, journey, typed, exc)
    except TooManyTries as exc:
        return contact_page(
            request, directory, journey, typed, [FieldError(None, exc.detail)], status_code=429
        )
    except InvalidRequest as exc:
        return contact_page(request, directory, journey, typed, field_errors(exc))
    return _code_page(request, directory, journey, typed, held, [])


@post(CODE, sync_to_thread=True, status_code=200)
def check_code(
    request: Request,
    body: RawBody,
    directory: DirectoryDep,
    holds: HoldsDep,
    visits: VisitsDep,
) -> Template:
    items = form_items(body)
    form = dict(items)
    journey, typed = Journey.read(items), contact_form(items)
    token = form.get("hold", "")
    try:
        view = holds.confirm(token, form.get("code", ""), address=address_of(request))
    except InvalidRequest as exc:  # a wrong code: tries left, said on the field
        return _again(request, directory, holds, journey, typed, token, field_errors(exc), 422)
    except TooManyTries as exc:
        error = FieldError("code", exc.detail)
        return _again(request, directory, holds, journey, typed, token, [error], 429)
    except (Gone, NotFound):
        return _over(request, directory, holds, journey, token)
    except Conflict as exc:  # one live visit per person: said to the number's owner only
        return contact_page(request, directory, journey, typed, field_errors(exc), 409)
    return confirmation_page(request, directory, visits, view)


@post(RESEND, sync_to_thread=True, status_code=200)
def resend_code(
    request: Request, body: RawBody, directory: DirectoryDep, holds: HoldsDep
) -> Template:
    items = form_items(body)
    journey, typed = Journey.read(items), contact_form(items)
    token = dict(items).get("hold", "")
    try:
        holds.resend(token, address=address_of(request))
    except TooManyTries:
        message = N_("The code was already sent three times. Type the last one received.")
        error = FieldError("code", message)
        return _again(request, directory, holds, journey, typed, token, [error], 429)
    except (Gone, NotFound):
        return _over(request, directory, holds, journey, token)
    return _again(request, directory, holds, journey, typed, token, [], 200, notice=SENT_AGAIN)


@post(CHANGE, sync_to_thread=True, status_code=200)
def change_number(
    request: Request, body: RawBody, directory: DirectoryDep, holds: HoldsDep
) -> Template:
    """The hold is released; the contact step again, as typed, to give the right number."""
    items = form_items(body)
    journey, typed = Journey.read(items), contact_form(items)
    with suppress(Gone, NotFound, TooManyTries):  # over already: the contact step all the same
        holds.give_up(dict(items).get("hold", ""), address=address_of(request))
    return contact_page(request, directory, journey, typed, [])


def _again(
    request: Request,
    directory: DirectoryDep,
    holds: HoldsDep,
    journey: Journey,
    typed: dict,
    token: str,
    errors: list[FieldError],
    status: int,
    notice: str | None = None,
) -> Template:
    try:
        held = holds.seat(token)
    except NotFound:
        return _over(request, directory, holds, journey, token)
    if held.state != "open":
        return _over(request, directory, holds, journey, token, held)
    return _code_page(request, directory, journey, typed, held, errors, status, notice)


def _code_page(
    request: Request,
    directory: DirectoryDep,
    journey: Journey,
    typed: dict,
    held: HeldSeat,
    errors: list[FieldError],
    status: int = 200,
    notice: str | None = None,
) -> Template:
    site = directory.site(held.site_id)
    zone = ZoneInfo(site.timezone)
    return page(
        request,
        "journey/code.html",
        status_code=status,
        switch_to="/",
        journey=journey,
        carried=[*journey.fields(), *contact_hidden(typed), ("hold", held.token)],
        held=held,
        sent_to=held.sent_to.replace(" ", "\u00a0"),  # a number is not cut at a line's end
        held_until=held.expires_at.astimezone(zone),
        start=held.start.astimezone(zone),
        site=site,
        errors=errors,
        notice=notice,
        steps=steps(7, checked_contact=True),
    )


def _over(
    request: Request,
    directory: DirectoryDep,
    holds: HoldsDep,
    journey: Journey,
    token: str,
    held: HeldSeat | None = None,
) -> Template:
    """The hold ended without a visit: why, and the way back to the times."""
    if held is None:
        try:
            held = holds.seat(token)
        except NotFound:
            held = None
    reason = held.released_reason if held is not None else None
    return page(
        request,
        "journey/code_over.html",
        status_code=410,
        switch_to="/",
        message=OVER_MESSAGES.get(reason or "", OVER),
        again=journey.but(start="").url(SLOT),
    )


ROUTES = [hold_seat, check_code, resend_code, change_number]
