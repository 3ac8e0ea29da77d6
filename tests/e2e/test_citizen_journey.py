"""A citizen books, moves and cancels a visit in a real browser, on both engines."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from tools.journey import (
    assert_accessible,
    assert_no_sideways_scroll,
    choose,
    follow,
    renewal_until_slot,
    slot_to_confirmation,
    submit,
)


def booked(container) -> list[tuple[str, str]]:
    with container.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(text("SELECT reference, status FROM appointment"))
        ]


def test_a_renewal_is_booked_from_the_home_page_to_the_confirmation(page: Page, server):
    def check(current: Page) -> None:
        assert_accessible(current)

    renewal_until_slot(page, check)
    assert "/rendez-vous/creneau" in page.url
    start = slot_to_confirmation(page, check)
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    when = datetime.fromisoformat(start)
    expect(page.locator("#when")).to_contain_text(f"{when.year} à {when:%H} h {when:%M}")
    expect(page.get_by_text("Photos d'identité aux normes")).to_be_visible()
    reference = page.locator("#reference").inner_text().replace("-", "")
    assert booked(server.container) == [(reference, "booked")]
    with page.expect_download() as download:
        page.get_by_role("button", name="Ajouter à mon agenda").click()
    assert download.value.suggested_filename == f"{reference}.ics"
    assert "token" not in download.value.url


def test_the_same_booking_works_with_javascript_off(browser: Browser, server):
    context = browser.new_context(locale="fr-FR", base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    renewal_until_slot(page)
    slot_to_confirmation(page)
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    assert [status for _, status in booked(server.container)] == ["booked"]
    context.close()


def test_the_manage_link_moves_then_cancels_and_the_freed_seats_wait(page: Page, server):
    renewal_until_slot(page)
    first_start = slot_to_confirmation(page)
    page.click("#manage")
    page.wait_for_url("**/rendez-vous")
    assert "#" not in page.url  # the token left the address bar
    assert_accessible(page)
    expect(page.locator("#status")).to_have_text("Confirmé")
    follow(page, page.get_by_role("link", name="Le déplacer"))
    assert_accessible(page)
    choose(page, "start-2")
    new_start = page.locator("#start-2").get_attribute("value")
    page.get_by_role("button", name="Déplacer à cet horaire").click()
    expect(page.locator("#notice")).to_contain_text("Votre rendez-vous est déplacé.")
    follow(page, page.get_by_role("link", name="L’annuler"))
    assert_accessible(page)
    page.get_by_role("button", name="Oui, l’annuler").click()
    expect(page.locator("#notice")).to_contain_text("Votre rendez-vous est annulé.")
    expect(page.locator("#status")).to_have_text("Annulé")
    assert_accessible(page)
    assert [status for _, status in booked(server.container)] == ["cancelled_by_citizen"]
    # Both seats were freed by the citizen: held back from the public for a drawn delay (they
    # cannot be handed over by cancelling and rebooking at once); other times book as usual.
    renewal_until_slot(page)
    times = page.locator("input[name=start]").evaluate_all("nodes => nodes.map(n => n.value)")
    assert first_start not in times and new_start not in times
    slot_to_confirmation(page)
    expect(page.locator("h1")).to_have_text("Votre rendez-vous est confirmé")


def test_two_pages_confirming_the_last_seat_one_gets_the_nearest_free_times(
    browser: Browser, server
):
    pages = []
    for _ in range(2):
        context = browser.new_context(locale="fr-FR", base_url=server.url)
        pages.append(context.new_page())
    for current in pages:  # both reach the summary with the same time
        renewal_until_slot(current)
        choose(current, "start-1")
        submit(current, "/rendez-vous/coordonnees")
        current.fill("#name", "Amina Diallo")
        current.fill("#phone", "06 12 34 56 78")
        submit(current, "/rendez-vous/recapitulatif")
    submit(pages[0], "/rendez-vous/confirmation")
    expect(pages[0].locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    submit(pages[1], "/rendez-vous/confirmation")
    loser = pages[1]
    expect(loser.locator("#taken")).to_contain_text("vient d’être pris")
    assert loser.evaluate("document.activeElement.id") == "taken"
    assert_accessible(loser)
    choose(loser, "alt-1")
    loser.get_by_role("button", name="Prendre cet horaire").click()
    expect(loser.locator("h1")).to_have_text("Vérifier et confirmer")  # details were kept
    expect(loser.get_by_text("Amina Diallo")).to_be_visible()
    submit(loser, "/rendez-vous/confirmation")
    expect(loser.locator("h1")).to_have_text("Votre rendez-vous est confirmé")
    assert len(booked(server.container)) == 2
    for current in pages:
        current.context.close()


def test_a_form_error_keeps_what_was_typed_and_focuses_the_summary(page: Page, server):
    renewal_until_slot(page)
    choose(page, "start-1")
    submit(page, "/rendez-vous/coordonnees")
    page.fill("#name", "Amina Diallo")
    page.fill("#phone", "12")
    page.fill("#motive", "Accompagnée d’un interprète")
    submit(page, "/rendez-vous/recapitulatif")
    assert page.evaluate("document.activeElement.id") == "errors"
    expect(page.locator("#errors")).to_contain_text("numéro de téléphone")
    expect(page.locator("#name")).to_have_value("Amina Diallo")
    expect(page.locator("#phone")).to_have_value("12")
    expect(page.locator("#motive")).to_have_value("Accompagnée d’un interprète")
    assert_accessible(page)
    page.click("#errors a")
    assert page.evaluate("location.hash") == "#phone"


def test_the_english_switch_is_kept_from_page_to_page(page: Page, server):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="English").first.click()
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_text("Book a visit at the prefecture")
    choose(page, "procedure-residence-permit-renewal")
    submit(page, "/rendez-vous/lieu")
    expect(page.locator("h1")).to_have_text("Where will you go?")
    page.goto("/accessibilite?lang=fr")
    expect(page.locator("h1")).to_have_text("Déclaration d’accessibilité")


def test_pages_fit_360_pixels_and_200_percent_zoom(browser: Browser, server):
    for width, zoom in ((360, 1), (640, 2)):  # 1280 px at 200 % is 640 CSS px
        context = browser.new_context(
            locale="fr-FR",
            base_url=server.url,
            viewport={"width": width, "height": 800},
            device_scale_factor=zoom,
        )
        page = context.new_page()
        renewal_until_slot(page, assert_no_sideways_scroll)
        slot_to_confirmation(page, assert_no_sideways_scroll)
        for path in ("/accessibilite", "/donnees-personnelles", "/r/retrouver", "/nulle-part"):
            page.goto(path)
            assert_no_sideways_scroll(page)
        context.close()


def test_dead_ends_get_a_page_that_says_what_to_do(page: Page, server):
    for path, status, heading in (
        ("/nulle-part", 404, "Page introuvable"),
        ("/rendez-vous/lieu?procedure=inconnue", 422, "Prendre rendez-vous en préfecture"),
        ("/accessibilite", 200, "Déclaration d’accessibilité"),
        ("/mentions-legales", 200, "Mentions légales"),
        ("/donnees-personnelles", 200, "Données personnelles"),
    ):
        response = page.goto(path)
        assert response.status == status
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
    page.goto("/r/AAAAAAAA")
    page.fill("#code", "WRONGCOD")
    page.get_by_role("button", name="Ouvrir mon rendez-vous").click()
    expect(page.locator("#errors")).to_contain_text("Aucun rendez-vous ne correspond")
    assert_accessible(page)
    page.goto("/r/retrouver")
    page.fill("#reference", "AAA-AAA-AA")
    page.get_by_role("button", name="Le renvoyer").click()
    expect(page.locator("#notice")).to_contain_text("Si cette référence correspond")
    assert_accessible(page)
