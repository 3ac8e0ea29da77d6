"""The staff JSON API on both engines: sign-in, bearer tokens, the agenda, the counter's moves,
cancellation by the office, the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from booking.core.errors import NotFound
from tests.support.scenarios import PARIS, TUESDAY_9, request
from tests.support.settings import count
from tests.support.staff import PASSWORD, add_everyone, bearer

pytestmark = pytest.mark.usefixtures("two_sites")


@pytest.fixture
def emails(container, client) -> dict[str, str]:
    return add_everyone(container)


def test_sign_in_gives_a_bearer_token_with_role_and_sites(client, emails, clock):
    answer = client.post(
        "/api/v1/staff/login", json={"email": "AGENT@paris.example.org", "password": PASSWORD}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["role"] == "agent" and body["sites"] == ["paris"] and len(body["token"]) > 30
    assert datetime.fromisoformat(body["expires_at"]) == clock.moment + timedelta(hours=12)
    assert body["expires_at"].endswith("Z")
    admin = client.post(
        "/api/v1/staff/login", json={"email": emails["admin"], "password": PASSWORD}
    ).json()
    assert admin["sites"] == ["lyon", "paris"]  # an admin's sites are every site


def test_wrong_credentials_are_401_and_repeated_failures_429(client, emails):
    wrong = {"email": emails["agent"], "password": "not the password"}
    for _ in range(5):
        answer = client.post("/api/v1/staff/login", json=wrong)
        assert answer.status_code == 401 and answer.json()["detail"]
    blocked = client.post(
        "/api/v1/staff/login", json={"email": emails["agent"], "password": PASSWORD}
    )
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    unknown = client.post("/api/v1/staff/login", json={"email": "x@y.z", "password": PASSWORD})
    assert unknown.status_code == 401


def test_staff_routes_want_a_bearer_token_and_never_the_cookie(client, emails):
    url = "/api/v1/staff/sites/paris/agenda"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    token = bearer(client, emails["agent"])["Authorization"].split()[1]
    client.cookies.set("guichet_staff", token)
    assert client.get(url).status_code == 401
    client.cookies.clear()
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_agenda_shows_the_sites_day_to_its_staff_only(container, client, emails, clock):
    booked = container.visits.book(request()).appointment
    container.visits.book(request(start=TUESDAY_9 + timedelta(days=1)))
    agent = bearer(client, emails["agent"])
    answer = client.get("/api/v1/staff/sites/paris/agenda?date=2026-03-24", headers=agent)
    assert answer.status_code == 200
    body = answer.json()
    assert body["date"] == "2026-03-24" and len(body["appointments"]) == 1
    row = body["appointments"][0]
    assert row["reference"].replace("-", "") == booked.reference
    assert row["name"] == "Amina Diallo" and row["file_status"] == "declared_complete"
    assert row["to_record"] is False and row["checked_in_at"] is None
    today = client.get("/api/v1/staff/sites/paris/agenda", headers=agent).json()
    assert today["date"] == "2026-03-23" and today["appointments"] == []
    for who in ("stranger", "manager"):
        refused = client.get(
            "/api/v1/staff/sites/paris/agenda", headers=bearer(client, emails[who])
        )
        assert refused.status_code == 403 and refused.json()["detail"]


def test_counter_moves_follow_the_rules_and_are_audited(container, client, emails, clock):
    reference = container.visits.book(request()).appointment.reference
    agent = bearer(client, emails["agent"])
    url = f"/api/v1/staff/appointments/{reference}"
    early = client.post(f"{url}/check-in", headers=agent)
    assert early.status_code == 409 and early.json()["detail"]
    clock.set(TUESDAY_9 - timedelta(minutes=10))
    agent = bearer(client, emails["agent"])  # a day later: the first session has ended
    arrived = client.post(f"{url}/check-in", headers=agent)
    assert arrived.status_code == 200 and arrived.json()["status"] == "checked_in"
    assert client.post(f"{url}/check-in", headers=agent).json()["status"] == "checked_in"
    clock.set(TUESDAY_9 + timedelta(minutes=2))
    assert client.post(f"{url}/call", headers=agent).json()["called_at"]
    assert client.post(f"{url}/seen", headers=agent).json()["status"] == "seen"
    assert client.post(f"{url}/no-show", headers=agent).status_code == 409
    stranger = bearer(client, emails["stranger"])
    # Another site's visit and an unknown one answer alike (404): nothing is told about it.
    other_site = client.post(f"{url}/call", headers=stranger)
    unknown = client.post("/api/v1/staff/appointments/AAAAAAAA/call", headers=stranger)
    assert other_site.status_code == unknown.status_code == 404
    assert other_site.json() == unknown.json()
    with container.engine.connect() as connection:
        actions = connection.execute(
            text("SELECT action, staff_email, target FROM audit_event WHERE action LIKE 'visit.%'")
        ).all()
    assert sorted(a for a, _, _ in actions) == ["visit.call", "visit.check_in", "visit.seen"]
    assert {(e, t) for _, e, t in actions} == {(emails["agent"], reference)}


def test_the_office_cancels_with_a_reason_and_the_citizen_is_told(container, client, emails):
    reference = container.visits.book(request()).appointment.reference
    agent = bearer(client, emails["agent"])
    url = f"/api/v1/staff/appointments/{reference}/cancel"
    too_long = client.post(url, json={"reason": "x" * 101}, headers=agent)
    assert too_long.status_code == 422
    answer = client.post(url, json={"reason": "Fermeture exceptionnelle"}, headers=agent)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled_by_office"
    sms = (
        "SELECT count(*) FROM notification WHERE kind = 'cancellation' AND body LIKE '%Fermeture%'"
    )
    assert count(container, sms) == 1


def test_documents_presented_make_the_file_complete_or_incomplete(container, client, emails):
    reference = container.visits.book(request()).appointment.reference
    agent = bearer(client, emails["agent"])
    answer = client.post(
        f"/api/v1/staff/appointments/{reference}/documents",
        json={"presented": ["pickup-notification", "passport"]},
        headers=agent,
    )
    assert answer.status_code == 200 and answer.json()["file_status"] == "incomplete"


def test_sign_out_disabling_and_idle_time_end_sessions(container, client, emails, clock):
    url = "/api/v1/staff/sites/paris/agenda"
    agent = bearer(client, emails["agent"])
    assert client.post("/api/v1/staff/logout", headers=agent).status_code == 204
    assert client.get(url, headers=agent).status_code == 401
    agent = bearer(client, emails["agent"])
    clock.set(clock.moment + timedelta(minutes=29))
    assert client.get(url, headers=agent).status_code == 200  # used: the idle time restarts
    clock.set(clock.moment + timedelta(minutes=29))
    assert client.get(url, headers=agent).status_code == 200
    clock.set(clock.moment + timedelta(minutes=31))
    assert client.get(url, headers=agent).status_code == 401
    agent = bearer(client, emails["agent"])
    assert container.staff.disable(emails["agent"])
    assert client.get(url, headers=agent).status_code == 401
    disabled = client.post(
        "/api/v1/staff/login", json={"email": emails["agent"], "password": PASSWORD}
    )
    assert disabled.status_code == 401


def test_passwords_are_stored_as_argon2_hashes(container, emails):
    with container.engine.connect() as connection:
        hashes = connection.execute(text("SELECT password_hash FROM staff_member")).scalars()
        assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_staff_book_for_someone_without_contacts_and_skip_the_notice(container, client, emails):
    agent = bearer(client, emails["agent"])
    body = {
        "site_id": "paris",
        "procedure_id": "residence-permit-pickup",
        "start": "2026-03-23T09:00:00+01:00",  # within the hour: too soon for the web
        "name": "Jean Martin",
        "channel": "phone",
        "declared": ["pickup-notification", "passport", "tax-stamp"],
    }
    web = client.post(
        "/api/v1/appointments", json={**body, "channel": None} | {"phone": "0612345678"}
    )
    assert web.status_code == 422  # the public API knows no channel
    answer = client.post("/api/v1/staff/appointments", json=body, headers=agent)
    assert answer.status_code == 201, answer.text
    booked = answer.json()
    assert booked["channel"] == "phone" and booked["phone"] is None and booked["token"]
    assert booked["convocation_url"].endswith(booked["reference"].replace("-", ""))
    taken = client.post("/api/v1/staff/appointments", json=body, headers=agent)
    assert taken.status_code == 409 and taken.json()["alternatives"]  # capacity still holds
    late = client.post(
        "/api/v1/staff/appointments",
        json={**body, "start": "2026-03-23T07:45:00+01:00"},
        headers=agent,
    )
    assert late.status_code == 422  # the past stays closed
    stranger = bearer(client, emails["stranger"])
    assert client.post("/api/v1/staff/appointments", json=body, headers=stranger).status_code == 403
    assert (
        count(container, "SELECT count(*) FROM notification WHERE appointment_id IS NOT NULL") == 0
    )
    audit = "SELECT count(*) FROM audit_event WHERE action = 'visit.book_phone'"
    assert count(container, audit) == 1


def test_a_walk_in_takes_the_next_free_time_today(container, client, emails, clock):
    clock.set(datetime(2026, 3, 24, 10, 7, tzinfo=PARIS))
    agent = bearer(client, emails["agent"])
    answer = client.post(
        "/api/v1/staff/appointments",
        json={
            "site_id": "paris",
            "procedure_id": "residence-permit-pickup",
            "name": "Sans rendez-vous",
            "channel": "desk",
            "declared": ["pickup-notification", "passport", "tax-stamp"],
        },
        headers=agent,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["start"] == "2026-03-24T10:15:00+01:00"
    assert answer.json()["channel"] == "desk"


def test_site_admins_read_the_sites_messages_tokens_masked_and_its_audit(container, client, emails):
    view = container.visits.book(request(email="amina@example.org"))
    admin = bearer(client, emails["site_admin"])
    answer = client.get("/api/v1/staff/sites/paris/messages?date=2026-03-23", headers=admin)
    assert answer.status_code == 200
    messages = answer.json()["messages"]
    assert sorted((m["kind"], m["channel"]) for m in messages) == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder", "email"),  # due at 18:00 the day before the visit: today
        ("reminder", "sms"),
    ]
    assert all(view.token not in m["body"] and "#…" in m["body"] for m in messages)
    code = container.visits.management_code(view)  # staff cannot act as the citizen
    assert all(code not in m["body"] for m in messages)
    assert messages[0]["reference"].replace("-", "") == view.appointment.reference
    agent = bearer(client, emails["agent"])
    assert client.get("/api/v1/staff/sites/paris/messages", headers=agent).status_code == 403
    client.post(
        f"/api/v1/staff/appointments/{view.appointment.reference}/cancel",
        json={"reason": "Grève"},
        headers=agent,
    )
    events = client.get("/api/v1/staff/sites/paris/audit", headers=admin).json()["events"]
    visits = [e for e in events if e["action"].startswith("visit.")]
    assert [(e["action"], e["staff"], e["details"]) for e in visits] == [
        ("visit.cancel_by_office", emails["agent"], {"reason": "Grève"})
    ]
    assert visits[0]["address"]
    signed_in = {e["staff"] for e in events if e["action"] == "staff.sign_in"}
    assert signed_in == {emails["site_admin"], emails["agent"]}  # the site's members only


def test_a_return_visit_copies_the_file_and_links_to_the_first(container, client, emails):
    first = container.visits.book(request(email="amina@example.org")).appointment
    agent = bearer(client, emails["agent"])
    url = f"/api/v1/staff/appointments/{first.reference}"
    client.post(f"{url}/documents", json={"presented": ["passport"]}, headers=agent)
    answer = client.post(f"{url}/return-visit", headers=agent)
    assert answer.status_code == 201, answer.text
    back = answer.json()
    assert back["start"] == "2026-03-24T09:15:00+01:00"  # from tomorrow; 09:00 is the first
    assert (back["name"], back["phone"], back["email"]) == (
        "Amina Diallo",
        "+33612345678",
        "amina@example.org",
    )
    linked = "SELECT count(*) FROM appointment WHERE return_of IS NOT NULL"
    assert count(container, linked) == 1


def test_a_visitor_is_called_to_a_given_counter(container, client, emails, clock):
    reference = container.visits.book(request()).appointment.reference
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    agent = bearer(client, emails["agent"])
    url = f"/api/v1/staff/appointments/{reference}/call"
    assert client.post(url, json={"counter_id": 2}, headers=agent).status_code == 422  # Lyon's
    assert client.post(url, json={"counter_id": 1}, headers=agent).json()["status"] == "called"
    called = "SELECT count(*) FROM appointment WHERE called_counter_id = 1"
    assert count(container, called) == 1
    assert client.post(url, headers=agent).status_code == 200  # the repeat, without a body


def test_staff_send_a_new_link_the_old_one_ends_at_its_first_use(container, client, emails):
    view = container.visits.book(request())
    reference, old = view.appointment.reference, view.token
    agent, stranger = bearer(client, emails["agent"]), bearer(client, emails["stranger"])
    url = f"/api/v1/staff/appointments/{reference}/send-link"
    assert client.post(url, headers=stranger).status_code == 404
    assert client.post(url, headers=agent).status_code == 204
    assert count(container, "SELECT count(*) FROM notification WHERE kind = 'link'") == 1
    assert (
        count(container, "SELECT count(*) FROM audit_event WHERE action = 'visit.send_link'") == 1
    )
    assert container.visits.show(reference, old)  # until the new link is used
    from booking.domain import appointments, credentials

    with container.uow.reading() as session:
        new = credentials.token(container.keys, appointments.find(session, reference))
    container.visits.show(reference, new)
    with pytest.raises(NotFound):
        container.visits.show(reference, old)
