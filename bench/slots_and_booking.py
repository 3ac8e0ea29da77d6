"""Benchmark: slot search latency and concurrent booking (`make bench`).

(a) One site, 8 counters open Mon-Fri 09:00-12:00 and 13:30-16:30 on a 15-minute grid, searched
    over 60 days with half the cells taken: median latency of the pure function, of the HTTP
    endpoint, and of a bare Litestar endpoint returning a JSON body of the same size from the
    same server (the framework's floor), as a ratio.
(b) 200 concurrent clients racing for 20 slots, on SQLite and on PostgreSQL: accepted, 409s,
    double bookings found afterwards (must be 0), requests per second.

PostgreSQL parts need GUICHET_BENCH_POSTGRES_URL (or GUICHET_TEST_POSTGRES_URL); all traffic
stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from booking.config.settings import Settings
from booking.container import build_container
from booking.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent

PARIS = ZoneInfo("Europe/Paris")
PROCEDURE = """id = "bench-visit"
duration_minutes = 15
min_notice_hours = 0
horizon_days = 90
[name]
fr = "Visite"
en = "Visit"
"""


def settings_for(url: str, procedures: Path) -> Settings:
    return Settings(
        database_url=url, secret_key="bench-secret-0123456789", procedures_dir=str(procedures)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def next_monday() -> date:
    today = datetime.now(PARIS).date()
    return today + timedelta(days=7 - today.weekday())


def fresh_postgres(admin_url: str) -> str:
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    plain = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(plain).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def seed(
    url: str, procedures: Path, counters: int, windows: list[tuple[str, str]], capacity: int = 1
) -> None:
    from booking.demo.builders import add_counter, add_site

    migrate(url)
    container = build_container(settings_for(url, procedures))
    with container.uow.writing() as session:
        site = add_site(session, "bench")
        for index in range(counters):
            add_counter(
                session,
                site,
                name=f"G{index}",
                capacity=capacity,
                procedures=("bench-visit",),
                windows=windows,
            )
    container.engine.dispose()


def half_taken(url: str, procedures: Path, first: date, days: int) -> int:
    """Mark a random half of every counter's cells as taken (the load search reads)."""
    from booking.core.slots import BookingRules, counter_free_starts
    from booking.domain.availability import load_site_plan

    container = build_container(settings_for(url, procedures))
    rng = random.Random(7)
    rows = []
    with container.uow.writing() as session:
        site = session.get(__import__("booking.domain.models", fromlist=["Site"]).Site, "bench")
        plan = load_site_plan(session, site, "bench-visit", first, first + timedelta(days=days))
        rules = BookingRules(15, 0, first + timedelta(days=days))
        for counter in plan.counters:
            for start, _ in counter_free_starts(
                counter, plan.calendar, first, first + timedelta(days=days), rules, {}
            ):
                if rng.random() < 0.5:
                    rows.append({"c": counter.counter_id, "cell": start, "cap": counter.capacity})
        session.execute(
            text(
                "INSERT INTO counter_load (counter_id, cell, booked, capacity)"
                " VALUES (:c, :cell, 1, :cap)"
            ),
            rows,
        )
    container.engine.dispose()
    return len(rows)


def start_server(
    url: str, procedures: Path, port: int, bare_body: Path | None = None
) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # As a module from the project's root: a script's own folder first on the path would let
    # a benchmark's file shadow a standard module.
    command = [
        sys.executable,
        "-m",
        "bench.slots_and_booking",
        "serve",
        "--url",
        url,
        "--procedures",
        str(procedures),
        "--port",
        str(port),
    ]
    if bare_body:
        command += ["--bare-body", str(bare_body)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def serve(args: argparse.Namespace) -> None:
    import uvicorn
    from litestar import get

    from booking.web.app import create_app

    app = create_app(build_container(settings_for(args.url, Path(args.procedures))))
    if args.bare_body:
        payload = json.loads(Path(args.bare_body).read_text())

        @get("/bare", sync_to_thread=False)
        def bare() -> dict:
            return payload

        app.register(bare)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def timed_gets(port: int, path: str, runs: int, between=None) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    timings = []
    size = 0
    for _ in range(runs):
        if between is not None:
            between()
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        timings.append(time.perf_counter() - began)
        assert response.status == 200, body[:200]
        size = len(body)
    connection.close()
    return statistics.median(timings) * 1000, size


def bench_search(url: str, procedures: Path, label: str, runs: int) -> None:
    from booking.core.slots import find_slots
    from booking.domain.availability import current_load, load_site_plan, rules_for
    from booking.domain.models import Site

    first = next_monday()
    last = first + timedelta(days=59)
    seed(url, procedures, 8, [("09:00", "12:00"), ("13:30", "16:30")])
    taken = half_taken(url, procedures, first, 60)
    container = build_container(settings_for(url, procedures))
    procedure = container.catalogue.get("bench-visit")
    with container.uow.writing() as session:
        site = session.get(Site, "bench")
        plan = load_site_plan(session, site, "bench-visit", first, last)
        load = current_load(session, plan)
    rules = rules_for(procedure, site, datetime.now(UTC))
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        slots = find_slots(plan.counters, plan.calendar, first, last, rules, load)
        timings.append(time.perf_counter() - began)
    pure = statistics.median(timings) * 1000
    container.engine.dispose()

    port = free_port()
    path = f"/api/v1/sites/bench/slots?procedure=bench-visit&from={first}&to={last}"
    probe = start_server(url, procedures, port)
    try:
        _, body_size = timed_gets(port, path, 1)
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", path)
        body = connection.getresponse().read()
    finally:
        probe.terminate()
        probe.wait()
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as handle:
        handle.write(body)
    server = start_server(url, procedures, port, Path(handle.name))
    try:
        timed_gets(port, path, 20)  # warm both paths
        timed_gets(port, "/bare", 20)
        engine = build_container(settings_for(url, procedures)).engine

        def change_the_site() -> None:  # what a booking does to shared slot lists
            with engine.begin() as conn:
                conn.execute(text("UPDATE site_revision SET revision = revision + 1"))

        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO site_revision (site_id, revision) VALUES ('bench', 1)"
                    " ON CONFLICT (site_id) DO NOTHING"
                )
            )
        endpoint, bare, cold = [], [], []
        for _ in range(5):  # interleave rounds so noise hits all alike
            endpoint.append(timed_gets(port, path, runs // 5)[0])
            bare.append(timed_gets(port, "/bare", runs // 5)[0])
            cold.append(timed_gets(port, path, max(runs // 20, 3), change_the_site)[0])
        endpoint_ms, bare_ms = statistics.median(endpoint), statistics.median(bare)
        cold_ms = statistics.median(cold)
        engine.dispose()
        _, bare_size = timed_gets(port, "/bare", 1)
    finally:
        server.terminate()
        server.wait()
        os.unlink(handle.name)
    print(
        f"(a) slot search [{label}] 8 counters, 60 days, {taken} cells taken,"
        f" {len(slots)} free starts"
    )
    print(f"    pure find_slots median   {pure:8.2f} ms")
    print(f"    HTTP endpoint median     {endpoint_ms:8.2f} ms  (body {body_size} bytes)")
    print(f"    HTTP, site just changed  {cold_ms:8.2f} ms  (slot list recomputed every time)")
    print(f"    bare Litestar median     {bare_ms:8.2f} ms  (body {bare_size} bytes)")
    print(f"    ratio endpoint / bare    {endpoint_ms / bare_ms:8.2f}x  (target <= 3x)")
    print(f"    ratio just changed / bare {cold_ms / bare_ms:7.2f}x")


def bench_race(url: str, procedures: Path, label: str, clients: int = 200, slots: int = 20) -> None:
    day = next_monday() + timedelta(days=7)
    seed(url, procedures, 1, [("09:00", "14:00")])  # 20 quarter-hour starts, capacity 1
    starts = [
        datetime.combine(day, clock_time(9), tzinfo=PARIS) + timedelta(minutes=15 * i)
        for i in range(slots)
    ]
    port = free_port()
    server = start_server(url, procedures, port)
    barrier = threading.Barrier(clients)
    outcomes: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        body = json.dumps(
            {
                "site_id": "bench",
                "procedure_id": "bench-visit",
                "start": starts[index % slots].isoformat(),
                "name": f"Client {index}",
                "phone": "06 12 34 56 78",
            }
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        barrier.wait()
        connection.request(
            "POST", "/api/v1/appointments", body, {"Content-Type": "application/json"}
        )
        status = connection.getresponse().status
        connection.close()
        with lock:
            outcomes.append(status)

    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(client, range(clients)))
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait()
    container = build_container(settings_for(url, procedures))
    with container.engine.connect() as conn:
        double = conn.execute(
            text(
                "SELECT count(*) FROM appointment a JOIN appointment b"
                " ON a.counter_id = b.counter_id"
                " AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
                " WHERE a.status = 'booked' AND b.status = 'booked'"
            )
        ).scalar_one()
        stored = conn.execute(text("SELECT count(*) FROM appointment")).scalar_one()
    container.engine.dispose()
    accepted, conflicts = outcomes.count(201), outcomes.count(409)
    others = len(outcomes) - accepted - conflicts
    print(f"(b) race [{label}] {clients} clients for {slots} slots")
    print(
        f"    accepted {accepted} (stored {stored}), 409 {conflicts}, other {others},"
        f" double bookings {double}"
    )
    print(
        f"    {clients / elapsed:.0f} booking requests/s answered (201 or 409),"
        f" wall {elapsed * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    server = sub.add_parser("serve")
    server.add_argument("--url", required=True)
    server.add_argument("--procedures", required=True)
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--bare-body")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.clients, args.slots = 5, 20, 4
    if args.command == "serve":
        serve(args)
        return
    postgres = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    with tempfile.TemporaryDirectory() as folder:
        procedures = Path(folder) / "procedures"
        procedures.mkdir()
        (procedures / "bench-visit.toml").write_text(PROCEDURE)
        bench_search(f"sqlite:///{folder}/search.db", procedures, "SQLite", args.runs)
        if postgres:
            url = fresh_postgres(postgres)
            try:
                bench_search(url, procedures, "PostgreSQL", args.runs)
            finally:
                drop_postgres(url)
        bench_race(f"sqlite:///{folder}/race.db", procedures, "SQLite", args.clients, args.slots)
        if postgres:
            url = fresh_postgres(postgres)
            try:
                bench_race(url, procedures, "PostgreSQL", args.clients, args.slots)
            finally:
                drop_postgres(url)
        else:
            print("(set GUICHET_BENCH_POSTGRES_URL to run the PostgreSQL parts)")


if __name__ == "__main__":
    main()
