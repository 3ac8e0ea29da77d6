"""Housekeeping, run hourly by `serve` and `worker` and by `guichet purge`: anonymise what is
past its retention period, drop old idempotency keys and audit events; and draw, a few days
ahead, the moments new days open to the public (when the release has a jitter)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from booking.domain.models import Site
from booking.domain.release import draw_ahead
from booking.domain.retention import housekeeping
from booking.use_cases.context import Context

log = logging.getLogger("guichet.housekeeping")


class Housekeeping:
    def __init__(self, context: Context) -> None:
        self._context = context

    def run(self) -> dict[str, int]:
        settings = self._context.settings
        with self._context.uow.writing() as session:
            done = housekeeping(
                session,
                now=self._context.now(),
                retention_days=settings.retention_days,
                idempotency_ttl_hours=settings.idempotency_ttl_hours,
                audit_retention_days=settings.audit_retention_days,
            )
        if any(done.values()):
            log.info("housekeeping: %s", done)
        return done

    def draw_releases(self, days: int = 3) -> int:
        """Draw the release jitter of the coming days (from yesterday, whatever the zones)."""
        jitter = self._context.release.jitter_minutes
        if jitter <= 0:
            return 0
        first = self._context.today() - timedelta(days=1)
        with self._context.uow.writing() as session:
            sites = list(session.execute(select(Site)).scalars())
            return draw_ahead(session, sites, first, days + 1, jitter)
