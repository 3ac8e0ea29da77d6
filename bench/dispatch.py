"""Benchmark: the dispatcher on PostgreSQL with 4 worker processes and a fake Twilio on loopback.

(a) 100,000 due reminders: messages per second, duplicates (must be 0), lost (must be 0);
    beside it, the floor: one client posting as many messages to the same fake, with the same
    connections and threads, without any database. While the reminders go out, one-time codes
    (urgent) are queued every half second: from queueing to the fake's receipt, p50 and p99
    (the workers stop once the fake has every code queued, the last ones included).
(b) 6,000 messages with the rate limit at 100/s across the 4 workers: the rate measured.

Needs GUICHET_BENCH_POSTGRES_URL (or GUICHET_TEST_POSTGRES_URL). `--messages` and `--rated`
change the sizes. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import text

from bench.slots_and_booking import drop_postgres, fresh_postgres
from booking.config.settings import Settings
from booking.migrate import migrate
from notifications.models import Notification
from notifications.twilio_fake import FakeTwilio
from storage.engines import make_engine

ROOT = Path(__file__).resolve().parent.parent

table = Notification.__table__
CONCURRENCY = [Settings.dispatch_concurrency]  # set from the command line


def row(index: int, now: datetime, *, urgent: bool = False) -> dict:
    return {
        "idempotency_key": f"{'code' if urgent else 'bench'}-{index}",
        "channel": "sms",
        "kind": "code" if urgent else "reminder",
        "recipient": f"+33{7 if urgent else 6}{index:08d}",
        "body": f"Code {index:06d}" if urgent else f"RDV demain, ref {index:08d}",
        "due_at": now,
        "latest_at": now + timedelta(days=1),
        "quiet_hours_apply": False,
        "urgent": urgent,
        "timezone": "Europe/Paris",
        "status": "pending",
        "attempts": 0,
        "language": "fr",
        "created_at": now,
        "updated_at": now,
    }


class Codes(threading.Thread):
    """Queues one urgent message every half second while the reminders go out, and remembers
    when (the fake stamps their receipt with the same clock)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.queued: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        index = 0
        while not self.stop.wait(0.5):
            with self.engine.begin() as connection:
                connection.execute(table.insert(), [row(index, datetime.now(UTC), urgent=True)])
            self.queued[f"+337{index:08d}"] = time.monotonic()
            index += 1

    def drain(self, fake: FakeTwilio, timeout: float = 30.0) -> None:
        """Stop queueing, then wait until the fake has every code queued (the workers still
        run): a code queued in the last moments is counted when it arrives, not lost."""
        self.stop.set()
        if self.is_alive():
            self.join()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = {m["to"] for m in fake.messages}
            if received.issuperset(self.queued):
                return
            time.sleep(0.05)

    def latencies(self, fake: FakeTwilio) -> list[float]:
        received = {m["to"]: m["received_at"] for m in fake.messages}
        return sorted(received[to] - at for to, at in self.queued.items() if to in received)


def floor_rate(fake: FakeTwilio, count: int, threads: int) -> float:
    """One process posting `count` messages to the fake through Twilio's client, `threads`
    side by side: what the provider's side costs, without any database."""
    from notifications.senders import Outgoing
    from notifications.twilio_sender import TwilioSender, TwilioSettings

    options = {"api_base": fake.base_url}
    if "connections" in TwilioSettings.__dataclass_fields__:  # not before issue 19
        options["connections"] = threads
    sender = TwilioSender(TwilioSettings("AC" + "0" * 32, "bench-token", "+33700000000", **options))
    outgoing = [Outgoing(i, "sms", f"+335{i:08d}", f"Floor {i}") for i in range(count)]

    def send(message: Outgoing) -> bool:
        try:
            sender.send(message)
        except Exception:  # a fake that drops connections under load (before issue 19)
            return False
        return True

    began = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        sent = sum(pool.map(send, outgoing))
    return sent / (time.monotonic() - began)


def fill(url: str, count: int) -> None:
    engine = make_engine(url)
    now = datetime.now(UTC) - timedelta(seconds=1)
    rows = [row(i, now) for i in range(count)]
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(table.insert(), rows[start : start + 5000])
    engine.dispose()


def run_workers(
    url: str,
    fake: FakeTwilio,
    workers: int,
    rate: float,
    expected: int,
    settle: Callable[[], None] | None = None,
) -> float:
    """The seconds `workers` processes take to send and record `expected` reminders; then
    `settle` runs before they stop."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_DATABASE_URL": url,
        "GUICHET_SMS_BACKEND": "twilio",
        "GUICHET_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "GUICHET_TWILIO_AUTH_TOKEN": "bench-token",
        "GUICHET_TWILIO_FROM": "+33700000000",
        "GUICHET_TWILIO_API_BASE": fake.base_url,
        "GUICHET_DISPATCH_INTERVAL_SECONDS": "1",
        "GUICHET_SEND_RATE_PER_SECOND": str(rate),
        "GUICHET_SMS_PER_NUMBER_PER_DAY": "1000",
        "GUICHET_QUIET_HOURS": "false",
        "GUICHET_DISPATCH_CONCURRENCY": str(CONCURRENCY[0]),
    }
    began = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "booking.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    # Done when the fake has every reminder, then when the database has recorded them all
    # (asking the fake: counting in the database twice a second would load it as it fills).
    engine = make_engine(url)
    try:
        while len(fake.messages) < expected:  # codes count too: the database says the rest
            if time.monotonic() - began > 1800:
                raise RuntimeError("the workers did not finish within 30 minutes")
            time.sleep(0.2)
        while True:
            with engine.connect() as connection:
                done = connection.execute(
                    text(
                        "SELECT count(*) FROM notification"
                        " WHERE status NOT IN ('pending', 'sending') AND kind <> 'code'"
                    )
                ).scalar_one()
            if done >= expected:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - began
        if settle is not None:
            settle()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        engine.dispose()
    return elapsed


def report(label: str, url: str, fake: FakeTwilio, count: int, elapsed: float) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        sent = connection.execute(
            text("SELECT count(*) FROM notification WHERE status = 'sent'")
        ).scalar_one()
        retried = connection.execute(
            text("SELECT count(*), max(error) FROM notification WHERE attempts > 1")
        ).one()
    engine.dispose()
    received = Counter(m["to"] for m in fake.messages if m["to"].startswith("+336"))
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    lost = count - len(received)
    print(f"{label}: {count} messages, 4 workers, {elapsed:.1f} s")
    sent -= sum(1 for m in fake.messages if not m["to"].startswith("+336"))
    print(
        f"    {count / elapsed:.0f} messages/s, sent {sent}, duplicates {duplicates}, lost {lost}"
    )
    if retried[0]:
        print(f"    claimed more than once: {retried[0]} (last error: {retried[1]})")
    stamps = sorted(m["received_at"] for m in fake.messages if m["to"].startswith("+336"))
    tenth = len(stamps) // 10
    if tenth > 1:
        rates = [
            tenth / max(1e-9, stamps[(i + 1) * tenth - 1] - stamps[i * tenth]) for i in range(10)
        ]
        print("    rate by tenth of the messages: " + ", ".join(f"{r:.0f}" for r in rates) + "/s")


def print_rate(rate: float, stamps: list[float]) -> None:
    """The rate the provider saw: first to last message, and in steady state (5th-95th %)."""
    whole = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    low, high = len(stamps) // 20, len(stamps) * 19 // 20
    steady = (high - low) / (stamps[high] - stamps[low])
    print(
        f"    limit {rate:.0f}/s; first to last {whole:.1f}/s ({(whole / rate - 1) * 100:+.1f} %)"
    )
    print(
        f"    steady state {steady:.1f}/s ({(steady / rate - 1) * 100:+.1f} %); target within 5 %"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rated", type=int, default=6_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=Settings.dispatch_concurrency,
        help="sends side by side a worker (the settings' default)",
    )
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.rated, args.rate = 400, 100, 50.0
    CONCURRENCY[0] = args.concurrency
    admin = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    if not admin:
        raise SystemExit("set GUICHET_BENCH_POSTGRES_URL (PostgreSQL) to run this benchmark")
    for label, count, rate in (
        ("(a) throughput", args.messages, 0.0),
        ("(b) rate limit", args.rated, args.rate),
    ):
        url = fresh_postgres(admin)
        try:
            migrate(url)
            fill(url, count)
            with FakeTwilio() as fake:
                codes = Codes(url)
                if not rate:
                    codes.start()
                elapsed = run_workers(url, fake, 4, rate, count, partial(codes.drain, fake))
                report(label, url, fake, count, elapsed)
                if rate:
                    print_rate(rate, sorted(m["received_at"] for m in fake.messages))
                    continue
                waits = codes.latencies(fake)
                if waits:
                    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
                    print(
                        f"    one-time codes queued meanwhile: {len(waits)} of"
                        f" {len(codes.queued)} received, p50 {statistics.median(waits):.2f} s,"
                        f" p99 {p99:.2f} s (target p99 <= 10 s)"
                    )
                floor = floor_rate(fake, min(count, 20_000), 4 * args.concurrency)
                print(
                    f"    floor: Twilio's client alone to the same fake {floor:.0f} messages/s;"
                    f" ratio {count / elapsed / floor * 100:.0f} %"
                )
        finally:
            drop_postgres(url)


if __name__ == "__main__":
    main()
