"""Use cases of running a site: closures (and, to come, counters, windows and settings)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlmodel import Session

from booking.core.access import Actor, Permission
from booking.core.clock import local_date
from booking.core.errors import Conflict, FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.slots import WeeklyWindow, day_starts, fits_the_grid, from_minute, to_minute
from booking.core.statuses import LIVE_STATUSES
from booking.domain import audit, revisions
from booking.domain.cancellation import cancel_and_tell
from booking.domain.closures import ClosureRange, counter_of_site, local_range, visits_inside
from booking.domain.models import (
    Appointment,
    Closure,
    Counter,
    CounterProcedure,
    OpeningWindow,
    Site,
)
from booking.domain.sites import get_site
from booking.use_cases.context import Context


@dataclass(frozen=True)
class CounterSpec:
    name: str
    capacity: int
    procedures: tuple[str, ...]
    active: bool = True
    id: int | None = None


@dataclass(frozen=True)
class SiteSettings:
    reminder_hour: int | None
    survey_enabled: bool
    auto_no_show: bool
    day_closes_at: time
    retention_days: int | None = None  # None: the service's setting


@dataclass(frozen=True)
class ClosureRequest:
    start_date: date
    end_date: date
    reason: str
    start_time: time | None = None
    end_time: time | None = None
    counter_id: int | None = None
    dry_run: bool = False
    cancel_affected: bool = False


@dataclass(frozen=True)
class AffectedVisit:
    """A booked visit in the way, as plain values (they outlive a rolled-back transaction)."""

    reference: str
    starts_at: datetime
    name: str | None


@dataclass(frozen=True)
class ClosureOutcome:
    closure: ClosureRange
    closure_id: int | None  # None for a dry run
    affected: list[AffectedVisit]
    timezone: str
    cancelled: bool


class AffectedVisits(Conflict):
    """Booked visits stand in the way; `extra["affected"]` lists them."""


class SiteAdmin:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

    def site(self, actor: Actor, site_id: str) -> Site:
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            site = get_site(session, site_id)
        return site

    def update_settings(self, actor: Actor, site_id: str, changes: SiteSettings) -> Site:
        """The site's reminder hour (none: no reminder), survey and closing of the day."""
        actor.require(Permission.run_site, site_id)
        if changes.reminder_hour is not None and not 0 <= changes.reminder_hour <= 23:
            raise InvalidRequest.for_field("reminder_hour", N_("An hour is 0 to 23."))
        if changes.retention_days is not None and not 30 <= changes.retention_days <= 3650:
            message = N_("Keep personal data 30 to 3650 days.")
            raise InvalidRequest.for_field("retention_days", message)
        with self._uow.writing() as session:
            site = get_site(session, site_id)
            site.reminder_hour = changes.reminder_hour
            site.survey_enabled = changes.survey_enabled
            site.auto_no_show = changes.auto_no_show
            site.day_closes_at = changes.day_closes_at
            site.retention_days = changes.retention_days
            session.add(site)
            audit.record(
                session,
                actor,
                "site.settings",
                now=self._context.now(),
                site_id=site_id,
                target=site_id,
                reminder_hour=changes.reminder_hour,
                survey_enabled=changes.survey_enabled,
                auto_no_show=changes.auto_no_show,
                day_closes_at=changes.day_closes_at.strftime("%H:%M"),
                retention_days=changes.retention_days,
            )
            return site

    def counters(self, actor: Actor, site_id: str) -> list[CounterSpec]:
        """The site's counters with the procedures each serves."""
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            rows = session.execute(
                select(Counter).where(Counter.site_id == site_id).order_by(Counter.name)
            ).scalars()
            served: dict[int, list[str]] = {}
            for link in session.execute(
                select(CounterProcedure)
                .join(Counter, Counter.id == CounterProcedure.counter_id)
                .where(Counter.site_id == site_id)
            ).scalars():
                served.setdefault(link.counter_id, []).append(link.procedure_id)
            return [
                CounterSpec(c.name, c.capacity, tuple(sorted(served.get(c.id, []))), c.active, c.id)
                for c in rows
            ]

    def save_counter(self, actor: Actor, site_id: str, spec: CounterSpec) -> CounterSpec:
        """Add a counter (no id) or change one: name, capacity, procedures served, active."""
        actor.require(Permission.run_site, site_id)
        errors = []
        if not spec.name.strip() or len(spec.name) > 120:
            errors.append(FieldError("name", N_("Give a name of 120 characters at most.")))
        if not 1 <= spec.capacity <= 50:
            errors.append(FieldError("capacity", N_("A capacity is 1 to 50.")))
        unknown = [p for p in spec.procedures if self._context.catalogue.get(p) is None]
        if unknown:
            errors.append(FieldError("procedures", N_("Unknown procedure.")))
        if errors:
            raise InvalidRequest(N_("Some fields are not valid."), errors)
        now = self._context.now()
        with self._uow.writing() as session:
            get_site(session, site_id)
            if spec.id is None:
                counter = Counter(site_id=site_id, name=spec.name.strip())
            else:
                found = counter_of_site(session, site_id, spec.id)
                if found is None:
                    raise NotFound(N_("Unknown counter."))
                counter = found
            counter.name = spec.name.strip()
            counter.capacity = spec.capacity
            counter.active = spec.active
            session.add(counter)
            session.flush()
            session.execute(
                delete(CounterProcedure).where(CounterProcedure.counter_id == counter.id)
            )
            for procedure_id in sorted(set(spec.procedures)):
                session.add(CounterProcedure(counter_id=counter.id, procedure_id=procedure_id))  # type: ignore[arg-type]
            revisions.bump(session.connection(), [site_id])
            audit.record(
                session,
                actor,
                "site.counter",
                now=now,
                site_id=site_id,
                target=f"counter:{counter.id}",
                name=counter.name,
                capacity=counter.capacity,
                procedures=sorted(set(spec.procedures)),
                active=counter.active,
            )
            return replace(spec, id=counter.id, procedures=tuple(sorted(set(spec.procedures))))

    def windows(self, actor: Actor, site_id: str, counter_id: int) -> list[WindowSpec]:
        """The counter's weekly windows in force today or later (the past ones are kept)."""
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            site, counter = self._counter(session, site_id, counter_id)
            today = self._context.today(site.timezone)
            return [_spec(w) for w in _current(session, counter.id, today)]  # type: ignore[arg-type]

    def replace_windows(
        self,
        actor: Actor,
        site_id: str,
        counter_id: int,
        windows: list[WindowSpec],
        *,
        dry_run: bool = False,
        cancel_affected: bool = False,
    ) -> WindowsOutcome:
        """The counter's weekly windows from today on. Replaced windows end yesterday (the
        statistics keep the past offer). Booked visits left outside the new windows, or on a
        grid that moved under them, answer 409 unless `cancel_affected`."""
        actor.require(Permission.run_site, site_id)
        check_windows(windows)
        now = self._context.now()
        notices = self._context.notices
        with self._uow.writing() as session:
            site, counter = self._counter(session, site_id, counter_id)
            zone = ZoneInfo(site.timezone)
            today = local_date(now, site.timezone)
            planned = [replace(w, valid_from=max(w.valid_from or today, today)) for w in windows]
            revisions.bump(session.connection(), [site.id])
            affected = self._outside(session, counter, planned, now, zone, lock=not dry_run)
            listed = [AffectedVisit(v.reference, v.starts_at, v.name) for v in affected]
            outcome = WindowsOutcome(planned, listed, site.timezone, False)
            if dry_run:
                return outcome
            if affected and not cancel_affected:
                raise AffectedVisits(
                    N_("Booked visits fall outside the new hours: cancel them, or change them."),
                    extra={"affected": listed, "timezone": site.timezone},
                )
            for window in _current(session, counter.id, today):  # type: ignore[arg-type]
                window.valid_to = today - timedelta(days=1)
                session.add(window)
            for spec in planned:
                session.add(
                    OpeningWindow(
                        counter_id=counter.id,  # type: ignore[arg-type]
                        weekday=spec.weekday,
                        starts=spec.starts,
                        ends=spec.ends,
                        valid_from=spec.valid_from,
                        valid_to=spec.valid_to,
                    )
                )
            for visit in affected:
                reason = N_("The opening hours of the counter changed.")
                cancel_and_tell(session, notices, visit, now=now, by_office=True, reason=reason)
            audit.record(
                session,
                actor,
                "site.windows",
                now=now,
                site_id=site.id,
                target=f"counter:{counter.id}",
                windows=[_window_json(w) for w in planned],
                cancelled=[v.reference for v in listed],
            )
            return replace(outcome, saved=True)

    def preview(
        self, actor: Actor, site_id: str, counter_id: int, windows: list[WindowSpec]
    ) -> WindowsPreview:
        """The starts these windows would give the counter over the coming week (before
        saving), for its shortest visits (one grid cell)."""
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            site, counter = self._counter(session, site_id, counter_id)
        zone = ZoneInfo(site.timezone)
        today = self._context.today(site.timezone)
        weekly = tuple(
            WeeklyWindow(w.weekday, w.starts, w.ends, w.valid_from or today, w.valid_to)
            for w in windows
        )
        days = [today + timedelta(days=n) for n in range(7)]
        starts = {
            day: [
                from_minute(start, zone)
                for start in day_starts(weekly, counter.slot_minutes, day, zone)
            ]
            for day in days
        }
        return WindowsPreview(starts, [], site.timezone)

    @staticmethod
    def _counter(session: Session, site_id: str, counter_id: int) -> tuple[Site, Counter]:
        site = get_site(session, site_id)
        counter = counter_of_site(session, site_id, counter_id)
        if counter is None:
            raise NotFound(N_("Unknown counter."))
        return site, counter

    @staticmethod
    def _outside(
        session: Session,
        counter: Counter,
        windows: list[WindowSpec],
        now: datetime,
        zone: ZoneInfo,
        *,
        lock: bool,
    ) -> list[Appointment]:
        weekly = [
            WeeklyWindow(w.weekday, w.starts, w.ends, w.valid_from, w.valid_to) for w in windows
        ]
        query = select(Appointment).where(
            Appointment.counter_id == counter.id,
            Appointment.status.in_(LIVE_STATUSES),
            Appointment.starts_at >= now,
        )
        if lock:
            query = query.with_for_update()
        return [
            visit
            for visit in session.execute(query.order_by(Appointment.starts_at)).scalars()
            if not fits_the_grid(
                weekly,
                visit.cell_minutes,
                to_minute(visit.starts_at),
                to_minute(visit.ends_at) - to_minute(visit.starts_at),
                zone,
            )
        ]

    def add_closure(self, actor: Actor, site_id: str, request: ClosureRequest) -> ClosureOutcome:
        """Close a counter or the whole site. Visits inside are listed; without
        `cancel_affected` they refuse the closure (409), with it they are cancelled by the
        office and told, in the closure's own transaction."""
        actor.require(Permission.run_site, site_id)
        reason = request.reason.strip()
        now = self._context.now()
        notices = self._context.notices
        with self._uow.writing() as session:
            site = get_site(session, site_id)
            closure = self._checked(session, site, request, reason)
            revisions.bump(session.connection(), [site.id])  # bookings racing it wait here
            affected = visits_inside(session, closure, lock=not request.dry_run)
            listed = [AffectedVisit(v.reference, v.starts_at, v.name) for v in affected]
            outcome = ClosureOutcome(closure, None, listed, site.timezone, False)
            if request.dry_run:
                return outcome
            if affected and not request.cancel_affected:
                raise AffectedVisits(
                    N_("Booked visits stand in this closure: cancel them with it, or change it."),
                    extra={"affected": listed, "timezone": site.timezone},
                )
            row = Closure(
                site_id=site.id,
                counter_id=closure.counter_id,
                starts_at=closure.starts_at,
                ends_at=closure.ends_at,
                reason=reason,
            )
            session.add(row)
            session.flush()
            for visit in affected:
                cancel_and_tell(session, notices, visit, now=now, by_office=True, reason=reason)
            audit.record(
                session,
                actor,
                "site.closure",
                now=now,
                site_id=site.id,
                target=f"closure:{row.id}",
                reason=reason,
                starts_at=closure.starts_at.isoformat(),
                ends_at=closure.ends_at.isoformat(),
                cancelled=[visit.reference for visit in affected],
            )
            return ClosureOutcome(closure, row.id, listed, site.timezone, bool(listed))

    @staticmethod
    def _checked(
        session: Session, site: Site, request: ClosureRequest, reason: str
    ) -> ClosureRange:
        errors = []
        if not reason or len(reason) > 200:
            errors.append(FieldError("reason", N_("Give the reason, in 200 characters at most.")))
        if request.end_date < request.start_date:
            errors.append(FieldError("end_date", N_("The end must not be before the start.")))
        if (request.start_time is None) != (request.end_time is None):
            errors.append(FieldError("end_time", N_("Give both times, or neither.")))
        if request.counter_id is not None and not counter_of_site(
            session, site.id, request.counter_id
        ):
            errors.append(FieldError("counter_id", N_("Unknown counter.")))
        if errors:
            raise InvalidRequest(N_("Some fields are not valid."), errors)
        starts, ends = local_range(
            site.timezone,
            request.start_date,
            request.end_date,
            request.start_time,
            request.end_time,
        )
        if ends <= starts:
            raise InvalidRequest.for_field("end_time", N_("The end must be after the start."))
        return ClosureRange(site.id, request.counter_id, starts, ends, reason)


@dataclass(frozen=True)
class WindowSpec:
    weekday: int
    starts: time
    ends: time
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class WindowsPreview:
    starts: dict[date, list[datetime]]  # local starts per day of the coming week
    affected: list[AffectedVisit]
    timezone: str


@dataclass(frozen=True)
class WindowsOutcome:
    windows: list[WindowSpec]  # the counter's windows from today on, after the change
    affected: list[AffectedVisit]
    timezone: str
    saved: bool


def check_windows(windows: list[WindowSpec]) -> None:
    errors = []
    for index, window in enumerate(windows):
        where = f"windows[{index}]"
        if not 0 <= window.weekday <= 6:
            errors.append(FieldError(f"{where}.weekday", N_("A weekday is 0 (Monday) to 6.")))
        if window.starts >= window.ends:
            errors.append(FieldError(f"{where}.end", N_("The end must be after the start.")))
        if window.valid_from and window.valid_to and window.valid_to < window.valid_from:
            errors.append(
                FieldError(f"{where}.valid_to", N_("The end must not be before the start."))
            )
        for other in windows[:index]:
            if (
                other.weekday == window.weekday
                and other.starts < window.ends
                and window.starts < other.ends
                and (other.valid_to or date.max) >= (window.valid_from or date.min)
                and (window.valid_to or date.max) >= (other.valid_from or date.min)
            ):
                errors.append(FieldError(f"{where}.start", N_("This window overlaps another one.")))
    if errors:
        raise InvalidRequest(N_("Some fields are not valid."), errors)


def _current(session: Session, counter_id: int, today: date) -> list[OpeningWindow]:
    return list(
        session.execute(
            select(OpeningWindow)
            .where(
                OpeningWindow.counter_id == counter_id,
                or_(OpeningWindow.valid_to.is_(None), OpeningWindow.valid_to >= today),
            )
            .order_by(OpeningWindow.weekday, OpeningWindow.starts)
        ).scalars()
    )


def _spec(window: OpeningWindow) -> WindowSpec:
    return WindowSpec(
        window.weekday, window.starts, window.ends, window.valid_from, window.valid_to
    )


def _window_json(window: WindowSpec) -> dict[str, object]:
    return {
        "weekday": window.weekday,
        "start": window.starts.strftime("%H:%M"),
        "end": window.ends.strftime("%H:%M"),
        "valid_from": window.valid_from.isoformat() if window.valid_from else None,
        "valid_to": window.valid_to.isoformat() if window.valid_to else None,
    }
