"""Benchmark: a release moment on PostgreSQL (issue 16; measured further by issue 19).

2,000 clients at once for the 100 seats of a day of a procedure with a checked contact,
against 1, 2 and 4 web processes (`guichet serve --workers N`) on one database. Each client
(an asyncio task with its own address, through the trusted X-Forwarded-For, and its own phone)
opens the day's slot list, holds a start (on 409 it takes one of the alternatives offered,
twice at most), then confirms with the code it was sent (read from the database, as a phone
would receive it). A tenth of the clients are one bot from one address. Printed for each
count of processes: requests a second, p50/p95/p99 of the slot list, of the hold and of the
confirmation, answers by status (never a 5xx), double bookings found afterwards (must be 0),
the bot's seats; then the ratio 4 processes / 1 process.

Needs GUICHET_BENCH_POSTGRES_URL (or GUICHET_TEST_POSTGRES_URL); all traffic stays on 127.0.0.1.
`--smoke`: 60 clients for 10 seats, 1 and 2 processes (CI).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import aiohttp
from sqlalchemy import select, text

from bench.slots_and_booking import PARIS, drop_postgres, free_port, fresh_postgres
from booking.config.settings import Settings
from booking.container import build_container
from booking.core.references import hold_code
from booking.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
BOT = "198.51.100.66"
PROCEDURE = """id = "bench-scarce"
duration_minutes = 15
min_notice_hours = 0
horizon_days = 30
contact_check = true
[name]
fr = "Place rare"
en = "Scarce seat"
"""


def settings_for(url: str, procedures: Path) -> Settings:
    return Settings(
        database_url=url,
        secret_key="bench-secret-0123456789",
        procedures_dir=str(procedures),
        forwarded_allow_ips="127.0.0.1",  # each simulated citizen has its own address
        dispatch_in_serve=False,  # no SMS leaves: the bench reads the code as a phone would
    )


def seed(url: str, procedures: Path, seats: int) -> date:
    """A site whose counters give `seats` quarter-hours on the last bookable day."""
    from booking.demo.builders import add_counter, add_site

    migrate(url)
    container = build_container(settings_for(url, procedures))
    day = datetime.now(PARIS).date() + timedelta(days=30)
    counters, per_counter = max(1, seats // 20), min(seats, 20)
    closes = (datetime(2000, 1, 1, 9) + timedelta(minutes=15 * per_counter)).strftime("%H:%M")
    with container.uow.writing() as session:
        site = add_site(session, "bench")
        site.release_time = dt_time(0)  # the day is open: the release moment is now
        for index in range(counters):
            add_counter(
                session,
                site,
                name=f"G{index}",
                procedures=("bench-scarce",),
                windows=[("09:00", closes)],
                weekdays=range(7),
            )
    container.engine.dispose()
    return day


def start_server(url: str, procedures: Path, port: int, workers: int) -> subprocess.Popen:
    """`guichet serve --workers N`, as in production (dispatch left to workers)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GUICHET_DATABASE_URL": url,
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_SECRET_KEY": "bench-secret-0123456789",
        "GUICHET_PORT": str(port),
        "GUICHET_LOG_LEVEL": "warning",
        "GUICHET_PROCEDURES_DIR": str(procedures),
        "GUICHET_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "GUICHET_DISPATCH_IN_SERVE": "false",
        # Connections: PostgreSQL's 100 shared by the processes (pool + 10 overflow each).
        "GUICHET_DATABASE_POOL_SIZE": str(max(5, 20 // workers)),
    }
    command = [sys.executable, "-m", "booking.cli", "serve", "--workers", str(workers)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/health/ready")
            if probe.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


@dataclass
class Tally:
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    bot_holds: Counter = field(default_factory=Counter)
    requests: int = 0

    def add(self, kind: str, status: int, ms: float) -> None:
        self.statuses[kind][status] += 1
        self.ms[kind].append(ms)
        self.requests += 1


async def call(session, method: str, path: str, address: str, body: dict | None, tally, kind):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": address}
    began = time.perf_counter()
    async with session.request(method, path, json=body, headers=headers) as answer:
        payload = await answer.json() if answer.content_length != 0 else {}
        status = answer.status
    tally.add(kind, status, (time.perf_counter() - began) * 1000)
    return status, payload or {}


def phone_of(index: int) -> str:
    """A mobile of its own for each client: 06 10 00 01 23."""
    digits = f"{10_000_000 + index:08d}"
    return "06 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))


def code_for(container, token: str) -> str:  # type: ignore[no-untyped-def]
    from booking.domain.holds import digest
    from booking.domain.models import Hold

    with container.uow.reading() as session:
        row = session.execute(select(Hold).where(Hold.digest == digest(token))).scalar_one()
        return hold_code(container.keys.current, row.id, row.resends)


async def citizen(index: int, bot: bool, session, day: date, tally: Tally, container) -> None:  # type: ignore[no-untyped-def]
    address = BOT if bot else f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
    rng = random.Random(index)
    path = f"/api/v1/sites/bench/slots?procedure=bench-scarce&from={day}&to={day}"
    status, listed = await call(session, "GET", path, address, None, tally, "slot list")
    starts = [slot["start"] for slot in listed.get("slots", [])] if status == 200 else []
    if not starts:
        return
    start = rng.choice(starts)
    for _ in range(3):
        body = {
            "site_id": "bench",
            "procedure_id": "bench-scarce",
            "start": start,
            "name": f"Client {index}",
            "phone": phone_of(index),
        }
        status, answer = await call(session, "POST", "/api/v1/holds", address, body, tally, "hold")
        if bot:
            tally.bot_holds[status] += 1
        if status == 201:
            code = await asyncio.to_thread(code_for, container, answer["hold"])
            confirm = f"/api/v1/holds/{answer['hold']}/confirm"
            await call(session, "POST", confirm, address, {"code": code}, tally, "confirm")
            return
        same_day = [
            a["start"] for a in answer.get("alternatives") or [] if a["start"][:10] == str(day)
        ]
        if status != 409 or not same_day:
            return
        start = rng.choice(same_day)


async def crowd(
    port: int, clients: int, bots: set[int], day: date, container
) -> tuple[Tally, float]:  # type: ignore[no-untyped-def]
    """Every client at once (connections kept, up to 500 open)."""
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=500)
    timeout = aiohttp.ClientTimeout(total=300)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        began = time.perf_counter()
        await asyncio.gather(
            *(citizen(i, i in bots, session, day, tally, container) for i in range(clients))
        )
        elapsed = time.perf_counter() - began
    return tally, elapsed


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def release(admin_url: str, clients: int, seats: int, workers: int) -> float:
    """One release moment against `workers` web processes: its requests a second."""
    url = fresh_postgres(admin_url)
    with tempfile.TemporaryDirectory() as folder:
        procedures = Path(folder)
        (procedures / "bench-scarce.toml").write_text(PROCEDURE)
        day = seed(url, procedures, seats)
        port = free_port()
        server = start_server(url, procedures, port, workers)
        container = build_container(settings_for(url, procedures))
        bots = set(random.Random(1).sample(range(clients), clients // 10))
        try:
            tally, elapsed = asyncio.run(crowd(port, clients, bots, day, container))
        finally:
            server.terminate()
            server.wait(timeout=60)
        with container.engine.connect() as conn:
            double = conn.execute(
                text(
                    "SELECT count(*) FROM appointment a JOIN appointment b"
                    " ON a.counter_id = b.counter_id AND a.id < b.id"
                    " AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
                    " WHERE a.status IN ('booked', 'held') AND b.status IN ('booked', 'held')"
                )
            ).scalar_one()
            booked = conn.execute(
                text("SELECT count(*) FROM appointment WHERE status = 'booked'")
            ).scalar_one()  # the clients take no other day (alternatives of the day only)
            bot_phones = ["+33" + phone_of(i)[1:].replace(" ", "") for i in bots]
            bot_seats = conn.execute(
                text(
                    "SELECT count(*) FROM appointment WHERE status = 'booked' AND phone = ANY(:p)"
                ),
                {"p": bot_phones},
            ).scalar_one()
        container.engine.dispose()
    drop_postgres(url)
    server_errors = sum(n for c in tally.statuses.values() for s, n in c.items() if s >= 500)
    rate = tally.requests / elapsed
    print(f"release [PostgreSQL, {workers} web process{'es' if workers > 1 else ''}]"
          f" {clients} clients ({len(bots)} one bot from {BOT}) for {seats} seats")  # fmt: skip
    print(f"    {tally.requests} requests in {elapsed:.1f} s: {rate:.0f} requests/s,"
          f" 5xx {server_errors}")  # fmt: skip
    for kind in ("slot list", "hold", "confirm"):
        values = tally.ms[kind]
        if values:
            print(f"    {kind:<9} p50 {statistics.median(values):5.0f} ms, p95"
                  f" {percentile(values, 0.95):5.0f} ms, p99 {percentile(values, 0.99):5.0f} ms;"
                  f" {dict(sorted(tally.statuses[kind].items()))}")  # fmt: skip
    bot_holds = dict(sorted(tally.bot_holds.items()))
    print(f"    booked {booked} of {seats} seats, double bookings {double},"
          f" the bot's {bot_seats} (its holds {bot_holds})")  # fmt: skip
    assert double == 0, "a seat was given twice"
    assert server_errors == 0, "a server error at the release moment"
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4", help="counts of web processes, in turn")
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.seats, args.workers = 60, 10, "1,2"
    admin = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    if not admin:
        print("release: skipped (set GUICHET_BENCH_POSTGRES_URL or GUICHET_TEST_POSTGRES_URL)")
        return
    counts = [int(n) for n in args.workers.split(",")]
    rates = {n: release(admin, args.clients, args.seats, n) for n in counts}
    if len(counts) > 1:
        low, high = min(counts), max(counts)
        print(f"ratio {high} processes / {low}: {rates[high] / rates[low]:.2f}x requests/s"
              " (clients and server share the machine's 2 cores)")  # fmt: skip


if __name__ == "__main__":
    main()
