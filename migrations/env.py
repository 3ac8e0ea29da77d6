"""Alembic environment: one schema for SQLite and PostgreSQL, URL from Guichet's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import booking.domain.models
import booking.domain.staff_models  # noqa: F401
import notifications.models  # noqa: F401
from storage.engines import make_engine
from storage.metadata import metadata

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = make_engine(config.get_main_option("guichet.database_url"), pooled=False)
    with engine.connect() as connection:
        run_with(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `guichet migrate`")
run_online()
