"""What a citizen does on the pages, step by step, and the checks every page must pass."""

from __future__ import annotations

from datetime import date, timedelta

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

AXE = Axe()
RENEWAL_DOCUMENTS = (
    "passport",
    "current-permit",
    "proof-of-address",
    "photos",
    "payslips",
    "work-contract",
)


def follow(page: Page, target: Locator) -> None:
    """Click what leads to another page, and wait for that page: a check run right after the
    click would otherwise read the page that is leaving."""
    with page.expect_navigation():
        target.click()


def assert_accessible(page: Page) -> None:
    """axe-core, default rules, none disabled: no violation."""
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def choose(page: Page, input_id: str) -> None:
    """Tick a design-system radio or checkbox the way a person does: on its label."""
    page.click(f"label[for='{input_id}']")


def submit(page: Page, action: str, nth: int = 0) -> None:
    page.locator(f"form[action='{action}'] button[type=submit]").nth(nth).click()
    page.wait_for_load_state()


def permit_expiry() -> str:
    return (date.today() + timedelta(days=91)).strftime("%d/%m/%Y")


def renewal_until_slot(page: Page, check=None) -> None:  # type: ignore[no-untyped-def]
    """Procedure, site and file of a renewal; `check(page)` runs on each page reached."""
    check = check or (lambda _: None)
    page.goto("/")
    check(page)
    choose(page, "procedure-residence-permit-renewal")
    submit(page, "/rendez-vous/lieu")
    check(page)
    choose(page, "site-paris")
    submit(page, "/rendez-vous/pieces")
    check(page)
    page.fill("#q_permit_expires", permit_expiry())
    for answer in ("q_hosted-false", "q_married-false", "q_situation-employee"):
        choose(page, answer)
    submit(page, "/rendez-vous/pieces")  # the list now follows the answers
    check(page)
    for document in RENEWAL_DOCUMENTS:
        choose(page, f"doc-{document}")
    submit(page, "/rendez-vous/pieces")
    check(page)


def slot_to_confirmation(page: Page, check=None, phone: str = "06 12 34 56 78") -> str:  # type: ignore[no-untyped-def]
    """The first free time, contact details, summary, confirmation; returns the start."""
    check = check or (lambda _: None)
    choose(page, "start-1")
    start = page.locator("#start-1").get_attribute("value")
    submit(page, "/rendez-vous/coordonnees")
    check(page)
    page.fill("#name", "Amina Diallo")
    page.fill("#phone", phone)
    submit(page, "/rendez-vous/recapitulatif")
    check(page)
    submit(page, "/rendez-vous/confirmation")
    check(page)
    return start or ""
