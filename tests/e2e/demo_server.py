"""The demo behind a real HTTP server on 127.0.0.1, for screenshots and the pages benchmark."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from booking.demo import load_demo
from booking.migrate import migrate
from booking.paths import CONFIG
from booking.services import build_services
from booking.settings import Settings
from tests.e2e.conftest import LiveServer


@contextmanager
def demo_server(database_url: str | None = None) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="guichet-demo-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'demo.db'}"
        migrate(url)
        services = build_services(Settings(database_url=url, secret_key="demo-secret-0123456789"))
        with services.uow.writing() as session:
            load_demo(session, CONFIG / "demo.toml", services.catalogue)
        with LiveServer(services) as server:
            yield server
        services.engine.dispose()
