"""Apply the Alembic migrations under migrations/ to the configured database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from booking.config.paths import MIGRATIONS


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("guichet.database_url", database_url)
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
