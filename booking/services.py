"""What every entry point (web, CLI, worker) shares: settings, database, catalogue, clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

import booking.revisions  # noqa: F401  (registers the revision hook)
from booking.db import make_engine, read_scope, session_scope
from booking.notices import Links, Notices
from booking.settings import Settings
from completeness.catalogue import Catalogue, load_catalogue

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    catalogue: Catalogue
    clock: Clock = system_clock

    @property
    def notices(self) -> Notices:
        links = Links(self.settings.public_url, self.settings.secret_key)
        deadline = timedelta(hours=self.settings.reminder_deadline_hours)
        return Notices(self.catalogue, links, deadline)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with read_scope(self.engine) as session:
            yield session

    def now(self) -> datetime:
        return self.clock()


def build_services(settings: Settings, *, clock: Clock = system_clock) -> Services:
    return Services(
        settings=settings,
        engine=make_engine(settings.database_url),
        catalogue=load_catalogue(Path(settings.procedures_dir)),
        clock=clock,
    )
