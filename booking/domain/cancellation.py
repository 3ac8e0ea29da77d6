"""Cancel a visit and tell the citizen: the one way every entry point does it (the citizen on
the web, by SMS or through the API; the office one by one, by a closure or by new hours)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from booking.core.lifecycle import Outcome
from booking.domain import appointments
from booking.domain.freed_seats import Seat
from booking.domain.models import Appointment
from booking.domain.notices import Notices
from booking.domain.seat_freeing import Freeing

REASON_LENGTH = 100  # what a visit keeps of the office's reason (a closure's may be longer)


def cancel_and_tell(
    session: Session,
    notices: Notices,
    appointment: Appointment,
    *,
    now: datetime,
    by_office: bool = False,
    reason: str | None = None,
    freeing: Freeing | None = None,
) -> Outcome:
    """Free the visit's seat and write the cancellation's messages, in the caller's
    transaction; `repeat` (nothing written) when it was already cancelled that way. With
    `freeing`, the seat goes to the waiting list first, then to the public (after the delay
    when the citizen freed it); without (a closure, new hours), it simply goes."""
    if reason is not None:
        reason = reason.strip()[:REASON_LENGTH]
    outcome = appointments.cancel(session, appointment, now=now, by_office=by_office, reason=reason)
    if outcome is Outcome.apply:
        notices.cancelled(session, appointment, now)
        if freeing is not None:
            freeing.free(session, Seat.of(appointment), now, by_citizen=not by_office)
    return outcome
