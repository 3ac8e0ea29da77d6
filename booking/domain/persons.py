"""One live visit per person and procedure: the same mobile (E.164) or the same email cannot
hold two live visits (booked, arrived, called and not over, or a seat held) for one procedure,
at any site. Return visits are exempt. Each person's claim row is locked first, so two attempts
at once are serialised on both engines and one of them wins."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from booking.core.errors import Conflict, FieldError
from booking.core.i18n import N_
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus
from booking.domain.models import Appointment, PersonClaim
from storage.inserts import dialect_insert

_claims = PersonClaim.__table__  # type: ignore[attr-defined]
COUNTED = (*LIVE_STATUSES, AppointmentStatus.held)
ALREADY = N_(
    "You already have an appointment for this procedure. To change its time, move it from the"
    " link in its messages (or with its reference and code) instead of booking another one."
)


class LiveVisit(Conflict):
    """A second live visit of one person for one procedure (409, reason "live_visit")."""

    def __init__(self, field: str) -> None:
        super().__init__(ALREADY, [FieldError(field, ALREADY)], extra={"reason": "live_visit"})


def person_key(secret: str, procedure_id: str, contact: str) -> str:
    message = f"person:{procedure_id}:{contact.lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:64]


def refuse_a_second_live_visit(
    session: Session,
    *,
    secret: str,
    procedure_id: str,
    phone: str | None,
    email: str | None,
    now: datetime,
    limit: int,
    besides: int | None = None,
    count_held: bool = True,
) -> None:
    """Raise LiveVisit when this phone or email already has `limit` live visits of the
    procedure (`besides`: the visit being confirmed or moved, not counted; `count_held`: seats
    held count too, but when a hold is confirmed)."""
    contacts = [c for c in (phone, email) if c]
    if not contacts:
        return
    connection = session.connection()
    for key in sorted(person_key(secret, procedure_id, c) for c in contacts):  # in key order
        connection.execute(
            dialect_insert(connection)(_claims)
            .values(key=key, touched_at=now)
            .on_conflict_do_update(index_elements=[_claims.c.key], set_={"touched_at": now})
        )
    for field, matches in (
        ("phone", Appointment.phone == phone if phone else None),
        ("email", func.lower(Appointment.email) == email.lower() if email else None),
    ):
        if matches is None:
            continue
        query = select(func.count()).where(
            Appointment.procedure_id == procedure_id,
            matches,
            Appointment.status.in_(COUNTED if count_held else LIVE_STATUSES),
            or_(Appointment.ends_at > now, Appointment.status == AppointmentStatus.held),
            Appointment.return_of.is_(None),
        )
        if besides is not None:
            query = query.where(Appointment.id != besides)
        if session.execute(query).scalar_one() >= limit:
            raise LiveVisit(field)
