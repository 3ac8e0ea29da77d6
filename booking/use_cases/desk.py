"""Use cases of the counter's day: the agenda of a site (and of one counter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from booking import documents
from booking.errors import NotFound
from booking.i18n import N_
from booking.models import LIVE_STATUSES, Appointment, Counter, Site
from booking.staff_access import Actor, Permission
from booking.staff_models import AuditEvent
from notifications.models import Notification
from notifications.senders import mask_tokens

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


@dataclass(frozen=True)
class SentMessage:
    kind: str
    channel: str
    recipient: str
    status: str
    due_at: datetime
    sent_at: datetime | None
    error: str | None
    body: str  # manage tokens masked
    reference: str | None


class SiteRecords:
    """What a site admin reads: the site's messages of a day, and its audit log."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._uow = services.uow

    def messages(self, actor: Actor, site_id: str, day: date | None = None) -> tuple[date, list]:
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            begins, ends, day = self._day(session, site_id, day)
            rows = session.execute(
                select(Notification, Appointment.reference)
                .outerjoin(Appointment, Appointment.id == Notification.appointment_id)
                .where(
                    Notification.site_id == site_id,
                    Notification.due_at >= begins,
                    Notification.due_at < ends,
                )
                .order_by(Notification.due_at, Notification.id)
                .limit(MAX_ROWS)
            ).all()
        return day, [
            SentMessage(
                kind=message.kind,
                channel=message.channel,
                recipient=message.recipient,
                status=message.status,
                due_at=message.due_at,
                sent_at=message.sent_at,
                error=message.error,
                body=mask_tokens(message.body),
                reference=reference,
            )
            for message, reference in rows
        ]

    def audit(self, actor: Actor, site_id: str, day: date | None = None) -> tuple[date, list]:
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            begins, ends, day = self._day(session, site_id, day)
            events = session.execute(
                select(AuditEvent)
                .where(AuditEvent.site_id == site_id, AuditEvent.at >= begins, AuditEvent.at < ends)
                .order_by(AuditEvent.at, AuditEvent.id)
                .limit(MAX_ROWS)
            ).scalars()
            return day, list(events)

    def _day(
        self, session: Session, site_id: str, day: date | None
    ) -> tuple[datetime, datetime, date]:
        """The site's local day [begins, ends) in UTC; today by default."""
        site = session.get(Site, site_id)
        if site is None:
            raise NotFound(N_("Unknown site."))
        zone = ZoneInfo(site.timezone)
        day = day or self._services.now().astimezone(zone).date()
        begins = datetime.combine(day, time(0), tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return begins, ends, day
