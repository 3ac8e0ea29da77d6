"""Benchmark: the site step of the journey in a national catalogue (`python -m bench.catalogue`).

300 sites in 100 departments (3 each), every one serving the procedure with two counters open
Monday to Friday, half their cells taken over the coming weeks. The page
`/rendez-vous/lieu?procedure=…&postcode=…` is asked for a department after another: the first
time for each (its sites' days computed) and again (shared), median and 95th percentile,
beside a bare Litestar page of the same size from the same server. Target: <= 50 ms.
SQLite, and PostgreSQL with GUICHET_BENCH_POSTGRES_URL (or GUICHET_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.slots_and_booking import (
    PROCEDURE,
    drop_postgres,
    free_port,
    fresh_postgres,
    next_monday,
    settings_for,
    start_server,
)
from booking.container import build_container
from booking.migrate import migrate

DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + [
    "971",
    "972",
    "973",
    "974",
    "975",
    "976",
]


def seed(url: str, procedures: Path, per_department: int) -> None:
    from booking.demo.builders import add_counter, add_site

    migrate(url)
    container = build_container(settings_for(url, procedures))
    with container.uow.writing() as session:
        for department in DEPARTMENTS:
            for index in range(per_department):
                site = add_site(session, f"p{department}-{index}")
                site.department = department
                site.name = f"Préfecture {department} — site {index + 1}"
                for counter in range(2):
                    add_counter(session, site, name=f"G{counter}", procedures=("bench-visit",))
    first = next_monday()
    rng = random.Random(3)
    rows = []
    with container.engine.connect() as connection:
        counters = [row[0] for row in connection.execute(text("SELECT id FROM counter"))]
    zone_start = int(time.mktime(first.timetuple())) // 60
    for counter_id in counters:
        for day in range(0, 28):
            for quarter in range(24):
                if rng.random() < 0.5:
                    cell = zone_start + day * 1440 + 8 * 60 + quarter * 15
                    rows.append({"c": counter_id, "cell": cell})
    with container.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO counter_load (counter_id, cell, booked, capacity)"
                " VALUES (:c, :cell, 1, 1) ON CONFLICT DO NOTHING"
            ),
            rows,
        )
    container.engine.dispose()


def timed(connection: http.client.HTTPConnection, path: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    connection.request("GET", path, headers={"Accept-Language": "fr"})
    answer = connection.getresponse()
    body = answer.read()
    assert answer.status == 200, (path, answer.status)
    return (time.perf_counter() - began) * 1000, body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def bench(url: str, procedures: Path, label: str, departments: int) -> None:
    seed(url, procedures, 3)
    port = free_port()
    server = start_server(url, procedures, port)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        chosen = DEPARTMENTS[:departments]
        step = "/rendez-vous/lieu?procedure=bench-visit&postcode="
        first, again, listed = [], [], 0
        timed(connection, step.removesuffix("&postcode="))  # warm: templates, no department
        for department in chosen:
            postcode = department.ljust(5, "0")
            elapsed, body = timed(connection, step + postcode)
            first.append(elapsed)
            listed = body.count(b'name="site"')
            assert listed >= 3, "the department's three sites at least"
        for _ in range(3):
            for department in chosen:
                again.append(timed(connection, step + department.ljust(5, "0"))[0])
        connection.close()
    finally:
        server.terminate()
        server.wait()
    print(
        f"site step [{label}] 300 sites in 100 departments, {departments} departments asked,"
        f" {listed} sites on a page"
    )
    print(
        f"    first time for a department  median {statistics.median(first):6.1f} ms,"
        f" p95 {percentile(first, 0.95):6.1f} ms"
    )
    print(
        f"    again (shared slot lists)    median {statistics.median(again):6.1f} ms,"
        f" p95 {percentile(again, 0.95):6.1f} ms  (target <= 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--departments", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.departments = 3
    postgres = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    with tempfile.TemporaryDirectory() as folder:
        procedures = Path(folder) / "procedures"
        procedures.mkdir()
        (procedures / "bench-visit.toml").write_text(PROCEDURE)
        bench(f"sqlite:///{folder}/catalogue.db", procedures, "SQLite", args.departments)
        if postgres:
            url = fresh_postgres(postgres)
            try:
                bench(url, procedures, "PostgreSQL", args.departments)
            finally:
                drop_postgres(url)


if __name__ == "__main__":
    main()
