"""The tests' settings and their hand-moved clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from booking.config.settings import Settings
from booking.container import Container

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-key-0123456789"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


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
