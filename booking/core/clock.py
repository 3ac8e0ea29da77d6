"""The clock the layers are given: a function returning an aware UTC time (the container gives
the system's; tests give one they move by hand)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def local_date(moment: datetime, timezone: str) -> date:
    """The date at `moment` in an IANA time zone: "today" is always a site's (or, where no
    site is known, the service's default zone's), never UTC's."""
    return moment.astimezone(ZoneInfo(timezone)).date()
