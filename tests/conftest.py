"""Fixtures: a migrated database on SQLite and on PostgreSQL, the container with a settable
clock, and the application client.

Tests go where their kind says: `unit/` (pure, no database), `integration/` (both engines,
the app over HTTP through `client`), `e2e/` (Chromium against a live server).

PostgreSQL tests need GUICHET_TEST_POSTGRES_URL; in CI (CI=true) its absence is a failure,
elsewhere they are skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from booking.domain.models import metadata
from booking.migrate import migrate
from booking.web.app import create_app
from tests.support.settings import Clock, make_settings


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


@pytest.fixture
def container(database_url: str, clock: Clock) -> Iterator[Container]:
    built = build_container(make_settings(database_url), clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def engine_name(database_url: str) -> str:
    return "postgres" if database_url.startswith("postgres") else "sqlite"


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The application over `container`, through Litestar's test client: the one way tests
    talk HTTP to the app (a module sets its data up in fixtures of its own, before)."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def two_sites(container: Container) -> None:
    """A Paris and a Lyon site, one pickup counter each (the staff tests)."""
    with container.uow.writing() as session:
        add_counter(session, add_site(session), procedures=("residence-permit-pickup",))
        add_counter(session, add_site(session, "lyon"), procedures=("residence-permit-pickup",))
