"""Closures of a counter or a whole site: their instants, and the live visits inside them.

A closure and a booking racing it are ordered by the site's revision row, which both update:
the closure bumps it before listing the visits it covers, and a booking, having taken its
cells (which bumps it too), looks once more for a closure over its time. Whichever comes
second sees the first: a visit is either listed by the closure or refused, never left inside
it unlisted (on PostgreSQL; SQLite runs one writer at a time anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from booking.core.statuses import LIVE_STATUSES
from booking.domain.models import Appointment, Closure, Counter


@dataclass(frozen=True)
class ClosureRange:
    site_id: str
    counter_id: int | None
    starts_at: datetime  # UTC
    ends_at: datetime
    reason: str


def local_range(
    timezone: str,
    start_date: date,
    end_date: date,
    start_time: time | None = None,
    end_time: time | None = None,
) -> tuple[datetime, datetime]:
    """[start, end) in UTC of local days (inclusive), or from a start to an end time."""
    zone = ZoneInfo(timezone)
    begins = datetime.combine(start_date, start_time or time(0), tzinfo=zone)
    if end_time is None:
        ends = datetime.combine(end_date + timedelta(days=1), time(0), tzinfo=zone)
    else:
        ends = datetime.combine(end_date, end_time, tzinfo=zone)
    return begins.astimezone(ZoneInfo("UTC")), ends.astimezone(ZoneInfo("UTC"))


def visits_inside(
    session: Session, closure: ClosureRange, *, lock: bool = False
) -> list[Appointment]:
    """Live visits of the site (or counter) overlapping the closure, in time order; `lock`
    when they are to be cancelled with it."""
    query = (
        select(Appointment)
        .where(
            Appointment.site_id == closure.site_id,
            Appointment.status.in_(LIVE_STATUSES),
            Appointment.starts_at < closure.ends_at,
            Appointment.ends_at > closure.starts_at,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if closure.counter_id is not None:
        query = query.where(Appointment.counter_id == closure.counter_id)
    if lock:
        query = query.with_for_update()
    return list(session.execute(query).scalars())


def closure_over(session: Session, appointment: Appointment) -> Closure | None:
    """A closure covering this visit's time at its site or counter, if there is one."""
    return session.execute(
        select(Closure)
        .where(
            Closure.site_id == appointment.site_id,
            or_(Closure.counter_id.is_(None), Closure.counter_id == appointment.counter_id),
            Closure.starts_at < appointment.ends_at,
            Closure.ends_at > appointment.starts_at,
        )
        .limit(1)
    ).scalar_one_or_none()


def counter_of_site(session: Session, site_id: str, counter_id: int) -> Counter | None:
    counter = session.get(Counter, counter_id)
    return counter if counter is not None and counter.site_id == site_id else None
