"""The code step of a scarce procedure in Chromium (issue 16): JavaScript off, axe clean, the
keyboard alone, and 360 pixels wide."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from booking.core.references import hold_code
from booking.domain.holds import digest
from booking.domain.models import Hold
from tests.e2e.test_keyboard import tab_to
from tools.journey import assert_accessible, assert_no_sideways_scroll, choose, submit

FILE = "doc=interview-notification&doc=passport&doc=application-originals"
SLOTS = f"/rendez-vous/creneau?procedure=naturalisation-interview&site=paris&{FILE}"


def code_for(server, page: Page) -> str:  # type: ignore[no-untyped-def]
    token = page.locator("input[name=hold]").first.get_attribute("value")
    with server.container.uow.reading() as session:
        row = session.execute(select(Hold).where(Hold.digest == digest(token))).scalar_one()
        return hold_code(server.container.keys.current, row.id, row.resends)


def until_code(page: Page, check=None) -> None:  # type: ignore[no-untyped-def]
    check = check or (lambda _: None)
    page.goto(SLOTS)
    choose(page, "start-1")
    submit(page, "/rendez-vous/coordonnees")
    page.fill("#name", "Amina Diallo")
    page.fill("#phone", "06 12 34 56 78")
    submit(page, "/rendez-vous/recapitulatif")
    check(page)
    expect(page.get_by_role("button", name="Recevoir le code par SMS")).to_be_visible()
    submit(page, "/rendez-vous/code/envoyer")
    check(page)


def test_the_code_step_works_with_javascript_off_and_passes_axe(browser: Browser, server):
    context = browser.new_context(locale="fr-FR", base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    until_code(page)
    expect(page.locator("h1")).to_have_text("Saisissez le code reçu par SMS")
    expect(page.locator("#sent-to")).to_contain_text("06\u00a0••\u00a0••\u00a0••\u00a078")
    expect(page.locator("#held-until")).to_contain_text(re.compile(r"gardée jusqu’à \d\d h \d\d"))
    page.fill("#code", "000000")
    submit(page, "/rendez-vous/code")
    expect(page.locator("#errors")).to_contain_text("Essais restants : 4")
    submit(page, "/rendez-vous/code/renvoyer")
    expect(page.get_by_role("status")).to_contain_text("Un nouveau code est en route")
    page.fill("#code", code_for(server, page))
    submit(page, "/rendez-vous/code")
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    context.close()


def test_the_code_pages_pass_axe_and_change_number_goes_back(page: Page, server):
    until_code(page, assert_accessible)
    page.fill("#code", "12")
    submit(page, "/rendez-vous/code")
    assert_accessible(page)  # the page with its error
    submit(page, "/rendez-vous/code/changer")
    expect(page.locator("h1")).to_have_text("Vos coordonnées")
    expect(page.locator("#phone")).to_have_value("06 12 34 56 78")


def test_the_code_is_typed_and_sent_with_the_keyboard_alone(page: Page, server):
    until_code(page)
    tab_to(page, "#code")
    page.keyboard.type(code_for(server, page))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")


def test_the_code_page_fits_360_pixels(browser: Browser, server):
    context = browser.new_context(
        locale="fr-FR", base_url=server.url, viewport={"width": 360, "height": 800}
    )
    page = context.new_page()
    until_code(page, assert_no_sideways_scroll)
    context.close()
