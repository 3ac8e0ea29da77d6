"""Periodic jobs once per period however many processes tick them (issue 18): the lease row
decides; two containers on one database stand for two processes (their own engines)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from booking.container import build_container
from tests.support.settings import make_settings


def test_each_job_runs_once_per_period_across_processes(container, database_url, clock):
    other = build_container(make_settings(database_url), clock=clock)
    ran: Counter[str] = Counter()
    start = threading.Barrier(2)

    def tick(jobs) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        ran.update(jobs.periodic.run_due())

    def both() -> None:
        threads = [threading.Thread(target=tick, args=(c,)) for c in (container, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    both()
    assert ran == Counter({"housekeeping": 1, "day_closing": 1, "holds": 1, "offers": 1})
    clock.set(clock.moment + timedelta(seconds=29))
    both()
    assert sum(ran.values()) == 4  # nothing is due again yet
    clock.set(clock.moment + timedelta(seconds=1))
    both()
    assert ran["holds"] == 2 and ran["offers"] == 2 and ran["housekeeping"] == 1
    clock.set(clock.moment + timedelta(hours=1))
    both()
    assert ran["housekeeping"] == 2 and ran["day_closing"] == 2
    other.engine.dispose()


def test_the_jobs_health_says_when_a_job_is_late(container, client, clock):
    assert client.get("/health/jobs").json()["checks"]["holds"]["detail"] == "never ran"
    container.periodic.run_due()
    assert client.get("/health/jobs").status_code == 200
    clock.set(clock.moment + timedelta(seconds=61))  # twice the holds' period: late
    late = client.get("/health/jobs")
    assert late.status_code == 503 and not late.json()["checks"]["holds"]["ok"]
    assert late.json()["checks"]["housekeeping"]["ok"]
