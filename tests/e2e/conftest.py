"""Browser tests: the real app behind a real HTTP server (uvicorn on 127.0.0.1), Debian's
Chromium driven by Playwright, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from booking.web.app import create_app
from tests.conftest import make_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ALL_WEEK = range(7)
PROCEDURES = ("residence-permit-renewal", "residence-permit-pickup", "naturalisation-interview")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.port = free_port()
        config = uvicorn.Config(
            create_app(container),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def site_services(database_url: str) -> Iterator[Container]:
    """A Paris site open every day 09:00-12:00 and 13:30-16:30, on the real clock."""
    container = build_container(make_settings(database_url))
    with container.uow.writing() as session:
        site = add_site(session)
        site.name, site.department = "Préfecture de test — Paris", "75"
        add_counter(session, site, procedures=PROCEDURES, weekdays=ALL_WEEK)
    yield container
    container.engine.dispose()


@pytest.fixture
def server(site_services: Container) -> Iterator[LiveServer]:
    with LiveServer(site_services) as live:
        yield live


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", base_url=server.url)
    opened = context.new_page()
    yield opened
    context.close()
