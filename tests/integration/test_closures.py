"""Closures by a site admin on both engines: dry run, affected visits, cancelling them with
the closure; and a booking racing a closure on PostgreSQL, in both orders."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from booking.core.errors import InvalidRequest
from booking.domain import appointments, revisions
from booking.domain.models import Closure
from booking.use_cases.closures import ClosureRequest
from tests.support.scenarios import TUESDAY_9, request
from tests.support.settings import count
from tests.support.staff import PASSWORD, add_everyone, bearer

URL = "/api/v1/staff/sites/paris/closures"
TUESDAY = {"start_date": "2026-03-24", "end_date": "2026-03-24", "reason": "Grève"}

pytestmark = pytest.mark.usefixtures("two_sites")


@pytest.fixture
def admin(container, client) -> dict[str, str]:
    return bearer(client, add_everyone(container)["site_admin"])


def test_a_dry_run_lists_the_affected_visits_and_saves_nothing(container, client, admin):
    visit = container.visits.book(request()).appointment
    answer = client.post(URL, json={**TUESDAY, "dry_run": True}, headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["closure"]["id"] is None
    assert body["closure"]["start"] == "2026-03-24T00:00:00+01:00"
    assert body["closure"]["end"] == "2026-03-25T00:00:00+01:00"
    assert [a["reference"].replace("-", "") for a in body["affected"]] == [visit.reference]
    assert body["affected"][0]["name"] == "Amina Diallo"
    assert count(container, "SELECT count(*) FROM closure") == 0


def test_affected_visits_refuse_the_closure_unless_cancelled_with_it(container, client, admin):
    visit = container.visits.book(request(email="amina@example.org")).appointment
    refused = client.post(URL, json=TUESDAY, headers=admin)
    assert refused.status_code == 409 and refused.json()["affected"][0]["name"]
    assert count(container, "SELECT count(*) FROM closure") == 0
    saved = client.post(URL, json={**TUESDAY, "cancel_affected": True}, headers=admin)
    assert saved.status_code == 201 and saved.json()["closure"]["id"]
    statuses = "SELECT reference, status, cancel_reason FROM appointment"
    with container.engine.connect() as connection:
        rows = connection.execute(text(statuses)).all()
    assert rows == [(visit.reference, "cancelled_by_office", "Grève")]
    told = "SELECT count(*) FROM notification WHERE kind = 'cancellation' AND body LIKE '%Grève%'"
    assert count(container, told) == 2  # SMS and email
    audit = "SELECT count(*) FROM audit_event WHERE action = 'site.closure'"
    assert count(container, audit) == 1
    with pytest.raises(InvalidRequest) as closed:  # the day is closed now
        container.visits.book(request(start=TUESDAY_9 + timedelta(hours=2)))
    assert closed.value.params == {"reason": "Grève"}


def test_closures_for_hours_or_one_counter_and_bad_input(container, client, admin):
    hours = {**TUESDAY, "start_time": "08:00", "end_time": "10:00", "dry_run": True}
    body = client.post(URL, json=hours, headers=admin).json()
    assert body["closure"]["start"].endswith("T08:00:00+01:00")
    for changes, field in (
        ({"end_date": "2026-03-23"}, "end_date"),
        ({"start_time": "10:00"}, "end_time"),
        ({"counter_id": 999}, "counter_id"),
        ({"start_date": "mardi"}, "start_date"),
    ):
        answer = client.post(URL, json={**TUESDAY, **changes}, headers=admin)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field


def test_an_agent_or_another_site_cannot_close(container, client):
    emails = add_everyone(container)
    for who in ("agent", "manager", "stranger"):
        answer = client.post(URL, json=TUESDAY, headers=bearer(client, emails[who]))
        assert answer.status_code == 403


def test_a_booking_racing_a_closure_is_listed_or_refused(container, engine_name, client):
    """On PostgreSQL two transactions really interleave; each order is forced by holding one
    of them open at the point that matters while the other runs in a thread."""
    if engine_name != "postgres":
        pytest.skip("SQLite runs one writer at a time")
    actor_email = add_everyone(container)["site_admin"]
    actor = container.staff.sign_in(actor_email, PASSWORD, address="t", kind="bearer").actor
    closing = ClosureRequest(date(2026, 3, 24), date(2026, 3, 24), "Travaux", cancel_affected=True)

    # 1. The booking holds its cells first: the closure waits, then lists (cancels) it.
    with container.uow.writing() as session:
        booked = appointments.book(
            session, catalogue=container.catalogue, request=request(), now=container.now()
        )
        done: list[object] = []
        closer = threading.Thread(
            target=lambda: done.append(container.closures.add_closure(actor, "paris", closing))
        )
        closer.start()
        closer.join(1.0)
        assert closer.is_alive(), "the closure did not wait for the booking"
    closer.join(10)
    assert [v.reference for v in done[0].affected] == [booked.reference]

    # 2. The closure holds the site first: the booking waits, then is refused.
    with container.uow.writing() as session:
        revisions.bump(session.connection(), ["paris"])
        session.add(
            Closure(
                site_id="paris",
                starts_at=TUESDAY_9.replace(day=31, hour=0),
                ends_at=TUESDAY_9.replace(day=31, hour=23),
                reason="Inventaire",
            )
        )
        session.flush()
        outcome: list[object] = []

        def book_inside() -> None:
            try:
                container.visits.book(request(start=TUESDAY_9.replace(day=31)))
                outcome.append("booked")
            except InvalidRequest as exc:
                outcome.append(exc.params.get("reason"))

        booker = threading.Thread(target=book_inside)
        booker.start()
        booker.join(1.0)
        assert booker.is_alive(), "the booking did not wait for the closure"
    booker.join(10)
    assert outcome == ["Inventaire"]
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 0
