"""Twilio end to end against a local fake of its REST API (real HTTP), on both engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from twilio.request_validator import RequestValidator

from booking.container import build_container
from booking.demo.builders import add_counter, add_site
from booking.worker import build_dispatcher, build_senders
from notifications.dispatcher import Dispatcher, Policy
from notifications.outbox import Message, claim, enqueue
from notifications.outbox import table as notifications
from notifications.senders import Outgoing
from notifications.twilio_fake import FakeTwilio
from tests.support.settings import ROOT, count, make_settings

TOKEN = "twilio-auth-token-for-tests"
PHONE = "+33612345678"
PUBLIC = "https://rdv.example.fr"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def container(database_url, clock, fake):
    """This module's container sends SMS through Twilio's client to the local fake."""
    settings = make_settings(
        database_url,
        sms_backend="twilio",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN,
        twilio_from="+33700000000",
        twilio_api_base=fake.base_url,
        public_url=PUBLIC,
    )
    container = build_container(settings, clock=clock)
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site, capacity=5)
    yield container
    container.engine.dispose()


def book(client, phone="06 12 34 56 78", start="2026-03-24T09:00:00+01:00") -> dict:
    response = client.post(
        "/api/v1/appointments",
        json={
            "site_id": "paris",
            "procedure_id": "residence-permit-pickup",
            "start": start,
            "name": "Amina Diallo",
            "phone": phone,
            "email": "amina@example.fr",
            "notify": ["sms"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def signed_post(client, path: str, form: dict[str, str], token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_sms_goes_through_twilio_with_the_status_callback(client, container, fake):
    body = book(client)
    build_dispatcher(container).run_until_idle()
    [message] = fake.messages
    assert message["to"] == PHONE and body["reference"] in message["body"]
    assert message["from"] == "+33700000000"
    assert message["status_callback"] == PUBLIC + "/api/v1/twilio/status"
    stored = count(
        container, f"SELECT count(*) FROM notification WHERE provider_id = '{message['sid']}'"
    )
    assert stored == 1


def test_status_callbacks_need_a_valid_signature(client, container, fake):
    book(client)
    build_dispatcher(container).run_until_idle()
    sid = fake.messages[0]["sid"]
    form = {"MessageSid": sid, "MessageStatus": "delivered", "To": PHONE}
    forged = signed_post(client, "/api/v1/twilio/status", form, token="not-the-token")
    missing = client.post("/api/v1/twilio/status", data=form)
    assert forged.status_code == missing.status_code == 403
    assert count(container, "SELECT count(*) FROM notification WHERE status = 'delivered'") == 0
    assert signed_post(client, "/api/v1/twilio/status", form).status_code == 204
    assert (
        signed_post(client, "/api/v1/twilio/status", form).status_code == 204
    )  # repeated: harmless
    assert count(container, "SELECT count(*) FROM notification WHERE status = 'delivered'") == 1
    failed = {"MessageSid": "SMunknown", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert signed_post(client, "/api/v1/twilio/status", failed).status_code == 204


@pytest.mark.parametrize("word", ["STOP", "arret", "Arrêt merci"])
def test_stop_and_arret_opt_out_and_start_undoes_it(client, container, fake, clock, word):
    book(client)
    build_dispatcher(container).run_until_idle()
    reply = signed_post(client, "/api/v1/twilio/inbound", {"From": PHONE, "Body": word})
    assert reply.status_code == 200 and "<Response>" in reply.text
    assert count(container, "SELECT count(*) FROM opt_out") == 1
    assert (
        count(
            container,
            "SELECT count(*) FROM notification WHERE kind = 'reminder' AND status = 'cancelled'",
        )
        == 1
    )
    book(client, start="2026-03-24T10:00:00+01:00")
    build_dispatcher(container).run_until_idle()
    assert len(fake.messages) == 1  # nothing more to an opted-out number
    signed_post(client, "/api/v1/twilio/inbound", {"From": PHONE, "Body": "START"})
    assert count(container, "SELECT count(*) FROM opt_out") == 0
    forged = client.post(
        "/api/v1/twilio/inbound",
        data={"From": "+33611111111", "Body": "STOP"},
        headers={"X-Twilio-Signature": "bogus"},
    )
    assert forged.status_code == 403 and count(container, "SELECT count(*) FROM opt_out") == 0


def test_error_21610_marks_the_number_and_falls_back_to_email(client, container, fake):
    fake.refuse[PHONE] = 21610
    book(client)
    build_dispatcher(container).run_until_idle()
    assert count(container, "SELECT count(*) FROM opt_out") == 1
    assert (
        count(
            container,
            "SELECT count(*) FROM notification WHERE channel = 'email' AND status = 'sent'",
        )
        == 1
    )


def test_invalid_number_fails_for_good_and_outages_are_retried(client, container, fake, clock):
    fake.refuse["+33698765432"] = 21211
    fake.flaky[PHONE] = 2
    book(client, phone="06 98 76 54 32")
    book(client)
    worker = build_dispatcher(container)
    for step in range(4):
        clock.set(datetime(2026, 3, 23, 7, 0, tzinfo=UTC) + timedelta(minutes=2 * step))
        worker.run_until_idle()
    reasons = dict(
        (r[0], r[1])
        for r in _query(
            container,
            "SELECT recipient, status FROM notification WHERE kind = 'confirmation'",
        )
    )
    assert reasons == {"+33698765432": "failed", PHONE: "sent"}
    assert len(fake.bodies_to(PHONE)) == 1


def _query(container, sql: str) -> list[tuple]:
    with container.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def due_now(container, count: int) -> None:
    """`count` SMS due now, one a number, outside quiet hours."""
    now = datetime.now(UTC)
    with container.uow.writing() as session:
        messages = [
            Message(
                idempotency_key=f"due-{i}",
                channel="sms",
                kind="confirmation",
                recipient=f"+3361234{i:04d}",
                body=f"message {i}",
                due_at=now - timedelta(seconds=1),
                quiet_hours_apply=False,
            )
            for i in range(count)
        ]
        enqueue(session, messages, now)


def test_rate_limit_holds_across_two_workers(container, fake):
    due_now(container, 60)
    workers = [
        Dispatcher(
            container.uow,
            build_dispatcher(container).senders,
            policy=Policy(batch=10, rate_per_second=30.0),
        )
        for _ in range(2)
    ]
    started = time.monotonic()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda w: w.run_until_idle(), workers))
    elapsed = time.monotonic() - started
    assert len(fake.messages) == 60
    assert elapsed >= (60 - 3) / 30 * 0.95  # at most 30/s, after a burst of 3


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(container, fake, database_url):
    due_now(container, 12)
    fake.delay = 0.15
    env = {
        **os.environ,
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_SMS_BACKEND": "twilio",
        "GUICHET_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "GUICHET_TWILIO_AUTH_TOKEN": TOKEN,
        "GUICHET_TWILIO_FROM": "+33700000000",
        "GUICHET_TWILIO_API_BASE": fake.base_url,
        "GUICHET_DISPATCH_INTERVAL_SECONDS": "1",
        "GUICHET_DISPATCH_LEASE_SECONDS": "2",
        "GUICHET_ENVIRONMENT": "development",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while len(fake.messages) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)  # mid-batch: some sent, one perhaps in flight
    worker.wait()
    assert 4 <= len(fake.messages) < 12
    fake.delay = 0
    time.sleep(2.2)  # let the dead worker's lease run out
    survivor = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while count(container, "SELECT count(*) FROM notification WHERE status = 'sent'") < 12:
        assert time.monotonic() < deadline, "the survivor did not finish the job"
        time.sleep(0.1)
    survivor.send_signal(signal.SIGTERM)
    survivor.wait(timeout=30)
    recipients = [m["to"] for m in fake.messages]
    assert len(recipients) == len(set(recipients)) == 12  # none lost, none twice


def test_annuler_with_the_reference_cancels_from_the_booking_number_only(client, container):
    body = book(client)
    reference = body["reference"]
    other = signed_post(
        client, "/api/v1/twilio/inbound", {"From": "+33611111111", "Body": f"ANNULER {reference}"}
    )
    assert other.status_code == 200
    assert count(container, "SELECT count(*) FROM appointment WHERE status = 'booked'") == 1
    mine = signed_post(
        client, "/api/v1/twilio/inbound", {"From": PHONE, "Body": f"annuler {reference.lower()}"}
    )
    assert mine.status_code == 200
    assert (
        count(
            container,
            "SELECT count(*) FROM appointment WHERE status = 'cancelled_by_citizen'",
        )
        == 1
    )
    assert count(container, "SELECT count(*) FROM notification WHERE kind = 'cancellation'") == 1
    assert count(container, "SELECT count(*) FROM counter_load WHERE booked > 0") == 0


def mark_seen(container, clock, visit: dict) -> None:
    """Check the visitor in and mark them seen at the counter, on the day, then come back."""
    before = clock.moment
    clock.set(datetime.fromisoformat(visit["start"]) + timedelta(minutes=5))
    container.visits.check_in(visit["reference"])
    container.visits.mark_seen(visit["reference"])
    clock.set(before)


def test_satisfaction_survey_after_a_visit_where_the_site_asks(client, container, fake, clock):
    from booking.domain.models import Site

    first = book(client)
    mark_seen(container, clock, first)
    assert count(container, "SELECT count(*) FROM notification WHERE kind = 'survey'") == 0
    with container.uow.writing() as session:
        session.get(Site, "paris").survey_enabled = True
    second = book(client, start="2026-03-24T10:00:00+01:00")
    mark_seen(container, clock, second)
    clock.set(datetime.fromisoformat(second["start"]) + timedelta(minutes=20))
    build_dispatcher(container).run_until_idle()
    survey = [m for m in fake.messages if "de 1" in m["body"]]
    assert len(survey) == 1 and second["reference"] in survey[0]["body"]
    signed_post(client, "/api/v1/twilio/inbound", {"From": "+33611111111", "Body": "5"})
    signed_post(client, "/api/v1/twilio/inbound", {"From": PHONE, "Body": " 4 "})
    signed_post(client, "/api/v1/twilio/inbound", {"From": PHONE, "Body": "1"})  # answered already
    ratings = _query(container, "SELECT satisfaction FROM appointment ORDER BY id")
    assert ratings == [(None,), (4,)]
    assert count(container, "SELECT count(*) FROM opt_out") == 0


def test_a_message_handed_over_before_a_crash_is_looked_up_before_any_resend(
    container, fake, clock
):
    """A worker marked two SMS as handed to Twilio and died: Twilio had accepted the first
    (its answer was lost), never received the second. The next worker asks Twilio first:
    it records the first with Twilio's own id and sends only the second."""
    now = clock.moment
    numbers = ["+33612340001", "+33612340002"]
    with container.uow.writing() as session:
        enqueue(
            session,
            [
                Message(f"crash-{i}", "sms", "confirmation", number, f"message {i}", now)
                for i, number in enumerate(numbers)
            ],
            now,
        )
    with container.engine.begin() as connection:
        claimed = claim(connection, "dead-worker", now, 10, timedelta(seconds=30))
        connection.execute(
            update(notifications).where(notifications.c.status == "sending").values(handed_at=now)
        )
    accepted = build_senders(container)["sms"].send(
        Outgoing(claimed[0].id, "sms", numbers[0], "message 0", handed_at=now)
    )
    assert len(fake.messages) == 1  # the dead worker's send went through; its answer did not
    clock.set(now + timedelta(minutes=1))  # the dead worker's lease has run out
    build_dispatcher(container).run_until_idle()
    assert sorted(fake.bodies_to(n)[0] for n in numbers) == ["message 0", "message 1"]
    assert len(fake.messages) == 2  # nothing went twice
    rows = _query(container, "SELECT status, provider_id FROM notification ORDER BY id")
    assert rows[0] == ("sent", accepted) and rows[1][0] == "sent" and rows[1][1] != accepted


def test_a_batch_goes_out_in_waves_each_message_once_the_urgent_first(container, fake, clock):
    """Issue 19: 60 reminders and then one code, due together; the worker (its settings'
    concurrency side by side) hands the code to Twilio first, every message exactly once,
    each recorded with its id."""
    reminders = [
        Message(
            idempotency_key=f"wave-{n}",
            channel="sms",
            kind="reminder",
            recipient=f"+336120000{n:02d}",
            body=f"Rappel {n}",
            due_at=clock.moment,
            quiet_hours_apply=False,
        )
        for n in range(60)
    ]
    code = Message(
        idempotency_key="wave-code",
        channel="sms",
        kind="code",
        recipient="+33699999999",
        body="Code 123456",
        due_at=clock.moment,
        quiet_hours_apply=False,
        urgent=True,
    )
    with container.uow.writing() as session:
        enqueue(session, [*reminders, code], clock.moment)
    worker = build_dispatcher(container)
    assert worker.policy.concurrency == container.settings.dispatch_concurrency > 1
    assert worker.tick() == 61
    received = [m["to"] for m in fake.messages]
    assert received[0] == "+33699999999"
    assert sorted(received) == sorted({m.recipient for m in [*reminders, code]})
    sent = "SELECT count(DISTINCT provider_id) FROM notification WHERE status = 'sent'"
    assert count(container, sent) == 61
