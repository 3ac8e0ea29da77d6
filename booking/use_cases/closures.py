"""Use cases of a site's closures: a counter or the whole site, days or hours, with the visits
it would cancel shown first (a dry run) and cancelled and told in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlmodel import Session

from booking.core.access import Actor, Permission
from booking.core.errors import FieldError, InvalidRequest
from booking.core.i18n import N_
from booking.domain import audit, revisions
from booking.domain.cancellation import cancel_and_tell
from booking.domain.closures import ClosureRange, counter_of_site, local_range, visits_inside
from booking.domain.models import (
    Closure,
    Site,
)
from booking.domain.sites import get_site
from booking.use_cases.affected_visits import AffectedVisit, AffectedVisits
from booking.use_cases.context import Context


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
class ClosureOutcome:
    closure: ClosureRange
    closure_id: int | None  # None for a dry run
    affected: list[AffectedVisit]
    timezone: str
    cancelled: bool


class Closures:
    """A site's closures (site admins)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

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
