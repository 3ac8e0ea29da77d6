"""The waiting list (issue 17), on both engines with a moved clock: freed seats offered one
person at a time, in the order they came, the seat held for them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from booking.demo.builders import add_counter, add_site
from tests.support.settings import count

PICKUP = "residence-permit-pickup"  # 2 hours of notice, 30 days ahead
FILE = ["pickup-notification", "passport", "tax-stamp"]
TUESDAY_9 = "2026-03-24T09:00:00+01:00"
TUESDAY_915 = "2026-03-24T09:15:00+01:00"


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)  # March 2026: UTC+1


@pytest.fixture(autouse=True)
def site(container) -> None:
    with container.uow.writing() as session:  # one seat each quarter-hour, 09:00-10:00
        add_counter(session, add_site(session), procedures=(PICKUP,), windows=(("09:00", "10:00"),))


def book(client, start: str = TUESDAY_9, phone: str = "06 11 11 11 11") -> dict:  # type: ignore[no-untyped-def]
    body = {
        "site_id": "paris",
        "procedure_id": PICKUP,
        "start": start,
        "name": "Déjà Inscrit",
        "phone": phone,
        "declared": FILE,
    }
    answer = client.post("/api/v1/appointments", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def cancel(client, visit: dict) -> None:  # type: ignore[no-untyped-def]
    answer = client.post(
        f"/api/v1/appointments/{visit['reference']}/cancel",
        headers={"X-Manage-Token": visit["token"]},
    )
    assert answer.status_code == 200, answer.text


def join(client, phone: str, **changes) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "procedure_id": PICKUP,
        "site_ids": ["paris"],
        "from": "2026-03-24",
        "to": "2026-03-26",
        "name": f"Attente {phone[-2:]}",
        "phone": phone,
        "declared": FILE,
        **changes,
    }
    answer = client.post("/api/v1/waitlist", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def status(client, entry: dict) -> dict:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/waitlist/{entry['entry']}", headers={"X-Manage-Token": entry["token"]}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def answer(client, entry: dict, offer: dict, what: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/waitlist/offers/{offer['id']}/{what}",
        headers={"X-Manage-Token": entry["token"]},
    )


def test_the_first_in_line_gets_the_seat_held_and_accepts_it(container, client):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    assert (first["position"], second["position"]) == (1, 2)
    cancel(client, taken)
    offer = status(client, first)["offer"]
    assert offer["start"] == "2026-03-24T09:00:00+01:00" and offer["site_id"] == "paris"
    assert offer["expires_at"].startswith("2026-03-23T09:00")  # 2 hours from 08:00 Paris
    assert status(client, second)["offer"] is None  # one seat, one offer at a time
    slots = f"/api/v1/sites/paris/slots?procedure={PICKUP}&from=2026-03-24&to=2026-03-24"
    assert TUESDAY_9 not in [s["start"] for s in client.get(slots).json()["slots"]]  # held
    sms = "SELECT body FROM notification WHERE kind = 'offer' AND channel = 'sms'"
    with container.engine.connect() as conn:
        bodies = [row[0] for row in conn.exec_driver_sql(sms)]
    assert len(bodies) == 1 and "[[entry]]" in bodies[0]
    assert len(bodies[0].replace("[[entry]]", "T" * 16)) <= 160  # one segment, link filled
    accepted = answer(client, first, offer, "accept")
    assert accepted.status_code == 201, accepted.text
    again = answer(client, first, offer, "accept")  # a second click: the same visit
    assert again.status_code == 201 and again.json()["reference"] == accepted.json()["reference"]
    assert status(client, first)["state"] == "booked"
    assert status(client, second)["position"] == 1
    booked = "SELECT count(*) FROM appointment WHERE status = 'booked' AND from_waitlist"
    assert count(container, booked) == 1
    confirmations = "SELECT count(*) FROM notification WHERE kind = 'confirmation'"
    assert count(container, confirmations) >= 2  # the first booking's and the accepted one's


def test_an_offer_not_answered_goes_to_the_next_person(container, client, clock):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, taken)
    offer = status(client, first)["offer"]
    clock.set(clock.moment + timedelta(minutes=119))
    assert container.waitlist.expire_due() == 0
    clock.set(clock.moment + timedelta(minutes=1))
    assert container.waitlist.expire_due() == 1
    assert status(client, first)["offer"] is None and status(client, first)["state"] == "waiting"
    assert status(client, second)["offer"]["start"] == offer["start"]
    assert answer(client, first, offer, "accept").status_code == 410


def test_a_decline_ends_the_entry_and_the_seat_goes_on(container, client):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, taken)
    offer = status(client, first)["offer"]
    assert answer(client, first, offer, "decline").status_code == 204
    assert status(client, first)["state"] == "ended"
    assert status(client, second)["offer"]["start"] == offer["start"]


def test_nobody_left_the_seat_goes_to_the_public_after_the_delay(container, client, clock):
    taken = book(client)
    first = join(client, "06 22 22 22 01")
    cancel(client, taken)
    offer = status(client, first)["offer"]
    assert answer(client, first, offer, "decline").status_code == 204
    slots = f"/api/v1/sites/paris/slots?procedure={PICKUP}&from=2026-03-24&to=2026-03-24"
    nine = [s["start"] for s in client.get(slots).json()["slots"]]
    assert TUESDAY_9 not in nine  # the freed-seat delay drawn when it was freed still runs
    clock.set(clock.moment + timedelta(minutes=46))
    assert TUESDAY_9 in [s["start"] for s in client.get(slots).json()["slots"]]


def test_quiet_hours_hold_the_offer_until_eight(container, client, clock):
    later = book(client, "2026-03-25T09:00:00+01:00")
    entry = join(client, "06 22 22 22 01")
    clock.set(paris(23, 22))  # Monday 22:00
    cancel(client, later)
    offer = status(client, entry)["offer"]
    assert offer["expires_at"].startswith("2026-03-24T09:00")  # 08:00 + 2 h, Paris = 10:00
    due = "SELECT due_at FROM notification WHERE kind = 'offer'"
    with container.engine.connect() as conn:
        sent = conn.exec_driver_sql(due).scalar_one()
    assert str(sent).startswith("2026-03-24 07:00")  # 08:00 Paris


def test_a_seat_too_close_for_an_answer_goes_to_the_public(container, client, clock):
    taken = book(client)  # Tuesday 09:00
    entry = join(client, "06 22 22 22 01")
    clock.set(paris(23, 22))  # an offer would start at 08:00 and end at 10:00: too late
    cancel(client, taken)
    assert status(client, entry)["offer"] is None
    assert count(container, "SELECT count(*) FROM waitlist_offer") == 0


def test_one_entry_per_person_and_procedure(client):
    join(client, "06 22 22 22 01")
    again = client.post(
        "/api/v1/waitlist",
        json={
            "procedure_id": PICKUP,
            "site_ids": ["paris"],
            "from": "2026-03-24",
            "to": "2026-03-25",
            "name": "Again",
            "phone": "+33 6 22 22 22 01",
            "declared": FILE,
        },
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "phone"


def test_two_seats_freed_at_once_go_to_two_people(container, client):
    nine, quarter = book(client), book(client, TUESDAY_915, "06 11 11 11 12")
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, nine)
    cancel(client, quarter)
    offers = [status(client, first)["offer"], status(client, second)["offer"]]
    assert {o["start"] for o in offers} == {TUESDAY_9, TUESDAY_915}


def test_one_offer_a_day_three_in_all(container, client, clock):
    entry = join(client, "06 22 22 22 01", to="2026-03-27", email="attente@example.org")
    for day, hours in ((24, 0), (24, 0), (25, 1), (26, 1), (27, 1)):
        visit = book(client, f"2026-03-{day}T09:00:00+01:00", f"06 11 11 11 {day}")
        cancel(client, visit)
        if status(client, entry)["offer"] is not None:
            clock.set(clock.moment + timedelta(minutes=121))
            container.waitlist.expire_due()
        clock.set(clock.moment + timedelta(days=hours))
    sent = status(client, entry)
    assert sent["offers_sent"] == 3 and sent["state"] == "ended"  # three lapses end it
    assert count(container, "SELECT count(*) FROM waitlist_offer") == 3
    both = "SELECT channel, count(*) FROM notification WHERE kind = 'offer' GROUP BY channel"
    with container.engine.connect() as conn:
        assert dict(conn.exec_driver_sql(both).all()) == {"sms": 3, "email": 3}  # counted once
    told = "SELECT count(*) FROM notification WHERE kind = 'waitlist'"
    assert count(container, told) == 1  # and it is told so


def test_accepting_moves_a_live_visit_instead_of_booking_a_second(container, client):
    mine = book(client, "2026-03-26T09:45:00+01:00", "06 22 22 22 01")
    taken = book(client)
    entry = join(client, "06 22 22 22 01", to="2026-03-24")
    cancel(client, taken)
    offer = status(client, entry)["offer"]
    moved = answer(client, entry, offer, "accept")
    assert moved.status_code == 201 and moved.json()["reference"] == mine["reference"]
    assert moved.json()["start"] == TUESDAY_9
    live = "SELECT count(*) FROM appointment WHERE phone = '+33622222201' AND status = 'booked'"
    assert count(container, live) == 1


def test_an_accept_racing_the_offers_end_gives_one_outcome(container, client, clock):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, taken)
    offer = status(client, first)["offer"]
    clock.set(clock.moment + timedelta(minutes=119, seconds=59))
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def accept() -> None:
        start.wait()
        outcomes.append(answer(client, first, offer, "accept").status_code)

    def expire() -> None:
        start.wait()
        outcomes.append(container.waitlist.expire_due())

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    booked = "SELECT count(*) FROM appointment WHERE status IN ('booked', 'offered')"
    assert count(container, booked) == 1  # the seat is one visit or one offer, never two
    assert 201 in outcomes  # before its end: the accept wins, the job finds nothing due
    assert status(client, second)["offer"] is None


def test_wrong_tokens_and_leaving(container, client):
    entry = join(client, "06 22 22 22 01")
    wrong = client.get(f"/api/v1/waitlist/{entry['entry']}", headers={"X-Manage-Token": "x"})
    assert wrong.status_code == 404
    left = client.delete(
        f"/api/v1/waitlist/{entry['entry']}", headers={"X-Manage-Token": entry["token"]}
    )
    assert left.status_code == 204 and status(client, entry)["state"] == "ended"
    join(client, "06 22 22 22 01")  # a new entry once the first has left


def test_an_accept_at_the_offers_end_and_the_job_pass_the_seat_on_once(container, client, clock):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, taken)
    offer = status(client, first)["offer"]
    clock.set(clock.moment + timedelta(minutes=120))
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def accept() -> None:
        start.wait()
        outcomes.append(answer(client, first, offer, "accept").status_code)

    def expire() -> None:
        start.wait()
        outcomes.append(container.waitlist.expire_due())

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 410 in outcomes
    assert count(container, "SELECT count(*) FROM waitlist_offer") == 2  # passed on once
    assert status(client, second)["offer"]["start"] == TUESDAY_9
    held = "SELECT count(*) FROM appointment WHERE status IN ('booked', 'offered')"
    assert count(container, held) == 1


def test_stop_from_the_number_ends_its_entry_and_its_offer_goes_on(container, client):
    taken = book(client)
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, taken)
    assert status(client, first)["offer"] is not None
    assert container.replies.sms_received("+33622222201", "STOP") == "stop"
    assert status(client, first)["state"] == "ended"
    assert status(client, second)["offer"]["start"] == TUESDAY_9


def test_staff_put_someone_on_the_list_see_it_and_take_them_off(container, client):
    from tests.integration.test_staff_access import page_session
    from tests.support.staff import add_everyone, bearer

    with container.uow.writing() as session:
        add_site(session, "lyon")
    people = add_everyone(container)
    agent = bearer(client, people["agent"])
    body = {
        "procedure_id": PICKUP,
        "site_ids": ["paris"],
        "from": "2026-03-24",
        "to": "2026-03-26",
        "name": "Par Téléphone",
        "phone": "06 33 33 33 01",
        "declared": FILE,
        "channel": "phone",
    }
    joined = client.post("/api/v1/staff/waitlist", json=body, headers=agent)
    assert joined.status_code == 201, joined.text
    listed = client.get("/api/v1/staff/sites/paris/waitlist", headers=agent).json()["entries"]
    assert [(e["name"], e["phone"], e["channel"]) for e in listed] == [
        ("Par Téléphone", "06 •• •• •• 01", "phone")
    ]
    stranger = bearer(client, people["stranger"])
    assert client.get("/api/v1/staff/sites/paris/waitlist", headers=stranger).status_code == 403
    cookies, csrf = page_session(container, client, people["agent"])
    client.cookies.update(cookies)
    page = client.get("/staff/sites/paris/liste-attente")
    assert page.status_code == 200 and "Par Téléphone" in page.text
    removed = client.post(
        f"/staff/sites/paris/liste-attente/{joined.json()['entry']}/retirer",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert client.get("/api/v1/staff/sites/paris/waitlist", headers=agent).json()["entries"] == []
    logged = "SELECT count(*) FROM audit_event WHERE action LIKE 'waitlist.%'"
    assert count(container, logged) == 2


def test_the_agenda_marks_visits_booked_from_the_list(container, client):
    from tests.support.staff import add_everyone, bearer

    with container.uow.writing() as session:
        add_site(session, "lyon")
    taken = book(client)
    entry = join(client, "06 22 22 22 01")
    cancel(client, taken)
    assert answer(client, entry, status(client, entry)["offer"], "accept").status_code == 201
    agent = bearer(client, add_everyone(container)["agent"])
    rows = client.get("/api/v1/staff/sites/paris/agenda?date=2026-03-24", headers=agent).json()
    marked = {row["status"]: row["from_waitlist"] for row in rows["appointments"]}
    assert marked == {"cancelled_by_citizen": False, "booked": True}


def test_the_figures_count_the_list_and_entries_are_forgotten_after_a_day(container, client, clock):
    from tests.support.staff import add_everyone, bearer

    with container.uow.writing() as session:
        add_site(session, "lyon")
    nine, quarter = book(client), book(client, TUESDAY_915, "06 11 11 11 12")
    first, second = join(client, "06 22 22 22 01"), join(client, "06 22 22 22 02")
    cancel(client, nine)
    cancel(client, quarter)
    offered = {status(client, e)["offer"]["start"]: e for e in (first, second)}
    taker = offered[TUESDAY_9]
    clock.set(clock.moment + timedelta(minutes=30))
    assert answer(client, taker, status(client, taker)["offer"], "accept").status_code == 201
    other = offered[TUESDAY_915]
    assert answer(client, other, status(client, other)["offer"], "decline").status_code == 204
    manager = bearer(client, add_everyone(container)["manager"])
    url = "/api/v1/stats/waitlist?site=paris&from=2026-03-23&to=2026-03-23"
    figures = client.get(url, headers=manager).json()
    assert figures | {"site": None} == {
        "site": None,
        "from": "2026-03-23",
        "to": "2026-03-23",
        "entries": 2,
        "offers_sent": 2,
        "accepted": 1,
        "declined": 1,
        "expired": 0,
        "seats_to_public": 1,
        "median_hours_to_booking": 0.5,
    }
    by = "/api/v1/stats/attendance?site=paris&from=2026-03-24&to=2026-03-24&by=waitlist"
    rows = {row["key"]: row["due"] for row in client.get(by, headers=manager).json()["rows"]}
    assert rows == {True: 1, False: 0}  # the two cancelled earlier are not due
    clock.set(clock.moment + timedelta(days=1, hours=1))
    container.housekeeping.run()
    kept = "SELECT count(*) FROM waitlist_entry WHERE phone IS NOT NULL OR name IS NOT NULL"
    assert count(container, kept) == 0
    assert count(container, "SELECT count(*) FROM waitlist_entry") == 2


def test_a_procedure_that_checks_the_contact_puts_the_entry_in_line_after_its_code(
    container, client
):
    from booking.core.references import waitlist_code

    with container.uow.writing() as session:  # the scarce interview, served at Paris
        from booking.demo.builders import add_counter

        site = session.get(__import__("booking.domain.models", fromlist=["Site"]).Site, "paris")
        add_counter(session, site, name="Bureau 3", procedures=("naturalisation-interview",))
    body = {
        "procedure_id": "naturalisation-interview",
        "site_ids": ["paris"],
        "from": "2026-03-31",
        "to": "2026-04-10",
        "name": "Amina Diallo",
        "phone": "06 22 22 22 01",
        "declared": ["interview-notification", "passport", "application-originals"],
    }
    joined = client.post("/api/v1/waitlist", json=body).json()
    assert joined["state"] == "checking" and joined["position"] == 0
    assert joined["sent_to"] == "06 •• •• •• 01"
    stored = "SELECT body FROM notification WHERE kind = 'code'"
    with container.engine.connect() as conn:
        assert "[[otp]]" in conn.exec_driver_sql(stored).scalar_one()  # no code in the outbox
    from booking.worker import build_dispatcher
    from tests.integration.test_outbox import RecordingSender

    worker, sms = build_dispatcher(container), RecordingSender()
    worker.senders = {"sms": sms, "email": RecordingSender()}
    worker.tick()
    code = waitlist_code(container.keys.current, joined["entry"])
    assert [m.body for m in sms.sent if code in m.body]  # filled in when it left
    url = f"/api/v1/waitlist/{joined['entry']}/confirm"
    headers = {"X-Manage-Token": joined["token"]}
    wrong = client.post(url, json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "code"
    right = client.post(url, json={"code": code}, headers=headers)
    assert right.status_code == 200 and right.json()["state"] == "waiting"
    assert right.json()["position"] == 1
