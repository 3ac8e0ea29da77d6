"""One live visit per person and procedure: the same mobile (E.164) or the same email cannot
hold two live visits (booked, arrived, called and not over, or a seat held) for one procedure,
at any site. Return visits are exempt. Each person's claim row is locked first, so two attempts
at once are serialised on both engines and one of them wins."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal, or_, select
from sqlmodel import Session

from booking.core.errors import Conflict, FieldError
from booking.core.i18n import N_
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus
from booking.domain.models import Appointment, PersonClaim
from storage.inserts import prepared_upsert

_claims = PersonClaim.__table__  # type: ignore[attr-defined]
_visits = Appointment.__table__  # type: ignore[attr-defined]
COUNTED = (*LIVE_STATUSES, AppointmentStatus.held)


def _build_claim(insert: Any) -> Any:
    now = bindparam("now", type_=_claims.c.touched_at.type)
    return (
        insert(_claims)
        .values(key=bindparam("key"), touched_at=now)
        .on_conflict_do_update(index_elements=[_claims.c.key], set_={"touched_at": now})
    )


_CLAIM = prepared_upsert(_build_claim)


def _live_visits(by: str, statuses: tuple[str, ...]) -> Any:
    """How many visits in `statuses` of :procedure_id have this phone (or email), but
    :besides. The statuses are the statement's own (one statement a set): a list given at
    each execution would have SQLAlchemy render the statement again every time."""
    matches = (
        _visits.c.phone == bindparam("contact")
        if by == "phone"
        else func.lower(_visits.c.email) == bindparam("contact")
    )
    return select(func.count()).where(
        _visits.c.procedure_id == bindparam("procedure_id"),
        matches,
        _visits.c.status.in_([literal(str(status)) for status in statuses]),
        or_(
            _visits.c.ends_at > bindparam("now", type_=_visits.c.ends_at.type),
            _visits.c.status == AppointmentStatus.held,
        ),
        _visits.c.return_of.is_(None),
        _visits.c.id != bindparam("besides"),
    )


_LIVE_VISITS = {
    (by, count_held): _live_visits(by, COUNTED if count_held else LIVE_STATUSES)
    for by in ("phone", "email")
    for count_held in (True, False)
}
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
    claim = _CLAIM(connection)
    for key in sorted(person_key(secret, procedure_id, c) for c in contacts):  # in key order
        connection.execute(claim, {"key": key, "now": now})
    for field, contact in (("phone", phone), ("email", email.lower() if email else None)):
        if contact is None:
            continue
        values = {
            "procedure_id": procedure_id,
            "contact": contact,
            "now": now,
            "besides": -1 if besides is None else besides,  # ids start at 1
        }
        if connection.execute(_LIVE_VISITS[field, count_held], values).scalar_one() >= limit:
            raise LiveVisit(field)
