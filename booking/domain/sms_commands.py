"""Replies by SMS that act on a visit: "ANNULER K7Q-4M2-XP" cancels it; a digit from 1 to 5
answers the satisfaction question sent after a visit.

Only from the phone number the visit was booked with: the reference alone proves nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from booking.core.errors import Conflict
from booking.core.lifecycle import Outcome
from booking.domain import appointments
from booking.domain.cancellation import cancel_and_tell
from booking.domain.models import Appointment
from booking.domain.notices import Notices
from booking.domain.seat_freeing import Freeing
from notifications.models import Kind, Notification, Status

SURVEY_ANSWER_DAYS = 3

CANCEL_WORDS = {"ANNULER", "ANNULATION"}


def cancel_by_sms(
    session: Session,
    notices: Notices,
    phone: str,
    body: str,
    now: datetime,
    freeing: Freeing | None = None,
) -> bool:
    """Cancel the visit named in the reply if it belongs to this number; True if done."""
    words = body.strip().split(maxsplit=1)
    if len(words) != 2 or words[0].upper() not in CANCEL_WORDS:
        return False
    appointment = appointments.find(session, words[1], lock=True)
    if appointment is None or appointment.phone != phone:
        return False
    try:  # a visit already cancelled, finished or started is left as it is
        outcome = cancel_and_tell(session, notices, appointment, now=now, freeing=freeing)
    except Conflict:
        return False
    return outcome is Outcome.apply


def record_satisfaction(session: Session, phone: str, body: str, now: datetime) -> bool:
    """Store a 1-5 reply against the latest visit this number was asked about (3 days)."""
    text = body.strip()
    if len(text) != 1 or text not in "12345":
        return False
    asked = session.execute(
        select(Notification.appointment_id)
        .where(
            Notification.recipient == phone,
            Notification.kind == Kind.survey,
            Notification.status.in_((Status.sent, Status.delivered)),
            Notification.sent_at >= now - timedelta(days=SURVEY_ANSWER_DAYS),
        )
        .order_by(Notification.sent_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if asked is None:
        return False
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == asked, Appointment.satisfaction.is_(None))
        .values(satisfaction=int(text), satisfaction_at=now)
    )
    return result.rowcount == 1
