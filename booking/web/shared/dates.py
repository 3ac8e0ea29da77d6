"""Dates and times as the web receives them (paths, query strings, forms, JSON): one parser
for each shape, one message for each mistake.

With a `field`, a malformed value is a 422 on that field; without one, it counts as absent
(a page falls back to its default, e.g. today's agenda).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import TypeVar

from booking.core.errors import InvalidRequest
from booking.core.i18n import N_

DATE_MESSAGE = N_("Give a date as YYYY-MM-DD.")
TIME_MESSAGE = N_("Give a time as HH:MM.")
MOMENT_MESSAGE = N_("Give the start as an ISO 8601 date and time with its UTC offset.")

RANGE_MESSAGE = N_("Give a date between the years 1900 and 2199.")
FIRST, LAST = date(1900, 1, 1), date(2199, 12, 31)  # what the service's date arithmetic holds

T = TypeVar("T")


def _parse(
    parse: Callable[[str], T], text: str | None, field: str | None, message: str
) -> T | None:
    if not text:
        return None
    try:
        value = parse(text)
    except ValueError:
        if field is None:
            return None
        raise InvalidRequest.for_field(field, message) from None
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not FIRST <= day <= LAST:
        if field is None:
            return None
        raise InvalidRequest.for_field(field, RANGE_MESSAGE)
    return value


def parse_date(text: str | None, field: str | None = None) -> date | None:
    """YYYY-MM-DD."""
    return _parse(date.fromisoformat, text, field, DATE_MESSAGE)


def required_date(text: str | None, field: str) -> date:
    found = parse_date(text, field)
    if found is None:
        raise InvalidRequest.for_field(field, DATE_MESSAGE)
    return found


def parse_month(text: str | None, field: str | None = None) -> date | None:
    """YYYY-MM, as the first day of that month."""
    return _parse(lambda value: date.fromisoformat(f"{value}-01"), text, field, DATE_MESSAGE)


def parse_time(text: str | None, field: str | None = None) -> time | None:
    """HH:MM."""
    return _parse(time.fromisoformat, text, field, TIME_MESSAGE)


def required_time(text: str | None, field: str) -> time:
    found = parse_time(text, field)
    if found is None:
        raise InvalidRequest.for_field(field, TIME_MESSAGE)
    return found


def parse_moment(text: str | None, field: str | None = "start") -> datetime | None:
    """An ISO 8601 date and time with its UTC offset (a start chosen in a site's own time)."""
    moment = _parse(datetime.fromisoformat, text, field, MOMENT_MESSAGE)
    if moment is not None and moment.tzinfo is None:
        if field is None:
            return None
        raise InvalidRequest.for_field(field, MOMENT_MESSAGE)
    return moment


def required_moment(text: str | None, field: str = "start") -> datetime:
    moment = parse_moment(text, field)
    if moment is None:
        raise InvalidRequest.for_field(field, MOMENT_MESSAGE)
    return moment
