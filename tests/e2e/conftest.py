"""Browser tests: the real app behind a real HTTP server (uvicorn on 127.0.0.1), Debian's
Chromium driven by Playwright, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from tests.support.settings import MorningClock, make_settings
from tools.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer

ALL_WEEK = range(7)
PROCEDURES = ("residence-permit-renewal", "residence-permit-pickup", "naturalisation-interview")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site_services(database_url: str) -> Iterator[Container]:
    """A Paris site open every day 09:00-12:00 and 13:30-16:30; today from 08:00, running."""
    container = build_container(make_settings(database_url), clock=MorningClock())
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
