"""Use cases of a counter's weekly opening hours: replaced from today on (the old windows end
yesterday, never deleted), with a preview of the coming week and of the visits they would
leave out, or leave on a grid that moved under them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from booking.core.access import Actor, Permission
from booking.core.clock import local_date
from booking.core.errors import FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.core.slots import WeeklyWindow, day_starts, fits_the_grid, from_minute, to_minute
from booking.core.statuses import LIVE_STATUSES
from booking.domain import audit, revisions
from booking.domain.cancellation import cancel_and_tell
from booking.domain.closures import counter_of_site
from booking.domain.models import (
    Appointment,
    Counter,
    OpeningWindow,
    Site,
)
from booking.domain.sites import get_site
from booking.use_cases.affected_visits import AffectedVisit, AffectedVisits
from booking.use_cases.context import Context


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


class OpeningHours:
    """A counter's weekly windows (site admins)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

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
