"""Where a freed seat goes: first to the waiting list (one person at a time, the seat held for
them), then to the public — after the freed-seat delay when a citizen freed it, at once when
the office did. Every place that frees a seat calls `Freeing.free`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from booking.domain.freed_seats import FreedSeatDelay, Seat, hold_back_until
from booking.domain.waitlist import Offering, offer_seat


@dataclass(frozen=True)
class Freeing:
    delay: FreedSeatDelay
    offering: Offering | None = None  # None: no waiting list (straight to the public)

    def free(self, session: Session, seat: Seat, now: datetime, *, by_citizen: bool) -> None:
        wait = self.delay.draw() if by_citizen else None
        public_at = now + wait if wait else None
        offering = self.offering
        if offering is not None and offer_seat(session, seat, now, offering, public_at=public_at):
            return
        hold_back_until(session, seat, public_at, now)
