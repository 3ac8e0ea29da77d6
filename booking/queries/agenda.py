"""The counter's day: the agenda of a site (and of one counter), read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from booking.core.access import Actor, Permission
from booking.core.clock import Clock, local_date
from booking.core.lifecycle import to_record
from booking.core.statuses import HOLD_STATUSES
from booking.domain import documents
from booking.domain.models import Appointment, Counter, Site
from booking.domain.sites import get_site
from completeness.catalogue import Catalogue
from storage.unit_of_work import UnitOfWork

MAX_ROWS = 2000


@dataclass(frozen=True)
class AgendaRow:
    appointment: Appointment
    site: Site
    counter: Counter
    file_status: str
    to_record: bool  # its time is past and nobody recorded an outcome


@dataclass(frozen=True)
class Agenda:
    site: Site
    day: date
    counters: list[Counter]
    rows: list[AgendaRow]


class Desk:
    def __init__(self, uow: UnitOfWork, clock: Clock, catalogue: Catalogue) -> None:
        self._uow = uow
        self._clock = clock
        self.catalogue = catalogue

    def agenda(
        self,
        actor: Actor,
        site_id: str,
        day: date | None = None,
        *,
        counter_id: int | None = None,
        search: str = "",
    ) -> Agenda:
        """Every visit of the site's local day, in time order, whatever its status."""
        actor.require(Permission.agenda, site_id)
        now = self._clock()
        with self._uow.reading() as session:
            site = get_site(session, site_id)
            zone = ZoneInfo(site.timezone)
            day = day or local_date(now, site.timezone)
            begins = datetime.combine(day, time(0), tzinfo=zone)
            ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            counters = list(
                session.execute(
                    select(Counter).where(Counter.site_id == site_id).order_by(Counter.name)
                ).scalars()
            )
            query = (
                select(Appointment)
                .where(
                    Appointment.site_id == site_id,
                    Appointment.starts_at >= begins,
                    Appointment.starts_at < ends,
                    Appointment.status.notin_(HOLD_STATUSES),
                )
                .order_by(Appointment.starts_at, Appointment.id)
                .limit(MAX_ROWS)
            )
            if counter_id is not None:
                query = query.where(Appointment.counter_id == counter_id)
            wanted = search.strip()
            if wanted:
                canonical = wanted.upper().replace("-", "").replace(" ", "")
                query = query.where(
                    or_(
                        Appointment.reference == canonical,
                        Appointment.name.icontains(wanted, autoescape=True),  # type: ignore[union-attr]
                    )
                )
            by_id = {counter.id: counter for counter in counters}
            rows = [
                AgendaRow(
                    appointment=visit,
                    site=site,
                    counter=by_id[visit.counter_id],
                    file_status=documents.file_status(visit),
                    to_record=to_record(visit.status, visit.ends_at, now),
                )
                for visit in session.execute(query).scalars()
            ]
        return Agenda(site, day, counters, rows)
