"""Calendar files (.ics) for an appointment, made with `icalendar` (pure).

One VEVENT with a UID stable for the life of the appointment; times in the site's own time
zone with its VTIMEZONE; `METHOD:REQUEST` for a booking or a change (SEQUENCE counts the
changes), `METHOD:CANCEL` with `STATUS:CANCELLED` for a cancellation, so calendars remove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Guichet//Rendez-vous//FR"


@dataclass(frozen=True)
class CalendarVisit:
    uid: str  # e.g. "K7Q4M2XP@guichet.example.fr"
    summary: str
    starts: datetime  # aware
    ends: datetime
    timezone: str
    location: str
    description: str
    sequence: int
    cancelled: bool = False
    stamp: datetime | None = None


def method_of(visit: CalendarVisit) -> str:
    return "CANCEL" if visit.cancelled else "REQUEST"


def calendar_file(visit: CalendarVisit) -> bytes:
    tz = ZoneInfo(visit.timezone)
    event = Event.new(
        uid=visit.uid,
        summary=visit.summary,
        start=visit.starts.astimezone(tz),
        end=visit.ends.astimezone(tz),
        location=visit.location,
        description=visit.description,
        sequence=visit.sequence,
        stamp=visit.stamp,
        status="CANCELLED" if visit.cancelled else "CONFIRMED",
    )
    calendar = Calendar.new(prodid=PRODID, method=method_of(visit), subcomponents=[event])
    first = visit.starts.astimezone(tz).date()
    calendar.add_missing_timezones(first - timedelta(days=1), first + timedelta(days=2))
    return calendar.to_ical()
