"""The waiting list: freed seats offered one person at a time, the seat held for them.

A seat freed (a cancellation, the old time of a move, a hold given up) goes first to the
earliest entry of its procedure whose wishes fit and who may get an offer today (one offer a
day, three in all, counted once whatever the channels). The seat is held for them (status
`offered`, through the capacity guard) for `minutes` of daytime: an offer is never sent in
quiet hours and its time does not run during them. A seat too close to its start for that
goes to the public instead. Accepted: the booking (or their live visit moved there);
declined or over: the next entry gets the same seat; nobody left: the public, at the end of
the freed-seat delay at the earliest.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlmodel import Session

from booking.core.booking_request import BookingRequest
from booking.core.clock import local_date
from booking.core.contacts import phone_key
from booking.core.errors import BookingError, Conflict, FieldError
from booking.core.i18n import N_
from booking.core.references import new_salt, waitlist_code
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus, Channel
from booking.domain import appointments
from booking.domain.credentials import OTP_MARKER
from booking.domain.freed_seats import Seat, hold_back_until
from booking.domain.models import Appointment, Site, WaitlistClaim, WaitlistEntry, WaitlistOffer
from booking.domain.release import Release
from completeness.catalogue import Catalogue
from notifications.models import Channel as NotificationChannel
from notifications.models import Kind
from notifications.outbox import Message, enqueue
from notifications.schedule import QUIET_START, end_of_quiet_hours, in_quiet_hours
from notifications.texts import waitlist_code_text

OFFERS_A_DAY, OFFERS_IN_ALL, LAPSES = 1, 3, 3
HALF_DAY_SPLIT = 13  # am before 13:00, pm from it
ALREADY_WAITING = N_(
    "You are already on the waiting list for this procedure: leave it first from its link to"
    " change your wishes."
)


class AlreadyWaiting(Conflict):
    def __init__(self, field: str) -> None:
        super().__init__(ALREADY_WAITING, [FieldError(field, ALREADY_WAITING)])
        self.extra = {"reason": "already_waiting"}


@dataclass(frozen=True)
class Offering:
    """What offering a seat needs: how long an offer lasts (minutes of daytime), the catalogue,
    when new days open to the public, whether quiet hours apply, and the messages."""

    minutes: int
    catalogue: Catalogue
    release: Release
    notices: object  # booking.domain.notices.Notices (its `offered`)
    quiet_hours: bool = True


def claim_keys(secret: str, procedure_id: str, phone: str | None, email: str | None) -> list[str]:
    keys = []
    if phone:
        keys.append(f"{procedure_id}:{phone_key(secret, phone)}"[:64])
    if email:
        keys.append(f"{procedure_id}:{phone_key(secret, 'mail:' + email.lower())}"[:64])
    return keys


def join(session: Session, entry: WaitlistEntry, secret: str) -> WaitlistEntry:
    """Put the entry on the list; one waiting entry per person and procedure (the claim rows'
    primary key refuses a second, also when two arrive at once)."""
    keys = claim_keys(secret, entry.procedure_id, entry.phone, entry.email)
    for key, field in zip(keys, ("phone", "email") if entry.phone else ("email",), strict=False):
        if session.get(WaitlistClaim, key) is not None:
            raise AlreadyWaiting(field)
    entry.token_salt = new_salt()
    session.add(entry)
    session.flush()
    for key in keys:
        session.add(WaitlistClaim(key=key, entry_id=entry.id))  # type: ignore[arg-type]
    session.flush()
    return entry


def position(session: Session, entry: WaitlistEntry) -> int:
    """1 for the first waiting entry of the procedure."""
    if entry.state != "waiting":
        return 0
    ahead = session.execute(
        select(func.count()).where(
            WaitlistEntry.procedure_id == entry.procedure_id,
            WaitlistEntry.state == "waiting",
            WaitlistEntry.id < entry.id,  # type: ignore[operator]
        )
    ).scalar_one()
    return ahead + 1


def open_offer(session: Session, entry: WaitlistEntry) -> WaitlistOffer | None:
    return session.execute(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.state == "open"
        )
    ).scalar_one_or_none()


def end(session: Session, entry: WaitlistEntry, reason: str, now: datetime) -> None:
    """The entry leaves the list (booked, left, declined, lapsed, past, stopped)."""
    entry.state = "booked" if reason == "booked" else "ended"
    entry.ended_reason, entry.ended_at = reason, now
    session.add(entry)
    session.execute(delete(WaitlistClaim).where(WaitlistClaim.entry_id == entry.id))


def daytime_after(start: datetime, minutes: int, timezone: str) -> datetime:
    """`minutes` counted only outside quiet hours (21:00-08:00 local) from `start`."""
    zone = ZoneInfo(timezone)
    moment, left = start, timedelta(minutes=minutes)
    while left > timedelta(0):
        if in_quiet_hours(moment, timezone):
            moment = end_of_quiet_hours(moment, timezone)
            continue
        local = moment.astimezone(zone)
        evening = datetime.combine(local.date(), QUIET_START, tzinfo=zone)
        step = min(left, evening - local)
        moment, left = moment + step, left - step
    return moment


def fits(entry: WaitlistEntry, site_id: str, local_start: datetime) -> bool:
    day = local_start.date()
    if site_id not in entry.site_ids or not entry.first_day <= day <= entry.last_day:
        return False
    if entry.weekdays and day.isoweekday() not in entry.weekdays:
        return False
    if entry.half_days:
        half = "am" if local_start.hour < HALF_DAY_SPLIT else "pm"
        if half not in entry.half_days:
            return False
    return True


def _already_offered(session: Session, seat: Seat) -> set[int]:
    """Entries that had this seat offered already (declined or let lapse): not again."""
    rows = session.execute(
        select(WaitlistOffer.entry_id)
        .join(Appointment, Appointment.id == WaitlistOffer.appointment_id)
        .where(Appointment.site_id == seat.site_id, Appointment.starts_at == seat.starts_at)
    ).scalars()
    return set(rows)


def _candidates(
    session: Session, procedure_id: str, day: date, send_day: date
) -> Iterable[WaitlistEntry]:
    offered = select(WaitlistOffer.entry_id).where(WaitlistOffer.state == "open")
    return session.execute(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.procedure_id == procedure_id,
            WaitlistEntry.state == "waiting",
            WaitlistEntry.first_day <= day,
            WaitlistEntry.last_day >= day,
            WaitlistEntry.offers_sent < OFFERS_IN_ALL,
            WaitlistEntry.id.notin_(offered),  # type: ignore[union-attr]
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).scalars()


def offer_seat(
    session: Session,
    seat: Seat,
    now: datetime,
    offering: Offering,
    *,
    public_at: datetime | None,
) -> WaitlistOffer | None:
    """Hold the freed seat for the first entry in line that fits; None when nobody may have
    it (it then goes to the public)."""
    procedure = offering.catalogue.get(seat.procedure_id or "")
    site = session.get(Site, seat.site_id)
    if procedure is None or site is None:
        return None
    zone = site.timezone
    send_at = end_of_quiet_hours(now, zone) if in_quiet_hours(now, zone) else now
    if not offering.quiet_hours:
        send_at = now
    expires_at = daytime_after(send_at, offering.minutes, zone)
    notice = timedelta(hours=procedure.min_notice_hours, days=procedure.min_notice_days)
    if seat.starts_at - notice < expires_at:
        return None  # too close to its start to wait for an answer: the public's
    local_start = seat.starts_at.astimezone(ZoneInfo(zone))
    send_day = local_date(send_at, zone)
    skip = _already_offered(session, seat)
    for entry in _candidates(session, seat.procedure_id or "", local_start.date(), send_day):
        if entry.id in skip or entry.last_offer_day == send_day:
            continue
        if not fits(entry, seat.site_id, local_start):
            continue
        held = _hold_for(session, entry, seat, now, offering)
        if held is None:
            continue
        offer = WaitlistOffer(
            public_id=secrets.token_urlsafe(9),  # 72 bits; the entry's token is needed too
            entry_id=entry.id,  # type: ignore[arg-type]
            appointment_id=held.id,  # type: ignore[arg-type]
            sent_at=send_at,
            expires_at=expires_at,
            public_at=public_at,
            created_at=now,
        )
        entry.offers_sent += 1
        entry.last_offer_day = send_day
        session.add_all([offer, entry])
        session.flush()
        offering.notices.offered(session, offer, held, entry, now)  # type: ignore[attr-defined]
        return offer
    return None


def _hold_for(
    session: Session, entry: WaitlistEntry, seat: Seat, now: datetime, offering: Offering
) -> Appointment | None:
    """The seat held for the entry through the capacity guard, or None when it cannot be
    (taken meanwhile, the file no longer fits the rules)."""
    request = BookingRequest(
        site_id=seat.site_id,
        procedure_id=seat.procedure_id or "",
        start=seat.starts_at,
        name=entry.name or "",
        phone=entry.phone,
        email=entry.email,
        answers=dict(entry.answers),
        declared=tuple(entry.declared),
        language=entry.language,
        channel=Channel(entry.channel),
    )
    try:
        with session.begin_nested():
            return appointments.book(
                session,
                catalogue=offering.catalogue,
                request=request,
                now=now,
                status=AppointmentStatus.offered,
                release=offering.release,
            )
    except BookingError:
        return None


def live_visit_of(session: Session, entry: WaitlistEntry, now: datetime) -> Appointment | None:
    """The person's live visit of the procedure (accepting then moves it)."""
    contacts = []
    if entry.phone:
        contacts.append(Appointment.phone == entry.phone)
    if entry.email:
        contacts.append(func.lower(Appointment.email) == entry.email.lower())
    if not contacts:
        return None
    return (
        session.execute(
            select(Appointment)
            .where(
                Appointment.procedure_id == entry.procedure_id,
                or_(*contacts),
                Appointment.status.in_(LIVE_STATUSES),
                Appointment.ends_at > now,
                Appointment.return_of.is_(None),
            )
            .order_by(Appointment.starts_at)
            .with_for_update()
        )
        .scalars()
        .first()
    )


def pass_on(session: Session, offer: WaitlistOffer, now: datetime, offering: Offering) -> None:
    """The offer is over without a booking: its seat goes to the next entry, or to the
    public at the later of now and the freed-seat delay's end."""
    held = session.get(Appointment, offer.appointment_id)
    if held is None or held.status != AppointmentStatus.offered:
        return
    seat = Seat.of(held)
    appointments.release_seat(session, held, now, status=AppointmentStatus.withdrawn)
    if offer_seat(session, seat, now, offering, public_at=offer.public_at) is None:
        hold_back_until(session, seat, offer.public_at, now)


def stop_number(session: Session, phone: str, now: datetime, offering: Offering | None) -> int:
    """STOP from a number: its entries leave the list (a seat offered goes on)."""
    entries = session.execute(
        select(WaitlistEntry)
        .where(WaitlistEntry.phone == phone, WaitlistEntry.state == "waiting")
        .with_for_update()
    ).scalars()
    ended = 0
    for entry in list(entries):
        offer = open_offer(session, entry)
        end(session, entry, "stopped", now)
        if offer is not None:
            offer.state, offer.answered_at = "declined", now
            session.add(offer)
            session.flush()
            if offering is not None:
                pass_on(session, offer, now, offering)
        ended += 1
    return ended


def send_code(session: Session, entry: WaitlistEntry, site: Site, now: datetime) -> None:
    """The code that checks the entry's mobile, ahead of other messages, outside quiet hours
    and the fuse; a marker the dispatcher fills when it sends (no code in the outbox)."""
    body = waitlist_code_text(entry.language, OTP_MARKER, site.name)
    message = Message(
        idempotency_key=f"waitlist:{entry.id}:code",
        channel=NotificationChannel.sms,
        kind=Kind.code,
        recipient=entry.phone or "",
        body=body,
        due_at=now,
        entry_id=entry.id,
        site_id=site.id,
        language=entry.language,
        quiet_hours_apply=False,
        timezone=site.timezone,
        urgent=True,
    )
    enqueue(session, [message], now)


def check_code(entry: WaitlistEntry, code: str, secret: str) -> bool:
    return code.strip() == waitlist_code(secret, entry.id)  # type: ignore[arg-type]
