"""Slot computation: pure functions from opening windows, closures and load to bookable starts.

Instants are whole minutes since the Unix epoch, in UTC ("minute" below). Windows are in the
site's local wall-clock time: a 09:00 window is 09:00 local on both sides of a clock change.
A counter's grid starts at each window's start and steps by the counter's `slot_minutes`; a
visit covers ceil(duration / step) cells, so visits of any length never shift the grid.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import add
from zoneinfo import ZoneInfo

Load = Mapping[int, Mapping[int, int]]  # counter id -> cell minute -> visits holding it


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    weekday: int  # 0 = Monday
    starts: time
    ends: time
    valid_from: date | None = None
    valid_to: date | None = None

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class CounterPlan:
    counter_id: int
    capacity: int
    slot_minutes: int
    windows: tuple[WeeklyWindow, ...]
    closures: tuple[tuple[int, int], ...] = ()  # [start, end) minutes, site-wide ones included


@dataclass(frozen=True, slots=True)
class SiteCalendar:
    timezone: ZoneInfo
    closed_days: frozenset[date] = frozenset()  # public holidays the site is closed on


@dataclass(frozen=True, slots=True)
class BookingRules:
    """What a procedure allows at the moment of asking."""

    duration_minutes: int
    earliest: int  # first bookable start (minute)
    last_day: date  # last bookable local day (horizon)
    for_public: bool = False  # cut to what the public may see (booking.domain.release)


@dataclass(frozen=True, slots=True)
class Slot:
    start: int
    end: int
    available: int


class Refusal(enum.StrEnum):
    before_notice = "before_notice"
    beyond_horizon = "beyond_horizon"
    off_grid = "off_grid"
    closed = "closed"


def to_minute(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp()) // 60


def from_minute(minute: int, tz: ZoneInfo | None = None) -> datetime:
    moment = datetime.fromtimestamp(minute * 60, UTC)
    return moment.astimezone(tz) if tz else moment


def booking_rules(
    *,
    duration_minutes: int,
    min_notice_hours: int,
    min_notice_days: int,
    horizon_days: int,
    now: datetime,
    tz: ZoneInfo,
) -> BookingRules:
    """Notice in hours and/or whole local days; horizon in local days from today."""
    today = now.astimezone(tz).date()
    earliest = to_minute(now) + min_notice_hours * 60
    if min_notice_days:
        first_day = today + timedelta(days=min_notice_days)
        earliest = max(earliest, local_minute(first_day, time(0), tz))
    # A start exactly "now" is already gone: round up to the next minute.
    if now.second or now.microsecond:
        earliest = max(earliest, to_minute(now) + 1)
    return BookingRules(duration_minutes, earliest, today + timedelta(days=horizon_days))


def cells_of(start: int, duration_minutes: int, step: int) -> range:
    """The grid cells a visit holds: ceil(duration / step) cells from its start."""
    count = -(-duration_minutes // step)
    return range(start, start + count * step, step)


@lru_cache(maxsize=65536)
def local_minute(day: date, at: time, tz: ZoneInfo) -> int:
    return int(datetime.combine(day, at, tzinfo=tz).timestamp()) // 60


def _window_bounds(
    windows: Iterable[WeeklyWindow], day: date, tz: ZoneInfo
) -> Iterable[tuple[int, int]]:
    for window in windows:
        if window.applies_on(day):
            yield local_minute(day, window.starts, tz), local_minute(day, window.ends, tz)


def _by_weekday(windows: Iterable[WeeklyWindow]) -> list[list[WeeklyWindow]]:
    week: list[list[WeeklyWindow]] = [[] for _ in range(7)]
    for window in windows:
        week[window.weekday].append(window)
    return week


def _window_starts(plan: CounterPlan, day: date, tz: ZoneInfo, duration: int) -> Iterable[int]:
    for opens, closes in _window_bounds(plan.windows, day, tz):
        yield from range(opens, closes - duration + 1, plan.slot_minutes)


def _closed(closures: tuple[tuple[int, int], ...], start: int, end: int) -> bool:
    return any(c_start < end and start < c_end for c_start, c_end in closures)


def _days(first_day: date, last_day: date) -> Iterable[date]:
    for offset in range((last_day - first_day).days + 1):
        yield first_day + timedelta(days=offset)


def day_seats(plan: CounterPlan, calendar: SiteCalendar, day: date) -> int:
    """A counter's seats on a local day: its open grid cells times its capacity."""
    if day in calendar.closed_days:
        return 0
    step = plan.slot_minutes
    cells = 0
    for opens, closes in _window_bounds(plan.windows, day, calendar.timezone):
        for cell in range(opens, closes - step + 1, step):
            if not (plan.closures and _closed(plan.closures, cell, cell + step)):
                cells += 1
    return cells * plan.capacity


def counter_free_runs(
    plan: CounterPlan,
    calendar: SiteCalendar,
    first_day: date,
    last_day: date,
    rules: BookingRules,
    load: Mapping[int, int],
    room: Mapping[date, int] | None = None,
) -> Iterable[tuple[int, list[int]]]:
    """Per opening window of one counter: (first start, free seats of each start on the grid).

    Starts that are not bookable (notice, closure) count 0 free seats. `room`: cells some days
    may still give (the public, beside a staff share): a start offers at most that many visits.
    Built a window at a time with list operations, since this is the hot path of every search.
    """
    tz = calendar.timezone
    duration = rules.duration_minutes
    step = plan.slot_minutes
    span_cells = -(-duration // step)
    capacity = plan.capacity
    closures = plan.closures
    earliest = rules.earliest
    get = load.get
    week = _by_weekday(plan.windows)
    for day in _days(first_day, min(last_day, rules.last_day)):
        windows = week[day.weekday()]
        if not windows or day in calendar.closed_days:
            continue
        most = room.get(day) if room else None
        if most is not None and most < span_cells:
            continue
        for opens, closes in _window_bounds(windows, day, tz):
            count = (closes - duration - opens) // step + 1
            if count <= 0 or closes <= earliest:
                continue
            cells = range(opens, opens + (count - 1 + span_cells) * step, step)
            free = [capacity - get(cell, 0) for cell in cells] if load else [capacity] * len(cells)
            if span_cells > 1:
                free = list(map(min, *(free[j : j + count] for j in range(span_cells))))
            if most is not None:
                free = [min(seats, most // span_cells) for seats in free]
            if opens < earliest or closures:
                for index in range(count):
                    start = opens + index * step
                    if start < earliest or (
                        closures and _closed(closures, start, start + duration)
                    ):
                        free[index] = 0
            yield opens, free


def counter_free_starts(
    plan: CounterPlan,
    calendar: SiteCalendar,
    first_day: date,
    last_day: date,
    rules: BookingRules,
    load: Mapping[int, int],
    room: Mapping[date, int] | None = None,
) -> Iterable[tuple[int, int]]:
    """(start, free seats) for every bookable start of one counter with at least one seat."""
    step = plan.slot_minutes
    for opens, free in counter_free_runs(plan, calendar, first_day, last_day, rules, load, room):
        for index, seats in enumerate(free):
            if seats > 0:
                yield opens + index * step, seats


def find_slots(
    plans: Iterable[CounterPlan],
    calendar: SiteCalendar,
    first_day: date,
    last_day: date,
    rules: BookingRules,
    load: Load,
    room: Mapping[int, Mapping[date, int]] | None = None,
) -> list[Slot]:
    """Bookable starts over local days [first_day, last_day], earliest first, full ones left out.

    `available` is how many more visits that start can take: free seats summed over counters.
    Counters sharing a window and a grid are summed as whole runs, start by start. `room`:
    counter id -> day -> cells the public may still take (see `counter_free_runs`).
    """
    runs: dict[tuple[int, int, int], list[int]] = {}
    empty: dict[int, int] = {}
    for plan in plans:
        counter_load = load.get(plan.counter_id, empty)
        counter_room = room.get(plan.counter_id) if room else None
        for opens, free in counter_free_runs(
            plan, calendar, first_day, last_day, rules, counter_load, counter_room
        ):
            key = (opens, plan.slot_minutes, len(free))
            known = runs.get(key)
            runs[key] = free if known is None else list(map(add, known, free))
    totals: dict[int, int] = {}
    for (opens, step, _), free in runs.items():
        for index, seats in enumerate(free):
            if seats > 0:
                start = opens + index * step
                totals[start] = totals.get(start, 0) + seats
    duration = rules.duration_minutes
    return [Slot(start, start + duration, totals[start]) for start in sorted(totals)]


def counters_for_start(
    plans: Iterable[CounterPlan],
    calendar: SiteCalendar,
    start: int,
    rules: BookingRules,
    load: Load,
    room: Mapping[int, Mapping[date, int]] | None = None,
) -> list[int]:
    """Counters that can take a visit at `start`, the freest first (ties: lowest id)."""
    day = from_minute(start, calendar.timezone).date()
    empty: dict[int, int] = {}
    options = []
    for plan in plans:
        counter_room = room.get(plan.counter_id) if room else None
        for opens, free in counter_free_runs(
            plan, calendar, day, day, rules, load.get(plan.counter_id, empty), counter_room
        ):
            index, off_grid = divmod(start - opens, plan.slot_minutes)
            if not off_grid and 0 <= index < len(free) and free[index] > 0:
                options.append((-free[index], plan.counter_id))
                break
    return [counter_id for _, counter_id in sorted(options)]


def refusal_for_start(
    plans: Iterable[CounterPlan], calendar: SiteCalendar, start: int, rules: BookingRules
) -> Refusal | None:
    """Why a start cannot be booked whatever the load, or None when it is a real slot."""
    tz = calendar.timezone
    day = from_minute(start, tz).date()
    if start < rules.earliest:
        return Refusal.before_notice
    if day > rules.last_day:
        return Refusal.beyond_horizon
    plans = list(plans)
    on_grid = [p for p in plans if start in _window_starts(p, day, tz, rules.duration_minutes)]
    if not on_grid:
        return Refusal.off_grid
    if day in calendar.closed_days:
        return Refusal.closed
    end = start + rules.duration_minutes
    if all(p.closures and _closed(p.closures, start, end) for p in on_grid):
        return Refusal.closed
    return None


@lru_cache(maxsize=200_000)
def local_iso(minute: int, timezone: str) -> str:
    """'2026-03-29T09:00:00+02:00' for a UTC minute at a site (cached: slot lists repeat)."""
    return from_minute(minute, ZoneInfo(timezone)).isoformat()


def fits_the_grid(
    windows: Iterable[WeeklyWindow], slot_minutes: int, start: int, duration: int, tz: ZoneInfo
) -> bool:
    """Whether a visit at `start` is a grid start of these windows on its day: outside them,
    or on a grid that moved under it (09:00 when the window now opens at 09:05), it is not."""
    plan = CounterPlan(0, 1, slot_minutes, tuple(windows))
    day = from_minute(start, tz).date()
    return start in set(_window_starts(plan, day, tz, duration))


def day_starts(
    windows: Iterable[WeeklyWindow], slot_minutes: int, day: date, tz: ZoneInfo
) -> list[int]:
    """Every grid start these windows give on a day (one cell long), in order."""
    plan = CounterPlan(0, 1, slot_minutes, tuple(windows))
    return sorted(_window_starts(plan, day, tz, slot_minutes))


def _grid_runs(
    windows: Iterable[WeeklyWindow], step: int, day: date, tz: ZoneInfo
) -> Iterator[range]:
    """The cell starts of each window valid on a local day, on a grid of `step` minutes."""
    for opens, closes in _window_bounds(windows, day, tz):
        yield range(opens, closes - step + 1, step)


def grid_starts(plan: CounterPlan, day: date, tz: ZoneInfo) -> Iterator[int]:
    """Every cell of one counter's grid on a local day, in the windows valid that day."""
    for run in _grid_runs(plan.windows, plan.slot_minutes, day, tz):
        yield from run


def offered_seats(
    plan: CounterPlan, calendar: SiteCalendar, first_day: date, last_day: date
) -> dict[date, int]:
    """Seats one counter offered each local day: its grid cells inside the windows valid that
    day, outside holidays and closures, times its capacity (days without any are left out)."""
    step, closures = plan.slot_minutes, plan.closures
    week = _by_weekday(plan.windows)
    seats: dict[date, int] = {}
    for day in _days(first_day, last_day):
        windows = week[day.weekday()]
        if not windows or day in calendar.closed_days:
            continue
        cells = 0
        for run in _grid_runs(windows, step, day, calendar.timezone):
            if closures:  # rare: only then look at each cell
                cells += sum(1 for start in run if not _closed(closures, start, start + step))
            else:
                cells += len(run)
        if cells:
            seats[day] = cells * plan.capacity
    return seats
