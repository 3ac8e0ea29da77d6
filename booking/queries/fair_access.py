"""Fair access seen from the office (issue 16): over a period of a site, the holds made,
confirmed and ended without a visit, second visits refused, attempts refused by a limit and
seats freed by citizens held back before going back to the public."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from booking.domain.access_log import AccessKind, counts
from booking.domain.models import Appointment, Hold, Site
from booking.queries.figures import FairAccess, Period

_holds = Hold.__table__  # type: ignore[attr-defined]
_visits = Appointment.__table__  # type: ignore[attr-defined]
BY_TIME = ("expired", "not_sent")  # ended because the time ran out


def fair_access(session: Session, site: Site, period: Period) -> FairAccess:
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(period.first, time(0), tzinfo=zone)
    ends = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=zone)
    rows = session.execute(
        select(_holds.c.state, _holds.c.released_reason, func.count())
        .select_from(_holds.join(_visits, _visits.c.id == _holds.c.appointment_id))
        .where(
            _visits.c.site_id == site.id,
            _holds.c.created_at >= begins,
            _holds.c.created_at < ends,
        )
        .group_by(_holds.c.state, _holds.c.released_reason)
    ).all()
    made = sum(number for _, _, number in rows)
    confirmed = sum(number for state, _, number in rows if state == "confirmed")
    expired = sum(number for state, why, number in rows if state == "released" and why in BY_TIME)
    released = sum(number for state, _, number in rows if state == "released")
    events = counts(session, site.id, begins, ends)
    return FairAccess(
        holds_made=made,
        holds_confirmed=confirmed,
        holds_expired=expired,
        holds_given_up=released - expired,
        second_visits_refused=events.get(AccessKind.second_visit, 0),
        limit_refusals=events.get(AccessKind.limit, 0),
        seats_held_back=events.get(AccessKind.seat_held_back, 0),
    )
