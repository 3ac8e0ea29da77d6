"""Use cases of running a site: its settings (reminder hour, survey, closing of the day,
retention) and its counters with the procedures each serves. Closures and opening hours are
use cases of their own (`closures.py`, `opening_hours.py`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time

from sqlalchemy import delete, select

from booking.core.access import Actor, Permission
from booking.core.errors import FieldError, InvalidRequest, NotFound
from booking.core.i18n import N_
from booking.domain import access_log, audit, revisions
from booking.domain.closures import counter_of_site
from booking.domain.models import (
    Counter,
    CounterProcedure,
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
class Refusal:
    kind: str  # limit, second_visit
    detail: str | None  # which limit
    address: str | None  # masked
    phone: str | None  # masked
    count: int


@dataclass(frozen=True)
class SiteSettings:
    reminder_hour: int | None
    survey_enabled: bool
    auto_no_show: bool
    day_closes_at: time
    retention_days: int | None = None  # None: the service's setting
    release_time: time | None = None  # None: the service's setting
    staff_share_percent: int = 0


MAX_STAFF_SHARE = 90


def _hhmm(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment else None


class SiteAdmin:
    """A site's settings and counters (site admins)."""

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
        if not 0 <= changes.staff_share_percent <= MAX_STAFF_SHARE:
            message = N_("The share kept for staff is 0 to {most} %.")
            raise InvalidRequest.for_field("staff_share_percent", message, most=MAX_STAFF_SHARE)
        with self._uow.writing() as session:
            site = get_site(session, site_id)
            site.reminder_hour = changes.reminder_hour
            site.survey_enabled = changes.survey_enabled
            site.auto_no_show = changes.auto_no_show
            site.day_closes_at = changes.day_closes_at
            site.retention_days = changes.retention_days
            site.release_time = changes.release_time
            site.staff_share_percent = changes.staff_share_percent
            session.add(site)  # its revision moves: the public's slots change with the share
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
                release_time=_hhmm(changes.release_time),
                staff_share_percent=changes.staff_share_percent,
            )
            return site

    def refusals(self, actor: Actor, site_id: str, day: date) -> list[Refusal]:
        """The attempts refused at the site on a local day, by masked address and phone."""
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            site = get_site(session, site_id)
            rows = access_log.refusals_of_day(session, site_id, day, site.timezone)
        return [Refusal(*row) for row in rows]

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
