"""Reading what slot computation needs from the database: counter plans, closures, load."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, bindparam, cast, literal, null, select, union_all
from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.core.holidays import site_calendar
from booking.core.slots import (
    BookingRules,
    CounterPlan,
    Load,
    SiteCalendar,
    Slot,
    WeeklyWindow,
    booking_rules,
    find_slots,
    from_minute,
    local_minute,
    to_minute,
)
from booking.domain.freed_seats import held_back
from booking.domain.models import (
    Closure,
    Counter,
    CounterLoad,
    CounterProcedure,
    FreedSeat,
    OpeningWindow,
    Site,
)
from booking.domain.occupancy import load_between, taken_in_range
from booking.domain.release import Public, public_rules
from booking.domain.staff_share import ShareRooms, share_rooms
from completeness.catalogue import Procedure
from storage.in_lists import fixed_list


@dataclass(frozen=True)
class SitePlan:
    """Everything needed to compute one procedure's slots at one site over some local days."""

    site: Site
    calendar: SiteCalendar
    counters: list[CounterPlan]
    first_day: date
    last_day: date

    @property
    def counter_ids(self) -> list[int]:
        return [plan.counter_id for plan in self.counters]

    def minute_range(self) -> tuple[int, int]:
        tz = self.calendar.timezone
        first = local_minute(self.first_day, time(0), tz)
        last = local_minute(self.last_day + timedelta(days=1), time(0), tz)
        return first, last + 24 * 60  # a visit may run past midnight; cells are cheap to read


def rules_for(procedure: Procedure, site: Site | ZoneInfo, now: datetime) -> BookingRules:
    """What the procedure allows now, at a site (or in its time zone)."""
    return booking_rules(
        duration_minutes=procedure.duration_minutes,
        min_notice_hours=procedure.min_notice_hours,
        min_notice_days=procedure.min_notice_days,
        horizon_days=procedure.horizon_days,
        now=now,
        tz=site if isinstance(site, ZoneInfo) else ZoneInfo(site.timezone),
    )


def load_site_plan(
    session: Session, site: Site, procedure_id: str | None, first_day: date, last_day: date
) -> SitePlan:
    """The active counters serving a procedure (None: every active counter of the site)."""
    query = select(Counter.id, Counter.capacity, Counter.slot_minutes).where(
        Counter.site_id == site.id, Counter.active.is_(True)
    )
    if procedure_id is not None:
        query = query.join(CounterProcedure, CounterProcedure.counter_id == Counter.id).where(
            CounterProcedure.procedure_id == procedure_id
        )
    counters = session.execute(query.order_by(Counter.id)).all()
    ids = [row.id for row in counters]
    windows: dict[int, list[WeeklyWindow]] = {cid: [] for cid in ids}
    if ids:
        for row in session.execute(
            select(
                OpeningWindow.counter_id,
                OpeningWindow.weekday,
                OpeningWindow.starts,
                OpeningWindow.ends,
                OpeningWindow.valid_from,
                OpeningWindow.valid_to,
            ).where(OpeningWindow.counter_id.in_(ids))
        ):
            windows[row.counter_id].append(WeeklyWindow(*row[1:]))
    tz = ZoneInfo(site.timezone)
    closures = _closures(session, site.id, tz, first_day, last_day)
    plans = [
        CounterPlan(
            counter_id=row.id,
            capacity=row.capacity,
            slot_minutes=row.slot_minutes,
            windows=tuple(windows[row.id]),
            closures=tuple(closures.get(None, []) + closures.get(row.id, [])),
        )
        for row in counters
    ]
    calendar = site_calendar(
        site.timezone, site.holiday_subdivision, site.open_on_holidays, first_day, last_day
    )
    return SitePlan(site, calendar, plans, first_day, last_day)


def _closures(
    session: Session, site_id: str, tz: ZoneInfo, first_day: date, last_day: date
) -> dict[int | None, list[tuple[int, int]]]:
    begins = datetime.combine(first_day, time(0), tzinfo=tz)
    ends = datetime.combine(last_day + timedelta(days=2), time(0), tzinfo=tz)
    found: dict[int | None, list[tuple[int, int]]] = {}
    for counter_id, starts_at, ends_at in session.execute(
        select(Closure.counter_id, Closure.starts_at, Closure.ends_at).where(
            Closure.site_id == site_id, Closure.starts_at < ends, Closure.ends_at > begins
        )
    ):
        found.setdefault(counter_id, []).append((to_minute(starts_at), to_minute(ends_at)))
    return found


def closure_reason(session: Session, site_id: str, start: int, end: int) -> str | None:
    """The reason of a closure over [start, end) UTC minutes at the site, if one says why."""
    reason = session.execute(
        select(Closure.reason)
        .where(
            Closure.site_id == site_id,
            Closure.starts_at < from_minute(end),
            Closure.ends_at > from_minute(start),
            Closure.reason != "",
        )
        .limit(1)
    ).scalar_one_or_none()
    return reason


def current_load(session: Session, plan: SitePlan, public: Public | None = None) -> Load:
    """The visits holding each cell; for the `public`, also the seats freed by citizens and
    still held back."""
    first, last = plan.minute_range()
    load = load_between(session, plan.counter_ids, first, last)
    return load if public is None else with_held_back(session, plan, load, public.now)


def with_held_back(session: Session, plan: SitePlan, load: Load, now: datetime) -> Load:
    first, last = plan.minute_range()
    return plus(load, held_back(session, plan.counter_ids, first, last, now))


def plus(load: Load, more: Load) -> Load:
    """Both loads, cell by cell."""
    if not any(more.values()):
        return load
    both = {counter_id: dict(cells) for counter_id, cells in load.items()}
    for counter_id, cells in more.items():
        mine = both.setdefault(counter_id, {})
        for cell, seats in cells.items():
            mine[cell] = mine.get(cell, 0) + seats
    return both


_load = CounterLoad.__table__  # type: ignore[attr-defined]
_freed = FreedSeat.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=16)
def _load_and_held(length: int) -> CompoundSelect:
    """The load of `length` counters' cells in a range and the site's seats held back, in one
    round trip (a slot list's day, a booking's cells; `in_lists`: compiled once)."""
    return union_all(
        select(
            literal(0).label("kind"),
            _load.c.counter_id,
            _load.c.cell,
            _load.c.booked,
            literal(0),
            cast(null(), _freed.c.available_at.type).label("available_at"),
        ).where(*taken_in_range(length)),
        select(
            literal(1),
            _freed.c.counter_id,
            _freed.c.first_cell,
            _freed.c.end_cell,
            _freed.c.cell_minutes,
            _freed.c.available_at,
        ).where(_freed.c.site_id == bindparam("site_id"), _freed.c.available_at > bindparam("now")),
    )


def load_and_held_back(
    bind: Session | Connection, plan: SitePlan, first: int, last: int, now: datetime
) -> tuple[Load, Load, datetime | None]:
    """Over cells [first, last): the visits holding each cell, the seats still held back from
    the public, and when the next held-back seat of the site comes back."""
    load: dict[int, dict[int, int]] = {cid: {} for cid in plan.counter_ids}
    held: dict[int, dict[int, int]] = {}
    coming = None
    length, values = fixed_list("counter", plan.counter_ids)
    values |= {"first": first, "last": last, "site_id": plan.site.id, "now": now}
    rows = bind.execute(_load_and_held(length), values).all()  # fetched at once
    for kind, counter_id, a, b, step, available_at in rows:
        if kind == 0:
            load[counter_id][a] = b
            continue
        coming = available_at if coming is None else min(coming, available_at)
        cells = held.setdefault(counter_id, {})
        for cell in range(a, b, step):
            if first <= cell < last:
                cells[cell] = cells.get(cell, 0) + 1
    return load, held, coming


def public_rooms(session: Session, plan: SitePlan, load: Load, public: Public) -> ShareRooms:
    """What the staff share leaves the public, counter by counter and day by day."""
    if plan.site.staff_share_percent <= 0:
        return {}
    days = (plan.first_day, plan.last_day)
    return share_rooms(session, plan.site, plan.calendar, plan.counters, days, load, public)


def whole_days(rules: BookingRules, tz: ZoneInfo, now: datetime) -> BookingRules:
    """The same rules with the notice cut back to the start of today (for shared slot lists)."""
    today = now.astimezone(tz).date()
    return replace(rules, earliest=min(rules.earliest, local_minute(today, time(0), tz)))


def search_slots(
    session: Session,
    site: Site,
    procedure: Procedure,
    first_day: date,
    last_day: date,
    rules: BookingRules,
    *,
    public: Public | None = None,
) -> list[Slot]:
    """Free starts. The `public` sees fewer: no new day before its release time, no seat
    freed by a citizen while it is held back, none of a staff share not open yet."""
    if public is not None:
        rules = public_rules(session, site, rules, public)
    plan = load_site_plan(session, site, procedure.id, first_day, min(last_day, rules.last_day))
    if not plan.counters or first_day > rules.last_day:
        return []
    first, last = plan.minute_range()
    load: Load = load_between(session, plan.counter_ids, first, last)
    room = None
    if public is not None:
        room = public_rooms(session, plan, load, public)
        load = with_held_back(session, plan, load, public.now)
    return find_slots(plan.counters, plan.calendar, first_day, last_day, rules, load, room)
