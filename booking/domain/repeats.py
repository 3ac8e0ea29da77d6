"""Repeat visits: a visit that follows, within 60 days, an incomplete file of the same phone
at the same site. Kept on the visit (`repeat_of_incomplete`) when it is booked or moved, and
on the phone's later visits when a file is recorded, so that the figures count a column
instead of searching every visit's past."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Exists, Select, and_, bindparam, exists, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from booking.domain.models import Appointment
from storage.date_functions import days_between
from storage.in_lists import fixed_list, members

REPEAT_WINDOW_DAYS = 60
_visits = Appointment.__table__  # type: ignore[attr-defined]


def _incomplete_before(site_id: Any, phone_keys: Any, since: Any, day: Any) -> Any:
    """An incomplete file at the site, of one of the phone's keys, on a day in [since, day)."""
    return (
        select(_visits.c.id)
        .where(
            _visits.c.site_id == site_id,
            _visits.c.phone_key.in_(phone_keys),
            _visits.c.file_complete.is_(False),
            _visits.c.local_date >= since,
            _visits.c.local_date < day,
        )
        .limit(1)
    )


_DAY = _visits.c.local_date.type


@lru_cache(maxsize=8)
def _incomplete_before_keys(length: int) -> Select[Any]:
    """The question for a phone's `length` keys (`in_lists`: compiled once)."""
    return _incomplete_before(
        bindparam("site_id"),
        members("phone_key", length),
        bindparam("since", type_=_DAY),
        bindparam("day", type_=_DAY),
    )


@lru_cache(maxsize=8)
def follows_incomplete_file_mark(length: int) -> Exists:
    """The same question as a value of a visit's row, for its insert (`values_for_insert`)."""
    return exists(
        _incomplete_before(
            bindparam("repeat_site_id"),
            members("repeat_key", length),
            bindparam("repeat_since", type_=_DAY),
            bindparam("repeat_day", type_=_DAY),
        )
    )


def values_for_insert(
    site_id: str, phone_keys: Sequence[str], day: date
) -> tuple[int, dict[str, Any]]:
    """The length of `follows_incomplete_file_mark` for a visit of `day` and its parameters
    (no keys: no repeat)."""
    length, keys = fixed_list("repeat_key", phone_keys)
    return length, keys | {
        "repeat_site_id": site_id,
        "repeat_since": day - timedelta(days=REPEAT_WINDOW_DAYS),
        "repeat_day": day,
    }


def follows_incomplete_file(
    session: Session, appointment: Appointment, phone_keys: Sequence[str]
) -> bool:
    """An incomplete file of the same phone (`phone_keys`: its key under every accepted
    secret) at the same site in the 60 days before."""
    if not phone_keys or appointment.local_date is None:
        return False
    day = appointment.local_date
    length, values = fixed_list("phone_key", phone_keys)
    values |= {
        "site_id": appointment.site_id,
        "since": day - timedelta(days=REPEAT_WINDOW_DAYS),
        "day": day,
    }
    query = _incomplete_before_keys(length)
    return session.connection().execute(query, values).first() is not None


def mark(session: Session, appointment: Appointment, phone_keys: Sequence[str]) -> None:
    """On moving a visit, or confirming a held one (a booking's insert sets it itself:
    `follows_incomplete_file_mark`). Set only when it changes: an assignment marks the visit
    changed, and the commit's flush would go through the whole visit to write nothing."""
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
