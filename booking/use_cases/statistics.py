"""Read-only queries of the managers' figures (issue 10, first part: attendance).

Every figure is a GROUP BY in the database over the columns each visit keeps in its site's own
time (`local_date`, `local_weekday`, `local_hour`, `lead_days`); Python only turns the counts
into rates with their Wilson intervals.

Definitions: a visit is **due** in a range when its local date falls in it and it was not
cancelled before its start; **seen** includes past checked-in or called visits; **unrecorded**
(past, no outcome) stays apart, neither present nor absent. No-show rate = no_show / (seen +
no_show); late cancellations are citizens' cancellations less than 24 hours before the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, or_, select

from booking.errors import InvalidRequest, NotFound
from booking.i18n import N_
from booking.models import Appointment, AppointmentStatus, Site
from booking.staff_access import Actor, Permission
from booking.statistics_maths import Rate, wilson
from notifications.models import Kind, Notification, Status

if TYPE_CHECKING:
    from booking.services import Services

S = AppointmentStatus
LEAD_TIMES = (("0", 0, 0), ("1-2", 1, 2), ("3-7", 3, 7), ("8-14", 8, 14), ("15-30", 15, 30))
MAX_DAYS = 3 * 366


def _lead_time():  # type: ignore[no-untyped-def]
    return case(
        *[(Appointment.lead_days.between(low, high), label) for label, low, high in LEAD_TIMES],
        else_="31+",
    )


def _reminder_sent():  # type: ignore[no-untyped-def]
    sent = exists().where(
        Notification.appointment_id == Appointment.id,
        Notification.kind == Kind.reminder,
        Notification.status.in_((Status.sent, Status.delivered)),
    )
    return case((sent, True), else_=False)


GROUPINGS = {
    "site": lambda: Appointment.site_id,
    "counter": lambda: Appointment.counter_id,
    "procedure": lambda: Appointment.procedure_id,
    "weekday": lambda: Appointment.local_weekday,
    "hour": lambda: Appointment.local_hour,
    "lead_time": _lead_time,
    "channel": lambda: Appointment.channel,
    "reminder": _reminder_sent,
}


@dataclass(frozen=True)
class Attendance:
    key: Any
    due: int
    seen: int
    no_show: int
    unrecorded: int
    cancelled_late: int

    @property
    def no_show_rate(self) -> Rate:
        return wilson(self.no_show, self.seen + self.no_show)


@dataclass(frozen=True)
class AttendanceReport:
    site_id: str
    first: date
    last: date
    by: str
    rows: list[Attendance]
    total: Attendance
    previous_first: date
    previous_last: date
    previous: Attendance


class Statistics:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._uow = services.uow

    def attendance(
        self, actor: Actor, site_id: str, first: date, last: date, by: str = "site"
    ) -> AttendanceReport:
        actor.require(Permission.statistics, site_id)
        if by not in GROUPINGS:
            raise InvalidRequest.for_field("by", N_("Unknown grouping."))
        if last < first or (last - first).days > MAX_DAYS:
            raise InvalidRequest.for_field("to", N_("Give a range of at most three years."))
        span = (last - first).days + 1
        before_last = first - timedelta(days=1)
        before_first = before_last - timedelta(days=span - 1)
        now = self._services.now()
        with self._uow.reading() as session:
            if session.get(Site, site_id) is None:
                raise NotFound(N_("Unknown site."))
            key = GROUPINGS[by]().label("key")
            rows = [
                Attendance(row.key, *row[1:])
                for row in session.execute(
                    self._counts(site_id, first, last, now, key).group_by(key).order_by(key)
                )
            ]
            total = self._total(session, site_id, first, last, now)
            previous = self._total(session, site_id, before_first, before_last, now)
        return AttendanceReport(
            site_id, first, last, by, rows, total, before_first, before_last, previous
        )

    def _total(self, session, site_id: str, first: date, last: date, now: datetime) -> Attendance:  # type: ignore[no-untyped-def]
        row = session.execute(self._counts(site_id, first, last, now)).one()
        return Attendance(None, *(value or 0 for value in row))

    @staticmethod
    def _counts(site_id: str, first: date, last: date, now: datetime, *keys: Any):  # type: ignore[no-untyped-def]
        cancelled = Appointment.status.in_((S.cancelled_by_citizen, S.cancelled_by_office))
        due = ~and_(cancelled, Appointment.cancelled_at < Appointment.starts_at)
        past = Appointment.ends_at <= now

        def counted(condition):  # type: ignore[no-untyped-def]
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        return select(
            *keys,
            counted(due),
            counted(
                or_(
                    Appointment.status == S.seen,
                    and_(Appointment.status.in_((S.checked_in, S.called)), past),
                )
            ),
            counted(Appointment.status == S.no_show),
            counted(and_(Appointment.status == S.booked, past)),
            counted(and_(Appointment.status == S.cancelled_by_citizen, Appointment.cancelled_late)),
        ).where(
            Appointment.site_id == site_id,
            Appointment.local_date >= first,
            Appointment.local_date <= last,
        )
