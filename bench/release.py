"""Benchmark: a release moment on PostgreSQL (issue 16; the speed issue builds on it).

1,000 clients at once for the 100 seats of a day of a procedure with a checked contact, through
two server processes on one database: each looks at the day's slots, holds a start (on 409 it
takes one of the alternatives offered, twice at most), then confirms with the code it was sent
(read from the database, as a phone would receive it). A tenth of the clients are one bot from
one address, a different phone each time. Printed: holds, confirmations, 409s and 429s, double
bookings found afterwards (must be 0), p50/p99 of hold and confirm, how many seats the bot got.

Needs GUICHET_BENCH_POSTGRES_URL (or GUICHET_TEST_POSTGRES_URL); all traffic stays on 127.0.0.1.
`--smoke`: 60 clients for 10 seats (CI).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

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


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from booking.web.app import create_app

    container = build_container(settings_for(args.url, Path(args.procedures)))
    app = create_app(container)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def start_server(url: str, procedures: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "bench.release", "serve", "--url", url]
    command += ["--procedures", str(procedures), "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/api/v1/procedures")
            if probe.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


@dataclass
class Tally:
    holds: Counter = field(default_factory=Counter)
    confirms: Counter = field(default_factory=Counter)
    hold_ms: list[float] = field(default_factory=list)
    confirm_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    bot_holds: Counter = field(default_factory=Counter)

    def add(self, kind: str, status: int, ms: float, bot: bool = False) -> None:
        with self.lock:
            if bot and kind == "hold":
                self.bot_holds[status] += 1
            (self.holds if kind == "hold" else self.confirms)[status] += 1
            (self.hold_ms if kind == "hold" else self.confirm_ms).append(ms)


def call(port: int, method: str, path: str, address: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"X-Forwarded-For": address, "Content-Type": "application/json"}
    began = time.perf_counter()
    connection.request(method, path, json.dumps(body) if body else None, headers)
    answer = connection.getresponse()
    payload = answer.read()
    ms = (time.perf_counter() - began) * 1000
    connection.close()
    return answer.status, (json.loads(payload) if payload else {}), ms


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


def citizen(index: int, bot: bool, ports: list[int], day: date, tally: Tally, container) -> None:  # type: ignore[no-untyped-def]
    port = ports[index % len(ports)]
    address = BOT if bot else f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
    phone = phone_of(index)
    rng = random.Random(index)
    path = f"/api/v1/sites/bench/slots?procedure=bench-scarce&from={day}&to={day}"
    status, listed, _ = call(port, "GET", path, address)
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
            "phone": phone,
        }
        status, answer, ms = call(port, "POST", "/api/v1/holds", address, body)
        tally.add("hold", status, ms, bot)
        if status == 201:
            code = code_for(container, answer["hold"])
            confirm = f"/api/v1/holds/{answer['hold']}/confirm"
            status, _, ms = call(port, "POST", confirm, address, {"code": code})
            tally.add("confirm", status, ms)
            return
        same_day = [
            a["start"] for a in answer.get("alternatives") or [] if a["start"][:10] == str(day)
        ]
        if status != 409 or not same_day:
            return
        start = rng.choice(same_day)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def release(admin_url: str, clients: int, seats: int, threads: int) -> None:
    url = fresh_postgres(admin_url)
    with tempfile.TemporaryDirectory() as folder:
        procedures = Path(folder)
        (procedures / "bench-scarce.toml").write_text(PROCEDURE)
        day = seed(url, procedures, seats)
        ports = [free_port(), free_port()]
        servers = [start_server(url, procedures, port) for port in ports]
        container = build_container(settings_for(url, procedures))
        tally = Tally()
        bots = set(random.Random(1).sample(range(clients), clients // 10))
        try:
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                for index in range(clients):
                    pool.submit(citizen, index, index in bots, ports, day, tally, container)
            elapsed = time.perf_counter() - began
        finally:
            for server in servers:
                server.terminate()
                server.wait()
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
    print(f"release [PostgreSQL, 2 server processes] {clients} clients ({len(bots)} one bot"
          f" from {BOT}) for {seats} seats of a procedure with a checked contact")  # fmt: skip
    print(f"    holds: {dict(sorted(tally.holds.items()))} (status: count);"
          f" the bot's: {dict(sorted(tally.bot_holds.items()))}")  # fmt: skip
    print(f"    confirmations: {dict(sorted(tally.confirms.items()))}")
    print(f"    booked {booked} of {seats} seats, double bookings {double}, the bot's {bot_seats}")
    for name, values in (("hold", tally.hold_ms), ("confirm", tally.confirm_ms)):
        if values:
            print(f"    {name}: p50 {statistics.median(values):.0f} ms,"
                  f" p99 {percentile(values, 0.99):.0f} ms over {len(values)}")  # fmt: skip
    print(f"    wall {elapsed:.1f} s, {clients / elapsed:.0f} clients/s")
    assert double == 0, "a seat was given twice"


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    server = sub.add_parser("serve")
    server.add_argument("--url", required=True)
    server.add_argument("--procedures", required=True)
    server.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
        return
    if args.smoke:
        args.clients, args.seats, args.threads = 60, 10, 20
    admin = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    if not admin:
        print("release: skipped (set GUICHET_BENCH_POSTGRES_URL or GUICHET_TEST_POSTGRES_URL)")
        return
    release(admin, args.clients, args.seats, args.threads)


if __name__ == "__main__":
    main()
