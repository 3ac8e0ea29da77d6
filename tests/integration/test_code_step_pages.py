"""The code step of the citizen's pages (issue 16): after the summary of a procedure with a
checked contact, the seat is held and a code asked for; sent again, number changed, time over;
on both engines, through plain forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.container import build_container
from booking.core.references import hold_code
from booking.demo.builders import add_counter, add_site
from booking.domain.holds import digest
from booking.domain.models import Hold
from tests.support.settings import count, make_settings

SCARCE = "naturalisation-interview"
START = "2026-03-31T09:00:00+02:00"  # past the interview's 7 days of notice
FR = {"Accept-Language": "fr"}


@pytest.fixture
def container(database_url, clock):
    """The service's own rule: one live visit per person and procedure."""
    built = build_container(make_settings(database_url, live_visits_per_person=1), clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture(autouse=True)
def site(container) -> None:
    with container.uow.writing() as session:
        add_counter(session, add_site(session), capacity=2, procedures=(SCARCE,))


def form(**changes: object) -> dict:
    base = {
        "procedure": SCARCE,
        "site": "paris",
        "start": START,
        "doc": ["interview-notification", "passport", "application-originals"],
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "key": "k" * 32,
    }
    return {**base, **changes}


def hold_page(client):  # type: ignore[no-untyped-def]
    summary = client.post("/rendez-vous/recapitulatif", data=form(), headers=FR)
    assert summary.status_code == 200
    assert 'action="/rendez-vous/code/envoyer"' in summary.text  # two steps, said first
    assert "Recevoir le code par SMS" in summary.text and "Étape 6 sur 7" in summary.text
    held = client.post("/rendez-vous/code/envoyer", data=form(), headers=FR)
    assert held.status_code == 200, held.text
    return held


def hidden_hold(page_text: str) -> str:
    return re.search(r'name="hold" value="([^"]+)"', page_text).group(1)


def code_of(container, token: str) -> str:  # type: ignore[no-untyped-def]
    with container.uow.reading() as session:
        row = session.execute(select(Hold).where(Hold.digest == digest(token))).scalar_one()
        return hold_code(container.keys.current, row.id, row.resends)


def test_the_code_page_says_where_and_until_when_then_books(container, client):
    held = hold_page(client)
    text = held.text.replace("\u00a0", " ")
    assert "Un code à 6 chiffres a été envoyé au 06 •• •• •• 78." in text
    assert "est gardée jusqu’à 08 h 10" in text  # 10 minutes from 08:00 in Paris
    token = hidden_hold(held.text)
    wrong = client.post("/rendez-vous/code", data={**form(), "hold": token, "code": "000000"})
    assert wrong.status_code == 422 and "Essais restants : 4" in wrong.text
    right = code_of(container, token)
    booked = client.post("/rendez-vous/code", data={**form(), "hold": token, "code": right})
    assert booked.status_code == 200 and "Votre rendez-vous est confirmé" in booked.text
    again = client.post("/rendez-vous/code", data={**form(), "hold": token, "code": right})
    assert again.status_code == 200  # a second click: the same visit, booked once
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 1


def test_send_again_gives_a_new_code_and_change_number_goes_back(container, client):
    token = hidden_hold(hold_page(client).text)
    first = code_of(container, token)
    sent = client.post("/rendez-vous/code/renvoyer", data={**form(), "hold": token})
    assert sent.status_code == 200 and "Un nouveau code est en route" in sent.text
    assert code_of(container, token) != first
    changed = client.post("/rendez-vous/code/changer", data={**form(), "hold": token})
    assert changed.status_code == 200 and 'id="phone"' in changed.text
    assert 'value="06 12 34 56 78"' in changed.text  # as typed, to correct
    held = "SELECT count(*) FROM appointment WHERE status = 'held'"
    assert count(container, held) == 0  # the hold was released


def test_a_hold_whose_time_is_over_says_so_and_leads_back_to_the_times(container, client, clock):
    token = hidden_hold(hold_page(client).text)
    clock.set(clock.moment + timedelta(minutes=11))
    late = client.post(
        "/rendez-vous/code", data={**form(), "hold": token, "code": code_of(container, token)}
    )
    assert late.status_code == 410
    assert "La place n’est plus gardée" in late.text
    assert 'href="/rendez-vous/creneau?' in late.text


def test_the_old_confirmation_form_is_sent_to_the_code_step(client):
    answer = client.post("/rendez-vous/confirmation", data=form(), follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/rendez-vous/code/envoyer"


def test_a_second_visit_for_the_same_procedure_is_explained_not_called_taken(container, client):
    token = hidden_hold(hold_page(client).text)
    code = code_of(container, token)
    assert client.post("/rendez-vous/code", data={**form(), "hold": token, "code": code}).is_success
    later = form(start="2026-03-31T10:00:00+02:00", key="j" * 32)
    second = client.post("/rendez-vous/code/envoyer", data=later, headers=FR)
    token = hidden_hold(second.text)
    code = code_of(container, token)
    refused = client.post("/rendez-vous/code", data={**later, "hold": token, "code": code})
    assert refused.status_code == 409
    assert "Vous avez déjà un rendez-vous pour cette démarche" in refused.text
    assert "vient d’être pris" not in refused.text


def test_booking_attempts_from_the_pages_count_per_address(database_url, clock):
    from litestar.testing import TestClient

    from booking.web.app import create_app

    built = build_container(make_settings(database_url, booking_attempts_per_hour=2), clock=clock)
    with built.uow.writing() as session:
        add_counter(session, add_site(session, "lille"), procedures=("residence-permit-pickup",))
    pickup = {
        "site": "lille",
        "procedure": "residence-permit-pickup",
        "doc": ["pickup-notification", "passport", "tax-stamp"],
    }
    with TestClient(create_app(built)) as client:
        answers = [
            client.post(
                "/rendez-vous/confirmation",
                data=form(
                    start=f"2026-03-24T09:{15 * n:02d}:00+01:00",
                    phone=f"06 12 34 56 0{n}",
                    key=str(n) * 32,
                    **pickup,
                ),
                headers=FR,
            )
            for n in range(3)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Trop de tentatives" in answers[2].text
    built.engine.dispose()
