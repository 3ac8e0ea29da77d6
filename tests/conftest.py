"""Fixtures: a migrated database on SQLite and on PostgreSQL, container with a settable clock.

PostgreSQL tests need GUICHET_TEST_POSTGRES_URL; in CI (CI=true) its absence is a failure,
elsewhere they are skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from booking.config.settings import Settings
from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from booking.domain.models import metadata
from booking.migrate import migrate
from booking.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-0123456789"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


def postgres_admin_url() -> str | None:
    url = os.environ.get("GUICHET_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("GUICHET_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run in CI")
        pytest.skip("GUICHET_TEST_POSTGRES_URL not set")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    admin = postgres_admin_url()
    name = f"guichet_test_{uuid.uuid4().hex[:10]}"
    plain = make_url(admin).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = plain.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        path = tmp_path / "guichet.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 23, 7, 0, tzinfo=UTC))  # Monday 08:00 in Paris


def make_settings(database_url: str, **changes: object) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,
        procedures_dir=str(ROOT / "config" / "procedures"),
        demo_file=str(ROOT / "config" / "demo.toml"),
        argon2_time_cost=1,  # Argon2 itself is tested; the tests need not pay its full cost
        argon2_memory_kib=1024,
    ).replace(**changes)


@pytest.fixture
def container(database_url: str, clock: Clock) -> Iterator[Container]:
    built = build_container(make_settings(database_url), clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def engine_name(database_url: str) -> str:
    return "postgres" if database_url.startswith("postgres") else "sqlite"


def count(container: Container, sql: str) -> int:
    with container.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


@pytest.fixture
def two_sites(container: Container) -> Iterator[TestClient]:
    """The app over a Paris and a Lyon site, one pickup counter each (the staff tests)."""
    with container.uow.writing() as session:
        add_counter(session, add_site(session), procedures=("residence-permit-pickup",))
        add_counter(session, add_site(session, "lyon"), procedures=("residence-permit-pickup",))
    with TestClient(create_app(container)) as test_client:
        yield test_client
