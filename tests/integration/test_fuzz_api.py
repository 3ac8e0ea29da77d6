"""Property-based fuzzing of the whole API from its own OpenAPI (schemathesis), on SQLite and
PostgreSQL, one test item per operation: never a 500, and every answer matches the document
(status code, content type, body, headers such as a 405's Allow).

`positive_data_acceptance` is left out on purpose: a schema-valid body can still name an
unknown site or a date in the past, which the API rightly refuses with a documented 422.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy.engine import make_url

from booking.container import build_container
from booking.demo.load import load_demo
from booking.migrate import migrate
from booking.web.app import create_app
from tests.support.settings import ROOT, make_settings


def _demo_schema(url: str):  # type: ignore[no-untyped-def]
    migrate(url)
    container = build_container(make_settings(url))
    with container.uow.writing() as session:
        load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(container))


def _postgres_url() -> str | None:
    """A fresh database beside GUICHET_TEST_POSTGRES_URL, dropped when the run ends."""
    admin = os.environ.get("GUICHET_TEST_POSTGRES_URL")
    if not admin:
        return None
    plain = make_url(admin).set(drivername="postgresql")
    server = plain.render_as_string(hide_password=False)
    name = f"guichet_fuzz_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return plain.set(database=name).render_as_string(hide_password=False)


_folder = Path(tempfile.mkdtemp(prefix="guichet-fuzz-"))
sqlite_schema = _demo_schema(f"sqlite:///{_folder}/fuzz.db")
_postgres = _postgres_url()
postgres_schema = _demo_schema(_postgres) if _postgres else sqlite_schema
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@sqlite_schema.parametrize()
@FUZZ
def test_every_answer_matches_the_api_document_on_sqlite(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@postgres_schema.parametrize()
@FUZZ
def test_every_answer_matches_the_api_document_on_postgres(case):
    if _postgres is None:
        if os.environ.get("CI"):
            pytest.fail("GUICHET_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run in CI")
        pytest.skip("GUICHET_TEST_POSTGRES_URL not set")
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
