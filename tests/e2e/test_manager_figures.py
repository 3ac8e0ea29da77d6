"""A manager reads the figures in a real browser (the pages carry no script): the headline
rates match a history known by construction, the grouping filter and the CSV links work, the
pages pass axe at 1280 and 360 px without sideways scrolling, a bad date is explained."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from tests.support.histories import history, mondays
from tests.support.settings import Clock, make_settings
from tests.support.staff import PASSWORD, add_staff
from tools.journey import assert_accessible, assert_no_sideways_scroll
from tools.live_server import LiveServer

MANAGER = "manager@paris.example.org"
URL = "/staff/stats?site=paris&from=2026-01-01&to=2026-03-22"


@pytest.fixture
def figures(database_url: str, browser: Browser) -> Iterator[tuple[Container, Browser, str]]:
    clock = Clock(datetime(2026, 3, 23, 7, 0, tzinfo=UTC))  # the history is in the past
    container = build_container(make_settings(database_url), clock=clock)
    with container.uow.writing() as session:
        add_counter(session, add_site(session), procedures=("residence-permit-pickup",))
    days = mondays(1000)
    history(
        container,
        [{"day": d, "status": "no_show"} for d in days[:150]]
        + [
            {"day": d, "status": "seen", "called": i % 70, "file_complete": i % 4 > 0}
            for i, d in enumerate(days[150:950])
        ]
        + [{"day": d, "status": "booked"} for d in days[950:]],
    )
    add_staff(container, MANAGER, "manager")
    with LiveServer(container) as server:
        yield container, browser, server.url
    container.engine.dispose()


def signed_in(browser: Browser, url: str, width: int = 1280) -> Page:
    context = browser.new_context(
        locale="fr-FR",
        base_url=url,
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    page.goto("/staff/login")
    page.fill("#email", MANAGER)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/stats")  # a manager lands on the figures
    return page


def test_a_manager_reads_the_figures_of_a_known_history(figures):
    _, browser, url = figures
    page = signed_in(browser, url)
    page.goto(URL)
    assert page.locator("script").count() == 0  # charts drawn on the server, no JavaScript
    missed = page.locator(".guichet-figure").filter(has_text="Rendez-vous manqués")
    expect(missed).to_contain_text("15,8\u202f%")  # 150 of 950, the 50 unrecorded apart
    expect(missed).to_contain_text("50 sans résultat")
    table = page.get_by_role("table", name="Rendez-vous manqués par jour de la semaine")
    expect(table.get_by_role("row", name="Lundi")).to_contain_text("1000")
    files = page.locator(".guichet-figure").filter(has_text="Dossiers complets")
    expect(files).to_contain_text("75,0\u202f%")  # 600 of 800
    assert_accessible(page)
    page.select_option("#by", "lead_time")
    page.fill("#risk", "0.2")
    page.get_by_role("button", name="Afficher").click()
    expect(
        page.get_by_role("heading", level=2, name="Rendez-vous manqués par délai de réservation")
    ).to_be_visible()
    expect(page.locator("#capacity + p")).to_contain_text("20,0\u202f%")  # the risk asked
    with page.expect_download() as download:
        page.locator("#attendance ~ div a[download]").first.click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("key,due,seen,no_show") and lines[1].startswith("3-7,1000,800,150")
    page.context.close()


def test_the_figures_read_on_a_phone_and_explain_a_bad_date(figures):
    _, browser, url = figures
    page = signed_in(browser, url, width=360)
    page.goto(URL)
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.fill("#from", "2026-03-22")
    page.fill("#to", "2026-01-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator(".fr-error-text")).to_contain_text("trois ans au plus")
    assert_accessible(page)
    page.context.close()
