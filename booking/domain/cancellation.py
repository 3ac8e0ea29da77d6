"""Cancel a visit and tell the citizen: the one way every entry point does it (the citizen on
the web, by SMS or through the API; the office one by one, by a closure or by new hours)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from booking.core.lifecycle import Outcome
from booking.domain import appointments
from booking.domain.freed_seats import FreedSeatDelay, Seat, hold_back
from booking.domain.models import Appointment
from booking.domain.notices import Notices

REASON_LENGTH = 100  # what a visit keeps of the office's reason (a closure's may be longer)


def cancel_and_tell(
    session: Session,
    notices: Notices,
    appointment: Appointment,
    *,
    now: datetime,
    by_office: bool = False,
    reason: str | None = None,
    delay: FreedSeatDelay | None = None,
) -> Outcome:
    """Free the visit's seat and write the cancellation's messages, in the caller's
    transaction; `repeat` (nothing written) when it was already cancelled that way. A seat
    the citizen frees comes back to the public after `delay`; the office's, at once."""
    if reason is not None:
        reason = reason.strip()[:REASON_LENGTH]
    outcome = appointments.cancel(session, appointment, now=now, by_office=by_office, reason=reason)
    if outcome is Outcome.apply:
        notices.cancelled(session, appointment, now)
        if not by_office:
            hold_back(session, Seat.of(appointment), delay, now)
    return outcome
