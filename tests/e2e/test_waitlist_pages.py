"""Joining the waiting list and accepting a seat offered, in Chromium (issue 17): JavaScript
off, axe clean, the keyboard alone, 360 pixels wide."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from booking.core.booking_request import BookingRequest
from tests.e2e.test_keyboard import tab_to
from tools.journey import assert_accessible, assert_no_sideways_scroll, submit

PICKUP = "residence-permit-pickup"
FILE = "doc=pickup-notification&doc=passport&doc=tax-stamp"
SLOTS = f"/rendez-vous/creneau?procedure={PICKUP}&site=paris&{FILE}"


def seat_freed_later(server, days: int = 5):  # type: ignore[no-untyped-def]
    """A visit some days ahead, booked (then cancelled: its seat goes to the list)."""
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=days)
    start = datetime.combine(day, time(9, 0), tzinfo=ZoneInfo("Europe/Paris"))
    visits = server.container.visits
    view = visits.book(
        BookingRequest(
            site_id="paris",
            procedure_id=PICKUP,
            start=start,
            name="Déjà Inscrit",
            phone="06 11 11 11 11",
            declared=("pickup-notification", "passport", "tax-stamp"),
        )
    )
    return view


def join(page: Page, check=None) -> None:  # type: ignore[no-untyped-def]
    check = check or (lambda _: None)
    page.goto(SLOTS)
    with page.expect_navigation():
        page.click("#waitlist")
    check(page)
    page.fill("#name", "Amina Diallo")
    page.fill("#phone", "06 22 22 22 01")
    submit(page, "/liste-attente")
    check(page)


def offer_link(page: Page, server, days: int = 5) -> str:  # type: ignore[no-untyped-def]
    link = page.locator("#link").get_attribute("href") or ""
    view = seat_freed_later(server, days)
    server.container.visits.cancel(view.appointment.reference, view.token)
    page.goto(link)
    return page.locator("a", has_text="Voir la place").get_attribute("href") or ""


def test_joining_and_accepting_with_javascript_off(browser: Browser, server):
    context = browser.new_context(locale="fr-FR", base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    join(page)
    expect(page.locator("h1")).to_have_text("Vous êtes sur la liste d’attente")
    expect(page.locator("#position")).to_contain_text("Votre position : 1")
    page.goto(offer_link(page, server))
    expect(page.locator("h1")).to_have_text("Une place est libre pour vous")
    page.get_by_role("button", name="Accepter cette place").click()
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    context.close()


def test_the_waiting_list_pages_pass_axe(page: Page, server):
    join(page, assert_accessible)
    page.goto(offer_link(page, server))
    assert_accessible(page)
    page.get_by_role("button", name="Refuser et quitter la liste").click()
    expect(page.locator("#notice")).to_contain_text("Vous avez refusé la place")
    assert_accessible(page)


def test_joining_with_the_keyboard_alone(page: Page, server):
    page.goto(SLOTS)
    tab_to(page, "#waitlist")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#name")
    page.keyboard.type("Amina Diallo")
    tab_to(page, "#phone")
    page.keyboard.type("06 22 22 22 01")
    tab_to(page, "form[action='/liste-attente'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Vous êtes sur la liste d’attente")
    page.goto(offer_link(page, server))
    tab_to(page, "form[action$='/accepter'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")


def test_the_waiting_list_pages_fit_360_pixels(browser: Browser, server):
    context = browser.new_context(
        locale="fr-FR", base_url=server.url, viewport={"width": 360, "height": 800}
    )
    page = context.new_page()
    join(page, assert_no_sideways_scroll)
    page.goto(offer_link(page, server))
    assert_no_sideways_scroll(page)
    assert re.search(r"/liste-attente/offre/", page.url)
    context.close()
