"""Retention: personal data is anonymised once its period is over (DESIGN invariant 5).

What identifies a person goes (name, contacts, motive, answers, message bodies and addresses,
stored idempotent answers); what statistics need stays (site, counter, procedure, times,
status and its timestamps, channel, which documents were missing).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlmodel import Session

from booking.domain import access_log, freed_seats, limits
from booking.domain.idempotency import purge as purge_idempotency
from booking.domain.models import Appointment, Hold, PersonClaim, Site, WaitlistEntry
from booking.domain.staff_models import AuditEvent, SignInFailure
from notifications.models import Notification

_appointments = Appointment.__table__  # type: ignore[attr-defined]
_messages = Notification.__table__  # type: ignore[attr-defined]
_holds = Hold.__table__  # type: ignore[attr-defined]
_claims = PersonClaim.__table__  # type: ignore[attr-defined]
_entries = WaitlistEntry.__table__  # type: ignore[attr-defined]


def anonymise_past(session: Session, *, now: datetime, retention_days: int) -> int:
    """Anonymise appointments that ended more than their site's retention period ago (its
    own `retention_days`, or the setting's); returns how many."""
    ids: list[int] = []
    for site_id, days in session.execute(select(Site.id, Site.retention_days)).all():
        cutoff = now - timedelta(days=days or retention_days)
        expired = select(_appointments.c.id).where(
            _appointments.c.site_id == site_id,
            _appointments.c.ends_at < cutoff,
            _appointments.c.anonymised_at.is_(None),
        )
        ids += session.execute(expired).scalars()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            update(_messages)
            .where(_messages.c.appointment_id.in_(chunk))
            .values(recipient="", body="", subject=None, attachment=None, fallback_email=None)
        )
        session.execute(
            update(_appointments)
            .where(_appointments.c.id.in_(chunk))
            .values(name=None, phone=None, email=None, motive=None, answers={}, anonymised_at=now)
        )
    return len(ids)


def purge_old_records(session: Session, *, now: datetime, audit_days: int) -> int:
    """Audit events past their keeping time; what is older than a day of sign-in failures, the
    limits' counters, freed seats, person claims (they hold client addresses, phones, keyed
    hashes), the masks of access events and the phones of holds that are over."""
    cutoff = now - timedelta(days=audit_days)
    audit = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount or 0
    day_ago = now - timedelta(days=1)
    session.execute(delete(SignInFailure).where(SignInFailure.at < day_ago))
    limits.purge(session, day_ago)
    freed_seats.purge(session, day_ago)
    access_log.forget_details(session, day_ago)
    session.execute(  # a hold over for a day needs its phone no more
        update(_holds)
        .where(_holds.c.state != "open", _holds.c.created_at < day_ago, _holds.c.phone.isnot(None))
        .values(phone=None)
    )
    session.execute(delete(_claims).where(_claims.c.touched_at < day_ago))
    session.execute(  # a waiting-list entry over for a day keeps only what the figures count
        update(_entries)
        .where(
            _entries.c.ended_at < day_ago,
            (_entries.c.name.isnot(None)) | (_entries.c.phone.isnot(None)),
        )
        .values(name=None, phone=None, email=None, answers={}, declared=[])
    )
    return audit


def housekeeping(
    session: Session,
    *,
    now: datetime,
    retention_days: int,
    idempotency_ttl_hours: int,
    audit_retention_days: int = 730,
) -> dict[str, int]:
    return {
        "anonymised": anonymise_past(session, now=now, retention_days=retention_days),
        "idempotency_keys_purged": purge_idempotency(session, now, idempotency_ttl_hours),
        "audit_events_purged": purge_old_records(session, now=now, audit_days=audit_retention_days),
    }
