"""Booked visits in the way of a change of hours or a closure, as plain values that outlive a
rolled-back transaction; the conflict that lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.core.errors import Conflict


@dataclass(frozen=True)
class AffectedVisit:
    """A booked visit in the way, as plain values (they outlive a rolled-back transaction)."""

    reference: str
    starts_at: datetime
    name: str | None


class AffectedVisits(Conflict):
    """Booked visits stand in the way; `extra["affected"]` lists them."""
