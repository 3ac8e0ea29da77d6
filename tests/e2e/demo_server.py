"""The demo behind a real HTTP server on 127.0.0.1, for screenshots and the pages benchmark."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from booking.config.paths import CONFIG
from booking.config.settings import Settings
from booking.container import build_container
from booking.demo.load import load_demo
from booking.demo.past import months_before, write_history
from booking.domain.models import Site
from booking.migrate import migrate
from booking.staff_cli import add_demo_accounts
from tests.e2e.conftest import LiveServer


@contextmanager
def demo_server(database_url: str | None = None, history_months: int = 0) -> Iterator[LiveServer]:
    """The demo; with `history_months`, its past visits and the demo staff accounts too."""
    with tempfile.TemporaryDirectory(prefix="guichet-demo-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'demo.db'}"
        migrate(url)
        container = build_container(Settings(database_url=url, secret_key="demo-secret-0123456789"))
        with container.uow.writing() as session:
            load_demo(session, CONFIG / "demo.toml", container.catalogue)
            if history_months:
                sites = list(session.execute(select(Site).order_by(Site.id)).scalars())
                first, last = months_before(container.now().date(), history_months)
                write_history(session, sites, first, last, container.settings.secret_key)
        if history_months:
            add_demo_accounts(container)
        with LiveServer(container) as server:
            yield server
        container.engine.dispose()
