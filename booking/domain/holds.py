"""Held seats: a seat taken through the capacity guard (its appointment, status `held`) while
the code sent to the citizen's mobile is awaited; confirmed into a booking, or released (a
newer hold, too many wrong codes, its time over, its code never sent)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from booking.core.references import hold_code
from booking.core.statuses import AppointmentStatus
from booking.domain import appointments
from booking.domain.access_log import mask_phone
from booking.domain.credentials import OTP_MARKER
from booking.domain.freed_seats import Seat
from booking.domain.models import Appointment, Hold, Site
from booking.domain.seat_freeing import Freeing
from notifications.models import Channel, Kind, Notification, Status
from notifications.outbox import Message, enqueue
from notifications.texts import Visit, code_text, when

CODE_TRIES = 5  # wrong codes a hold takes; the 5th releases it
RESENDS = 2  # codes sent again, each a new code


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_hold(
    session: Session, appointment: Appointment, *, now: datetime, minutes: int
) -> tuple[Hold, str]:
    """The hold of a seat just taken, and its opaque id (only its digest is kept)."""
    token = secrets.token_urlsafe(24)
    hold = Hold(
        digest=digest(token),
        appointment_id=appointment.id,  # type: ignore[arg-type]
        procedure_id=appointment.procedure_id,
        phone=appointment.phone,
        expires_at=now + timedelta(minutes=minutes),
        created_at=now,
    )
    session.add(hold)
    session.flush()
    return hold, token


def find(session: Session, token: str) -> Hold | None:
    found = select(Hold).where(Hold.digest == digest(token)).with_for_update()
    return session.execute(found).scalar_one_or_none()


def code_of(secret: str, hold: Hold) -> str:
    return hold_code(secret, hold.id, hold.resends)  # type: ignore[arg-type]


def release(
    session: Session,
    hold: Hold,
    reason: str,
    now: datetime,
    freeing: Freeing | None = None,
) -> Appointment:
    """The seat goes back (the guard's cells are freed) and the hold ends; through `freeing`
    (the waiting list, then the public after the delay) but when its code could not even be
    sent (not the citizen's doing) or the same citizen holds another time instead (the back
    button must not lock them out): then to the public at once."""
    appointment = session.get(Appointment, hold.appointment_id)
    hold.state, hold.released_reason = "released", reason
    session.add(hold)
    if appointment is not None and appointment.status == AppointmentStatus.held:
        appointments.release_seat(session, appointment, now)
        if freeing is not None and reason not in ("not_sent", "replaced"):
            freeing.free(session, Seat.of(appointment), now, by_citizen=True)
    return appointment  # type: ignore[return-value]


def release_others(
    session: Session,
    phone: str,
    procedure_id: str,
    now: datetime,
    freeing: Freeing | None = None,
) -> int:
    """A new hold by the same mobile for the same procedure replaces the earlier ones (the back
    button must not lock a citizen out until they expire)."""
    earlier = session.execute(
        select(Hold)
        .where(Hold.phone == phone, Hold.procedure_id == procedure_id, Hold.state == "open")
        .with_for_update()
    ).scalars()
    released = 0
    for hold in earlier:
        release(session, hold, "replaced", now, freeing)
        released += 1
    return released


def release_expired(session: Session, now: datetime, freeing: Freeing | None = None) -> int:
    """Holds whose time is over: released (their code never sent: said so)."""
    over = session.execute(
        select(Hold)
        .where(Hold.state == "open", Hold.expires_at <= now)
        .order_by(Hold.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    released = 0
    for hold in over:
        reason = "expired" if code_sent(session, hold) else "not_sent"
        release(session, hold, reason, now, freeing)
        released += 1
    return released


def code_sent(session: Session, hold: Hold) -> bool:
    found = session.execute(
        select(Notification.id).where(
            Notification.appointment_id == hold.appointment_id,
            Notification.kind == Kind.code,
            Notification.status.in_((Status.sent, Status.delivered)),
        )
    ).first()
    return found is not None


def send_code(
    session: Session, hold: Hold, appointment: Appointment, site: Site, now: datetime
) -> None:
    """The code's SMS, ahead of every other message, outside quiet hours and the fuse; it
    carries a marker the dispatcher fills when it sends (no code in the outbox)."""
    visit = Visit(
        site_name=site.name,
        site_address=site.address,
        starts_local=appointment.starts_at.astimezone(ZoneInfo(site.timezone)),
        reference="",
        procedure_name="",
        manage_link="",
        documents_link="",
        language=appointment.language,
    )
    minutes = max(1, round((hold.expires_at - now).total_seconds() / 60))
    body = code_text(appointment.language, OTP_MARKER, when(visit), site.name, minutes)
    message = Message(
        idempotency_key=f"hold:{hold.id}:code:{hold.resends}",
        channel=Channel.sms,
        kind=Kind.code,
        recipient=appointment.phone or "",
        body=body,
        due_at=now,
        appointment_id=appointment.id,
        site_id=site.id,
        language=appointment.language,
        latest_at=hold.expires_at,  # a code later than its hold is useless
        quiet_hours_apply=False,
        timezone=site.timezone,
        urgent=True,
    )
    enqueue(session, [message], now)


def masked(phone: str) -> str:
    """`+33612345678` as the page says it: 06 •• •• •• 78 (foreign: +44 •• •• 56)."""
    return mask_phone(phone) or ""
