"""Seeing abuse (issue 16, part 7): the managers' figures of fair access over a period, the
site admins' page of the day's refused attempts (masked), and what they keep under the
retention rules; on both engines."""

from __future__ import annotations

from datetime import timedelta

from booking.domain.access_log import mask_address, mask_phone
from tests.integration import test_fair_access as fair
from tests.integration.test_fair_access import PICKUP_FILE, body, code_of, confirm, hold
from tests.integration.test_staff_access import page_session
from tests.support.settings import count
from tests.support.staff import add_everyone, bearer

container = fair.container  # the same fixture: the service's own limits
FIGURES = "/api/v1/stats/fair-access?site=paris&from=2026-03-23&to=2026-03-23"


def test_masks_keep_only_what_tells_a_bot_apart():
    assert mask_address("203.0.113.42") == "203.0.113.•"
    assert mask_address("2001:db8:1:2::5") == "2001:db8:1::•"
    assert mask_address("testclient") == "•" and mask_address(None) is None
    assert mask_phone("+33612345678") == "06 •• •• •• 78"
    assert mask_phone("06 12 34 56 78") == "06 •• •• •• 78"
    assert mask_phone("+447700900123") == "+44 •• •• 23"


def abuse(container, client) -> None:  # type: ignore[no-untyped-def]
    """Three holds (one confirmed, one expired, one given up by changing number), a second
    visit refused, a bot past its attempts, a seat freed and held back."""
    first = hold(client, "203.0.113.7")
    assert confirm(client, first, code_of(container, first), "203.0.113.7").status_code == 201
    other = hold(client, "203.0.113.8", phone="06 11 11 11 11", start="2026-03-31T10:00:00+02:00")
    changed = hold(client, "203.0.113.9", phone="06 22 22 22 22", start="2026-03-31T10:30:00+02:00")
    container.holds.give_up(changed["hold"], address="203.0.113.9")
    again = hold(client, "203.0.113.7", start="2026-03-31T11:00:00+02:00")  # the same person
    second = confirm(client, again, code_of(container, again), "203.0.113.7")
    assert second.status_code == 409 and second.json()["reason"] == "live_visit"
    pickup = {"procedure_id": "residence-permit-pickup", "declared": PICKUP_FILE}
    for n in range(21):  # a bot from one address: the 21st attempt is refused
        answer = client.post(
            "/api/v1/appointments",
            json=body(start="2026-03-24T09:00:00+01:00", phone=f"06 00 00 00 {n:02d}", **pickup),
            headers={"X-Forwarded-For": "198.51.100.66"},
        )
    assert answer.status_code == 429
    booked = client.post(  # a citizen cancels: the seat is held back a while
        "/api/v1/appointments",
        json=body(start="2026-03-24T10:00:00+01:00", phone="06 33 33 33 33", **pickup),
        headers={"X-Forwarded-For": "203.0.113.10"},
    ).json()
    client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel",
        headers={"X-Manage-Token": booked["token"]},
    )
    container.clock.set(container.clock() + timedelta(minutes=11))
    container.holds.release_expired()
    assert other  # expired now


def test_the_period_counts_holds_refusals_and_seats_held_back(container, client):
    abuse(container, client)
    manager = bearer(client, add_everyone(container)["manager"])
    figures = client.get(FIGURES, headers=manager)
    assert figures.status_code == 200, figures.text
    assert figures.json() == {
        "site": "paris",
        "from": "2026-03-23",
        "to": "2026-03-23",
        "holds_made": 4,
        "holds_confirmed": 1,
        "holds_expired": 2,  # the other one, and the refused second one's hold
        "holds_given_up": 1,
        "second_visits_refused": 1,
        "limit_refusals": 1,
        "seats_held_back": 2,  # the cancelled seat, the number changed
    }
    csv = client.get(FIGURES + "&format=csv", headers=manager)
    assert csv.text.splitlines()[1] == "4,1,2,1,1,1,2"


def test_the_dashboard_shows_fair_access_and_admins_see_the_days_refusals(container, client):
    abuse(container, client)
    people = add_everyone(container)
    cookies, _ = page_session(container, client, people["manager"])
    client.cookies.update(cookies)
    dashboard = client.get("/staff/stats?site=paris&from=2026-03-23&to=2026-03-23")
    assert dashboard.status_code == 200 and "Accès équitable" in dashboard.text
    assert "Tentatives refusées par une limite" in dashboard.text
    cookies, _ = page_session(container, client, people["site_admin"])
    client.cookies.update(cookies)
    page = client.get("/staff/sites/paris/refus?date=2026-03-23").text
    assert "198.51.100.•" in page and "Trop de tentatives de réservation" in page
    assert "203.0.113.•" in page and "06 •• •• •• 78" in page  # the second visit
    assert "198.51.100.66" not in page and "06 12 34 56 78" not in page
    agent = page_session(container, client, people["agent"])[0]
    client.cookies.clear()
    client.cookies.update(agent)
    assert client.get("/staff/sites/paris/refus").status_code == 403


def test_masks_and_hold_phones_are_forgotten_after_a_day_the_counts_stay(container, client):
    abuse(container, client)
    container.clock.set(container.clock() + timedelta(days=1, hours=1))
    container.housekeeping.run()
    assert count(container, "SELECT count(*) FROM access_event") == 4
    masked = "SELECT count(*) FROM access_event WHERE address IS NOT NULL OR phone IS NOT NULL"
    assert count(container, masked) == 0
    assert count(container, "SELECT count(*) FROM hold WHERE phone IS NOT NULL") == 0
    assert count(container, "SELECT count(*) FROM person_claim") == 0
