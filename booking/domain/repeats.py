"""Repeat visits: a visit that follows, within 60 days, an incomplete file of the same phone
at the same site. Kept on the visit (`repeat_of_incomplete`) when it is booked or moved, and
on the phone's later visits when a file is recorded, so that the figures count a column
instead of searching every visit's past."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from booking.domain.models import Appointment
from storage.date_functions import days_between

REPEAT_WINDOW_DAYS = 60
_visits = Appointment.__table__  # type: ignore[attr-defined]
_INCOMPLETE_BEFORE = (
    select(_visits.c.id)
    .where(
        _visits.c.site_id == bindparam("site_id"),
        _visits.c.phone_key.in_(bindparam("phone_keys", expanding=True)),
        _visits.c.file_complete.is_(False),
        _visits.c.local_date >= bindparam("since", type_=_visits.c.local_date.type),
        _visits.c.local_date < bindparam("day", type_=_visits.c.local_date.type),
    )
    .limit(1)
)


def follows_incomplete_file(
    session: Session, appointment: Appointment, phone_keys: Collection[str]
) -> bool:
    """An incomplete file of the same phone (`phone_keys`: its key under every accepted
    secret) at the same site in the 60 days before."""
    if not phone_keys or appointment.local_date is None:
        return False
    day = appointment.local_date
    values = {
        "site_id": appointment.site_id,
        "phone_keys": list(phone_keys),
        "since": day - timedelta(days=REPEAT_WINDOW_DAYS),
        "day": day,
    }
    return session.connection().execute(_INCOMPLETE_BEFORE, values).first() is not None


def mark(session: Session, appointment: Appointment, phone_keys: Collection[str]) -> None:
    """On booking or moving a visit. Set only when it changes: an assignment marks the visit
    changed, and the commit's flush then goes through the whole visit to write nothing (7 % of a
    booking's time sampled in the server, the visit being written already)."""
    repeat = follows_incomplete_file(session, appointment, phone_keys)
    if appointment.repeat_of_incomplete != repeat:
        appointment.repeat_of_incomplete = repeat


def refresh_after(session: Session, appointment: Appointment, phone_keys: Collection[str]) -> None:
    """Once a file is recorded (complete or not): the same phone's visits in the 60 days
    after it, at the same site, are repeats or not again."""
    if not phone_keys or appointment.local_date is None:
        return
    day = appointment.local_date
    later = Appointment.__table__  # type: ignore[attr-defined]
    earlier = aliased(Appointment)
    incomplete_before = exists().where(
        earlier.site_id == later.c.site_id,
        earlier.phone_key.in_(phone_keys),
        earlier.file_complete.is_(False),
        days_between(earlier.local_date, later.c.local_date).between(1, REPEAT_WINDOW_DAYS),
    )
    session.execute(
        update(later)
        .where(
            and_(
                later.c.site_id == appointment.site_id,
                later.c.phone_key.in_(phone_keys),
                later.c.local_date > day,
                later.c.local_date <= day + timedelta(days=REPEAT_WINDOW_DAYS),
            )
        )
        .values(repeat_of_incomplete=incomplete_before)
    )
