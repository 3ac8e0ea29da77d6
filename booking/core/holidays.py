"""Public holidays of a site, from its own holiday calendar (`holidays` package)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from booking.core.slots import SiteCalendar

# Departments whose holidays differ from metropolitan France, by the `holidays` subdivision code.
ALSACE_MOSELLE = {"57": "57", "67": "6AE", "68": "6AE"}


def subdivision_for_department(department: str) -> str | None:
    """Holiday subdivision for a French department number (974 -> Réunion, 67 -> Alsace)."""
    if department in ALSACE_MOSELLE:
        return ALSACE_MOSELLE[department]
    return department if department in holidays.France.subdivisions else None


def valid_subdivision(code: str | None) -> bool:
    return code is None or code in holidays.France.subdivisions


@lru_cache(maxsize=256)
def _holidays_of_year(subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.France(subdiv=subdivision, years=year))


def holidays_between(subdivision: str | None, first: date, last: date) -> frozenset[date]:
    days: set[date] = set()
    for year in range(first.year, last.year + 1):
        days.update(d for d in _holidays_of_year(subdivision, year) if first <= d <= last)
    return frozenset(days)


def site_calendar(
    timezone: str, subdivision: str | None, open_on_holidays: bool, first: date, last: date
) -> SiteCalendar:
    closed = frozenset() if open_on_holidays else holidays_between(subdivision, first, last)
    return SiteCalendar(ZoneInfo(timezone), closed)
