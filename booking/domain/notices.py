"""What the citizen is told, and when: messages enqueued in the transaction of each change.

Booking -> confirmation now, reminder the day before; reschedule -> the pending reminder is
cancelled, a change message is sent and a new reminder queued; cancellation -> pending
messages are cancelled and a cancellation sent (with a calendar CANCEL by email).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from booking.core.clock import local_date
from booking.core.references import display_reference
from booking.domain.credentials import CODE_MARKER, ENTRY_MARKER, TOKEN_MARKER
from booking.domain.documents import personal_list
from booking.domain.models import Appointment, Site, WaitlistEntry, WaitlistOffer
from booking.domain.sites import get_site
from completeness.catalogue import Catalogue
from notifications.calendar import CalendarVisit, calendar_file, method_of
from notifications.models import Channel, Kind, Notification
from notifications.outbox import Message, cancel_pending, enqueue
from notifications.schedule import reminder_due
from notifications.texts import (
    Visit,
    email_text,
    ended_text,
    offer_subject,
    offer_text,
    sms_text,
    when,
)


@dataclass(frozen=True)
class Links:
    """The links a message carries. A visit's token and code are markers in the stored body,
    filled in by the dispatcher when it sends (`credentials.message_secrets`): nothing in the
    outbox opens a visit, and a queued reminder carries the link as it is when it leaves."""

    public_url: str

    def manage(self, appointment: Appointment) -> str:
        # The token travels in the fragment: browsers never send it to a server or a log.
        return f"{self.public_url.rstrip('/')}/r/{appointment.reference}#{TOKEN_MARKER}"

    def code(self, appointment: Appointment) -> str:
        return CODE_MARKER

    def book(self) -> str:
        return f"{self.public_url.rstrip('/')}/"

    def offer(self, offer: WaitlistOffer) -> str:
        """The offer's page, short (the SMS stays one segment); the entry's token in the query
        (a page read without script must get it), never logged (the request log drops query
        strings)."""
        return f"{self.public_url.rstrip('/')}/o/{offer.public_id}?t={ENTRY_MARKER}"

    def documents(self, appointment: Appointment) -> str:
        base = self.public_url.rstrip("/")
        return f"{base}/r/{appointment.reference}/pieces#{TOKEN_MARKER}"


@dataclass(frozen=True)
class Notices:
    """Everything needed to write the messages of a change."""

    catalogue: Catalogue
    links: Links
    reminder_deadline: timedelta = timedelta(hours=2)

    def booked(self, session: Session, appointment: Appointment, now: datetime) -> None:
        confirmation = self._messages(session, appointment, Kind.confirmation, now, now)
        enqueue(session, [*confirmation, *self._reminders(session, appointment, now)], now)

    def moved(self, session: Session, appointment: Appointment, now: datetime) -> None:
        """Old reminders and unsent messages about the old time go; if the confirmation had
        not gone out yet, the citizen gets a confirmation of the new time instead of a change."""
        reason = "the visit was moved"
        unconfirmed = cancel_pending(session, appointment.id, [Kind.confirmation], now, reason)  # type: ignore[arg-type]
        cancel_pending(session, appointment.id, [Kind.reminder, Kind.change], now, reason)  # type: ignore[arg-type]
        self._send(session, appointment, Kind.confirmation if unconfirmed else Kind.change, now)
        self._remind(session, appointment, now)

    def cancelled(self, session: Session, appointment: Appointment, now: datetime) -> None:
        cancel_pending(
            session,
            appointment.id,  # type: ignore[arg-type]
            [Kind.reminder, Kind.confirmation, Kind.change],
            now,
            "the visit was cancelled",
        )
        self._send(session, appointment, Kind.cancellation, now)

    def link(self, session: Session, appointment: Appointment, now: datetime) -> None:
        """The manage link again, asked for by whoever knew the reference (once per request)."""
        sent = self.links_sent_since(session, appointment, None)  # every one: a fresh key
        messages = self._messages(session, appointment, Kind.link, now, now, version=f"n{sent}")
        enqueue(session, [replace(m, quiet_hours_apply=False) for m in messages], now)

    @staticmethod
    def links_sent_since(session: Session, appointment: Appointment, since: datetime | None) -> int:
        """How many times the link was sent again since then, or ever (each send writes at
        most one message a channel)."""
        query = (
            select(func.count())
            .where(Notification.appointment_id == appointment.id, Notification.kind == Kind.link)
            .group_by(Notification.channel)
        )
        if since is not None:
            query = query.where(Notification.created_at >= since)
        return max(session.execute(query).scalars(), default=0)

    def seen(self, session: Session, appointment: Appointment, now: datetime) -> None:
        """After a visit marked seen, one satisfaction question by SMS, where the site asks."""
        site = get_site(session, appointment.site_id)
        if not site.survey_enabled or not (appointment.phone and appointment.notify_sms):
            return
        messages = self._messages(session, appointment, Kind.survey, now, now, email=False)
        if messages:
            enqueue(session, [replace(m, latest_at=now + timedelta(days=1)) for m in messages], now)
            appointment.survey_asked_at = now  # the reply rate's denominator
            session.add(appointment)

    # ----------------------------------------------------------------------------------

    def offered(
        self,
        session: Session,
        offer: WaitlistOffer,
        held: Appointment,
        entry: WaitlistEntry,
        now: datetime,
    ) -> None:
        """The offer of a freed seat, by SMS (and email): sent at `offer.sent_at` (08:00 after a
        night), ahead of other messages, not dropped by the per-number fuse; its link carries
        the entry's token as a marker."""
        site = get_site(session, held.site_id)
        zone = ZoneInfo(site.timezone)
        visit = replace(self._visit(site, held, Kind.offer), language=entry.language)
        until = offer.expires_at.astimezone(zone)
        until_text = f"{until:%H:%M}" if entry.language == "en" else f"{until:%Hh%M}"
        if until.date() != offer.sent_at.astimezone(zone).date():
            until_text = f"{when(replace(visit, starts_local=until))}"
        link = self.links.offer(offer)
        body = offer_text(entry.language, when(visit), site.name, until_text, link)
        common = {
            "kind": Kind.offer,
            "due_at": offer.sent_at,
            "appointment_id": held.id,
            "site_id": site.id,
            "language": entry.language,
            "timezone": site.timezone,
            "latest_at": offer.expires_at,
            "quiet_hours_apply": True,
            "urgent": True,
        }
        messages = []
        if entry.phone:
            key = f"offer:{offer.id}:sms"
            messages.append(
                Message(
                    idempotency_key=key,
                    channel=Channel.sms,
                    recipient=entry.phone,
                    body=body,
                    **common,  # type: ignore[arg-type]
                )
            )
        if entry.email:
            messages.append(
                Message(
                    idempotency_key=f"offer:{offer.id}:email",
                    channel=Channel.email,
                    recipient=entry.email,
                    subject=offer_subject(entry.language, when(visit)),
                    body=f"{body}\n\n{site.address}",
                    **common,  # type: ignore[arg-type]
                )
            )
        enqueue(session, messages, now)

    def waitlist_ended(
        self, session: Session, entry: WaitlistEntry, reason: str, now: datetime
    ) -> None:
        """The entry was ended by the rules (three offers left unanswered, its dates past):
        the person is told, once, by SMS."""
        body = ended_text(entry.language, reason, self.links.book())
        if not body or not entry.phone:
            return
        message = Message(
            idempotency_key=f"waitlist:{entry.id}:ended",
            channel=Channel.sms,
            kind=Kind.waitlist,
            recipient=entry.phone,
            body=body,
            due_at=now,
            language=entry.language,
        )
        enqueue(session, [message], now)

    def _send(self, session: Session, appointment: Appointment, kind: Kind, now: datetime) -> None:
        enqueue(session, self._messages(session, appointment, kind, now, now), now)

    def _remind(self, session: Session, appointment: Appointment, now: datetime) -> None:
        enqueue(session, self._reminders(session, appointment, now), now)

    def _reminders(
        self, session: Session, appointment: Appointment, now: datetime
    ) -> list[Message]:
        site = get_site(session, appointment.site_id)
        due = reminder_due(appointment.starts_at, site.timezone, site.reminder_hour, now)
        if due is None or due > appointment.starts_at - self.reminder_deadline:
            return []  # the visit is sooner than the reminder time: no reminder
        return list(self._messages(session, appointment, Kind.reminder, due, now))

    def _messages(
        self,
        session: Session,
        appointment: Appointment,
        kind: Kind,
        due: datetime,
        now: datetime,
        *,
        email: bool = True,
        version: str | None = None,
    ) -> Iterable[Message]:
        site = get_site(session, appointment.site_id)
        visit = self._visit(site, appointment, kind)
        version = version or appointment.rescheduled_count
        key = f"appointment:{appointment.id}:{kind}:{version}"
        latest = (
            appointment.starts_at - self.reminder_deadline
            if kind == Kind.reminder
            else appointment.starts_at
        )
        common = {
            "kind": kind,
            "due_at": due,
            "appointment_id": appointment.id,
            "site_id": site.id,
            "language": appointment.language,
            "timezone": site.timezone,
            "latest_at": latest,
            # Only the confirmation of a booking just made may go out during quiet hours.
            "quiet_hours_apply": kind != Kind.confirmation,
        }
        if appointment.phone and appointment.notify_sms:
            yield Message(
                idempotency_key=f"{key}:sms",
                channel=Channel.sms,
                recipient=appointment.phone,
                body=sms_text(kind, visit),
                fallback_email=appointment.email if not appointment.notify_email else None,
                **common,
            )
        if email and appointment.email and appointment.notify_email:
            today = local_date(now, site.timezone)
            checklist = personal_list(session, self.catalogue, appointment, today=today)
            labels = checklist.labels_to_bring(appointment.language)
            subject, body = email_text(kind, visit, labels)
            event = self.calendar(session, appointment, kind == Kind.cancellation, labels, now)
            yield Message(
                idempotency_key=f"{key}:email",
                channel=Channel.email,
                recipient=appointment.email,
                subject=subject,
                body=body,
                attachment=calendar_file(event).decode(),
                attachment_method=method_of(event),
                **common,
            )

    def _visit(self, site: Site, appointment: Appointment, kind: Kind) -> Visit:
        """What the texts of a message say about the visit."""
        procedure = self.catalogue.get(appointment.procedure_id)
        return Visit(
            site_name=site.name,
            site_address=site.address,
            starts_local=appointment.starts_at.astimezone(ZoneInfo(site.timezone)),
            reference=display_reference(appointment.reference),
            procedure_name=procedure.name.get(appointment.language) if procedure else "",
            manage_link=self.links.manage(appointment),
            documents_link=self.links.documents(appointment),
            language=appointment.language,
            reason=appointment.cancel_reason if kind == Kind.cancellation else None,
            book_link=self.links.book(),
            code=self.links.code(appointment),
        )

    def calendar(
        self,
        session: Session,
        appointment: Appointment,
        cancelled: bool,
        documents: list[str],
        now: datetime,
    ) -> CalendarVisit:
        site = get_site(session, appointment.site_id)
        procedure = self.catalogue.get(appointment.procedure_id)
        host = urlsplit(self.links.public_url).hostname or "guichet"
        title = procedure.name.get(appointment.language) if procedure else "Rendez-vous"
        return CalendarVisit(
            uid=f"{appointment.reference}@{host}",
            summary=f"{title} — {site.name}",
            starts=appointment.starts_at,
            ends=appointment.ends_at,
            timezone=site.timezone,
            location=site.address,
            description="\n".join(documents),
            sequence=appointment.rescheduled_count + (1 if cancelled else 0),
            cancelled=cancelled,
            stamp=now,
        )
