"""The audit log: one row per staff action, written in the action's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from booking.core.access import Actor
from booking.domain.staff_models import AuditEvent


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    site_id: str | None = None,
    target: str = "",
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            at=now,
            staff_id=actor.staff_id,
            staff_email=actor.email,
            address=actor.address[:64],
            action=action,
            site_id=site_id,
            target=target[:120],
            details=details,
        )
    )
