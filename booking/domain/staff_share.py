"""A share of the seats for people who can't book online.

Per site, `staff_share_percent`: on each counter and local day, floor(seats x share) seats are
bookable only through staff channels (phone, desk, intermediary). The share is counted, not
tied to times: the public may take a counter's day while it leaves room for what staff have
not used of the share. What is left of it opens to the public `share_opens_days` before the
day, at that day's release time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from booking.core.clock import local_date
from booking.core.slots import CounterPlan, Load, SiteCalendar, day_seats, local_minute
from booking.core.statuses import LIVE_STATUSES, Channel
from booking.domain.models import Appointment, Counter, Site
from booking.domain.occupancy import load_between
from booking.domain.release import Public, opens_at

_visits = Appointment.__table__  # type: ignore[attr-defined]
ShareRooms = dict[int, dict[date, int]]  # counter id -> local day -> cells the public may take


def share_open(session: Session, site: Site, day: date, public: Public) -> bool:
    """Whether what is left of `day`'s staff share is open to the public now."""
    if site.staff_share_percent <= 0:
        return True
    opening_day = day - timedelta(days=public.release.share_opens_days)
    today = local_date(public.now, site.timezone)
    if opening_day != today:
        return opening_day < today
    return public.now >= opens_at(session, site, today, public.release)


def share_rooms(
    session: Session,
    site: Site,
    calendar: SiteCalendar,
    counters: list[CounterPlan],
    days: tuple[date, date],
    load: Load,
    public: Public,
) -> ShareRooms:
    """counter id -> local day -> cells the public may still take there, over the local
    `days` [first, last] whose staff share is still closed (other days: no entry)."""
    closed = [day for day in _days(*days) if not share_open(session, site, day, public)]
    if not closed or not counters:
        return {}
    tz = calendar.timezone
    ids = [counter.counter_id for counter in counters]
    staff = _staff_cells(session, ids, closed[0], closed[-1], tz)
    rooms: ShareRooms = {}
    for counter in counters:
        counter_load = load.get(counter.counter_id, {})
        mine = rooms.setdefault(counter.counter_id, {})
        for day in closed:
            seats = day_seats(counter, calendar, day)
            reserve = seats * site.staff_share_percent // 100
            if not reserve:
                continue
            first, last = _bounds(day, tz)
            taken = sum(seats for cell, seats in counter_load.items() if first <= cell < last)
            kept = max(0, reserve - staff.get((counter.counter_id, day), 0))
            mine[day] = seats - taken - kept
    return rooms


def share_exceeded(
    session: Session,
    site: Site,
    calendar: SiteCalendar,
    counter: CounterPlan,
    day: date,
    public: Public,
) -> bool:
    """After the public took cells on a counter's `day`: whether they ate into the share.

    Call `lock_counter` first: public bookings of one counter then count one after another.
    """
    if share_open(session, site, day, public):
        return False
    first, last = _bounds(day, calendar.timezone)
    load = load_between(session, [counter.counter_id], first, last)
    rooms = share_rooms(session, site, calendar, [counter], (day, day), load, public)
    room = rooms.get(counter.counter_id, {}).get(day)
    return room is not None and room < 0


def lock_counter(session: Session, counter_id: int) -> None:
    """Serialise the public's bookings of one counter (PostgreSQL row lock; SQLite has one
    writer at a time already), so two of them cannot both take the share's last room."""
    session.execute(select(Counter.id).where(Counter.id == counter_id).with_for_update())


def _staff_cells(
    session: Session, counter_ids: list[int], first: date, last: date, tz: ZoneInfo
) -> dict[tuple[int, date], int]:
    """(counter id, local day) -> cells held by live visits booked through staff channels."""
    begins = datetime.combine(first, time(0), tzinfo=tz)
    ends = datetime.combine(_next(last), time(0), tzinfo=tz)
    rows = session.execute(
        select(
            _visits.c.counter_id, _visits.c.starts_at, _visits.c.ends_at, _visits.c.cell_minutes
        ).where(
            _visits.c.counter_id.in_(counter_ids),
            _visits.c.channel != Channel.web,
            _visits.c.status.in_(LIVE_STATUSES),
            _visits.c.starts_at >= begins,
            _visits.c.starts_at < ends,
        )
    ).all()
    cells: dict[tuple[int, date], int] = defaultdict(int)
    for counter_id, starts_at, ends_at, step in rows:
        minutes = int((ends_at - starts_at).total_seconds()) // 60
        cells[(counter_id, starts_at.astimezone(tz).date())] += -(-minutes // step)
    return cells


def _bounds(day: date, tz: ZoneInfo) -> tuple[int, int]:
    """The local day's minutes [first, last)."""
    return local_minute(day, time(0), tz), local_minute(_next(day), time(0), tz)


def _next(day: date) -> date:
    return day + timedelta(days=1)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
