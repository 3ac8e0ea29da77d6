"""Small builders of sites, counters, windows and closures: for tests, benchmarks and demos."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time

from sqlmodel import Session

from booking.domain.models import Closure, Counter, CounterProcedure, OpeningWindow, Site

WEEKDAYS = range(5)


def add_site(
    session: Session,
    site_id: str = "paris",
    *,
    timezone: str = "Europe/Paris",
    region: str = "FR",
    subdivision: str | None = None,
) -> Site:
    site = Site(
        id=site_id,
        name=f"Site {site_id}",
        address=f"1 rue de {site_id}",
        timezone=timezone,
        phone_region=region,
        holiday_subdivision=subdivision,
    )
    session.add(site)
    session.flush()
    return site


def add_counter(
    session: Session,
    site: Site,
    *,
    name: str = "Guichet",
    capacity: int = 1,
    slot_minutes: int = 15,
    procedures: Iterable[str] = ("residence-permit-pickup",),
    windows: Iterable[tuple[str, str]] = (("09:00", "12:00"), ("13:30", "16:30")),
    weekdays: Iterable[int] = WEEKDAYS,
) -> Counter:
    counter = Counter(site_id=site.id, name=name, capacity=capacity, slot_minutes=slot_minutes)
    session.add(counter)
    session.flush()
    for procedure_id in procedures:
        session.add(CounterProcedure(counter_id=counter.id, procedure_id=procedure_id))
    for weekday in weekdays:
        for starts, ends in windows:
            session.add(
                OpeningWindow(
                    counter_id=counter.id,
                    weekday=weekday,
                    starts=time.fromisoformat(starts),
                    ends=time.fromisoformat(ends),
                )
            )
    session.flush()
    return counter


def add_closure(
    session: Session,
    site: Site,
    starts: datetime,
    ends: datetime,
    counter: Counter | None = None,
    reason: str = "test",
) -> Closure:
    closure = Closure(
        site_id=site.id,
        counter_id=counter.id if counter else None,
        starts_at=starts.astimezone(UTC),
        ends_at=ends.astimezone(UTC),
        reason=reason,
    )
    session.add(closure)
    session.flush()
    return closure
