"""Writing to the outbox (in the caller's transaction) and claiming from it (dispatchers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from notifications.models import Notification, Status
from storage.inserts import prepared_upsert

table = Notification.__table__  # type: ignore[attr-defined]
# A claimed message: its outbox row as read, its columns as attributes. Not a `Notification`
# model: building one a row (pydantic's checks, the ORM's instrumentation) took 15 % of a
# dispatching worker's time, for values the database has just returned.
Claimed = Row[Any]
# Rows as parameters, not values: one statement, built and compiled once.
_ENQUEUE = prepared_upsert(lambda insert: insert(table).on_conflict_do_nothing())


@dataclass(frozen=True)
class Message:
    """One message to enqueue. `idempotency_key` makes enqueuing it twice a no-op."""

    idempotency_key: str
    channel: str
    kind: str
    recipient: str
    body: str
    due_at: datetime
    appointment_id: int | None = None
    entry_id: int | None = None
    site_id: str | None = None
    language: str = "fr"
    subject: str | None = None
    attachment: str | None = None
    attachment_method: str | None = None
    latest_at: datetime | None = None
    quiet_hours_apply: bool = True
    timezone: str = "Europe/Paris"
    fallback_email: str | None = None
    urgent: bool = False


_FIELDS = tuple(field.name for field in fields(Message))


def enqueue(session: Session | Connection, messages: Iterable[Message], now: datetime) -> None:
    """Add messages in the caller's transaction; a key already present is left as it is."""
    constant = {"status": Status.pending, "attempts": 0, "created_at": now, "updated_at": now}
    rows = [{name: getattr(m, name) for name in _FIELDS} | constant for m in messages]
    if rows:
        connection = session.connection() if isinstance(session, Session) else session
        connection.execute(_ENQUEUE(connection), rows)


def cancel_pending(
    session: Session, appointment_id: int, kinds: Sequence[str], now: datetime, reason: str
) -> int:
    """Cancel messages of an appointment not yet handed to a provider (e.g. its reminder)."""
    result = session.execute(
        update(table)
        .where(
            table.c.appointment_id == appointment_id,
            table.c.kind.in_(kinds),
            or_(
                table.c.status == Status.pending,
                and_(table.c.status == Status.sending, table.c.handed_at.is_(None)),
            ),
        )
        .values(status=Status.cancelled, error=reason, updated_at=now)
    )
    return result.rowcount or 0


def claim(
    connection: Connection,
    worker: str,
    now: datetime,
    batch: int,
    lease: timedelta,
    *,
    lapsed: bool = True,
) -> list[Claimed]:
    """Take up to `batch` messages: urgent due ones first, then those whose worker's lease ran
    out, then the other due ones, each in the order they fell due.

    Each part walks its own index in order (`ix_notification_queue`: pending messages by
    urgency and due time), so a claim costs the same with 10 or 100,000 messages waiting.
    Lapsed leases (a worker died) are looked for only when `lapsed`: every message leaves a
    dead "sending" entry behind until vacuum, so that part grows with what was sent.
    `FOR UPDATE SKIP LOCKED` lets several workers claim side by side on PostgreSQL; SQLite
    ignores it and serialises writers.
    """
    parts = (
        (table.c.status == Status.pending, table.c.urgent.is_(True), table.c.due_at <= now),
        (table.c.status == Status.sending, table.c.lease_until < now) if lapsed else None,
        (table.c.status == Status.pending, table.c.urgent.is_(False), table.c.due_at <= now),
    )
    if connection.dialect.name == "postgresql":
        # Walk the index in order even when the statistics still think the queue is short
        # (100,000 reminders enqueued at once): a bitmap scan would read and sort them all.
        connection.execute(text("SET LOCAL enable_bitmapscan = off"))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
    claimed: list = []
    for conditions in parts:
        wanted = batch - len(claimed)
        if wanted <= 0:
            break
        if conditions is None:
            continue
        ids = (
            select(table.c.id)
            .where(*conditions)
            .order_by(table.c.due_at, table.c.id)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        )
        claimed += connection.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(
                status=Status.sending,
                claimed_by=worker,
                lease_until=now + lease,
                attempts=table.c.attempts + 1,
                updated_at=now,
            )
            .returning(*table.c)
        ).all()
    return sorted(claimed, key=lambda n: (not n.urgent, n.due_at, n.id))  # urgent ones first
