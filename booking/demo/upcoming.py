"""The demo's present: today and the coming two weeks booked to about half their seats through
the real guard, today's earlier visits already checked in or seen, so that each role's first
screen shows the product at work. Topping up again books nothing more on a day already topped
up (idempotent); a new day that came within two weeks is topped up in its turn.

Phone numbers are those the regulator reserves for fiction (06 39 98 xx xx): phonenumbers calls
them invalid, so they are written directly, never through a booking's checks.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from booking.core.booking_request import BookingRequest
from booking.core.clock import local_date
from booking.core.errors import BookingError
from booking.core.lifecycle import Move
from booking.core.slots import from_minute
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus, Channel
from booking.domain import appointments
from booking.domain.availability import rules_for, search_slots
from booking.domain.models import Appointment, Counter, CounterProcedure, Site
from completeness.catalogue import Catalogue

DAYS = 14
FICTION = "+33639980000"  # + a number below 10,000
NAMES = (
    "Amina Diallo",
    "Lucas Martin",
    "Sofia Benali",
    "Nguyen Van An",
    "Ioana Popescu",
    "Karim Haddad",
    "Fatou Ndiaye",
    "Mateo Garcia",
    "Chloé Bernard",
    "Yusuf Demir",
)


def top_up(session: Session, catalogue: Catalogue, now: datetime) -> int:
    """Book each site's coming days up to about half their free seats; how many were booked."""
    booked = 0
    for site in session.execute(select(Site).order_by(Site.id)).scalars():
        procedures = _served(session, catalogue, site)
        today = local_date(now, site.timezone)
        rng = random.Random(f"{site.id}:{today}")
        for offset in range(DAYS):
            day = today + timedelta(offset)
            booked += _fill_day(session, catalogue, site, procedures, day, now, rng)
    return booked


def _served(session: Session, catalogue: Catalogue, site: Site) -> list[str]:
    found = session.execute(
        select(CounterProcedure.procedure_id)
        .join(Counter, Counter.id == CounterProcedure.counter_id)
        .where(Counter.site_id == site.id, Counter.active)
        .distinct()
    ).scalars()
    return sorted(p for p in found if catalogue.get(p) is not None)


def _fill_day(
    session: Session,
    catalogue: Catalogue,
    site: Site,
    procedures: list[str],
    day: date,
    now: datetime,
    rng: random.Random,
) -> int:
    """Book random free starts of the day until about half the day's seats are taken."""
    if not procedures or _topped_up(session, site, day):
        return 0
    taken = _live_on(session, site, day)
    free = {p: _free_starts(session, catalogue, site, p, day, now) for p in procedures}
    seats = taken + sum(len(starts) for starts in free.values()) // len(procedures)
    booked = 0
    while taken + booked < seats // 2:
        procedure = rng.choice(procedures)
        if not free[procedure]:
            if not any(free.values()):
                break
            continue
        start = free[procedure].pop(rng.randrange(len(free[procedure])))
        number = rng.randrange(10_000)
        request = BookingRequest(
            site_id=site.id,
            procedure_id=procedure,
            start=start,
            name=rng.choice(NAMES),
            language="fr" if rng.random() < 0.85 else "en",
            channel=Channel.phone,  # the staff's rules: no contact needed, no notice
        )
        booked_at = min(now, start - timedelta(minutes=30))  # this morning's, booked before
        try:
            with session.begin_nested():
                visit = appointments.book(
                    session, catalogue=catalogue, request=request, now=booked_at
                )
                visit.channel = rng.choice((Channel.web,) * 4 + (Channel.phone, Channel.desk))
                visit.phone = f"{FICTION[:-4]}{number:04d}"
                visit.notify_sms = True
                _live_until(session, visit, now, rng)
        except BookingError:  # that start is taken by a longer visit booked just before
            continue
        booked += 1
    return booked


def _free_starts(
    session: Session, catalogue: Catalogue, site: Site, procedure_id: str, day: date, now: datetime
) -> list[datetime]:
    procedure = catalogue.get(procedure_id)
    staff = replace(procedure, min_notice_hours=0, min_notice_days=0)  # type: ignore[arg-type]
    rules = rules_for(staff, site, now - timedelta(hours=12))  # today's morning too
    return [from_minute(slot.start) for slot in search_slots(session, site, staff, day, day, rules)]


def _topped_up(session: Session, site: Site, day: date) -> bool:
    """The day already has the demo's visits (their fiction numbers): it is left as it is."""
    found = session.execute(
        select(Appointment.id)
        .where(
            Appointment.site_id == site.id,
            Appointment.local_date == day,
            Appointment.phone.startswith(FICTION[:-4]),  # type: ignore[union-attr]
        )
        .limit(1)
    ).first()
    return found is not None


def _live_on(session: Session, site: Site, day: date) -> int:
    return session.execute(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.site_id == site.id,
            Appointment.local_date == day,
            Appointment.status.in_((*LIVE_STATUSES, AppointmentStatus.seen)),
        )
    ).scalar_one()


def _live_until(session: Session, visit: Appointment, now: datetime, rng: random.Random) -> None:
    """A visit of today that has started: arrived, called or seen, as a morning goes."""
    if visit.starts_at > now:
        return
    arrived = visit.starts_at - timedelta(minutes=rng.randint(2, 12))
    appointments.transition(session, visit, Move.check_in, now=arrived)
    if visit.ends_at + timedelta(minutes=20) > now:
        return  # still in the waiting room
    called = visit.starts_at + timedelta(minutes=rng.randint(0, 15))
    appointments.transition(session, visit, Move.call, now=called)
    appointments.transition(session, visit, Move.seen, now=called + timedelta(minutes=10))
