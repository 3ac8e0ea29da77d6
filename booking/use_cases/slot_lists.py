"""Rendered slot lists, shared between requests day by day while nothing of that day changed.

Many citizens search the same site, procedure and days; a day's free starts only change when
a booking, a cancellation or a hold changes that day's load (its site-day revision) or the
configuration changes (the site's revision). A request reads the site's revision and those of
its days in the range asked (one read): unchanged, the whole answer is reused. Otherwise it
reuses every day rendered under its own revisions and computes only the days that moved:
right after a booking, one day. Each day is computed with the notice cut back to the start of
today; each answer then drops the starts its notice excludes (a bisection).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import msgspec
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.config.metrics import SLOT_LIST_CACHE
from booking.core.errors import NotFound
from booking.core.lru import LruCache
from booking.core.slots import BookingRules, Slot, find_slots, local_iso, local_minute
from booking.domain.availability import (
    SitePlan,
    load_and_held_back,
    load_site_plan,
    plus,
    public_rooms,
    rules_for,
    whole_days,
)
from booking.domain.models import Site, SiteDayRevision
from booking.domain.release import Public, opens_at, public_rules
from booking.domain.sites import SITE_REVISION, SITE_WITH_REVISION, UNKNOWN_SITE
from booking.domain.staff_share import share_open
from completeness.catalogue import Procedure
from storage.unit_of_work import UnitOfWork

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class RenderedDay:
    """One local day's free starts, each already a JSON object."""

    starts: list[int]
    fragments: list[bytes]
    joined: bytes  # the fragments joined by commas: most answers take a day whole
    # The next timed change the day does not know yet (a freed seat's return to the public,
    # the staff share opening): from then on it is computed again, revisions unchanged.
    stale_at: datetime | None = None

    @classmethod
    def render(cls, slots: list[Slot], timezone: str, stale_at: datetime | None) -> RenderedDay:
        fragments = [
            _encode(
                {
                    "start": local_iso(slot.start, timezone),
                    "end": local_iso(slot.end, timezone),
                    "available": slot.available,
                }
            )
            for slot in slots
        ]
        return cls([slot.start for slot in slots], fragments, b",".join(fragments), stale_at)

    def fresh(self, now: datetime) -> bool:
        return self.stale_at is None or now < self.stale_at

    def part_from(self, earliest: int) -> bytes:
        """The fragments whose start is at or after `earliest`, joined."""
        if not self.starts or self.starts[0] >= earliest:
            return self.joined
        return b",".join(self.fragments[bisect_left(self.starts, earliest) :])


@dataclass(frozen=True)
class Answer:
    body: bytes
    stale_at: datetime | None  # the first of its days' own


@dataclass(frozen=True)
class RangeDays:
    """The days last answered for one range under one configuration: after a booking, the
    next request compares its day revisions with `days_moved` and looks up only the days
    that moved, not every day of the range."""

    days_moved: str
    keys: dict[date, tuple[Hashable, ...]]
    found: dict[date, RenderedDay]
    stale_at: datetime | None  # the first of its days' own


@dataclass
class SlotListCache:
    """Whole answers, the days of each range last answered, rendered days, the site plans
    they are computed from, the sites as of a revision, and one lock per site and procedure
    so that a burst of requests after a booking computes the day once."""

    answers: LruCache[Answer] = field(default_factory=lambda: LruCache(1024))
    ranges: LruCache[RangeDays] = field(default_factory=lambda: LruCache(1024))
    days: LruCache[RenderedDay] = field(default_factory=lambda: LruCache(16384))
    plans: LruCache[SitePlan] = field(default_factory=lambda: LruCache(512))
    sites: LruCache[Site] = field(default_factory=lambda: LruCache(1024))
    _locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def lock_for(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


_days = SiteDayRevision.__table__  # type: ignore[attr-defined]
# Every day of the range that has a revision, as "2026-12-07:3,2026-12-08:1" (one read).
DAYS_MOVED = (
    select(
        func.aggregate_strings(
            func.cast(_days.c.day, String) + ":" + func.cast(_days.c.revision, String), ","
        )
    )
    .where(
        _days.c.site_id == bindparam("site_id"),
        _days.c.day >= bindparam("first"),
        _days.c.day <= bindparam("last"),
    )
    .scalar_subquery()
)
# The revisions only: the site's columns are read apart the first time a process meets its
# revision (`sites.SITE_REVISION`).
REVISIONS = SITE_REVISION.add_columns(DAYS_MOVED.label("days_moved"))


def site_and_revision(uow: UnitOfWork, site_id: str) -> tuple[dict[str, Any], int]:
    """The site's columns and its revision: one primary-key read."""
    with uow.read_connection() as connection:
        return _site_and_revision(connection, site_id)


def _site_and_revision(connection: Connection, site_id: str) -> tuple[dict[str, Any], int]:
    row = connection.execute(SITE_WITH_REVISION, {"site_id": site_id}).first()
    if row is None:
        raise NotFound(UNKNOWN_SITE)
    values = row._asdict()
    return values, values.pop("revision") or 0


@dataclass
class Look:
    """What one request sees: the days it covers, those found rendered, those to compute
    (none when the whole `answer` was found)."""

    site: Site
    procedure: Procedure
    public: Public
    rules: BookingRules  # the public's, with this request's notice
    revision: int
    today: date
    answer_key: tuple[Hashable, ...]
    days_moved: str = ""
    answer: Answer | None = None
    keys: dict[date, tuple[Hashable, ...]] = field(default_factory=dict)
    found: dict[date, RenderedDay] = field(default_factory=dict)

    @property
    def stale(self) -> list[date]:
        return [day for day in self.keys if day not in self.found]

    def days(self) -> list[RenderedDay]:
        return [self.found[day] for day in self.keys]

    def body(self, cache: SlotListCache) -> bytes:
        """The JSON answer `{"slots": [...]}` without the starts before the notice."""
        if self.answer is None:
            earliest = self.rules.earliest
            days = [day for day in self.days() if day.starts and day.starts[-1] >= earliest]
            parts = [day.part_from(earliest) for day in days]
            ends = [day.stale_at for day in self.days() if day.stale_at is not None]
            body = b'{"slots":[' + b",".join(parts) + b"]}"
            self.answer = Answer(body, min(ends, default=None))
            cache.answers.put(self.answer_key, self.answer)
            range_days = RangeDays(self.days_moved, self.keys, self.found, self.answer.stale_at)
            cache.ranges.put(self.answer_key[:_RANGE], range_days)
        return self.answer.body


def look(
    uow: UnitOfWork,
    cache: SlotListCache,
    site_id: str,
    procedure: Procedure,
    first_day: date,
    last_day: date,
    public: Public,
    *,
    whole: bool = True,
    connection: Connection | None = None,
) -> Look:
    """The revisions of the site and of its days in range (read before any load, so a day is
    never older than its key), and the answer (when `whole`) or the days already rendered
    under them."""
    if connection is None:
        with uow.read_connection() as opened:
            return look(
                uow, cache, site_id, procedure, first_day, last_day, public,
                whole=whole, connection=opened,
            )  # fmt: skip
    now = public.now
    row = connection.execute(
        REVISIONS, {"site_id": site_id, "first": first_day, "last": last_day}
    ).first()
    if row is None:
        raise NotFound(UNKNOWN_SITE)
    revision, days_moved = row.revision or 0, row.days_moved or ""
    site = cache.sites.get((site_id, revision))
    if site is None:  # read after the revision: never older than it
        site = Site(**_site_and_revision(connection, site_id)[0])
        cache.sites.put((site_id, revision), site)
    tz = ZoneInfo(site.timezone)
    bind = connection if public.release.jitter_minutes > 0 else None
    rules = public_rules(bind, site, rules_for(procedure, tz, now), public)
    today = now.astimezone(tz).date()
    first, last = max(first_day, today), min(last_day, rules.last_day)
    answer_key = (site_id, procedure.id, first, last, revision, today, days_moved, rules.earliest)
    seen = Look(site, procedure, public, rules, revision, today, answer_key, days_moved)
    answer = cache.answers.get(answer_key) if whole else None
    if answer is not None and (answer.stale_at is None or now < answer.stale_at):
        seen.answer = answer
        _HITS.inc()
        return seen
    last_answered = cache.ranges.get(answer_key[:_RANGE])
    if last_answered is not None and (
        last_answered.stale_at is None or now < last_answered.stale_at
    ):
        _since(seen, last_answered, cache)
    else:
        _every_day(seen, cache, first, last)
    (_MISSES if seen.stale else _HITS).inc()
    return seen


_RANGE = 6  # an answer's key without its day revisions and notice: the range's key
_HITS, _MISSES = SLOT_LIST_CACHE.labels("hit"), SLOT_LIST_CACHE.labels("miss")


def _day_key(seen: Look, day: date, day_revision: int) -> tuple[Hashable, ...]:
    """A rendered day's key: the configuration and the day's own revision it was computed at."""
    return (seen.site.id, seen.procedure.id, day, seen.revision, day_revision, seen.today)


def _every_day(seen: Look, cache: SlotListCache, first: date, last: date) -> None:
    moved = _parse_moved(seen.days_moved)
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        seen.keys[day] = _day_key(seen, day, moved.get(day, 0))
    _look_up(seen, cache, list(seen.keys))


def _since(seen: Look, last_answered: RangeDays, cache: SlotListCache) -> None:
    """The range's days as last answered, but for the days whose revision moved since."""
    current, before = set(seen.days_moved.split(",")), set(last_answered.days_moved.split(","))
    moved = _parse_moved(",".join(item for item in current - before if item))
    gone = {date.fromisoformat(item.partition(":")[0]) for item in before - current if item}
    seen.keys = dict(last_answered.keys)
    seen.found = dict(last_answered.found)
    for day in (gone | moved.keys()) & seen.keys.keys():
        seen.keys[day] = _day_key(seen, day, moved.get(day, 0))
        del seen.found[day]
    _look_up(seen, cache, seen.stale)


def _look_up(seen: Look, cache: SlotListCache, days: list[date]) -> None:
    now = seen.public.now
    for day, rendered in zip(
        days, cache.days.get_many([seen.keys[day] for day in days]), strict=True
    ):
        if rendered is not None and rendered.fresh(now):
            seen.found[day] = rendered


def _parse_moved(days_moved: str) -> dict[date, int]:
    moved = {}
    for item in days_moved.split(",") if days_moved else ():
        day, revision = item.split(":")
        moved[date.fromisoformat(day)] = int(revision)
    return moved


def fill(
    uow: UnitOfWork,
    cache: SlotListCache,
    seen: Look,
    connection: Connection | None = None,
    *,
    wait: bool = True,
) -> bool:
    """Compute the days `seen` lacks, once per process: a request that waited for another
    computing the same site and procedure finds them rendered. Without `wait` (on the event
    loop), nothing is done while another computes: False, and the caller goes to a thread."""
    lock = cache.lock_for((seen.site.id, seen.procedure.id))
    if not lock.acquire(blocking=wait):
        return False
    try:
        _fill(uow, cache, seen, connection)
    finally:
        lock.release()
    return True


def _fill(uow: UnitOfWork, cache: SlotListCache, seen: Look, connection: Connection | None) -> None:
    for day in seen.stale:
        rendered = cache.days.get(seen.keys[day])
        if rendered is not None and rendered.fresh(seen.public.now):
            seen.found[day] = rendered
    stale = seen.stale
    if not stale:
        return
    for day, rendered in _compute(uow, cache, seen, stale, connection).items():
        cache.days.put(seen.keys[day], rendered)
        seen.found[day] = rendered


def _compute(
    uow: UnitOfWork,
    cache: SlotListCache,
    seen: Look,
    days: list[date],
    connection: Connection | None = None,
) -> dict[date, RenderedDay]:
    if connection is None:
        with uow.read_connection() as opened:
            return _compute(uow, cache, seen, days, opened)
    site = seen.site
    procedure, public, now = seen.procedure, seen.public, seen.public.now
    tz = ZoneInfo(site.timezone)
    rules = whole_days(seen.rules, tz, now)
    plan_key = (site.id, procedure.id, seen.revision, seen.today)
    plan = cache.plans.get(plan_key)
    if plan is None:
        horizon = seen.today + timedelta(days=procedure.horizon_days + 1)
        with uow.reading() as session:
            plan = load_site_plan(session, site, procedure.id, seen.today, horizon)
        cache.plans.put(plan_key, plan)
    plan = replace(plan, first_day=days[0], last_day=days[-1])
    first, last = plan.minute_range()
    day_after = local_minute(days[-1] + timedelta(days=1), time(0), tz)
    last = min(last, day_after + rules.duration_minutes)  # a visit may run past midnight
    load, held, stale_at = load_and_held_back(connection, plan, first, last, now)
    slots: list[Slot] = []
    share_opens = None
    room = None
    if site.staff_share_percent > 0:  # the share's rules read more: through a session
        with Session(bind=connection) as session:
            room = public_rooms(session, plan, load, public)
            share_opens = _share_opening(session, site, public, seen.today)
    if plan.counters:
        load = plus(load, held)
        slots = find_slots(plan.counters, plan.calendar, days[0], days[-1], rules, load, room)
    by_day: dict[date, list[Slot]] = {day: [] for day in days}
    # The days asked need not follow each other: each one's first minute and the next day's.
    begins = [local_minute(day, time(0), tz) for day in days]
    ends = [local_minute(day + timedelta(days=1), time(0), tz) for day in days]
    for slot in slots:
        index = bisect_right(begins, slot.start) - 1
        if index >= 0 and slot.start < ends[index]:
            by_day[days[index]].append(slot)
    rendered = {}
    for day, day_slots in by_day.items():
        until = stale_at
        if share_opens is not None and day == share_opens[0]:
            until = share_opens[1] if until is None else min(until, share_opens[1])
        rendered[day] = RenderedDay.render(day_slots, site.timezone, until)
    return rendered


def _share_opening(
    session: Session, site: Site, public: Public, today: date
) -> tuple[date, datetime] | None:
    """The day whose staff share opens to the public later today, and when."""
    if site.staff_share_percent <= 0:
        return None
    day = today + timedelta(days=public.release.share_opens_days)
    if share_open(session, site, day, public):
        return None
    return day, opens_at(session, site, today, public.release)


async def slot_list_body(
    uow: UnitOfWork,
    cache: SlotListCache,
    site_id: str,
    procedure: Procedure,
    first_day: date,
    last_day: date,
    public: Public,
) -> bytes:
    """The JSON slot list the public sees, computed day by day and shared.

    When nothing changed, this is one primary-key read and a cached answer: cheaper than a hop
    to a worker thread, so it runs on the event loop, as does computing a day or two (what a
    booking makes stale); computing more days runs in a thread.
    """
    with uow.read_connection() as connection:
        seen = look(
            uow, cache, site_id, procedure, first_day, last_day, public, connection=connection
        )
        stale = seen.stale
        # A day or two, right after a booking: less than a thread hop, unless another request
        # of the process is computing this list (the event loop never waits for it).
        done = 0 < len(stale) <= 2 and fill(uow, cache, seen, connection, wait=False)
    if stale and not done:
        await anyio.to_thread.run_sync(fill, uow, cache, seen)
    return seen.body(cache)


def first_free(
    uow: UnitOfWork, cache: SlotListCache, site_id: str, procedure: Procedure, public: Public
) -> tuple[int | None, date]:
    """The first start the public may book at a site (None: none up to the horizon), and the
    last day one may book today, through the same shared days (the site step)."""
    today = public.now.date() - timedelta(days=1)  # every zone's today is on or after it
    last = today + timedelta(days=procedure.horizon_days + 2)
    seen = look(uow, cache, site_id, procedure, today, last, public, whole=False)
    earliest = seen.rules.earliest
    for day in seen.keys:
        rendered = seen.found.get(day)
        if rendered is None:
            fill(uow, cache, seen)
            rendered = seen.found[day]
        index = bisect_left(rendered.starts, earliest)
        if index < len(rendered.starts):
            return rendered.starts[index], seen.rules.last_day
    return None, seen.rules.last_day
