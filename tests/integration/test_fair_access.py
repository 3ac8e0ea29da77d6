"""Fair access to scarce seats (issue 16), on both engines with a moved clock, at the service's
own limits: a seat held while a code sent to the mobile is typed, one live visit per person and
procedure, limits per address and per phone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.container import build_container
from booking.core.references import hold_code
from booking.demo.builders import add_counter, add_site
from booking.domain.models import Hold
from tests.support.settings import count, make_settings
from tests.support.staff import add_everyone, bearer

START = "2026-03-31T09:00:00+02:00"  # a week ahead: past the interview's notice
SCARCE = "naturalisation-interview"
FILE = ["interview-notification", "passport", "application-originals"]
PICKUP_FILE = ["pickup-notification", "passport", "tax-stamp"]
SLOTS = "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"


@pytest.fixture
def container(database_url, clock):
    """The service's own limits (the other tests lift them)."""
    built = build_container(
        make_settings(
            database_url,
            live_visits_per_person=1,
            booking_attempts_per_hour=20,
            forwarded_allow_ips="testclient",  # each simulated citizen has its own address
        ),
        clock=clock,
    )
    with built.uow.writing() as session:
        for site_id in ("paris", "lyon"):
            add_counter(
                session,
                add_site(session, site_id),
                capacity=2,
                procedures=(SCARCE, "residence-permit-pickup"),
            )
    yield built
    built.engine.dispose()


def body(**changes) -> dict:
    base = {
        "site_id": "paris",
        "procedure_id": SCARCE,
        "start": START,
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "declared": FILE,
    }
    return {**base, **changes}


def hold(client, address: str = "10.0.0.1", **changes) -> dict:  # type: ignore[no-untyped-def]
    answer = client.post(
        "/api/v1/holds", json=body(**changes), headers={"X-Forwarded-For": address}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def code_of(container, held: dict) -> str:  # type: ignore[no-untyped-def]
    from booking.domain.holds import digest

    with container.uow.reading() as session:
        row = session.execute(select(Hold).where(Hold.digest == digest(held["hold"]))).scalar_one()
        return hold_code(container.keys.current, row.id, row.resends)


def confirm(client, held: dict, code: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/holds/{held['hold']}/confirm",
        json={"code": code},
        headers={"X-Forwarded-For": address},
    )


def test_procedures_say_whether_they_check_the_contact(client):
    procedures = {p["id"]: p for p in client.get("/api/v1/procedures").json()}
    assert procedures[SCARCE]["contact_check"] is True
    assert procedures["residence-permit-first"]["contact_check"] is True
    assert procedures["residence-permit-pickup"]["contact_check"] is False


def test_a_scarce_procedure_is_not_booked_directly(client):
    answer = client.post("/api/v1/appointments", json=body())
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "procedure_id"


def test_hold_then_confirm_books_with_the_usual_confirmation(container, client, clock):
    held = hold(client)
    assert held["sent_to"] == "06 •• •• •• 78"
    assert held["expires_at"].startswith((clock.moment + timedelta(minutes=10)).isoformat()[:16])
    code = code_of(container, held)
    with container.engine.connect() as conn:  # the code is in no stored message
        bodies = [r[0] for r in conn.exec_driver_sql("SELECT body FROM notification")]
    assert bodies and all(code not in b and "[[otp]]" in b for b in bodies)
    booked = confirm(client, held, code)
    assert booked.status_code == 201, booked.text
    assert booked.json()["reference"] and booked.json()["status"] == "booked"
    again = confirm(client, held, code)  # a repeated click books once
    assert again.status_code == 201 and again.json()["reference"] == booked.json()["reference"]
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 1
    kinds = "SELECT count(*) FROM notification WHERE kind = 'confirmation'"
    assert count(container, kinds) == 1


def test_wrong_codes_count_and_the_fifth_releases_the_seat(container, client):
    held = hold(client)
    right = code_of(container, held)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        answer = confirm(client, held, wrong)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "code"
        assert answer.json()["tries_left"] == left
    assert confirm(client, held, wrong).status_code == 410
    assert confirm(client, held, right).status_code == 410  # the seat went back
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'released'") == 1
    assert count(container, "SELECT coalesce(sum(booked), 0) FROM counter_load") == 0


def test_an_unknown_hold_is_a_404_and_an_expired_one_a_410(container, client, clock):
    assert confirm(client, {"hold": "x" * 32}, "123456").status_code == 404
    held = hold(client)
    clock.set(clock.moment + timedelta(minutes=10))
    assert confirm(client, held, code_of(container, held)).status_code == 410
    assert count(container, "SELECT coalesce(sum(booked), 0) FROM counter_load") == 0


def test_a_new_hold_by_the_same_mobile_replaces_the_first(container, client):
    first = hold(client)
    second = hold(client, start="2026-03-31T10:00:00+02:00")
    assert confirm(client, first, code_of(container, first)).status_code == 410
    assert confirm(client, second, code_of(container, second)).status_code == 201
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 1


def test_codes_are_sent_again_twice_at_most_each_a_new_one(container, client):
    held = hold(client)
    first = code_of(container, held)
    url = f"/api/v1/holds/{held['hold']}/resend"
    assert client.post(url).status_code == 204
    second = code_of(container, held)
    assert (second, held) != (first, None)  # a new code (equal to the old by chance: 1 in 10⁶)
    assert client.post(url).status_code == 204
    refused = client.post(url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert count(container, "SELECT count(*) FROM notification WHERE kind = 'code'") == 3
    assert confirm(client, held, code_of(container, held)).status_code == 201


def test_one_live_visit_per_person_held_ones_too_and_across_sites(container, client):
    first = hold(client)
    assert confirm(client, first, code_of(container, first)).status_code == 201
    at_lyon = hold(client, site_id="lyon", email="amina@example.org")
    refused = confirm(client, at_lyon, code_of(container, at_lyon))
    assert refused.status_code == 409
    payload = refused.json()
    assert payload["reason"] == "live_visit" and "alternatives" not in payload
    assert payload["errors"][0]["field"] == "phone"
    assert "déplacez-le" in payload["detail"] and "Réf" not in payload["detail"]


def test_two_concurrent_confirmations_by_one_person_give_one_visit(container, client):
    # one person, one email, two mobiles: both holds are open at once
    paris = hold(client, phone="06 98 76 54 32", email="amina@example.org")
    lyon = hold(
        client, site_id="lyon", email="amina@example.org", start="2026-03-31T11:00:00+02:00"
    )
    codes = {"paris": code_of(container, paris), "lyon": code_of(container, lyon)}
    barrier = threading.Barrier(2)

    def go(pair):  # type: ignore[no-untyped-def]
        held, code = pair
        barrier.wait()
        return confirm(client, held, code).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(go, [(paris, codes["paris"]), (lyon, codes["lyon"])]))
    assert statuses == [201, 409]
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 1


def test_staff_may_book_a_second_visit_on_purpose(container, client):
    first = hold(client)
    assert confirm(client, first, code_of(container, first)).status_code == 201
    agent = bearer(client, add_everyone(container)["agent"])
    staff_body = {**body(start="2026-03-31T10:00:00+02:00"), "channel": "phone"}
    refused = client.post("/api/v1/staff/appointments", json=staff_body, headers=agent)
    assert refused.status_code == 409 and refused.json()["reason"] == "live_visit"
    on_purpose = {**staff_body, "second_visit": "Une famille partage ce téléphone"}
    booked = client.post("/api/v1/staff/appointments", json=on_purpose, headers=agent)
    assert booked.status_code == 201, booked.text
    logged = "SELECT count(*) FROM audit_event WHERE action = 'visit.second_visit'"
    assert count(container, logged) == 1


def test_booking_attempts_are_limited_per_address_holds_and_bookings_together(client):
    pickup = {"procedure_id": "residence-permit-pickup", "declared": PICKUP_FILE}
    for attempt in range(20):
        start = f"2026-03-{24 + attempt // 10}T{9 + attempt % 10 // 4:02d}:{attempt % 4 * 15:02d}"
        answer = client.post(
            "/api/v1/appointments",
            json=body(start=start + ":00+01:00", phone=f"06 12 34 56 {attempt:02d}", **pickup),
            headers={"X-Forwarded-For": "10.9.9.9"},
        )
        assert answer.status_code in (201, 409), answer.text
    refused = client.post("/api/v1/holds", json=body(), headers={"X-Forwarded-For": "10.9.9.9"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert hold(client, address="10.9.9.10")["hold"]  # another address is not held back


def test_refused_bookings_count_as_attempts_as_much_as_booked_ones(client, container):
    """A booking counts its attempt in its own transaction: one refused (a full time, a
    second visit of a person, wrong input) rolls that back and is counted again apart."""
    pickup = {"procedure_id": "residence-permit-pickup", "declared": PICKUP_FILE}
    statuses = []
    for attempt in range(20):  # capacity 2: two booked, then the time is full
        answer = client.post(
            "/api/v1/appointments",
            json=body(
                start="2026-03-24T09:00:00+01:00", phone=f"06 12 34 57 {attempt:02d}", **pickup
            ),
            headers={"X-Forwarded-For": "10.6.6.6"},
        )
        statuses.append(answer.status_code)
    assert statuses == [201, 201] + [409] * 18
    refused = client.post(
        "/api/v1/appointments",
        json=body(start="2026-03-24T10:00:00+01:00", phone="06 12 34 57 99", **pickup),
        headers={"X-Forwarded-For": "10.6.6.6"},
    )
    assert refused.status_code == 429, refused.text
    counted = "SELECT max(count) FROM rate_limit WHERE key LIKE 'booking-attempts%'"
    assert count(container, counted) == 20  # past the limit: refused, not counted
    assert count(container, "SELECT count(*) FROM appointment") == 2


def test_codes_are_limited_per_address_and_per_phone(container, client):
    with container.uow.writing() as session:
        add_counter(session, add_site(session, "big"), capacity=20, procedures=(SCARCE,))
    for attempt in range(10):
        hold(client, address="10.8.8.8", phone=f"06 12 34 55 {attempt:02d}", site_id="big")
    refused = client.post(
        "/api/v1/holds", json=body(phone="06 12 34 55 99"), headers={"X-Forwarded-For": "10.8.8.8"}
    )
    assert refused.status_code == 429
    for attempt in range(5):  # one phone, from anywhere: 5 codes a day
        hold(client, address=f"10.7.7.{attempt}")
    refused = client.post("/api/v1/holds", json=body(), headers={"X-Forwarded-For": "10.7.7.9"})
    assert refused.status_code == 429


def test_codes_go_only_to_mobiles_of_the_sms_countries(client):
    for phone in ("+1 202 555 0143", "01 44 55 66 77"):
        answer = client.post("/api/v1/holds", json=body(phone=phone))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "phone"
    assert hold(client, phone="+49 1512 3456789")["sent_to"]  # a German mobile


def test_two_hundred_holds_race_for_twenty_seats(container, client):
    with container.uow.writing() as session:
        add_counter(session, add_site(session, "race"), capacity=20, procedures=(SCARCE,))
    barrier = threading.Barrier(40)

    def attempt(index: int) -> int:
        if index < 40:
            barrier.wait()
        answer = client.post(
            "/api/v1/holds",
            json=body(site_id="race", phone=f"06 11 {index // 100:02d} {index % 100:02d} 00"),
            headers={"X-Forwarded-For": f"10.1.{index // 250}.{index % 250}"},
        )
        return answer.status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(200)))
    assert statuses.count(201) == 20 and statuses.count(409) == 180
    held = "SELECT count(*) FROM appointment WHERE site_id = 'race' AND status = 'held'"
    assert count(container, held) == 20
    assert count(container, "SELECT max(booked) FROM counter_load") == 20


def test_every_new_status_is_in_the_api_document(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert set(paths["/api/v1/holds"]["post"]["responses"]) >= {"201", "409", "422", "429"}
    confirm_doc = paths["/api/v1/holds/{hold}/confirm"]["post"]["responses"]
    assert set(confirm_doc) >= {"201", "404", "409", "410", "422", "429"}
    assert set(paths["/api/v1/holds/{hold}/resend"]["post"]["responses"]) >= {"204", "410", "429"}


def test_the_code_goes_first_filled_in_when_sent_and_expired_holds_are_released(
    container, client, clock
):
    from notifications.outbox import Message, enqueue
    from tests.integration.test_outbox import RecordingSender, dispatcher

    with container.uow.writing() as session:  # the evening's reminders, due before the code
        enqueue(
            session,
            [
                Message(
                    idempotency_key=f"evening-{i}",
                    channel="sms",
                    kind="reminder",
                    recipient=f"+336120000{i:02d}",
                    body="reminder",
                    due_at=clock.moment - timedelta(minutes=5),
                    quiet_hours_apply=False,
                )
                for i in range(60)
            ],
            clock.moment,
        )
    held = hold(client)
    sms = RecordingSender()
    dispatcher(container, clock, sms, RecordingSender(), batch=10).tick()  # one batch of ten
    codes = [m.body for m in sms.sent if "code" in m.body]
    assert len(codes) == 1 and code_of(container, held) in codes[0] and "[[" not in codes[0]
    other = hold(client, phone="06 98 76 54 32")
    clock.set(clock.moment + timedelta(minutes=11))
    assert container.holds.release_expired() == 2  # both over: the first sent, the second not
    reasons = "SELECT released_reason FROM hold ORDER BY id"
    with container.engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql(reasons)] == ["expired", "not_sent"]
    assert confirm(client, other, code_of(container, other)).status_code == 410


def test_a_freed_seat_comes_back_to_the_public_only_after_its_delay(container, client, clock):
    """Cancel and rebook at once in another name: the seat is not there; staff may book it."""
    pickup = {"procedure_id": "residence-permit-pickup", "declared": PICKUP_FILE}
    at_nine = body(start="2026-03-24T09:00:00+01:00", **pickup)
    seats = [client.post("/api/v1/appointments", json={**at_nine, "phone": p}).json()
             for p in ("06 12 34 56 01", "06 12 34 56 02")]  # fmt: skip
    slots = (
        "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"
    )
    nine = "2026-03-24T09:00:00+01:00"
    assert nine not in [s["start"] for s in client.get(slots).json()["slots"]]
    seller = seats[0]
    cancelled = client.post(
        f"/api/v1/appointments/{seller['reference']}/cancel",
        headers={"X-Manage-Token": seller["token"]},
    )
    assert cancelled.status_code == 200
    assert nine not in [s["start"] for s in client.get(slots).json()["slots"]]  # held back
    buyer = client.post("/api/v1/appointments", json={**at_nine, "phone": "06 99 99 99 99"})
    assert buyer.status_code == 409  # not online, not yet
    agent = bearer(client, add_everyone(container)["agent"])
    staff = client.post(
        "/api/v1/staff/appointments",
        json={**at_nine, "phone": "06 88 88 88 88", "channel": "phone"},
        headers=agent,
    )
    assert staff.status_code == 201, staff.text  # staff may book it meanwhile
    client.post(  # the office cancels: free for everyone at once
        f"/api/v1/staff/appointments/{staff.json()['reference']}/cancel",
        json={"reason": "Test"},
        headers=agent,
    )
    assert nine in [s["start"] for s in client.get(slots).json()["slots"]]


def test_the_delay_is_drawn_per_seat_and_ends(container, client, clock):
    from booking.domain.freed_seats import FreedSeatDelay

    draws = {FreedSeatDelay(15, 45).draw() for _ in range(50)}
    assert len(draws) > 40 and all(15 * 60 <= d.total_seconds() <= 45 * 60 for d in draws)
    assert FreedSeatDelay(0, 0).draw().total_seconds() == 0
    pickup = {"procedure_id": "residence-permit-pickup", "declared": PICKUP_FILE}
    at_nine = body(start="2026-03-24T09:00:00+01:00", **pickup)
    for phone in ("06 12 34 56 01", "06 12 34 56 02"):
        booked = client.post("/api/v1/appointments", json={**at_nine, "phone": phone}).json()
    client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel",
        headers={"X-Manage-Token": booked["token"]},
    )
    slots = (
        "/api/v1/sites/paris/slots?procedure=residence-permit-pickup&from=2026-03-24&to=2026-03-24"
    )
    nine = "2026-03-24T09:00:00+01:00"
    clock.set(clock.moment + timedelta(minutes=14))
    assert nine not in [s["start"] for s in client.get(slots).json()["slots"]]  # the list cached
    clock.set(clock.moment + timedelta(minutes=32))  # past any draw: the cached list is stale
    assert nine in [s["start"] for s in client.get(slots).json()["slots"]]
    again = client.post("/api/v1/appointments", json={**at_nine, "phone": "06 99 99 99 99"})
    assert again.status_code == 201


def test_an_expired_hold_gives_its_seat_back_after_the_delay_not_before(container, client, clock):
    """Capacity 2 at 09:00: two holds take both seats; one's code is sent then its time runs
    out: 410, and its seat stays away from the public until the drawn delay has passed."""
    from tests.integration.test_outbox import RecordingSender, dispatcher

    first = hold(client, "10.0.0.1")
    hold(client, "10.0.0.2", phone="06 98 76 54 32")
    dispatcher(container, clock, RecordingSender(), RecordingSender()).tick()  # codes sent
    clock.set(clock.moment + timedelta(minutes=10))
    assert confirm(client, first, code_of(container, first)).status_code == 410
    slots = f"/api/v1/sites/paris/slots?procedure={SCARCE}&from=2026-03-31&to=2026-03-31"

    def free_at_nine() -> bool:
        return START in [s["start"] for s in client.get(slots).json()["slots"]]

    assert not free_at_nine()  # the other hold expires too: both seats held back
    clock.set(clock.moment + timedelta(minutes=14))
    assert not free_at_nine()  # before the least delay
    clock.set(clock.moment + timedelta(minutes=32))
    assert free_at_nine()  # past the longest
