"""An agent at the counter, in a real browser: signs in, checks a visitor in, calls them, marks
them seen, marks another one missed; the pages pass axe and the agenda works by keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from booking.container import Container, build_container
from booking.demo.builders import add_counter, add_site
from tests.support.scenarios import PARIS, request
from tests.support.settings import Clock, make_settings
from tests.support.staff import PASSWORD, add_staff
from tools.journey import assert_accessible, follow
from tools.live_server import LiveServer

TUESDAY = datetime(2026, 3, 24, tzinfo=PARIS)
# The pages' layer is the same on both engines, and every use case under these pages is tested
# on both (tests/test_staff_*.py): the agent's day and a closure run on both, the rest on SQLite.
ADMIN = "admin@paris.example.org"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(database_url: str, browser: Browser) -> Iterator[tuple[Container, Clock, Page]]:
    clock = Clock(TUESDAY.replace(hour=7))  # bookings are made the day before
    container = build_container(make_settings(database_url), clock=clock)
    with container.uow.writing() as session:
        add_counter(session, add_site(session), procedures=("residence-permit-pickup",))
    add_staff(container, "agent@paris.example.org", "agent")
    add_staff(container, ADMIN, "site_admin")
    with LiveServer(container) as server:
        context = browser.new_context(locale="fr-FR", base_url=server.url)
        yield container, clock, context.new_page()
        context.close()
    container.engine.dispose()


def sign_in(page: Page, email: str = "agent@paris.example.org") -> None:
    page.goto("/staff/login")
    assert_accessible(page)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/sites/paris/agenda")


def status_of(container: Container, reference: str) -> str:
    with container.engine.connect() as connection:
        return connection.execute(
            text("SELECT status FROM appointment WHERE reference = :r"), {"r": reference}
        ).scalar_one()


def test_an_agent_receives_the_day_at_the_counter(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    early = container.visits.book(request(start=TUESDAY.replace(hour=9))).appointment
    later = container.visits.book(
        request(start=TUESDAY.replace(hour=10, minute=30), name="Jean Martin")
    ).appointment
    clock.set(TUESDAY.replace(hour=10, minute=5))
    sign_in(page)
    expect(page.locator("h1")).to_have_text("Agenda du mardi 24 mars 2026")
    assert_accessible(page)
    row = page.locator(f"#visit-{later.reference}")
    row.get_by_role("button", name="Enregistrer l’arrivée").click()
    expect(page.get_by_role("status")).to_contain_text("Arrivée enregistrée.")
    row = page.locator(f"#visit-{later.reference}")
    row.get_by_role("button", name="Appeler").click()
    page.locator(f"#visit-{later.reference}").get_by_role("button", name="Reçu").click()
    assert status_of(container, later.reference) == "seen"
    expect(page.locator(f"#visit-{early.reference}")).to_contain_text("à saisir")
    page.locator(f"#visit-{early.reference}").get_by_role("button", name="Absent").click()
    expect(page.get_by_role("status")).to_contain_text("Noté absent.")
    assert status_of(container, early.reference) == "no_show"
    assert_accessible(page)


@SQLITE_ONLY
def test_a_move_the_rules_refuse_is_explained_on_the_agenda(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    visit = container.visits.book(request(start=TUESDAY.replace(hour=11))).appointment
    clock.set(TUESDAY.replace(hour=10))
    sign_in(page)
    page.locator(f"#visit-{visit.reference}").get_by_role("button", name="Absent").click()
    expect(page.locator("#refused")).to_contain_text("qu’une fois son heure passée")
    assert_accessible(page)
    assert status_of(container, visit.reference) == "booked"


@SQLITE_ONLY
def test_the_agenda_works_with_the_keyboard(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    visit = container.visits.book(request(start=TUESDAY.replace(hour=11))).appointment
    clock.set(TUESDAY.replace(hour=10))
    sign_in(page)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Enregistrer l’arrivée":
            break
    else:
        raise AssertionError("the check-in button was never reached by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert status_of(container, visit.reference) == "checked_in"


@SQLITE_ONLY
def test_signing_out_ends_the_session(desk):
    _, _, page = desk
    sign_in(page)
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url("**/staff/login")
    page.goto("/staff/sites/paris/agenda")
    assert page.url.endswith("/staff/login")


@SQLITE_ONLY
def test_an_agent_books_by_phone_for_someone_without_email_and_prints(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=8))
    sign_in(page)
    follow(page, page.get_by_role("link", name="Réserver pour quelqu’un"))
    assert_accessible(page)
    page.locator("#procedure-choice").select_option("residence-permit-pickup")
    page.get_by_role("button", name="Voir les horaires libres").click()
    page.click("label[for='start-1']")  # 09:00 today: staff skip the notice
    page.fill("#name", "Jean Martin")
    for document in ("pickup-notification", "passport", "tax-stamp"):
        page.click(f"label[for='doc-{document}']")
    page.get_by_role("button", name="Réserver et imprimer la convocation").click()
    page.wait_for_url("**/staff/convocations/*")
    expect(page.locator("h1")).to_have_text("Convocation")
    expect(page.locator("#when")).to_contain_text("mardi 24 mars 2026 à 09 h 00")
    expect(page.locator("#code")).to_have_text(re.compile(r"^[A-Z0-9]{8}$"))
    assert_accessible(page)
    with container.engine.connect() as connection:
        row = connection.execute(
            text("SELECT channel, phone, email FROM appointment WHERE name = 'Jean Martin'")
        ).one()
    assert tuple(row) == ("phone", None, None)


@SQLITE_ONLY
def test_a_form_error_on_the_booking_form_is_shown_and_accessible(desk):
    _, clock, page = desk
    clock.set(TUESDAY.replace(hour=8))
    sign_in(page)
    page.goto("/staff/sites/paris/reserver?procedure=residence-permit-pickup")
    page.click("label[for='start-1']")
    page.get_by_role("button", name="Réserver et imprimer la convocation").click()
    expect(page.locator("#errors")).to_be_visible()
    assert_accessible(page)


def test_a_site_admin_closes_a_booked_day_and_the_citizen_is_told(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    visit = container.visits.book(request(start=TUESDAY.replace(hour=10))).appointment
    sign_in(page, ADMIN)
    follow(page, page.get_by_role("link", name="Fermetures"))
    assert_accessible(page)
    page.fill("#start_date", "2026-03-24")
    page.fill("#reason", "Grève des transports")
    page.get_by_role("button", name="Fermer", exact=True).click()
    expect(page.locator("#affected")).to_contain_text(visit.reference[:3])
    assert_accessible(page)
    page.get_by_role("button", name="Fermer et annuler ces rendez-vous").click()
    expect(page.get_by_role("status")).to_contain_text("La fermeture est enregistrée.")
    with container.engine.connect() as connection:
        told = (
            connection.execute(text("SELECT body FROM notification WHERE kind = 'cancellation'"))
            .scalars()
            .all()
        )
    assert len(told) == 1 and "Grève des transports" in told[0]
    assert status_of(container, visit.reference) == "cancelled_by_office"


@SQLITE_ONLY
def test_a_site_admin_previews_new_hours_before_saving_them(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    visit = container.visits.book(request(start=TUESDAY.replace(hour=9))).appointment
    sign_in(page, ADMIN)
    follow(page, page.get_by_role("link", name="Guichets et horaires"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Horaires de Guichet"))
    assert_accessible(page)
    tuesday_morning = page.locator("select[name=weekday]").nth(2)
    assert tuesday_morning.input_value() == "1"
    page.locator("input[name=start]").nth(2).fill("09:05")
    page.get_by_role("button", name="Aperçu").click()
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#affected")).to_contain_text(visit.reference)
    assert_accessible(page)
    assert status_of(container, visit.reference) == "booked"  # a preview saves nothing
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Les horaires sont enregistrés.")
    assert status_of(container, visit.reference) == "cancelled_by_office"


@SQLITE_ONLY
def test_a_site_admin_runs_settings_staff_messages_and_audit_pages(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    container.visits.book(request(start=TUESDAY.replace(hour=10)))
    sign_in(page, ADMIN)
    follow(page, page.get_by_role("link", name="Réglages du site"))
    assert_accessible(page)
    page.click("label[for='auto_no_show']")
    page.fill("#day_closes_at", "17:00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Les réglages sont enregistrés.")
    page.goto("/staff/sites/paris/agents")
    page.fill("#email", "nouvel.agent@paris.example.org")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Compte créé")
    first_password = page.locator("#password-given").inner_text()
    assert_accessible(page)
    page.goto("/staff/sites/paris/messages?date=2026-03-23")
    expect(page.locator("tbody")).to_contain_text("confirmation")
    assert_accessible(page)
    page.goto("/staff/sites/paris/journal")
    expect(page.locator("tbody")).to_contain_text("site.settings")
    assert_accessible(page)
    page.goto("/staff/mot-de-passe")
    assert_accessible(page)
    with container.engine.connect() as connection:
        site = connection.execute(text("SELECT auto_no_show FROM site")).scalar_one()
    assert site in (True, 1)
    signed = container.staff.sign_in(
        "nouvel.agent@paris.example.org", first_password, address="t", kind="bearer"
    )
    assert signed.actor.role == "agent" and signed.actor.sites == {"paris"}


@SQLITE_ONLY
def test_documents_missing_at_the_counter_and_a_return_visit(desk):
    container, clock, page = desk
    clock.set(TUESDAY.replace(hour=7) - timedelta(days=1))
    visit = container.visits.book(request(start=TUESDAY.replace(hour=9))).appointment
    clock.set(TUESDAY.replace(hour=9, minute=5))
    sign_in(page)
    follow(page, page.locator(f"#visit-{visit.reference}").get_by_role("link").first)
    assert_accessible(page)
    page.click("label[for='doc-tax-stamp']")  # declared, but not brought
    page.get_by_role("button", name="Enregistrer les pièces").click()
    expect(page.locator("#file-status")).to_have_text("Incomplet")
    page.get_by_role("button", name="Prendre un rendez-vous de retour").click()
    page.wait_for_load_state()
    assert "/staff/convocations/" in page.url, page.locator("main").inner_text()[:500]
    with container.engine.connect() as connection:
        linked = connection.execute(
            text("SELECT count(*) FROM appointment WHERE return_of IS NOT NULL")
        ).scalar_one()
    assert linked == 1
