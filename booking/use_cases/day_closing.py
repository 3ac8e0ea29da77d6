"""Closing the day where a site asks it (`auto_no_show`): at its local closing time, visits
of the day still booked become no-shows, checked-in or called ones are marked seen. Run by a
scheduled job in `serve` and `worker`; running it again changes nothing more."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.core.errors import Conflict
from booking.core.lifecycle import Move, Outcome
from booking.core.statuses import LIVE_STATUSES, AppointmentStatus
from booking.domain import appointments
from booking.domain.models import Appointment, Site
from booking.use_cases.context import Context

log = logging.getLogger("guichet.day_closing")
OUTCOME_OF = {
    AppointmentStatus.booked: Move.no_show,
    AppointmentStatus.checked_in: Move.seen,
    AppointmentStatus.called: Move.seen,
}


class DayClosing:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow

    def run(self) -> int:
        """Close every due day of every site that asks; returns how many visits changed."""
        now = self._context.now()
        with self._uow.reading() as session:
            sites = list(session.execute(select(Site).where(Site.auto_no_show)).scalars())
        changed = sum(self._close(site, now) for site in sites)
        if changed:
            log.info("day closed: %d visits recorded", changed)
        return changed

    def _close(self, site: Site, now: datetime) -> int:
        zone = ZoneInfo(site.timezone)
        local = now.astimezone(zone)
        day = local.date() if local.time() >= site.day_closes_at else local.date() - timedelta(1)
        begins = datetime.combine(day, time(0), tzinfo=zone)
        closes = datetime.combine(day, site.day_closes_at, tzinfo=zone)
        changed = 0
        with self._uow.writing() as session:
            visits = session.execute(
                select(Appointment)
                .where(
                    Appointment.site_id == site.id,
                    Appointment.status.in_(LIVE_STATUSES),
                    Appointment.starts_at >= begins,
                    Appointment.starts_at < closes,
                )
                .with_for_update()
            ).scalars()
            for visit in visits:
                move = OUTCOME_OF[AppointmentStatus(visit.status)]
                try:
                    outcome = appointments.transition(session, visit, move, now=now)
                except Conflict:
                    continue  # not started yet: it is not the day's to close
                if outcome is Outcome.apply:
                    changed += 1
                    if move is Move.seen:
                        self._context.notices.seen(session, visit, now)
        return changed
