"""Revisions: counters bumped by every change that can alter a site's slots.

Two grains. A site's revision moves with its configuration: changes made through the ORM
(sites, counters, windows, closures, served procedures) bump it from a flush hook that the
container registers, so no use case can forget. A site and local day's revision moves with
that day's load (`booking/domain/occupancy.py` notes the cells it changed): a booking makes
its own day stale, not the whole list, and bookings of different days never wait for each
other. The day rows are bumped as the transaction's last statements (before commit, in
order), so each is locked only for the commit itself. A day of a slot list cached with
revisions (site N, day M) is true while they are N and M.

A booking that took cells holds the site's lock shared (`hold_site`), and a configuration
change takes it alone before it bumps the site's row (`bump`): the change waits for the
bookings under way, a booking for a change under way (see `booking/domain/closures.py`);
bookings share the lock, so they do not wait for each other. On PostgreSQL it is a
transaction's advisory lock: a shared row lock (`FOR SHARE`) on the one revision row made
PostgreSQL build a multixact for every booking of the site while others held it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction

from booking.core.slots import from_minute
from booking.domain.models import (
    Closure,
    Counter,
    CounterProcedure,
    OpeningWindow,
    Site,
    SiteDayRevision,
    SiteRevision,
)
from storage.inserts import dialect_insert, prepared_upsert

_table = SiteRevision.__table__  # type: ignore[attr-defined]
_days = SiteDayRevision.__table__  # type: ignore[attr-defined]
_counters = Counter.__table__  # type: ignore[attr-defined]
_sites = Site.__table__  # type: ignore[attr-defined]
_TOUCHED = "guichet.touched_days"  # session.info key: {(site id, local day)} to bump
_BUMP_DAY = prepared_upsert(
    lambda insert: (
        insert(_days)
        .values(site_id=bindparam("site_id"), day=bindparam("day"), revision=1)
        .on_conflict_do_update(
            index_elements=[_days.c.site_id, _days.c.day], set_={"revision": _days.c.revision + 1}
        )
    )
)
# The sites' advisory locks (PostgreSQL): this number, and a hash of the site's id (two sites
# sharing a hash only share a lock, which is safe).
_SITE_LOCKS = 190_719
_HOLD_SITE = text("SELECT pg_advisory_xact_lock_shared(:space, hashtext(:site_id))")
_CHANGE_SITE = text("SELECT pg_advisory_xact_lock(:space, hashtext(:site_id))")


def bump(connection: Connection, site_ids: Iterable[str]) -> None:
    """A configuration change of these sites: their lock taken alone, their revision bumped."""
    insert = dialect_insert(connection)
    for site_id in sorted(set(site_ids)):
        if connection.dialect.name == "postgresql":
            connection.execute(_CHANGE_SITE, {"space": _SITE_LOCKS, "site_id": site_id})
        statement = insert(_table).values(site_id=site_id, revision=1)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[_table.c.site_id], set_={"revision": _table.c.revision + 1}
            )
        )


def bump_for_counters(connection: Connection, counter_ids: Iterable[int]) -> None:
    ids = sorted(set(counter_ids))
    if ids:
        sites = connection.execute(select(_counters.c.site_id).where(_counters.c.id.in_(ids)))
        bump(connection, [row.site_id for row in sites])


def current(connection: Connection, site_id: str) -> int:
    found = connection.execute(select(_table.c.revision).where(_table.c.site_id == site_id))
    return found.scalar_one_or_none() or 0


DAY_REVISIONS = select(_days.c.day, _days.c.revision).where(
    _days.c.site_id == bindparam("site_id"),
    _days.c.day >= bindparam("first"),
    _days.c.day <= bindparam("last"),
)


def day_revisions(connection: Connection, site_id: str, first: date, last: date) -> dict[date, int]:
    """The load revision of each local day in [first, last] that has one (others are 0)."""
    rows = connection.execute(DAY_REVISIONS, {"site_id": site_id, "first": first, "last": last})
    return {day: revision for day, revision in rows}


def load_changed(
    session: OrmSession,
    cells: Iterable[tuple[int, int]],
    *,
    site: tuple[str, ZoneInfo] | None = None,
) -> None:
    """Note that these (counter, cell) loads changed and hold their sites against a
    configuration change under way; their days' revisions move when the session commits.
    `site`: the site (id, zone) of every counter, when the caller knows it."""
    by_counter: dict[int, list[int]] = {}
    for counter_id, cell in cells:
        by_counter.setdefault(counter_id, []).append(cell)
    if not by_counter:
        return
    if site is not None:
        sites = {counter_id: site for counter_id in by_counter}
    else:
        sites = {
            counter_id: (site_id, ZoneInfo(timezone))
            for counter_id, site_id, timezone in session.execute(
                select(_counters.c.id, _counters.c.site_id, _sites.c.timezone)
                .join(_sites, _sites.c.id == _counters.c.site_id)
                .where(_counters.c.id.in_(sorted(by_counter)))
            )
        }
    touched: set[tuple[str, date]] = session.info.setdefault(_TOUCHED, set())
    for counter_id, (site_id, zone) in sites.items():
        touched.update((site_id, from_minute(c, zone).date()) for c in by_counter[counter_id])
    hold_site(session.connection(), sorted({site_id for site_id, _ in sites.values()}))


def hold_site(connection: Connection, site_ids: list[str]) -> None:
    """Hold the sites' locks shared until commit (a configuration change waits)."""
    if connection.dialect.name != "postgresql":
        return  # SQLite: one writer at a time already
    for site_id in site_ids:
        connection.execute(_HOLD_SITE, {"space": _SITE_LOCKS, "site_id": site_id})


def _bump_days(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outermost commit bumps
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    connection = session.connection()
    bump_day = _BUMP_DAY(connection)
    for site_id, day in sorted(touched):
        connection.execute(bump_day, {"site_id": site_id, "day": day})


def _forget_days(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (rolled back, or committed)
        session.info.pop(_TOUCHED, None)


def register_revision_hook() -> None:
    """Bump revisions on every configuration change flushed through the ORM, and the days whose
    load changed when a session commits, in any session of the process (the container
    registers it; registering again changes nothing)."""
    if not event.contains(OrmSession, "after_flush", _bump_on_configuration_change):
        event.listen(OrmSession, "after_flush", _bump_on_configuration_change)
        event.listen(OrmSession, "before_commit", _bump_days)
        event.listen(OrmSession, "after_transaction_end", _forget_days)


def _bump_on_configuration_change(session: OrmSession, _flush: UOWTransaction) -> None:
    sites: set[str] = set()
    counters: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Site):
            sites.add(instance.id)
        elif isinstance(instance, Counter | Closure):
            sites.add(instance.site_id)
        elif isinstance(instance, OpeningWindow | CounterProcedure):
            counters.add(instance.counter_id)
    if sites or counters:
        connection = session.connection()
        bump(connection, sites)
        bump_for_counters(connection, counters)
