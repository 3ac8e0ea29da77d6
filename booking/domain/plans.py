"""What a booking reads of a site's configuration, shared by the bookings of a process.

A site's row, its counters and a day's plan (counters, windows, closures, holidays) only change
with the site's revision, which every configuration change bumps in the database. A booking
reads the site and its revision in one primary-key read, then takes the rest from here as of
that revision: once per revision and process instead of four reads a booking. A process
whose copy is older only asks again; several processes stay as one. The checklist versions
seen stored ride along: a version, once stored, is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from booking.core.lru import LruCache
from booking.domain.availability import SitePlan, load_site_plan
from booking.domain.models import Counter
from booking.domain.sites import SITE_REVISION, SITE_WITH_REVISION, Site, unknown_site
from storage.unit_of_work import keep

_counters = Counter.__table__  # type: ignore[attr-defined]


def _detached(model: type[Site] | type[Counter], values: dict[str, object]) -> Site | Counter:
    item = model(**values)
    make_transient_to_detached(item)  # as if read once: a session may take it without a read
    return item


def _columns(item: Site) -> dict[str, object]:
    return {column.key: getattr(item, column.key) for column in Site.__table__.columns}  # type: ignore[attr-defined]


@dataclass
class Plans:
    sites: LruCache[Site] = field(default_factory=lambda: LruCache(1024))
    counters: LruCache[dict[int, Counter]] = field(default_factory=lambda: LruCache(1024))
    days: LruCache[SitePlan] = field(default_factory=lambda: LruCache(4096))
    # The checklist versions seen stored (never deleted): a booking need not write them again.
    stored_versions: set[tuple[str, str]] = field(default_factory=set)

    def site(
        self, session: Session, site_id: str, *, field_name: str | None = None
    ) -> tuple[Site, int]:
        """The site, in the session, and its revision (one read of the revision alone while
        the process holds the site as of it); unknown: `sites.unknown_site`."""
        connection = session.connection()
        row = connection.execute(SITE_REVISION, {"site_id": site_id}).first()
        if row is None:
            raise unknown_site(field_name)
        revision = row.revision or 0
        cached = self.sites.get((site_id, revision))
        if cached is None:  # a revision not met yet: its columns, read after it
            full = connection.execute(SITE_WITH_REVISION, {"site_id": site_id}).first()
            if full is None:  # removed in between
                raise unknown_site(field_name)
            values = full._asdict()
            revision = values.pop("revision") or 0
            cached = _detached(Site, values)
            self.sites.put((site_id, revision), cached)
        site = session.merge(cached, load=False)
        keep(session, site)
        return site, revision

    def day(
        self, session: Session, site: Site, revision: int, procedure_id: str, day: date
    ) -> SitePlan:
        """The plan of one local day for one procedure, as of the site's revision."""
        key = (site.id, procedure_id, revision, day)
        plan = self.days.get(key)
        if plan is None:
            # The plan outlives the session: it holds the detached copy, never the session's
            # (which a rollback expires).
            shared = self.sites.get((site.id, revision)) or _detached(Site, _columns(site))
            plan = load_site_plan(session, shared, procedure_id, day, day)  # type: ignore[arg-type]
            self.days.put(key, plan)
        return plan

    def counter(self, session: Session, site: Site, revision: int, counter_id: int) -> Counter:
        """A counter of the site, in the session, as of the site's revision."""
        key = (site.id, revision)
        counters = self.counters.get(key)
        if counter_id not in (counters or {}):
            rows = session.connection().execute(
                select(_counters).where(_counters.c.site_id == site.id)
            )
            counters = {row.id: _detached(Counter, row._asdict()) for row in rows}
            self.counters.put(key, counters)
        counter = session.merge(counters[counter_id], load=False)  # type: ignore[index]
        keep(session, counter)
        return counter
