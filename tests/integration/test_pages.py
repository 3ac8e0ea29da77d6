"""The citizen's pages without a browser, on both engines: static files cached and compressed,
the missing-assets message, a site with nothing free, unknown pages."""

from __future__ import annotations

import re

import pytest

from booking.demo.builders import add_closure, add_counter, add_site
from booking.domain.models import Site
from booking.web import rendering
from booking.web.app import create_app
from tests.support.scenarios import TUESDAY_9, request

RENEWAL = (
    "procedure=residence-permit-pickup&site=paris"
    "&doc=pickup-notification&doc=passport&doc=tax-stamp"
)


@pytest.fixture(autouse=True)
def site(container) -> None:
    with container.uow.writing() as session:
        add_counter(session, add_site(session), procedures=("residence-permit-pickup",))


def test_static_files_are_cached_for_a_year_and_compressed(client):
    home = client.get("/", headers={"Accept-Language": "fr"})
    assert home.status_code == 200 and home.headers["content-encoding"] == "gzip"
    stylesheet = re.search(r'href="(/static/[0-9a-f]+/css/guichet\.css)"', home.text).group(1)
    answer = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert "max-age=31536000" in answer.headers["cache-control"]
    assert "immutable" in answer.headers["cache-control"]
    assert answer.headers["content-encoding"] == "gzip"
    assert ".fr-header" in answer.text  # the design system's own classes, from npm


def test_without_the_assets_the_app_says_which_command_to_run(container, tmp_path, monkeypatch):
    monkeypatch.setattr(rendering, "STATIC", tmp_path / "static")
    with pytest.raises(rendering.AssetsMissing, match="make assets"):
        create_app(container)


def test_a_site_with_nothing_free_says_when_the_calendar_opens_next(container, client, clock):
    with container.uow.writing() as session:  # closed from today to beyond the horizon
        site = session.get(Site, "paris")
        add_closure(session, site, TUESDAY_9.replace(day=23, hour=0), TUESDAY_9.replace(month=6))
    page = client.get(f"/rendez-vous/creneau?{RENEWAL}", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    text = page.text.replace("\u00a0", " ")
    assert "Rien n’est libre jusqu’au" in text and "pourra être réservé dès demain" in text


def test_unknown_pages_and_references_say_what_to_do(client):
    missing = client.get("/nulle-part", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert "Prendre rendez-vous" in missing.text  # the way back
    unknown = client.post("/r/AAAAAAAA", data={"code": "AAAAAAAA"})
    assert unknown.status_code == 404 and "Aucun rendez-vous ne correspond" in unknown.text
    api = client.get("/api/v1/nulle-part")
    assert api.status_code == 404 and api.json()["detail"]  # the API keeps its JSON shape


def test_every_page_sends_no_referrer(client, container):
    container.visits.book(request())
    for path in ("/", "/accessibilite", "/r/retrouver", "/staff/login"):
        assert client.get(path).headers["referrer-policy"] == "no-referrer"


def test_the_note_for_the_counter_is_refused_beyond_1000_characters_never_cut(client, container):
    form = {
        "procedure": "residence-permit-pickup",
        "site": "paris",
        "start": TUESDAY_9.isoformat(),
        "doc": ["pickup-notification", "passport", "tax-stamp"],
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
    }
    headers = {"Accept-Language": "fr"}
    too_long = client.post(
        "/rendez-vous/recapitulatif", data={**form, "motive": "a" * 1001}, headers=headers
    )
    assert too_long.status_code == 422
    assert "La note pour le guichet ne peut dépasser 1000 caractères" in too_long.text
    assert "a" * 1001 in too_long.text  # what was typed is kept, whole
    summary = client.post(
        "/rendez-vous/recapitulatif", data={**form, "motive": "b" * 1000}, headers=headers
    )
    assert summary.status_code == 200 and "b" * 1000 in summary.text
