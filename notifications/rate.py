"""A sending rate shared by every worker process: a token bucket kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from notifications.models import SendRate
from storage.inserts import dialect_insert
from storage.unit_of_work import UnitOfWork

table = SendRate.__table__  # type: ignore[attr-defined]


def take_tokens(
    uow: UnitOfWork, channel: str, rate: float, wanted: int, now: datetime
) -> tuple[int, float]:
    """Take up to `wanted` tokens: (how many were granted, seconds to wait if none were).

    The bucket refills at `rate` a second and holds at most a twentieth of a second's worth
    (at least one), so no burst can push the rate measured over a minute above `rate`.
    """
    capacity = max(1.0, rate / 20)
    with uow.write_connection() as connection:
        connection.execute(
            dialect_insert(connection)(table)
            .values(channel=channel, tokens=capacity, updated_at=now)
            .on_conflict_do_nothing()
        )
        tokens, updated_at = connection.execute(
            select(table.c.tokens, table.c.updated_at)
            .where(table.c.channel == channel)
            .with_for_update()
        ).one()
        # `now` was read before the lock: another worker may have refilled up to a later
        # instant. Never move the refill mark backwards, or that interval would count twice.
        elapsed = max(0.0, (now - updated_at).total_seconds())
        tokens = min(capacity, tokens + elapsed * rate)
        granted = min(wanted, int(tokens))
        tokens -= granted
        connection.execute(
            update(table)
            .where(table.c.channel == channel)
            .values(tokens=tokens, updated_at=max(now, updated_at))
        )
    wait = 0.0 if granted else (1.0 - tokens) / rate
    return granted, wait
