"""Idempotency-Key: a retried booking gets the visit booked the first time, and books nothing
more.

The key is reserved in the same transaction as the booking it guards: a concurrent retry waits
on the key's primary key until the first commits (PostgreSQL) or is serialised behind it
(SQLite), then reads which visit it booked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.domain.models import IdempotentRequest


def stored_reference(session: Session, key: str, digest: str) -> str | None:
    """The reference booked under this key, if any; the key with another request is a 422."""
    row = session.get(IdempotentRequest, key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise InvalidRequest(N_("This Idempotency-Key was already used for a different request."))
    return row.body.get("reference")


def reserve(session: Session, key: str, digest: str, now: datetime) -> IdempotentRequest:
    """Insert the key now (raises IntegrityError when a concurrent request holds it)."""
    row = IdempotentRequest(key=key, request_hash=digest, status_code=0, body={}, created_at=now)
    session.add(row)
    session.flush()
    return row


def complete(session: Session, row: IdempotentRequest, reference: str) -> None:
    row.status_code = 201
    row.body = {"reference": reference}
    session.add(row)
    session.flush()


def purge(session: Session, now: datetime, ttl_hours: int) -> int:
    cutoff = now - timedelta(hours=ttl_hours)
    result = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff))
    return result.rowcount or 0
