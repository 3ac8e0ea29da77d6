"""The periodic jobs (the day's closing, housekeeping and retention, the timed changes of holds,
offers and release moments), each run once per period however many processes tick them: a
lease row in the database decides which process runs it (storage.job_leases)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from booking.use_cases.context import Context
from storage.job_leases import last_runs, take

log = logging.getLogger("guichet.jobs")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    period: timedelta
    run: Callable[[], object]


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


class PeriodicJobs:
    def __init__(self, context: Context, jobs: list[PeriodicJob], holder: str | None = None):
        self._context = context
        self.jobs = jobs
        self.holder = holder or holder_name()

    def run_due(self) -> list[str]:
        """Run the jobs whose lease this process takes now; the names of those it ran."""
        ran = []
        for job in self.jobs:
            with self._context.uow.write_connection() as connection:
                mine = take(connection, job.name, self.holder, self._context.now(), job.period)
            if not mine:
                continue
            try:
                job.run()
            except Exception:  # one job's failure must not stop the others (it is retried)
                log.exception("periodic job %s failed", job.name)
                continue
            ran.append(job.name)
            log.info("periodic job %s ran", job.name)
        return ran

    def periods(self) -> dict[str, timedelta]:
        return {job.name: job.period for job in self.jobs}

    def last_runs(self) -> dict[str, object]:
        with self._context.uow.read_connection() as connection:
            return dict(last_runs(connection))
