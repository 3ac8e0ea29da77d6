"""Replies by SMS that act on a visit: "ANNULER K7Q-4M2-XP" cancels it.

Only from the phone number the visit was booked with: the reference alone proves nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from booking import appointments
from booking.errors import Conflict
from booking.models import AppointmentStatus
from booking.notices import Notices

CANCEL_WORDS = {"ANNULER", "ANNULATION"}


def cancel_by_sms(session: Session, notices: Notices, phone: str, body: str, now: datetime) -> bool:
    """Cancel the visit named in the reply if it belongs to this number; True if done."""
    words = body.strip().split(maxsplit=1)
    if len(words) != 2 or words[0].upper() not in CANCEL_WORDS:
        return False
    appointment = appointments.find(session, words[1], lock=True)
    if appointment is None or appointment.phone != phone:
        return False
    if appointment.status != AppointmentStatus.booked:
        return False
    try:
        appointments.cancel(session, appointment, now=now)
    except Conflict:
        return False
    notices.cancelled(session, appointment, now)
    return True
