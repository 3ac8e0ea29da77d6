"""Idempotency-Key: a retried POST gets the first answer and changes nothing more.

The key is reserved in the same transaction as the change it guards: a concurrent retry waits
on the key's primary key until the first commits (PostgreSQL) or is serialised behind it
(SQLite), then reads the stored answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking.errors import InvalidRequest
from booking.i18n import N_
from booking.models import IdempotentRequest

if TYPE_CHECKING:
    from booking.services import Services


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def request_hash(body: bytes, path: str) -> str:
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def stored_answer(session: Session, key: str, digest: str) -> StoredAnswer | None:
    row = session.get(IdempotentRequest, key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise InvalidRequest(N_("This Idempotency-Key was already used for a different request."))
    return StoredAnswer(row.status_code, row.body)


def reserve(session: Session, key: str, digest: str, now: datetime) -> IdempotentRequest:
    """Insert the key now (raises IntegrityError when a concurrent request holds it)."""
    row = IdempotentRequest(key=key, request_hash=digest, status_code=0, body={}, created_at=now)
    session.add(row)
    session.flush()
    return row


def complete(session: Session, row: IdempotentRequest, status_code: int, body: dict) -> None:
    row.status_code = status_code
    row.body = body
    session.add(row)
    session.flush()


def purge(session: Session, now: datetime, ttl_hours: int) -> int:
    cutoff = now - timedelta(hours=ttl_hours)
    result = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff))
    return result.rowcount or 0


def run_once(
    services: Services,
    key: str | None,
    digest: str,
    action: Callable[[Session], tuple[int, dict[str, Any]]],
) -> StoredAnswer:
    """Run `action` in a transaction, unless this key already has an answer: then return it.

    The key is reserved inside the action's transaction, so the answer and the change it
    describes are committed together or not at all.
    """
    if key:
        with services.reading() as session:
            stored = stored_answer(session, key, digest)
        if stored:
            return stored
    try:
        with services.transaction() as session:
            reserved = reserve(session, key, digest, services.now()) if key else None
            status_code, body = action(session)
            if reserved is not None:
                complete(session, reserved, status_code, body)
    except IntegrityError:
        if not key:
            raise
        with services.reading() as session:  # a concurrent retry won: give its answer
            stored = stored_answer(session, key, digest)
        if stored is None:
            raise
        return stored
    return StoredAnswer(status_code, body)
