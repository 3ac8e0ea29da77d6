"""The whole journey with the keyboard alone: key presses only (no click, no fill), and the
focused element visibly marked at every stop."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

FOCUS_IS_VISIBLE = """() => {
  const element = document.activeElement;
  const drawn = (style) => style && style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) > 0;
  if (drawn(getComputedStyle(element))) return true;
  const label = element.id && document.querySelector(`label[for="${element.id}"]`);
  return !!label && (drawn(getComputedStyle(label, "::before"))
      || drawn(getComputedStyle(label)));
}"""


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, checking each stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_IS_VISIBLE), f"no visible focus on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def arrow_to(page: Page, input_id: str, limit: int = 10) -> None:
    """In a radio group, move with the arrow keys until `input_id` is checked."""
    for _ in range(limit):
        if page.evaluate("(i) => document.getElementById(i).checked", input_id):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{input_id} was never reached")


def enter_on(page: Page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_renewal_booked_with_the_keyboard_alone(page: Page, server):
    page.goto("/")
    tab_to(page, "input[name=procedure]")
    arrow_to(page, "procedure-residence-permit-renewal")
    enter_on(page, "form[action='/rendez-vous/lieu'] button")
    tab_to(page, "input[name=site]")
    page.keyboard.press("Space")
    enter_on(page, "form[action='/rendez-vous/pieces'] button")
    tab_to(page, "#q_permit_expires")
    expiry = date.today() + timedelta(days=91)
    page.keyboard.type(expiry.strftime("%d/%m/%Y"))
    for question, answer in (("q_hosted", "false"), ("q_married", "false")):
        tab_to(page, f"input[name={question}]")
        arrow_to(page, f"{question}-{answer}")
    tab_to(page, "input[name=q_situation]")
    page.keyboard.press("Space")
    enter_on(page, "form[action='/rendez-vous/pieces'] button")
    for document in ("passport", "current-permit", "proof-of-address", "photos", "payslips"):
        tab_to(page, f"#doc-{document}")
        page.keyboard.press("Space")
    tab_to(page, "#doc-work-contract")
    page.keyboard.press("Space")
    enter_on(page, "form[action='/rendez-vous/pieces'] button")
    assert "/rendez-vous/creneau" in page.url, page.url
    tab_to(page, "input[name=start]")
    page.keyboard.press("Space")
    enter_on(page, "form[action='/rendez-vous/coordonnees'] button")
    tab_to(page, "#name")
    page.keyboard.type("Amina Diallo")
    tab_to(page, "#phone")
    page.keyboard.type("06 12 34 56 78")
    enter_on(page, "form[action='/rendez-vous/recapitulatif'] button")
    enter_on(page, "form[action='/rendez-vous/confirmation'] button")
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
