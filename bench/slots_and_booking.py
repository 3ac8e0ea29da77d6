"""Benchmark: slot search latency, concurrent booking and booking throughput (`make bench`).

(a) One site, 8 counters open Mon-Fri 09:00-12:00 and 13:30-16:30 on a 15-minute grid, searched
    over 60 days with half the cells taken: median latency of the pure function, of the HTTP
    endpoint when nothing changed, right after a booking (made through the API, untimed, just
    before each timed search) and right after a configuration change, and of a bare Litestar
    endpoint returning a JSON body of the same size from the same server (the framework's
    floor), as ratios; the rounds are interleaved so that noise hits all alike.
(b) 200 concurrent clients racing for 20 slots, on SQLite and on PostgreSQL: accepted, 409s,
    double bookings found afterwards (must be 0), requests per second.
(c) Booking throughput: concurrent clients booking distinct seats (8 counters, several days)
    through the API, beside a raw loop of the same guarded updates (the load row's insert and
    guarded increment, one transaction a seat) on the same database, before and after the
    bookings: the rates and the ratio to the loop's mean, and the web processes' CPU time a
    booking (from /proc).

Every client has its own address (a trusted X-Forwarded-For) and its own phone, as citizens do.

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
        database_url=url,
        secret_key="bench-secret-0123456789",
        procedures_dir=str(procedures),
        forwarded_allow_ips="127.0.0.1",  # each simulated citizen has its own address
        dispatch_in_serve=False,  # messages are the workers' (bench/dispatch.py)
    )


def identity(index: int) -> tuple[str, str]:
    """A citizen's own address and mobile phone."""
    digits = f"{10_000_000 + index:08d}"
    phone = "06 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    return f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}", phone


def book_through_api(
    connection: http.client.HTTPConnection, index: int, start: str, procedure: str
) -> int:
    address, phone = identity(index)
    body = json.dumps(
        {
            "site_id": "bench",
            "procedure_id": procedure,
            "start": start,
            "name": f"Client {index}",
            "phone": phone,
        }
    )
    headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
    connection.request("POST", "/api/v1/appointments", body, headers)
    response = connection.getresponse()
    response.read()
    return response.status


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

    from booking.asgi import freeze_startup_objects
    from booking.web.app import create_app

    app = create_app(build_container(settings_for(args.url, Path(args.procedures))))
    if args.bare_body:
        payload = json.loads(Path(args.bare_body).read_text())

        @get("/bare", sync_to_thread=False)
        def bare() -> dict:
            return payload

        app.register(bare)
    app.on_startup.append(freeze_startup_objects)  # as `guichet serve` does (booking.asgi)
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
        free = [slot["start"] for slot in json.loads(body)["slots"]]
        random.Random(11).shuffle(free)
        booker = http.client.HTTPConnection("127.0.0.1", port)
        booked: list[int] = []

        def book_a_seat() -> None:  # a citizen books: the list is stale for everyone
            booked.append(book_through_api(booker, len(booked), free.pop(), "bench-visit"))

        def change_the_site() -> None:  # a configuration change: every day is stale
            with engine.begin() as conn:
                conn.execute(text("UPDATE site_revision SET revision = revision + 1"))

        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO site_revision (site_id, revision) VALUES ('bench', 1)"
                    " ON CONFLICT (site_id) DO NOTHING"
                )
            )
        endpoint, bare, after_booking, cold = [], [], [], []
        for _ in range(5):  # interleave rounds so noise hits all alike
            endpoint.append(timed_gets(port, path, runs // 5)[0])
            bare.append(timed_gets(port, "/bare", runs // 5)[0])
            after_booking.append(timed_gets(port, path, max(runs // 10, 3), book_a_seat)[0])
            cold.append(timed_gets(port, path, max(runs // 20, 3), change_the_site)[0])
        endpoint_ms, bare_ms = statistics.median(endpoint), statistics.median(bare)
        booking_ms, cold_ms = statistics.median(after_booking), statistics.median(cold)
        assert set(booked) == {201}, f"bookings between searches answered {set(booked)}"
        booker.close()
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
    print(f"    HTTP, right after a booking {booking_ms:5.2f} ms  ({len(booked)} bookings)")
    print(f"    HTTP, site config changed {cold_ms:7.2f} ms  (every day computed again)")
    print(f"    bare Litestar median     {bare_ms:8.2f} ms  (body {bare_size} bytes)")
    print(f"    ratio endpoint / bare    {endpoint_ms / bare_ms:8.2f}x  (target <= 3x)")
    print(f"    ratio after booking / bare {booking_ms / bare_ms:6.2f}x  (target <= 5x)")
    print(f"    ratio config changed / bare {cold_ms / bare_ms:5.2f}x")


def double_bookings(url: str, procedures: Path) -> tuple[int, int]:
    """Pairs of booked visits overlapping on one counter of capacity 1, and visits stored."""
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
    return double, stored


def raw_guarded_loop(url: str, procedures: Path, seats: int, name: str = "raw") -> float:
    """The floor: the guarded updates of `seats` one-cell visits, one transaction each, in a
    loop on one connection (the load row's insert, then its guarded increment), on a counter
    of its own (`name`)."""
    from booking.demo.builders import add_counter
    from booking.domain.models import Site
    from booking.domain.occupancy import _table as load
    from storage.inserts import dialect_insert

    container = build_container(settings_for(url, procedures))
    with container.uow.writing() as session:
        raw = add_counter(session, session.get(Site, "bench"), name=name, procedures=()).id
    engine = container.engine
    with engine.connect() as connection:
        insert = dialect_insert(connection)
    cell0 = 29_000_000
    began = time.perf_counter()
    for index in range(seats):
        with engine.begin() as connection:
            cell = cell0 + 15 * index
            connection.execute(
                insert(load)
                .values(counter_id=raw, cell=cell, booked=0, capacity=1)
                .on_conflict_do_nothing()
            )
            done = connection.execute(
                load.update()
                .where(load.c.counter_id == raw, load.c.cell == cell, load.c.booked < 1)
                .values(booked=load.c.booked + 1)
            )
            assert done.rowcount == 1
    elapsed = time.perf_counter() - began
    engine.dispose()
    return seats / elapsed


def bench_throughput(
    url: str, procedures: Path, label: str, bookings: int, clients: int, processes: list[int]
) -> None:
    """Concurrent bookings of distinct seats through the API, with 1 then more server
    processes (clients spread over them), beside the raw loop on the same database."""
    first = next_monday() + timedelta(days=7)
    seed(url, procedures, 8, [("09:00", "15:00")])  # 8 counters x 24 quarter-hours a day
    raw_rate = raw_guarded_loop(url, procedures, bookings)
    port = free_port()
    server = start_server(url, procedures, port)
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port)
        weeks = bookings * len(processes) // (8 * 24 * 5) + 2
        last = first + timedelta(days=weeks * 7)
        probe.request(
            "GET", f"/api/v1/sites/bench/slots?procedure=bench-visit&from={first}&to={last}"
        )
        listed = json.loads(probe.getresponse().read())["slots"]
        probe.close()
    finally:
        server.terminate()
        server.wait()
    seats = [slot["start"] for slot in listed for _ in range(slot["available"])]
    wanted = bookings * len(processes)
    assert len(seats) >= wanted, f"only {len(seats)} seats for {wanted} bookings"
    random.Random(5).shuffle(seats)
    runs = []
    for run, count in enumerate(processes):
        mine = seats[run * bookings : (run + 1) * bookings]
        outcomes, elapsed, cpu = _book_all(
            url, procedures, mine, clients, count, 100_000 * (run + 1)
        )
        runs.append((count, outcomes, len(outcomes) / elapsed, cpu / len(outcomes)))
    # The raw loop again after the bookings: its commits wait on the disk, whose pace moves
    # from minute to minute here; the ratio is to the mean of both.
    raw_after = raw_guarded_loop(url, procedures, bookings, name="raw-after")
    raw_mean = (raw_rate + raw_after) / 2
    print(f"(c) booking throughput [{label}] {bookings} distinct seats a run, {clients} clients")
    print(
        f"    raw guarded-update loop  {raw_rate:8.0f}/s before, {raw_after:.0f}/s after"
        " (one connection, one seat a commit)"
    )
    for count, outcomes, rate, cpu in runs:
        print(
            f"    {count} server process{'es' if count > 1 else ''}: {rate:6.0f} bookings/s,"
            f" 201 {outcomes.count(201)} of {len(outcomes)};"
            f" ratio to the raw loop {rate / raw_mean * 100:4.0f} %  (target >= 25 %);"
            f" the servers' CPU {cpu * 1000:.1f} ms a booking"
        )
    double, stored = double_bookings(url, procedures)
    print(f"    stored {stored}, double bookings {double}")


def _book_all(  # type: ignore[no-untyped-def]
    url: str, procedures: Path, seats: list[str], clients: int, processes: int, first_index: int
):
    ports = [free_port() for _ in range(processes)]
    servers = [start_server(url, procedures, port) for port in ports]
    work = list(enumerate(seats))
    outcomes: list[int] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        port = ports[number % len(ports)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not work:
                    break
                index, start = work.pop()
            status = book_through_api(connection, first_index + index, start, "bench-visit")
            with lock:
                outcomes.append(status)
        connection.close()

    try:
        cpu_before = sum(cpu_seconds(server.pid) for server in servers)
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(client, range(clients)))
        elapsed = time.perf_counter() - began
        cpu = sum(cpu_seconds(server.pid) for server in servers) - cpu_before
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    return outcomes, elapsed, cpu


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has used so far (Linux's /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        barrier.wait()
        status = book_through_api(
            connection, index, starts[index % slots].isoformat(), "bench-visit"
        )
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
    double, stored = double_bookings(url, procedures)
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
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--booking-clients", type=int, default=32)
    parser.add_argument("--only", choices=("search", "race", "throughput"))
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.clients, args.slots, args.bookings = 10, 20, 4, 40
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
        parts = {
            "search": lambda url, label: bench_search(url, procedures, label, args.runs),
            "race": lambda url, label: bench_race(url, procedures, label, args.clients, args.slots),
            "throughput": lambda url, label: bench_throughput(
                url,
                procedures,
                label,
                args.bookings,
                args.booking_clients,
                [1] if label == "SQLite" else [1, 2],  # several processes: PostgreSQL's
            ),
        }
        for name, part in parts.items():
            if args.only not in (None, name):
                continue
            part(f"sqlite:///{folder}/{name}.db", "SQLite")
            if postgres:
                url = fresh_postgres(postgres)
                try:
                    part(url, "PostgreSQL")
                finally:
                    drop_postgres(url)
        if not postgres:
            print("(set GUICHET_BENCH_POSTGRES_URL to run the PostgreSQL parts)")


if __name__ == "__main__":
    main()
