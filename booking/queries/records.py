"""What a site admin reads: the site's messages of a day (tokens masked), and its audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from booking.core.access import Actor, Permission, Role
from booking.core.clock import Clock, local_date
from booking.domain.models import Appointment
from booking.domain.sites import get_site
from booking.domain.staff_models import AuditEvent
from notifications.models import Notification
from notifications.senders import mask_tokens
from storage.unit_of_work import UnitOfWork

MAX_ROWS = 2000


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

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

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
                .where(
                    self._journal_of(actor, site_id), AuditEvent.at >= begins, AuditEvent.at < ends
                )
                .order_by(AuditEvent.at, AuditEvent.id)
                .limit(MAX_ROWS)
            ).scalars()
            return day, list(events)

    @staticmethod
    def _journal_of(actor: Actor, site_id: str) -> ColumnElement[bool]:
        """The site's events; admins also see those of no site (accounts of no site, failed
        sign-ins with unknown emails) in every site's journal."""
        here = AuditEvent.site_id == site_id
        return or_(here, AuditEvent.site_id.is_(None)) if actor.role == Role.admin else here  # type: ignore[union-attr]

    def _day(
        self, session: Session, site_id: str, day: date | None
    ) -> tuple[datetime, datetime, date]:
        """The site's local day [begins, ends) in UTC; today by default."""
        site = get_site(session, site_id)
        zone = ZoneInfo(site.timezone)
        day = day or local_date(self._clock(), site.timezone)
        begins = datetime.combine(day, time(0), tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return begins, ends, day
