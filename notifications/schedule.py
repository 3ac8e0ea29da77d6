"""When messages are due: day-before reminders, quiet hours, deadlines (pure)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)


def reminder_due(
    visit_start: datetime, timezone: str, hour: int | None, now: datetime
) -> datetime | None:
    """The day before the visit at `hour` site-local time; None if that moment has passed."""
    if hour is None:
        return None
    tz = ZoneInfo(timezone)
    day_before = visit_start.astimezone(tz).date() - timedelta(days=1)
    due = datetime.combine(day_before, time(hour), tzinfo=tz)
    return due if due > now else None


def in_quiet_hours(moment: datetime, timezone: str) -> bool:
    local = moment.astimezone(ZoneInfo(timezone)).time()
    return local >= QUIET_START or local < QUIET_END


def end_of_quiet_hours(moment: datetime, timezone: str) -> datetime:
    """The next 08:00 site-local time at or after `moment`."""
    tz = ZoneInfo(timezone)
    local = moment.astimezone(tz)
    day = local.date() if local.time() <= QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min … capped at 30 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))
