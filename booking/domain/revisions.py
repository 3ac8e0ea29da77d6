"""Site revisions: a counter bumped by every change that can alter a site's slots.

Load changes bump it explicitly (`booking/domain/occupancy.py`); configuration changes made
through the ORM (sites, counters, windows, closures, served procedures) bump it from a flush
hook that the container registers, so no use case can forget. A slot list cached with revision
N is true while the revision is N.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from booking.domain.models import (
    Closure,
    Counter,
    CounterProcedure,
    OpeningWindow,
    Site,
    SiteRevision,
)
from storage.inserts import dialect_insert

_table = SiteRevision.__table__  # type: ignore[attr-defined]
_counters = Counter.__table__  # type: ignore[attr-defined]


def bump(connection: Connection, site_ids: Iterable[str]) -> None:
    insert = dialect_insert(connection)
    for site_id in sorted(set(site_ids)):
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


def register_revision_hook() -> None:
    """Bump revisions on every configuration change flushed through the ORM, in any session of
    the process (the container registers it; registering again changes nothing)."""
    if not event.contains(OrmSession, "after_flush", _bump_on_configuration_change):
        event.listen(OrmSession, "after_flush", _bump_on_configuration_change)


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
