"""The waiting list seen from the office (issue 17): over a period of a site, entries made,
offers sent, accepted, declined and expired, seats that went back to the public, and the
median time from joining to a booking."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from booking.domain.models import Appointment, Site, WaitlistEntry, WaitlistOffer
from booking.queries.figures import Period, WaitlistFigures

_offers = WaitlistOffer.__table__  # type: ignore[attr-defined]
_visits = Appointment.__table__  # type: ignore[attr-defined]
_entries = WaitlistEntry.__table__  # type: ignore[attr-defined]


def waitlist_figures(session: Session, site: Site, period: Period) -> WaitlistFigures:
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(period.first, time(0), tzinfo=zone)
    ends = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=zone)
    joined = session.execute(
        select(_entries.c.site_ids).where(
            _entries.c.created_at >= begins, _entries.c.created_at < ends
        )
    ).scalars()
    entries = sum(1 for sites in joined if site.id in sites)
    offers = session.execute(
        select(
            _offers.c.state,
            _offers.c.answered_at,
            _visits.c.starts_at,
            _entries.c.created_at,
        )
        .select_from(
            _offers.join(_visits, _visits.c.id == _offers.c.appointment_id).join(
                _entries, _entries.c.id == _offers.c.entry_id
            )
        )
        .where(
            _visits.c.site_id == site.id,
            _offers.c.created_at >= begins,
            _offers.c.created_at < ends,
        )
    ).all()
    states = [row.state for row in offers]
    seats: dict[datetime, bool] = {}
    waits: list[float] = []
    for row in offers:
        taken = row.state == "accepted"
        seats[row.starts_at] = seats.get(row.starts_at, False) or taken
        if taken and row.answered_at is not None:
            waits.append((row.answered_at - row.created_at).total_seconds() / 3600)
    open_seats = {row.starts_at for row in offers if row.state == "open"}
    return WaitlistFigures(
        entries=entries,
        offers_sent=len(offers),
        accepted=states.count("accepted"),
        declined=states.count("declined"),
        expired=states.count("expired"),
        seats_to_public=sum(
            1 for start, taken in seats.items() if not taken and start not in open_seats
        ),
        median_hours_to_booking=round(median(waits), 1) if waits else None,
    )
