"""Limits shared by every process: a counter per key (an action with a client address, a phone
or an account) and fixed window, kept in the database and bumped with one upsert."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session

from booking.domain.models import RateLimit
from storage.inserts import dialect_insert

_table = RateLimit.__table__  # type: ignore[attr-defined]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    """At most `times` counts of one key in each `window`."""

    name: str
    times: int
    window: timedelta

    def key(self, who: str) -> str:
        return f"{self.name}:{who}"[:200]

    def window_start(self, now: datetime) -> datetime:
        windows = (now - EPOCH) // self.window
        return EPOCH + windows * self.window

    def retry_after(self, now: datetime) -> int:
        """Seconds until the current window ends (at least 1)."""
        ends = self.window_start(now) + self.window
        return max(1, math.ceil((ends - now).total_seconds()))


def used(session: Session, limit: Limit, who: str, now: datetime) -> int:
    """How many times the key was counted in the current window."""
    found = session.execute(
        select(_table.c.count).where(
            _table.c.key == limit.key(who), _table.c.window_start == limit.window_start(now)
        )
    ).scalar_one_or_none()
    return found or 0


def over(session: Session, limit: Limit, who: str, now: datetime) -> bool:
    return used(session, limit, who, now) >= limit.times


def count(session: Session, limit: Limit, who: str, now: datetime) -> int:
    """Count one more for the key in the current window (one upsert); the new total."""
    total = _count(session, limit, who, now)
    assert total is not None  # nothing to stay below: always counted
    return total


def _count(
    session: Session, limit: Limit, who: str, now: datetime, *, below: int | None = None
) -> int | None:
    """The new total, or None when the window's count had reached `below`."""
    connection = session.connection()
    insert = dialect_insert(connection)(_table).values(
        key=limit.key(who), window_start=limit.window_start(now), count=1
    )
    statement = insert.on_conflict_do_update(
        index_elements=[_table.c.key, _table.c.window_start],
        set_={"count": _table.c.count + 1},
        where=None if below is None else _table.c.count < below,
    ).returning(_table.c.count)
    return connection.execute(statement).scalar_one_or_none()


def take(session: Session, limit: Limit, who: str, now: datetime) -> bool:
    """Count one if the key is still under its limit; False (nothing counted) when over. One
    upsert: a full window's row is left as it is and returns nothing."""
    if limit.times <= 0:
        return False
    return _count(session, limit, who, now, below=limit.times) is not None


def purge(session: Session, before: datetime) -> int:
    """Forget the windows that started before `before` (they hold client addresses)."""
    return session.execute(delete(_table).where(_table.c.window_start < before)).rowcount
