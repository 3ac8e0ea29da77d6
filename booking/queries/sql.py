"""The SQL the figures share: what makes a visit due, seen, absent or unrecorded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, and_, case, func, or_
from sqlalchemy.sql.expression import ColumnElement

from booking.core.lifecycle import ARRIVED_STATUSES, UNRECORDED_STATUSES
from booking.core.statuses import HOLD_STATUSES, AppointmentStatus
from booking.domain.models import Appointment
from storage.date_functions import minutes_between

S = AppointmentStatus


def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_range(site_id: str, first: date, last: date) -> ColumnElement[bool]:
    """The site's visits whose local date falls in [first, last] (the index's columns)."""
    return and_(
        Appointment.site_id == site_id,
        Appointment.local_date >= first,
        Appointment.local_date <= last,
        Appointment.status.notin_(HOLD_STATUSES),  # seats held, never a visit
    )


def is_due() -> ColumnElement[bool]:
    """Not cancelled before its start."""
    cancelled = Appointment.status.in_((S.cancelled_by_citizen, S.cancelled_by_office))
    return ~and_(cancelled, Appointment.cancelled_at < Appointment.starts_at)


def is_seen(now: datetime) -> ColumnElement[bool]:
    """Seen, or checked in or called and now over: the visitor came."""
    return or_(
        Appointment.status == S.seen,
        and_(Appointment.status.in_(ARRIVED_STATUSES), Appointment.ends_at <= now),
    )


def is_unrecorded(now: datetime) -> ColumnElement[bool]:
    """`booking.core.lifecycle.unrecorded` in SQL: over, and nobody said whether the visitor
    came (the counter's "to record" is the other rule, beside it there)."""
    return and_(Appointment.status.in_(UNRECORDED_STATUSES), Appointment.ends_at <= now)


def is_called(now: datetime) -> ColumnElement[bool]:
    """Seen, after a call: the visits whose wait counts."""
    return and_(is_seen(now), Appointment.wait_seconds.is_not(None))


def booked_cells() -> ColumnElement[int]:
    """The grid cells a visit holds: ceil(duration / the counter's step when booked)."""
    minutes = func.cast(
        func.round(minutes_between(Appointment.starts_at, Appointment.ends_at)), Integer
    )
    return (minutes + Appointment.cell_minutes - 1) // Appointment.cell_minutes
