"""The managers' figures (issue 10): read-only queries, each a GROUP BY in the database over
the columns every visit keeps in its site's own time (`local_date`, `local_weekday`,
`local_hour`, `lead_days`); Python turns the counts into rates (`booking/queries/maths.py`).

Definitions (`booking/queries/sql.py`): a visit is **due** in a range when its local date falls
in it and it was not cancelled before its start; **seen** includes past checked-in or called
visits; **unrecorded** (past, no outcome) stays apart, neither present nor absent. No-show rate
= no_show / (seen + no_show); late cancellations are citizens' cancellations less than 24 hours
before; completeness = complete / files checked at the counter; fill = booked seats / seats
the windows valid each day offered; the wait runs from the later of arrival and appointment
time to the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlmodel import Session

from booking.core.access import Actor, Permission
from booking.core.clock import Clock, local_date
from booking.core.errors import InvalidRequest
from booking.core.i18n import N_
from booking.core.slots import SiteCalendar, offered_seats
from booking.domain.availability import SitePlan, load_site_plan
from booking.domain.models import Appointment, Counter, CounterProcedure, Site
from booking.domain.sites import get_site
from booking.queries import sql
from booking.queries.fair_access import fair_access
from booking.queries.figures import (
    COMPLETENESS_GROUPINGS,
    Affluence,
    Attendance,
    AttendanceReport,
    CapacityAdvice,
    Completeness,
    Dashboard,
    FairAccess,
    Fill,
    Grouping,
    Headline,
    Period,
    Repeats,
    Satisfaction,
    Waiting,
    WaitlistFigures,
)
from booking.queries.maths import advised_bookings, shrunk_show_rate
from booking.queries.waitlist_figures import waitlist_figures
from notifications.models import Kind, Notification, Status
from storage.unit_of_work import UnitOfWork

S = sql.S
LEAD_TIMES = (("0", 0, 0), ("1-2", 1, 2), ("3-7", 3, 7), ("8-14", 8, 14), ("15-30", 15, 30))
MAX_DAYS = 3 * 366
WAIT_HISTOGRAM_CAP = 240  # minutes: the median is read from a histogram of whole minutes
DEFAULT_RISK = 0.05


def _lead_time():  # type: ignore[no-untyped-def]
    return case(
        *[(Appointment.lead_days.between(low, high), label) for label, low, high in LEAD_TIMES],
        else_="31+",
    )


def _sent(kind: Kind):  # type: ignore[no-untyped-def]
    return exists().where(
        Notification.appointment_id == Appointment.id,
        Notification.kind == kind,
        Notification.status.in_((Status.sent, Status.delivered)),
    )


GROUPINGS: dict[Grouping, Callable[[], Any]] = {
    Grouping.site: lambda: Appointment.site_id,
    Grouping.counter: lambda: Appointment.counter_id,
    Grouping.procedure: lambda: Appointment.procedure_id,
    Grouping.weekday: lambda: Appointment.local_weekday,
    Grouping.hour: lambda: Appointment.local_hour,
    Grouping.lead_time: _lead_time,
    Grouping.channel: lambda: Appointment.channel,
    Grouping.reminder: lambda: case((_sent(Kind.reminder), True), else_=False),
    Grouping.waitlist: lambda: Appointment.from_waitlist,
}


class Statistics:
    """What a manager (their sites) or an admin (all) may read; nothing here writes."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def attendance(
        self, actor: Actor, site_id: str, first: date, last: date, by: str = "site"
    ) -> AttendanceReport:
        period = self._scope(actor, site_id, first, last)
        if by not in GROUPINGS:
            raise InvalidRequest.for_field("by", N_("Unknown grouping."))
        previous = _before(period)
        now = self._clock()
        with self._uow.reading() as session:
            _site(session, site_id)
            rows = _attendance(session, site_id, period, now, by)
            total = _attendance_total(session, site_id, period, now)
            earlier = _attendance_total(session, site_id, previous, now)
        return AttendanceReport(site_id, period, by, rows, total, previous, earlier)

    def waitlist(self, actor: Actor, site_id: str, first: date, last: date) -> WaitlistFigures:
        """The waiting list over the period (booking.queries.waitlist_figures)."""
        period = self._scope(actor, site_id, first, last)
        with self._uow.reading() as session:
            return waitlist_figures(session, _site(session, site_id), period)

    def fair_access(self, actor: Actor, site_id: str, first: date, last: date) -> FairAccess:
        """Holds, refusals and seats held back over the period (booking.queries.fair_access)."""
        period = self._scope(actor, site_id, first, last)
        with self._uow.reading() as session:
            return fair_access(session, _site(session, site_id), period)

    def waiting(self, actor: Actor, site_id: str, first: date, last: date) -> Waiting:
        period = self._scope(actor, site_id, first, last)
        with self._uow.reading() as session:
            _site(session, site_id)
            return _waiting(session, site_id, period, self._clock())

    def completeness(
        self, actor: Actor, site_id: str, first: date, last: date, by: str = "procedure"
    ) -> tuple[list[Completeness], Completeness]:
        period = self._scope(actor, site_id, first, last)
        if by not in COMPLETENESS_GROUPINGS:
            raise InvalidRequest.for_field("by", N_("Unknown grouping."))
        with self._uow.reading() as session:
            _site(session, site_id)
            return _completeness(session, site_id, period, by), _completeness_total(
                session, site_id, period
            )

    def capacity(
        self, actor: Actor, site_id: str, first: date, last: date, risk: float = DEFAULT_RISK
    ) -> list[CapacityAdvice]:
        period = self._scope(actor, site_id, first, last)
        _check_risk(risk)
        with self._uow.reading() as session:
            site = _site(session, site_id)
            plan = load_site_plan(session, site, None, period.first, period.last)
            return _capacity(session, plan, period, self._clock(), risk)

    def affluence(self, actor: Actor, site_id: str, first: date, last: date) -> list[Affluence]:
        period = self._scope(actor, site_id, first, last)
        with self._uow.reading() as session:
            _site(session, site_id)
            return _affluence(session, site_id, period, self._clock())

    def dashboard(
        self,
        actor: Actor,
        site_id: str,
        first: date,
        last: date,
        by: str = "weekday",
        risk: float = DEFAULT_RISK,
    ) -> Dashboard:
        """Every figure of the managers' page, in one read transaction."""
        period = self._scope(actor, site_id, first, last)
        if by not in GROUPINGS:
            raise InvalidRequest.for_field("by", N_("Unknown grouping."))
        _check_risk(risk)
        now = self._clock()
        previous = _before(period)
        with self._uow.reading() as session:
            site = _site(session, site_id)
            # The counters and their windows once, over both periods: seats and advice.
            plan = load_site_plan(session, site, None, previous.first, period.last)
            return Dashboard(
                site_id=site_id,
                site_name=site.name,
                by=by,
                counter_names=dict(
                    session.execute(
                        select(Counter.id, Counter.name).where(Counter.site_id == site_id)
                    ).all()
                ),
                current=_headline(session, plan, period, now),
                previous=_headline(session, plan, previous, now),
                attendance=_attendance(session, site_id, period, now, by),
                completeness=_completeness(session, site_id, period, "procedure"),
                capacity=_capacity(session, plan, period, now, risk),
                affluence=_affluence(session, site_id, period, now),
                fair_access=fair_access(session, site, period),
                waitlist=waitlist_figures(session, site, period),
            )

    def sites(self, actor: Actor) -> list[Site]:
        """The sites whose figures the actor may read, by name."""
        with self._uow.reading() as session:
            found = session.execute(select(Site).order_by(Site.name)).scalars()
            return [site for site in found if actor.may(Permission.statistics, site.id)]

    def last_weeks(self, site: Site, weeks: int = 13) -> Period:
        """The default period: the whole weeks up to yesterday in the site's time."""
        yesterday = local_date(self._clock(), site.timezone)
        yesterday -= timedelta(days=1)
        return Period(yesterday - timedelta(weeks=weeks) + timedelta(days=1), yesterday)

    def _scope(self, actor: Actor, site_id: str, first: date, last: date) -> Period:
        actor.require(Permission.statistics, site_id)
        if last < first or (last - first).days > MAX_DAYS:
            raise InvalidRequest.for_field("to", N_("Give a range of at most three years."))
        return Period(first, last)


def _check_risk(risk: float) -> None:
    if not 0.001 <= risk <= 0.5:
        raise InvalidRequest.for_field("risk", N_("Give a risk between 0.001 and 0.5."))


def _before(period: Period) -> Period:
    """The period of equal length just before."""
    last = period.first - timedelta(days=1)
    return Period(last - timedelta(days=period.days - 1), last)


def _site(session: Session, site_id: str) -> Site:
    site = get_site(session, site_id)
    return site


# Attendance -------------------------------------------------------------------------------


def _attendance_counts(site_id: str, period: Period, now: datetime, *keys: Any):  # type: ignore[no-untyped-def]
    return select(
        *keys,
        sql.counted(sql.is_due()),
        sql.counted(sql.is_seen(now)),
        sql.counted(Appointment.status == S.no_show),
        sql.counted(sql.is_unrecorded(now)),
        sql.counted(and_(Appointment.status == S.cancelled_by_citizen, Appointment.cancelled_late)),
    ).where(sql.in_range(site_id, period.first, period.last))


def _attendance(
    session: Session, site_id: str, period: Period, now: datetime, by: str
) -> list[Attendance]:
    key = GROUPINGS[by]().label("key")
    # Lead-time bands in the order of their days, not of their labels ("15-30" < "3-7").
    order = func.min(Appointment.lead_days) if by == "lead_time" else key
    query = _attendance_counts(site_id, period, now, key).group_by(key).order_by(order)
    return [Attendance(row.key, *row[1:]) for row in session.execute(query)]


def _attendance_total(session: Session, site_id: str, period: Period, now: datetime) -> Attendance:
    row = session.execute(_attendance_counts(site_id, period, now)).one()
    return Attendance(None, *row)


# Waiting ----------------------------------------------------------------------------------


def _waiting_columns(now: datetime) -> list[Any]:
    """with call, within 10 min, green (< 30), orange (30–60), red (> 60), without call."""
    wait = Appointment.wait_seconds
    called = sql.is_called(now)
    return [
        sql.counted(called),
        sql.counted(and_(called, wait <= 10 * 60)),
        sql.counted(and_(called, wait < 30 * 60)),
        sql.counted(and_(called, wait >= 30 * 60, wait <= 60 * 60)),
        sql.counted(and_(called, wait > 60 * 60)),
        sql.counted(and_(sql.is_seen(now), Appointment.wait_seconds.is_(None))),
    ]


def _wait_median(session: Session, site_id: str, period: Period, now: datetime) -> float | None:
    """From a histogram of whole minutes (the last bucket holds every longer wait)."""
    whole = Appointment.wait_seconds // 60
    minute = case((whole > WAIT_HISTOGRAM_CAP, WAIT_HISTOGRAM_CAP), else_=whole)
    histogram = session.execute(
        select(minute.label("minute"), func.count())
        .where(sql.in_range(site_id, period.first, period.last), sql.is_called(now))
        .group_by(minute)
        .order_by(minute)
    ).all()
    return _median(histogram)


def _waiting(session: Session, site_id: str, period: Period, now: datetime) -> Waiting:
    totals = session.execute(
        select(*_waiting_columns(now)).where(sql.in_range(site_id, period.first, period.last))
    ).one()
    with_call, within, green, orange, red, without = totals
    median = _wait_median(session, site_id, period, now)
    return Waiting(with_call, within, green, orange, red, median, without)


def _median(histogram: list[Any]) -> float | None:
    """The median of whole minutes given as (minute, count) in order."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for minute, count in histogram:
        while wanted and wanted[0] < seen + count:
            found.append(minute)
            wanted.pop(0)
        seen += count
    return sum(found) / 2


# Completeness ---------------------------------------------------------------------------


def _completeness_columns() -> list[Any]:
    """files checked at the counter, complete ones."""
    checked = Appointment.file_complete.is_not(None)
    return [sql.counted(checked), sql.counted(Appointment.file_complete.is_(True))]


def _completeness_counts(site_id: str, period: Period, *keys: Any):  # type: ignore[no-untyped-def]
    return select(*keys, *_completeness_columns()).where(
        sql.in_range(site_id, period.first, period.last), Appointment.file_complete.is_not(None)
    )


def _completeness(session: Session, site_id: str, period: Period, by: str) -> list[Completeness]:
    key = GROUPINGS[by]().label("key")
    query = _completeness_counts(site_id, period, key).group_by(key).order_by(key)
    return [Completeness(row.key, row[1], row[2]) for row in session.execute(query)]


def _completeness_total(session: Session, site_id: str, period: Period) -> Completeness:
    recorded, complete = session.execute(_completeness_counts(site_id, period)).one()
    return Completeness(None, recorded, complete)


# Capacity ---------------------------------------------------------------------------------


def _capacity(
    session: Session, plan: SitePlan, period: Period, now: datetime, risk: float
) -> list[CapacityAdvice]:
    """Per procedure: the show rate shrunk toward the site's, and the bookings a typical
    counter-day serving it may take (windows of the period's last week)."""
    outcomes = {
        row.procedure_id: (row[1], row[2])
        for row in session.execute(
            select(
                Appointment.procedure_id,
                sql.counted(sql.is_seen(now)),
                sql.counted(Appointment.status == S.no_show),
            )
            .where(sql.in_range(plan.site.id, period.first, period.last))
            .group_by(Appointment.procedure_id)
        )
    }
    shows_total = sum(shows for shows, _ in outcomes.values())
    visits_total = shows_total + sum(absent for _, absent in outcomes.values())
    site_rate = shows_total / visits_total if visits_total else None
    seats = _seats_per_counter_day(session, plan, period.last)
    advice = []
    for procedure in sorted(set(outcomes) | set(seats)):
        shows, absent = outcomes.get(procedure, (0, 0))
        day_seats = seats.get(procedure, 0)
        show_rate = (
            None if site_rate is None else shrunk_show_rate(shows, shows + absent, site_rate)
        )
        advised = day_seats if show_rate is None else advised_bookings(day_seats, show_rate, risk)
        advice.append(
            CapacityAdvice(procedure, shows + absent, shows, show_rate, day_seats, advised, risk)
        )
    return advice


def _seats_per_counter_day(session: Session, plan: SitePlan, last: date) -> dict[str, int]:
    """Per procedure, the median seats of an open counter-day among the counters serving it,
    over the week ending on `last` (holidays and closures aside: the configured capacity)."""
    first = last - timedelta(days=6)
    every_day_open = SiteCalendar(plan.calendar.timezone)
    days_of = {
        counter.counter_id: list(
            offered_seats(replace(counter, closures=()), every_day_open, first, last).values()
        )
        for counter in plan.counters
    }
    served: dict[str, list[int]] = {}
    for counter_id, procedure_id in session.execute(
        select(CounterProcedure.counter_id, CounterProcedure.procedure_id).where(
            CounterProcedure.counter_id.in_(list(days_of))
        )
    ):
        served.setdefault(procedure_id, []).extend(days_of[counter_id])
    return {procedure: int(median(days)) for procedure, days in served.items() if days}


# Affluence, repeats, satisfaction, fill ----------------------------------------------------


def _affluence(session: Session, site_id: str, period: Period, now: datetime) -> list[Affluence]:
    query = (
        select(Appointment.local_weekday, Appointment.local_hour, func.count())
        .where(sql.in_range(site_id, period.first, period.last), sql.is_seen(now))
        .group_by(Appointment.local_weekday, Appointment.local_hour)
        .order_by(Appointment.local_weekday, Appointment.local_hour)
    )
    return [Affluence(*row) for row in session.execute(query)]


def _repeat_columns() -> list[Any]:
    """due, linked by staff, same phone after an incomplete file: over due visits."""
    due = sql.is_due()
    linked = Appointment.return_of.is_not(None)
    return [
        sql.counted(due),
        sql.counted(and_(due, linked)),
        sql.counted(and_(due, ~linked, Appointment.repeat_of_incomplete)),
    ]


def _satisfaction_columns() -> list[Any]:
    """surveys asked, then the replies scored 1 to 5."""
    return [sql.counted(Appointment.survey_asked_at.is_not(None))] + [
        sql.counted(Appointment.satisfaction == score) for score in range(1, 6)
    ]


def _offered_seats(plan: SitePlan, period: Period) -> int:
    """Seats the windows offered over the period (the plan covers it)."""
    return sum(
        sum(offered_seats(counter, plan.calendar, period.first, period.last).values())
        for counter in plan.counters
    )


def _headline(session: Session, plan: SitePlan, period: Period, now: datetime) -> Headline:
    """One period's headline figures in one scan of its visits (and the wait histogram)."""
    site = plan.site
    booked = func.coalesce(func.sum(case((sql.is_due(), sql.booked_cells()), else_=0)), 0)
    row = session.execute(
        _attendance_counts(site.id, period, now)
        .add_columns(*_completeness_columns())
        .add_columns(*_waiting_columns(now))
        .add_columns(*_repeat_columns())
        .add_columns(*_satisfaction_columns())
        .add_columns(booked)
    ).one()
    attendance, row = Attendance(None, *row[:5]), row[5:]
    completeness, row = Completeness(None, *row[:2]), row[2:]
    with_call, within, green, orange, red, without = row[:6]
    median = _wait_median(session, site.id, period, now)
    waiting, row = Waiting(with_call, within, green, orange, red, median, without), row[6:]
    repeats, row = Repeats(*row[:3]), row[3:]
    sent, scores, row = row[0], row[1:6], row[6:]
    by_score = dict(zip(range(1, 6), scores, strict=True))
    satisfaction = Satisfaction(site.survey_enabled, sent, sum(scores), by_score)
    fill = Fill(int(row[0]), _offered_seats(plan, period))
    return Headline(period, attendance, completeness, waiting, fill, repeats, satisfaction)
