"""Use cases of the waiting list: join it, see where one stands, leave it; accept or decline a
seat offered; end the offers whose time is over (a periodic job) and the entries past their
dates. The seat of an offer declined or over goes to the next person in line, else to the
public (booking.domain.waitlist)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.core.access import Actor, Forbidden, Permission
from booking.core.booking_request import BookingRequest
from booking.core.contacts import phone_key, phone_keys
from booking.core.errors import FieldError, Gone, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.references import waitlist_token, waitlist_token_matches
from booking.core.statuses import AppointmentStatus, Channel
from booking.domain import appointments, audit, limits, repeats, waitlist
from booking.domain.access_log import mask_phone
from booking.domain.documents import check_file
from booking.domain.freed_seats import Seat
from booking.domain.models import Appointment, WaitlistEntry, WaitlistOffer
from booking.domain.sites import get_site
from booking.use_cases.attempts import BookingAttempt
from booking.use_cases.citizen_access import TooManyTries, guarded
from booking.use_cases.context import Context
from booking.use_cases.holds import (
    CODES_PER_ADDRESS,
    CODES_PER_PHONE,
    WRONG_CODE,
)
from booking.use_cases.visit_views import VisitView, visit_view

NO_ENTRY = N_("No waiting-list entry matches this link.")
NO_OFFER = N_("No offer matches this link.")
OFFER_OVER = N_("This offer is over: the seat went to someone else.")
HALF_DAYS = ("am", "pm")
CODE_TRIES = 5


@dataclass(frozen=True)
class JoinRequest:
    procedure_id: str
    site_ids: tuple[str, ...]
    first_day: date
    last_day: date
    name: str
    phone: str | None
    email: str | None = None
    weekdays: tuple[int, ...] = ()
    half_days: tuple[str, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    declared: tuple[str, ...] = ()
    language: str = "fr"
    channel: Channel = Channel.web


@dataclass(frozen=True)
class EntryRow:
    entry: WaitlistEntry
    position: int
    phone: str | None  # masked
    offered: bool  # a seat is held for them now


@dataclass(frozen=True)
class EntryView:
    entry: WaitlistEntry
    position: int
    token: str | None
    offer: WaitlistOffer | None = None
    offer_start: datetime | None = None
    offer_site: str | None = None

    @property
    def sent_to(self) -> str | None:
        """Where the code checking the contact went, masked (while the entry is checked)."""
        return mask_phone(self.entry.phone) if self.entry.state == "checking" else None


class Waitlist:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

    # Joining, standing, leaving ----------------------------------------------------------

    def join(
        self, wanted: JoinRequest, *, address: str | None = None, actor: Actor | None = None
    ) -> EntryView:
        """On the list for the procedure's seats at these sites and dates (a `block` procedure
        with every required document only); one entry per person and procedure."""
        context = self._context
        now = context.now()
        if wanted.channel != Channel.web:
            if actor is None:
                raise Forbidden(N_("Your account may not do this here."))
            for site_id in wanted.site_ids:
                actor.require(Permission.counter, site_id)
        procedure = appointments.get_procedure(
            context.catalogue, wanted.procedure_id, "procedure_id"
        )
        checking = procedure.contact_check and wanted.channel == Channel.web
        online = address if wanted.channel == Channel.web else None
        attempt = BookingAttempt(context, online, now)
        with attempt.kept(), self._uow.writing() as session:
            attempt.take(session)
            sites = [get_site(session, s, field_name="site_ids") for s in wanted.site_ids]
            if not sites:
                raise InvalidRequest.for_field("site_ids", N_("Choose at least one site."))
            today = context.today(sites[0].timezone)
            self._check_dates(wanted, today, procedure.horizon_days)
            contact = BookingRequest(
                site_id=sites[0].id,
                procedure_id=procedure.id,
                start=now,
                name=wanted.name,
                phone=wanted.phone,
                email=wanted.email,
                language=wanted.language,
                channel=wanted.channel,
            )
            phone, email = appointments.contact_details(contact, sites[0])
            if not phone:
                message = N_("Give a mobile number: offers are sent by SMS.")
                raise InvalidRequest.for_field("phone", message)
            if not wanted.name.strip():
                raise InvalidRequest.for_field("name", N_("Give your name."))
            file = check_file(
                procedure, wanted.answers, wanted.declared, today=today, language=wanted.language
            )
            entry = WaitlistEntry(
                token_salt="",
                procedure_id=procedure.id,
                site_ids=[site.id for site in sites],
                first_day=wanted.first_day,
                last_day=wanted.last_day,
                weekdays=sorted(set(wanted.weekdays)) or None,
                half_days=sorted(set(wanted.half_days)) or None,
                name=wanted.name.strip(),
                phone=phone,
                email=email,
                language=wanted.language,
                channel=wanted.channel,
                answers=file.answers,
                declared=list(file.declared),
                created_at=now,
                state="checking" if checking else "waiting",
            )
            waitlist.join(session, entry, context.keys.current)
            if checking:  # in line once the code sent to the mobile comes back
                for limit, who in ((CODES_PER_PHONE, phone), (CODES_PER_ADDRESS, address or "")):
                    if limits.over(session, limit, who, now):
                        raise TooManyTries(limit.retry_after(now), limit.name)
                    limits.count(session, limit, who, now)
                waitlist.send_code(session, entry, sites[0], now)
            if actor is not None:
                audit.record(
                    session,
                    actor,
                    f"waitlist.join_{wanted.channel}",
                    now=now,
                    site_id=sites[0].id,
                    target=str(entry.id),
                )
            return self._view(session, entry, with_token=True)

    def confirm_contact(
        self, entry_id: int, token: str | None, code: str, *, address: str
    ) -> EntryView:
        """The code sent to the mobile puts the entry in line (from now); a wrong one counts,
        the fifth ends the entry (410)."""
        now = self._context.now()
        wrong: InvalidRequest | Gone | None = None
        with guarded(self._context, address), self._uow.writing() as session:
            entry = self._entry(session, entry_id, token)
            if entry.state != "checking":
                if entry.state == "ended":
                    wrong = Gone(N_("This entry is closed: join the list again."))
                else:
                    return self._view(session, entry, with_token=False)
            elif waitlist.check_code(entry, code, self._context.keys.current):
                entry.state, entry.created_at = "waiting", now
                session.add(entry)
                session.flush()
                return self._view(session, entry, with_token=False)
            else:
                entry.code_tries += 1
                session.add(entry)
                left = CODE_TRIES - entry.code_tries
                if left <= 0:
                    waitlist.end(session, entry, "tries", now)
                    wrong = Gone(N_("Too many wrong codes: join the list again."))
                else:
                    wrong = InvalidRequest(
                        WRONG_CODE,
                        [FieldError("code", WRONG_CODE, {"tries_left": left})],
                        extra={"tries_left": left},
                        tries_left=left,
                    )
        raise wrong  # type: ignore[misc]  # said once the count is committed

    def status(self, entry_id: int, token: str | None, *, address: str) -> EntryView:
        with guarded(self._context, address), self._uow.writing() as session:
            entry = self._entry(session, entry_id, token)
            return self._view(session, entry, with_token=False)

    def leave(self, entry_id: int, token: str | None, *, address: str) -> None:
        now = self._context.now()
        with guarded(self._context, address), self._uow.writing() as session:
            entry = self._entry(session, entry_id, token)
            if entry.state != "waiting":
                return
            offer = waitlist.open_offer(session, entry)
            waitlist.end(session, entry, "left", now)
            if offer is not None:
                self._close(session, offer, "declined", now)

    # Staff --------------------------------------------------------------------------------

    def site_list(self, actor: Actor, site_id: str) -> list[EntryRow]:
        """The entries waiting for the site's seats, first in line first, contacts masked."""
        actor.require(Permission.counter, site_id)
        with self._uow.reading() as session:
            get_site(session, site_id)
            rows = session.execute(
                select(WaitlistEntry)
                .where(WaitlistEntry.state == "waiting")
                .order_by(WaitlistEntry.procedure_id, WaitlistEntry.created_at, WaitlistEntry.id)
            ).scalars()
            listed = [entry for entry in rows if site_id in entry.site_ids]
            return [
                EntryRow(
                    entry,
                    waitlist.position(session, entry),
                    mask_phone(entry.phone),
                    waitlist.open_offer(session, entry) is not None,
                )
                for entry in listed
            ]

    def remove(self, actor: Actor, site_id: str, entry_id: int) -> None:
        """Staff take someone off the list (audited); a seat offered goes on."""
        actor.require(Permission.counter, site_id)
        now = self._context.now()
        with self._uow.writing() as session:
            entry = session.get(WaitlistEntry, entry_id, with_for_update=True)
            if entry is None or site_id not in entry.site_ids:
                raise NotFound(NO_ENTRY)
            if entry.state != "waiting":
                return
            offer = waitlist.open_offer(session, entry)
            waitlist.end(session, entry, "removed", now)
            if offer is not None:
                self._close(session, offer, "declined", now)
            audit.record(
                session, actor, "waitlist.remove", now=now, site_id=site_id, target=str(entry_id)
            )

    # Offers -------------------------------------------------------------------------------

    def accept(self, offer_id: str, token: str | None, *, address: str) -> VisitView:
        """The seat becomes their visit (or their live visit moves there); the same answer
        again for a second click; 410 once the offer is over."""
        context = self._context
        now = context.now()
        with guarded(context, address), self._uow.writing() as session:
            offer, entry = self._offer(session, offer_id, token)  # locked: one outcome
            held = session.get(Appointment, offer.appointment_id)
            if offer.state == "accepted":
                booked = self._booked_by(session, offer, held)
                return visit_view(context, session, booked, with_token=True)
            if offer.state == "open" and now < offer.expires_at:
                booked = self._take(session, offer, entry, held, now)  # type: ignore[arg-type]
                return visit_view(context, session, booked, with_token=True)
            if offer.state == "open":  # its time is over: the next person gets the seat
                self._expire(session, offer, entry, now)
        raise Gone(OFFER_OVER)  # said once what the time's end did is committed

    def decline(self, offer_id: str, token: str | None, *, address: str) -> None:
        """One decline ends the entry (it is told so); the seat goes to the next in line."""
        now = self._context.now()
        with guarded(self._context, address), self._uow.writing() as session:
            offer, entry = self._offer(session, offer_id, token)
            if offer.state == "declined":
                return
            if offer.state != "open" or now >= offer.expires_at:
                raise Gone(OFFER_OVER)
            waitlist.end(session, entry, "declined", now)
            self._close(session, offer, "declined", now)

    def offer_view(self, offer_id: str, token: str | None, *, address: str) -> EntryView:
        """The offer as its page shows it (the entry's token given)."""
        with guarded(self._context, address), self._uow.writing() as session:
            offer, entry = self._offer(session, offer_id, token)
            return self._view(session, entry, with_token=False, offer=offer)

    def expire_due(self) -> int:
        """Offers whose time is over go to the next person; entries past their dates leave.
        A periodic job; idempotent; several processes share it (rows locked, skipped)."""
        context = self._context
        now = context.now()
        with self._uow.writing() as session:
            due = session.execute(
                select(WaitlistOffer)
                .where(WaitlistOffer.state == "open", WaitlistOffer.expires_at <= now)
                .order_by(WaitlistOffer.id)
                .with_for_update(skip_locked=True)
            ).scalars()
            done = 0
            for offer in list(due):
                entry = session.get(WaitlistEntry, offer.entry_id)
                self._expire(session, offer, entry, now)  # type: ignore[arg-type]
                done += 1
            yesterday = context.today() - timedelta(days=1)
            past = session.execute(
                select(WaitlistEntry).where(
                    WaitlistEntry.state == "waiting", WaitlistEntry.last_day < yesterday
                )
            ).scalars()
            for entry in list(past):
                waitlist.end(session, entry, "past", now)
                context.notices.waitlist_ended(session, entry, "past", now)
            return done

    # ------------------------------------------------------------------------------------

    def _take(
        self,
        session,  # type: ignore[no-untyped-def]
        offer: WaitlistOffer,
        entry: WaitlistEntry,
        held: Appointment,
        now: datetime,
    ) -> Appointment:
        context = self._context
        existing = waitlist.live_visit_of(session, entry, now)
        if existing is not None:  # no second visit: the one they hold moves to the seat
            start, old_seat = held.starts_at, Seat.of(existing)
            appointments.release_seat(session, held, now, status=AppointmentStatus.withdrawn)
            appointments.reschedule(
                session,
                existing,
                catalogue=context.catalogue,
                new_start=start,
                now=now,
                release=context.release,
                plans=context.plans,
            )
            existing.from_waitlist = True
            context.notices.moved(session, existing, now)
            context.freeing.free(session, old_seat, now, by_citizen=True)
            booked = existing
        else:
            appointments.confirm_held(held, now)
            held.from_waitlist = True
            held.phone_key = phone_key(context.keys.current, held.phone)
            repeats.mark(session, held, phone_keys(context.keys.all, held.phone))
            context.notices.booked(session, held, now)
            booked = held
        offer.state, offer.answered_at = "accepted", now
        session.add_all([offer, booked])
        waitlist.end(session, entry, "booked", now)
        return booked

    def _booked_by(self, session, offer: WaitlistOffer, held: Appointment | None) -> Appointment:  # type: ignore[no-untyped-def]
        if held is not None and held.status != AppointmentStatus.withdrawn:
            return held
        entry = session.get(WaitlistEntry, offer.entry_id)
        moved = waitlist.live_visit_of(session, entry, offer.created_at)
        if moved is None:
            raise Gone(OFFER_OVER)
        return moved

    def _expire(
        self,
        session,
        offer: WaitlistOffer,
        entry: WaitlistEntry,
        now: datetime,  # type: ignore[no-untyped-def]
    ) -> None:
        entry.lapsed += 1
        session.add(entry)
        if entry.state == "waiting" and entry.lapsed >= waitlist.LAPSES:
            waitlist.end(session, entry, "lapsed", now)
            self._context.notices.waitlist_ended(session, entry, "lapsed", now)
        self._close(session, offer, "expired", now)

    def _close(self, session, offer: WaitlistOffer, state: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
        offer.state, offer.answered_at = state, now
        session.add(offer)
        session.flush()
        waitlist.pass_on(session, offer, now, self._context.freeing.offering)  # type: ignore[arg-type]

    def _entry(self, session, entry_id: int, token: str | None) -> WaitlistEntry:  # type: ignore[no-untyped-def]
        entry = session.get(WaitlistEntry, entry_id, with_for_update=True)
        keys = self._context.keys.all
        if entry is None or not waitlist_token_matches(keys, entry.id, entry.token_salt, token):
            raise appointments.WrongCredentials(NO_ENTRY)
        return entry

    def _offer(
        self, session, offer_id: str, token: str | None
    ) -> tuple[WaitlistOffer, WaitlistEntry]:  # type: ignore[no-untyped-def]
        offer = session.execute(
            select(WaitlistOffer).where(WaitlistOffer.public_id == offer_id).with_for_update()
        ).scalar_one_or_none()
        if offer is None:
            raise appointments.WrongCredentials(NO_OFFER)
        return offer, self._entry(session, offer.entry_id, token)

    def _view(
        self,
        session,  # type: ignore[no-untyped-def]
        entry: WaitlistEntry,
        *,
        with_token: bool,
        offer: WaitlistOffer | None = None,
    ) -> EntryView:
        offer = offer or waitlist.open_offer(session, entry)
        held = session.get(Appointment, offer.appointment_id) if offer else None
        token = waitlist_token(self._context.keys.current, entry.id, entry.token_salt)  # type: ignore[arg-type]
        start = None
        if held is not None:  # in the site's own time, as every start the API gives
            start = held.starts_at.astimezone(ZoneInfo(get_site(session, held.site_id).timezone))
        return EntryView(
            entry,
            waitlist.position(session, entry),
            token if with_token else None,
            offer,
            start,
            held.site_id if held else None,
        )

    @staticmethod
    def _check_dates(wanted: JoinRequest, today: date, horizon_days: int) -> None:
        if wanted.last_day < wanted.first_day:
            raise InvalidRequest.for_field("to", N_("'to' must not be before 'from'."))
        if wanted.first_day < today:
            raise InvalidRequest.for_field("from", N_("Choose dates from today on."))
        if wanted.last_day > today + timedelta(days=horizon_days):
            message = N_("Choose dates within {days} days: seats are not open further ahead.")
            raise InvalidRequest.for_field("to", message, days=horizon_days)
        if any(not 1 <= day <= 7 for day in wanted.weekdays):
            raise InvalidRequest.for_field("weekdays", N_("Weekdays are 1 (Monday) to 7."))
        if any(half not in HALF_DAYS for half in wanted.half_days):
            raise InvalidRequest.for_field("half_days", N_("Half-days are am or pm."))
