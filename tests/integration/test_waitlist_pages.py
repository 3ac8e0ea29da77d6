"""The waiting list on the citizen's pages (issue 17): joining from the slot page, the entry's
page, and answering an offer by a button (opening its link decides nothing); both engines."""

from __future__ import annotations

import re

from tests.integration.test_waitlist import PICKUP, book, cancel, site  # noqa: F401
from tests.support.settings import count

FR = {"Accept-Language": "fr"}
JOURNEY = f"procedure={PICKUP}&site=paris&doc=pickup-notification&doc=passport&doc=tax-stamp"


def join_by_page(client, phone: str = "06 22 22 22 01"):  # type: ignore[no-untyped-def]
    form = {
        "procedure": PICKUP,
        "doc": ["pickup-notification", "passport", "tax-stamp"],
        "sites": "paris",
        "from": "2026-03-24",
        "to": "2026-03-26",
        "half_days": "am",
        "name": "Amina Diallo",
        "phone": phone,
    }
    return client.post("/liste-attente", data=form, headers=FR)


def test_the_slot_page_leads_to_the_waiting_list_and_joining_gives_a_link(container, client):
    slots = client.get(f"/rendez-vous/creneau?{JOURNEY}", headers=FR).text
    assert "Être prévenu(e) si une place se libère" in slots.replace("\u2019", "'")
    form = client.get(f"/liste-attente?{JOURNEY}", headers=FR)
    assert form.status_code == 200 and 'name="sites" value="paris" checked' in form.text
    joined = join_by_page(client)
    assert joined.status_code == 200, joined.text
    assert "Vous êtes sur la liste d’attente" in joined.text and "Votre position : 1" in joined.text
    link = re.search(r'id="link">([^<]+)<', joined.text).group(1).replace("&amp;", "&")
    assert client.get(link, headers=FR).status_code == 200
    twice = join_by_page(client)
    assert twice.status_code == 409 and "déjà sur la liste d’attente" in twice.text


def test_a_bad_form_is_said_on_its_fields_and_kept(client):
    answer = client.post(
        "/liste-attente",
        data={
            "procedure": PICKUP,
            "sites": "paris",
            "from": "2026-03-24",
            "to": "2026-03-20",
            "name": "Amina",
            "phone": "06 22 22 22 01",
        },
        headers=FR,
    )
    assert answer.status_code == 422 and 'id="to-error"' in answer.text
    assert 'value="Amina"' in answer.text


def test_the_offer_link_decides_nothing_its_button_accepts(container, client):
    taken = book(client)
    joined = join_by_page(client)
    link = re.search(r'id="link">([^<]+)<', joined.text).group(1).replace("&amp;", "&")
    cancel(client, taken)
    entry_page = client.get(link, headers=FR).text
    offer_link = re.search(r'href="(/liste-attente/offre/[^"]+)"', entry_page).group(1)
    offer_link = offer_link.replace("&amp;", "&")
    shown = client.get(offer_link, headers=FR)
    assert shown.status_code == 200 and "Une place est libre pour vous" in shown.text
    assert count(container, "SELECT count(*) FROM waitlist_offer WHERE state = 'open'") == 1
    action = re.search(r'action="([^"]+/accepter)"', shown.text).group(1)
    token = re.search(r'name="t" value="([^"]+)"', shown.text).group(1)
    accepted = client.post(action, data={"t": token}, headers=FR)
    assert accepted.status_code == 200 and "Votre rendez-vous est confirmé" in accepted.text
    assert client.post(action, data={"t": token}, headers=FR).status_code == 200  # twice: same
    short = offer_link.replace("/liste-attente/offre/", "/o/")
    assert client.get(short, headers=FR).status_code == 410  # accepted: no longer offered


def test_a_procedure_that_checks_the_contact_asks_for_the_code_on_the_page(container, client):
    from booking.core.references import waitlist_code
    from booking.demo.builders import add_counter
    from booking.domain.models import Site

    with container.uow.writing() as session:
        add_counter(session, session.get(Site, "paris"), procedures=("naturalisation-interview",))
    form = {
        "procedure": "naturalisation-interview",
        "doc": ["interview-notification", "passport", "application-originals"],
        "sites": "paris",
        "from": "2026-03-31",
        "to": "2026-04-10",
        "name": "Amina Diallo",
        "phone": "06 22 22 22 01",
    }
    asked = client.post("/liste-attente", data=form, headers=FR)
    assert asked.status_code == 200 and "Saisissez le code reçu par SMS" in asked.text
    action = re.search(r'action="(/liste-attente/\d+/code)"', asked.text).group(1)
    token = re.search(r'name="t" value="([^"]+)"', asked.text).group(1)
    wrong = client.post(action, data={"t": token, "code": "000000"}, headers=FR)
    assert wrong.status_code == 422 and "Essais restants : 4" in wrong.text
    entry = int(action.split("/")[2])
    code = waitlist_code(container.keys.current, entry)
    joined = client.post(action, data={"t": token, "code": code}, headers=FR)
    assert joined.status_code == 200 and "Votre position : 1" in joined.text
