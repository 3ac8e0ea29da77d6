"""The demo behind a real HTTP server on 127.0.0.1, for screenshots and the pages benchmark."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from booking.config.paths import CONFIG
from booking.config.settings import Settings
from booking.container import build_container
from booking.demo.setup import load_prefecture, write_past
from booking.migrate import migrate
from booking.staff_cli import add_demo_accounts
from tools.live_server import LiveServer


@contextmanager
def demo_server(database_url: str | None = None, history_months: int = 0) -> Iterator[LiveServer]:
    """The demo; with `history_months`, its past visits and the demo staff accounts too."""
    with tempfile.TemporaryDirectory(prefix="guichet-demo-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'demo.db'}"
        migrate(url)
        settings = Settings(
            database_url=url,
            secret_key="demo-secret-0123456789",
            environment="development",
            forwarded_allow_ips="127.0.0.1",  # a benchmark's citizens: an address each
        )
        container = build_container(settings)
        load_prefecture(container.uow, container.catalogue, CONFIG / "demo.toml")
        if history_months:
            today = container.now().date()
            secret = container.settings.secret_key
            write_past(container.uow, today=today, months=history_months, secret_key=secret)
            add_demo_accounts(container)
        with LiveServer(container) as server:
            yield server
        container.engine.dispose()
