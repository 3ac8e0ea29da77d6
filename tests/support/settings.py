"""The tests' settings, their hand-moved clock and the browser tests' morning clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from booking.config.settings import Settings
from booking.container import Container

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-key-0123456789"
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Clock:
    """A clock the test moves by hand."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


@dataclass
class MorningClock:
    """Today's date, but the day starts at 08:00 in Paris and runs on from there: pages that
    show tomorrow's times find a whole day of them whatever the hour the suite runs at."""

    began: float = field(default_factory=time.monotonic)
    start: datetime = field(
        default_factory=lambda: datetime.combine(
            datetime.now(PARIS).date(), clock_time(8), tzinfo=PARIS
        ).astimezone(UTC)
    )

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


def make_settings(database_url: str, **changes: object) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,
        environment="development",
        procedures_dir=str(ROOT / "config" / "procedures"),
        demo_file=str(ROOT / "config" / "demo.toml"),
        argon2_time_cost=1,  # Argon2 itself is tested; the tests need not pay its full cost
        argon2_memory_kib=1024,
        # The fair-access rules have tests of their own (tests/integration/test_fair_access.py,
        # at the service's defaults); elsewhere one citizen books as many visits as a test needs.
        live_visits_per_person=1000,
        booking_attempts_per_hour=100_000,
    ).replace(**changes)


def count(container: Container, sql: str) -> int:
    with container.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()
