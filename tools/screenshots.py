"""`make screenshots`: every step of the journey, the manage pages and the managers'
dashboard at 1280 and 360 px, into screenshots/ (git-ignored). Look at them before calling a
page done."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, sync_playwright

from booking.staff_cli import DEMO_PASSWORD
from tools.demo_server import demo_server
from tools.journey import renewal_until_slot, slot_to_confirmation, submit
from tools.live_server import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parents[1] / "screenshots"
INTERVIEW = "doc=interview-notification&doc=passport&doc=application-originals"


def walk(page: Page, width: int) -> list[Path]:
    taken: list[Path] = []

    def shoot(current: Page) -> None:
        step = urlsplit(current.url).path.rstrip("/").split("/")[-1] or "accueil"
        name = f"{len(taken) + 1:02d}-{step}"
        path = OUT / f"{name}-{width}.png"
        current.screenshot(path=path, full_page=True)
        taken.append(path)

    renewal_until_slot(page, shoot)
    # an error shown on purpose, then the rest of the journey
    page.locator("label[for='start-1']").click()
    submit(page, "/rendez-vous/coordonnees")
    page.fill("#phone", "12")
    submit(page, "/rendez-vous/recapitulatif")
    shoot(page)
    page.go_back()
    page.go_back()
    slot_to_confirmation(page, shoot, phone=f"06 12 34 {width % 100:02d} 78")  # one visit each
    page.click("#manage")
    page.wait_for_url("**/rendez-vous")
    shoot(page)
    for path in ("/accessibilite", "/r/retrouver", "/nulle-part"):
        page.goto(path)
        shoot(page)
    # a scarce procedure: the code step after the summary
    page.goto(f"/rendez-vous/creneau?procedure=naturalisation-interview&site=paris&{INTERVIEW}")
    page.locator("label[for='start-1']").click()
    submit(page, "/rendez-vous/coordonnees")
    page.fill("#name", "Amina Diallo")
    page.fill("#phone", "06 12 34 56 78")
    submit(page, "/rendez-vous/recapitulatif")
    shoot(page)
    submit(page, "/rendez-vous/code/envoyer")
    shoot(page)
    return taken


def dashboard(page: Page, width: int) -> list[Path]:
    """The managers' dashboard over six months of demo history."""
    page.goto("/staff/login")
    page.fill("#email", "manager@demo.guichet.fr")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/stats")
    taken = []
    for name, query in (("stats", ""), ("stats-delai", "?site=paris&by=lead_time")):
        page.goto("/staff/stats" + query)
        path = OUT / f"staff-{name}-{width}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)
    return taken


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with demo_server(history_months=6) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in (1280, 360):
            context = browser.new_context(
                locale="fr-FR", base_url=server.url, viewport={"width": width, "height": 900}
            )
            for path in walk(context.new_page(), width) + dashboard(context.new_page(), width):
                print(path.relative_to(OUT.parent))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
