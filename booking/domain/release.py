"""What the public (the web and the API) may book, beside staff: new days open at a civil hour.

The last bookable day (today + the procedure's horizon) opens each day at the site's release
time (the setting `release_time`, or the site's own), not at midnight while people sleep;
optionally plus a random 0 to `release_jitter_minutes`, drawn once per site and day and kept
in `day_release`, so every process answers the same moment. Staff keep the whole horizon.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.core.clock import local_date
from booking.core.slots import BookingRules
from booking.domain.models import DayRelease, Site
from storage.inserts import dialect_insert

_table = DayRelease.__table__  # type: ignore[attr-defined]
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Release:
    """The settings: when new days open, and how long before its day a staff share opens."""

    at: time = time(8, 0)
    jitter_minutes: int = 0
    share_opens_days: int = 2


@dataclass(frozen=True)
class Public:
    """The public asking at `now`: what it sees is cut by the release, the seats held back
    (freed_seats) and the staff share (staff_share)."""

    now: datetime
    release: Release = Release()


def release_time(site: Site, release: Release) -> time:
    return site.release_time or release.at


def opens_at(
    bind: Session | Connection | None, site: Site, day: date, release: Release
) -> datetime:
    """When the day opened on local `day` opens to the public at `site` (UTC).

    With a jitter, its drawn seconds are read; a day not drawn yet (the worker draws them a
    few days ahead) is answered with the latest moment it could have, so never early.
    `bind` may be None where there is no jitter (nothing to read).
    """
    planned = datetime.combine(day, release_time(site, release), tzinfo=ZoneInfo(site.timezone))
    planned = planned.astimezone(UTC)
    if release.jitter_minutes <= 0 or bind is None:
        return planned + timedelta(minutes=max(0, release.jitter_minutes))
    drawn = bind.execute(
        select(_table.c.jitter_seconds).where(_table.c.site_id == site.id, _table.c.day == day)
    ).scalar_one_or_none()
    if drawn is None:
        drawn = release.jitter_minutes * 60
    return planned + timedelta(seconds=min(drawn, release.jitter_minutes * 60))


def released(bind: Session | Connection | None, site: Site, public: Public) -> bool:
    """Whether today's new day is open to the public yet."""
    today = local_date(public.now, site.timezone)
    return public.now >= opens_at(bind, site, today, public.release)


def public_rules(
    bind: Session | Connection | None, site: Site, rules: BookingRules, public: Public
) -> BookingRules:
    """The rules as the public has them: before today's release, one day less ahead."""
    if rules.for_public:
        return rules
    if released(bind, site, public):
        return replace(rules, for_public=True)
    return replace(rules, last_day=rules.last_day - timedelta(days=1), for_public=True)


def draw_ahead(session: Session, sites: list[Site], first_day: date, days: int, jitter: int) -> int:
    """Draw the release jitter of the coming days once (kept: a second draw changes nothing)."""
    if jitter <= 0:
        return 0
    rows = [
        {"site_id": site.id, "day": first_day + timedelta(days=offset), "jitter_seconds": second}
        for site in sites
        for offset in range(days)
        for second in (_random.randint(0, jitter * 60),)
    ]
    if not rows:
        return 0
    insert = dialect_insert(session)(_table).values(rows).on_conflict_do_nothing()
    return len(session.execute(insert.returning(_table.c.day)).all())
