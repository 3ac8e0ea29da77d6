"""Use cases of the counter's day: the agenda of a site (and of one counter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from booking import documents
from booking.errors import NotFound
from booking.i18n import N_
from booking.models import LIVE_STATUSES, Appointment, Counter, Site
from booking.staff_access import Actor, Permission

if TYPE_CHECKING:
    from booking.services import Services

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
    def __init__(self, services: Services) -> None:
        self._services = services
        self._uow = services.uow
        self.catalogue = services.catalogue

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
        now = self._services.now()
        with self._uow.reading() as session:
            site = session.get(Site, site_id)
            if site is None:
                raise NotFound(N_("Unknown site."))
            zone = ZoneInfo(site.timezone)
            day = day or now.astimezone(zone).date()
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
                        Appointment.name.ilike(f"%{wanted}%"),  # type: ignore[union-attr]
                    )
                )
            by_id = {counter.id: counter for counter in counters}
            rows = [
                AgendaRow(
                    appointment=visit,
                    site=site,
                    counter=by_id[visit.counter_id],
                    file_status=documents.file_status(visit),
                    to_record=visit.status in LIVE_STATUSES and visit.ends_at <= now,
                )
                for visit in session.execute(query).scalars()
            ]
        return Agenda(site, day, counters, rows)
