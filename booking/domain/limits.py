"""Limits shared by every process: a counter per key (an action with a client address, a phone
or an account) and fixed window, kept in the database and bumped with one upsert."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from booking.domain.models import RateLimit
from storage.inserts import prepared_upsert

_table = RateLimit.__table__  # type: ignore[attr-defined]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _count_statement(below: bool) -> Any:
    """One more for (:key, :window_start), if the window's count is still below :below."""

    def build(insert: Any) -> Any:
        statement = insert(_table).values(
            key=bindparam("key"),
            window_start=bindparam("window_start", type_=_table.c.window_start.type),
            count=1,
        )
        return statement.on_conflict_do_update(
            index_elements=[_table.c.key, _table.c.window_start],
            set_={"count": _table.c.count + 1},
            where=_table.c.count < bindparam("below") if below else None,
        ).returning(_table.c.count)

    return prepared_upsert(build)


_COUNT, _COUNT_BELOW = _count_statement(False), _count_statement(True)


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
    bind: Session | Connection, limit: Limit, who: str, now: datetime, *, below: int | None = None
) -> int | None:
    """The new total, or None when the window's count had reached `below`."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    values: dict[str, Any] = {"key": limit.key(who), "window_start": limit.window_start(now)}
    if below is None:
        return connection.execute(_COUNT(connection), values).scalar_one_or_none()
    values["below"] = below
    return connection.execute(_COUNT_BELOW(connection), values).scalar_one_or_none()


def take(bind: Session | Connection, limit: Limit, who: str, now: datetime) -> bool:
    """Count one if the key is still under its limit; False (nothing counted) when over. One
    upsert: a full window's row is left as it is and returns nothing."""
    if limit.times <= 0:
        return False
    return _count(bind, limit, who, now, below=limit.times) is not None


def purge(session: Session, before: datetime) -> int:
    """Forget the windows that started before `before` (they hold client addresses)."""
    return session.execute(delete(_table).where(_table.c.window_start < before)).rowcount
