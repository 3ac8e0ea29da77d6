"""Housekeeping, run hourly by `serve` and `worker` and by `guichet purge`: anonymise what is
past its retention period, drop old idempotency keys and audit events."""

from __future__ import annotations

import logging

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
