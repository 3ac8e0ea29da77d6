"""Benchmark of the managers' figures (`python -m bench.dashboard`).

1,000,000 past visits over 2 years and 20 sites (with their survey messages), written by
`booking/history.py`, on SQLite and on PostgreSQL (GUICHET_BENCH_POSTGRES_URL or
GUICHET_TEST_POSTGRES_URL). Measured in one run, side by side: the whole dashboard of one site
over 12 months (every query of `/staff/stats`), and as many raw `GROUP BY` queries over the same
rows (`SELECT local_weekday, count(*) … GROUP BY local_weekday`, same site and dates) as the
dashboard sends. Prints medians and their ratio. Targets: <= 500 ms on PostgreSQL; ratio <= 2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, select, text

from bench.slots_and_booking import drop_postgres, fresh_postgres
from booking.config.settings import Settings
from booking.container import build_container
from booking.core.access import Actor, Role
from booking.demo.builders import add_counter, add_site
from booking.demo.past import Shape, write_history
from booking.domain.models import Site
from booking.migrate import migrate

SITES = 20
COUNTERS = 5  # a site's counters, each open 6 hours a weekday on a 15-minute grid
ADMIN = Actor(1, "bench@guichet.test", Role.admin, frozenset())
RAW = text(
    "SELECT local_weekday, count(*) FROM appointment"
    " WHERE site_id = :site AND local_date BETWEEN :first AND :last GROUP BY local_weekday"
)


def build(url: str, visits: int, last: date) -> int:
    migrate(url)
    container = build_container(Settings(database_url=url, secret_key="bench-secret-0123456789"))
    with container.uow.writing() as session:
        for number in range(SITES):
            site = add_site(session, f"site-{number:02d}")
            site.survey_enabled, site.reminder_hour = True, None
            for index in range(COUNTERS):
                add_counter(
                    session,
                    site,
                    name=f"Guichet {index + 1}",
                    procedures=(
                        "residence-permit-renewal",
                        "residence-permit-pickup",
                        "driving-licence-exchange",
                    ),
                )
    first = last - timedelta(days=729)
    with container.uow.writing() as session:
        sites = list(session.execute(select(Site).order_by(Site.id)).scalars())
        offered = 2 * 52 * 5 * 24 * COUNTERS * SITES  # seats over two years, holidays aside
        written = write_history(
            session, sites, first, last, container.settings.secret_key,
            shape=Shape(fill=min(0.98, visits / offered * 1.04)),
        )  # fmt: skip
    with container.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    container.engine.dispose()
    return written


def measure(url: str, runs: int, last: date) -> dict[str, float]:
    container = build_container(Settings(database_url=url, secret_key="bench-secret-0123456789"))
    first = last - timedelta(days=364)
    site = "site-07"
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(container.engine, "before_cursor_execute", remember)
    container.statistics.dashboard(ADMIN, site, first, last)  # warm, and count its queries
    event.remove(container.engine, "before_cursor_execute", remember)
    queries = sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))
    dashboard, raw = [], []
    params = {"site": site, "first": first, "last": last}
    for _ in range(runs):
        started = time.perf_counter()
        container.statistics.dashboard(ADMIN, site, first, last)
        dashboard.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with container.engine.connect() as connection:
            for _ in range(queries):
                connection.execute(RAW, params).all()
        raw.append((time.perf_counter() - started) * 1000)
    with container.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT count(*) FROM appointment WHERE site_id = :site"
                 " AND local_date BETWEEN :first AND :last"), params
        ).scalar_one()  # fmt: skip
    container.engine.dispose()
    return {
        "queries": queries,
        "site_rows": rows,
        "dashboard_ms": statistics.median(dashboard),
        "raw_ms": statistics.median(raw),
    }


def report(engine: str, visits: int, built_s: float, figures: dict[str, float]) -> None:
    ratio = figures["dashboard_ms"] / figures["raw_ms"]
    print(
        f"{engine:<10} {visits:>9,} visits (built in {built_s:.0f} s); one site, 12 months: "
        f"{figures['site_rows']:,} visits, {figures['queries']:.0f} queries; dashboard median "
        f"{figures['dashboard_ms']:.1f} ms, raw GROUP BY x{figures['queries']:.0f} median "
        f"{figures['raw_ms']:.1f} ms, ratio {ratio:.2f} (target <= 2)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.visits, args.runs = 5_000, 2
    last = date.today() - timedelta(days=1)
    postgres = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory(prefix="guichet-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'stats.db'}"
            started = time.perf_counter()
            visits = build(url, args.visits, last)
            report("SQLite", visits, time.perf_counter() - started, measure(url, args.runs, last))
    if "postgres" in engines:
        if not postgres:
            print("(set GUICHET_BENCH_POSTGRES_URL to run the PostgreSQL part)")
            return
        url = fresh_postgres(postgres)
        try:
            started = time.perf_counter()
            visits = build(url, args.visits, last)
            figures = measure(url, args.runs, last)
            report("PostgreSQL", visits, time.perf_counter() - started, figures)
            target = "met" if figures["dashboard_ms"] <= 500 else "MISSED"
            print(f"PostgreSQL dashboard target <= 500 ms: {target}")
        finally:
            drop_postgres(url)


if __name__ == "__main__":
    main()
