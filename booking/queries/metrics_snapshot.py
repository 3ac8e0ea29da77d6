"""What `/metrics` reads from the database at scrape time, so that N processes report one
truth: the outbox's backlog and age, messages by channel and result, each job's last run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from booking.core.clock import Clock
from notifications.models import Notification, Status
from storage.job_leases import last_runs
from storage.unit_of_work import UnitOfWork

_messages = Notification.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Snapshot:
    outbox_pending: int
    oldest_due_age_seconds: float
    messages: dict[tuple[str, str], int]  # (channel, status) -> count
    job_last_runs: dict[str, datetime]


def snapshot(uow: UnitOfWork, clock: Clock) -> Snapshot:
    now = clock()
    with uow.read_connection() as connection:
        pending = connection.execute(
            select(func.count()).where(_messages.c.status == Status.pending)
        ).scalar_one()
        oldest = connection.execute(
            select(func.min(_messages.c.due_at)).where(
                _messages.c.status == Status.pending, _messages.c.due_at <= now
            )
        ).scalar_one_or_none()
        messages = connection.execute(
            select(_messages.c.channel, _messages.c.status, func.count()).group_by(
                _messages.c.channel, _messages.c.status
            )
        ).all()
        runs = last_runs(connection)
    age = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
    return Snapshot(
        outbox_pending=pending,
        oldest_due_age_seconds=max(0.0, age),
        messages={(channel, status): count for channel, status, count in messages},
        job_last_runs=runs,
    )
