"""Closures of a counter or a whole site: their instants, and the live visits inside them.

A closure and a booking racing it are ordered by the site's lock (`booking.domain.revisions`):
the closure takes it alone, bumping the site's revision, before listing the visits it covers;
a booking, having taken its cells, holds it shared and looks once more for a closure over its
time (its visit's insert returns one). Whichever comes second sees the first: a visit is either
listed by the closure or refused, never left inside it unlisted (on PostgreSQL; SQLite runs one
writer at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select
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


_closures = Closure.__table__  # type: ignore[attr-defined]


def closure_reason_over(site_id: Any, counter_id: Any, starts_at: Any, ends_at: Any) -> Any:
    """The reason of a closure covering [starts_at, ends_at) at the site or at the counter
    ("" when it gives none), NULL when there is none: a scalar subquery, so that a visit's
    insert returns it (`appointments`: the booking's look once more, in the same statement)."""
    return (
        select(_closures.c.reason)
        .where(
            _closures.c.site_id == site_id,
            or_(_closures.c.counter_id.is_(None), _closures.c.counter_id == counter_id),
            _closures.c.starts_at < ends_at,
            _closures.c.ends_at > starts_at,
        )
        .limit(1)
        .scalar_subquery()
    )


_CLOSURE_OVER = select(
    closure_reason_over(
        bindparam("site_id"),
        bindparam("counter_id"),
        bindparam("starts_at", type_=_closures.c.starts_at.type),
        bindparam("ends_at", type_=_closures.c.ends_at.type),
    )
)


def closure_over(session: Session, appointment: Appointment) -> str | None:
    """The reason of a closure covering this visit's time at its site or counter ("" when it
    gives none), or None when there is none."""
    values = {
        "site_id": appointment.site_id,
        "counter_id": appointment.counter_id,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
    }
    return session.connection().execute(_CLOSURE_OVER, values).scalar_one()


def counter_of_site(session: Session, site_id: str, counter_id: int) -> Counter | None:
    counter = session.get(Counter, counter_id)
    return counter if counter is not None and counter.site_id == site_id else None
