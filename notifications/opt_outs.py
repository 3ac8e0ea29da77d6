"""Numbers that said STOP (or ARRET): the one place that opts a number out or back in."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from notifications.models import Channel, Notification, OptOut, Status
from storage.inserts import dialect_insert

_messages = Notification.__table__  # type: ignore[attr-defined]
_opt_outs = OptOut.__table__  # type: ignore[attr-defined]


def opt_out(connection: Connection, phone: str, now: datetime, reason: str) -> int:
    """Record the opt-out and cancel the number's SMS not yet handed over; returns how many."""
    connection.execute(
        dialect_insert(connection)(_opt_outs)
        .values(phone=phone, created_at=now)
        .on_conflict_do_nothing()
    )
    return cancel_sms_to(connection, phone, now, reason)


def opt_in(connection: Connection, phone: str) -> None:
    connection.execute(delete(_opt_outs).where(_opt_outs.c.phone == phone))


def opted_out(connection: Connection, phones: Collection[str]) -> set[str]:
    if not phones:
        return set()
    found = connection.execute(select(_opt_outs.c.phone).where(_opt_outs.c.phone.in_(phones)))
    return {row.phone for row in found}


def cancel_sms_to(connection: Connection, phone: str, now: datetime, reason: str) -> int:
    """Cancel every pending SMS to a number (one not yet handed to the provider)."""
    result = connection.execute(
        update(_messages)
        .where(
            _messages.c.recipient == phone,
            _messages.c.channel == Channel.sms,
            _messages.c.status == Status.pending,
        )
        .values(status=Status.cancelled, error=reason, updated_at=now)
    )
    return result.rowcount or 0
