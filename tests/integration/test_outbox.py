"""The outbox and the dispatcher on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import text, update
from sqlmodel import select

from booking.demo.builders import add_counter, add_site
from booking.domain.credentials import message_secrets
from booking.domain.models import Site
from notifications.dispatcher import Dispatcher, Policy
from notifications.models import Notification
from notifications.outbox import Message, claim, enqueue, table
from notifications.schedule import reminder_due
from notifications.senders import Outgoing, SendError
from tests.support.settings import count

PARIS = ZoneInfo("Europe/Paris")
PHONE = "+33612345678"


class RecordingSender:
    """An in-memory provider: records what it was given; scripted failures by recipient."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.failures: dict[str, list[SendError]] = {}
        self.lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        with self.lock:
            queue = self.failures.get(message.recipient)
            if queue:
                raise queue.pop(0)
            self.sent.append(message)
            return f"P{message.id}-{len(self.sent)}"

    def find_sent(self, message: Outgoing) -> str | None:
        with self.lock:
            for index, sent in enumerate(self.sent, 1):
                if sent.id == message.id:
                    return f"P{message.id}-{index}"
        return None


@pytest.fixture(autouse=True)
def site(container) -> None:
    with container.uow.writing() as session:
        site = add_site(session)
        add_counter(session, site, capacity=5)


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def email() -> RecordingSender:
    return RecordingSender()


def dispatcher(container, clock, sms, email, **policy) -> Dispatcher:
    keys = container.keys
    return Dispatcher(
        container.uow,
        {"sms": sms, "email": email},
        secrets=lambda connection, ids: message_secrets(connection, keys, ids),
        policy=Policy(**policy),
        clock=clock,
    )


def book(client, start="2026-03-24T09:00:00+01:00", **changes) -> dict:
    body = {
        "site_id": "paris",
        "procedure_id": "residence-permit-pickup",
        "start": start,
        "name": "Amina Diallo",
        "phone": "06 12 34 56 78",
        "email": "amina@example.fr",
        "declared": ["pickup-notification", "passport", "tax-stamp"],
    } | changes
    response = client.post(
        "/api/v1/appointments", json={k: v for k, v in body.items() if v is not None}
    )
    assert response.status_code == 201, response.text
    return response.json()


def outbox(container) -> list[Notification]:
    with container.uow.reading() as session:
        found = list(session.exec(select(Notification).order_by(Notification.id)))
        session.expunge_all()
    return found


def rows(container, **where) -> list[Notification]:
    return [n for n in outbox(container) if all(getattr(n, k) == v for k, v in where.items())]


def test_booking_enqueues_confirmations_now_and_reminders_the_day_before(client, container, clock):
    body = book(client)
    confirmations = rows(container, kind="confirmation")
    assert {n.channel for n in confirmations} == {"sms", "email"}
    assert all(n.due_at == clock.moment and not n.quiet_hours_apply for n in confirmations)
    assert all(n.quiet_hours_apply for n in rows(container, kind="reminder"))
    sms = next(n for n in confirmations if n.channel == "sms")
    assert body["reference"] in sms.body and sms.recipient == PHONE
    reminders = rows(container, kind="reminder")
    assert {n.channel for n in reminders} == {"sms", "email"}
    assert all(n.due_at == datetime(2026, 3, 23, 18, 0, tzinfo=PARIS) for n in reminders)
    assert all(n.latest_at == datetime(2026, 3, 24, 7, 0, tzinfo=PARIS) for n in reminders)
    mail = next(n for n in confirmations if n.channel == "email")
    assert (
        Calendar.from_ical(mail.attachment)["METHOD"] == "REQUEST"
        and mail.attachment_method == "REQUEST"
    )
    assert "Passeport" in mail.body


def test_no_reminder_for_a_visit_sooner_than_the_reminder_time(client, container):
    book(client, start="2026-03-23T13:30:00+01:00")
    assert rows(container, kind="reminder") == []
    assert len(rows(container, kind="confirmation")) == 2


def test_channel_choice_is_respected(client, container):
    book(client, notify=["email"])
    assert {n.channel for n in outbox(container)} == {"email"}


def test_a_move_before_the_confirmation_left_confirms_the_new_time(client, container):
    body = book(client)
    client.post(
        f"/api/v1/appointments/{body['reference']}/reschedule",
        json={"start": "2026-03-26T10:00:00+01:00"},
        headers={"X-Manage-Token": body["token"]},
    )
    confirmations = rows(container, kind="confirmation")
    assert [n.status for n in confirmations] == ["cancelled", "cancelled", "pending", "pending"]
    assert all("26 mars" in n.body for n in confirmations if n.status == "pending")
    assert rows(container, kind="change") == []


def test_reschedule_cancels_the_reminder_and_queues_a_new_one(client, container, clock, sms, email):
    body = book(client)
    dispatcher(container, clock, sms, email).run_until_idle()  # the confirmation went out
    headers = {"X-Manage-Token": body["token"]}
    moved = client.post(
        f"/api/v1/appointments/{body['reference']}/reschedule",
        json={"start": "2026-03-26T10:00:00+01:00"},
        headers=headers,
    )
    assert moved.status_code == 200
    reminders = rows(container, kind="reminder")
    assert {n.status for n in reminders if n.due_at.date().isoformat() == "2026-03-23"} == {
        "cancelled"
    }
    fresh = [n for n in reminders if n.status == "pending"]
    assert len(fresh) == 2 and all(
        n.due_at == datetime(2026, 3, 25, 18, tzinfo=PARIS) for n in fresh
    )
    assert len(rows(container, kind="change")) == 2
    change_mail = rows(container, kind="change", channel="email")[0]
    assert "SEQUENCE:1" in change_mail.attachment


def test_cancel_cancels_pending_messages_and_sends_a_calendar_cancel(client, container):
    body = book(client)
    client.post(
        f"/api/v1/appointments/{body['reference']}/cancel",
        headers={"X-Manage-Token": body["token"]},
    )
    assert {n.status for n in rows(container, kind="reminder")} == {"cancelled"}
    assert {n.status for n in rows(container, kind="confirmation")} == {"cancelled"}
    mail = rows(container, kind="cancellation", channel="email")[0]
    calendar = Calendar.from_ical(mail.attachment)
    assert calendar["METHOD"] == "CANCEL" and calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert mail.attachment_method == "CANCEL"


def test_dispatcher_sends_each_message_once_when_due(client, container, clock, sms, email):
    book(client)
    worker = dispatcher(container, clock, sms, email)
    assert worker.run_until_idle() == 2
    assert worker.run_until_idle() == 0
    assert len(sms.sent) == 1 and len(email.sent) == 1
    clock.set(datetime(2026, 3, 23, 18, 0, 30, tzinfo=PARIS))
    worker.run_until_idle()
    assert [m.body.startswith("RDV demain") for m in sms.sent] == [False, True]
    assert {n.status for n in outbox(container)} == {"sent"}
    assert all(n.provider_id and n.sent_at for n in outbox(container))


def test_quiet_hours_postpone_a_reminder_or_drop_it_if_too_late(
    client, container, clock, sms, email
):
    with container.uow.writing() as session:
        session.get(Site, "paris").reminder_hour = 22
    book(client, start="2026-03-24T09:00:00+01:00", email=None)  # latest: 07:00 next day
    book(client, start="2026-03-24T13:30:00+01:00", email=None)  # latest: 11:30
    worker = dispatcher(container, clock, sms, email)
    worker.run_until_idle()
    clock.set(datetime(2026, 3, 23, 22, 0, 5, tzinfo=PARIS))
    worker.run_until_idle()
    early, late = rows(container, kind="reminder")
    assert early.status == "dropped" and "quiet hours" in early.error
    assert late.status == "pending" and late.due_at == datetime(2026, 3, 24, 8, 0, tzinfo=PARIS)
    clock.set(datetime(2026, 3, 24, 8, 0, 1, tzinfo=PARIS))
    worker.run_until_idle()
    assert rows(container, kind="reminder")[1].status == "sent"


def test_a_reminder_that_can_no_longer_arrive_in_time_is_dropped(
    client, container, clock, sms, email
):
    book(client, email=None)
    clock.set(datetime(2026, 3, 24, 7, 30, tzinfo=PARIS))  # the dispatcher was down all night
    dispatcher(container, clock, sms, email).run_until_idle()
    reminder = rows(container, kind="reminder")[0]
    assert reminder.status == "dropped" and "too late" in reminder.error
    assert not any(m.body.startswith("RDV demain") for m in sms.sent)


def test_transient_errors_are_retried_with_backoff_and_permanent_ones_recorded(
    client, container, clock, sms, email
):
    sms.failures[PHONE] = [SendError("busy", permanent=False), SendError("busy", permanent=False)]
    book(client, email=None)
    worker = dispatcher(container, clock, sms, email)
    worker.run_until_idle()
    first = rows(container, kind="confirmation")[0]
    assert first.status == "pending" and first.due_at == clock.moment + timedelta(seconds=30)
    for seconds in (31, 95):
        clock.set(datetime(2026, 3, 23, 7, 0, tzinfo=UTC) + timedelta(seconds=seconds))
        worker.run_until_idle()
    done = rows(container, kind="confirmation")[0]
    assert done.status == "sent" and done.attempts == 3 and len(sms.sent) == 1
    sms.failures["+33698765432"] = [SendError("invalid number", permanent=True)]
    book(client, phone="06 98 76 54 32", email=None)
    worker.run_until_idle()
    failed = rows(container, recipient="+33698765432", kind="confirmation")[0]
    assert failed.status == "failed" and "invalid number" in failed.error


def test_opted_out_number_falls_back_to_email_and_gets_no_more_sms(
    client, container, clock, sms, email
):
    sms.failures[PHONE] = [SendError("twilio 21610", permanent=True, opted_out=True)]
    book(client, notify=["sms"])
    worker = dispatcher(container, clock, sms, email)
    worker.run_until_idle()
    assert count(container, "SELECT count(*) FROM opt_out") == 1
    assert [m.recipient for m in email.sent] == ["amina@example.fr"]
    assert rows(container, kind="reminder", channel="sms")[0].status == "cancelled"
    book(client, start="2026-03-25T09:00:00+01:00", notify=["sms"])
    worker.run_until_idle()
    assert sms.sent == []
    assert rows(container, kind="confirmation", channel="sms")[1].status == "dropped"


def test_fuse_stops_a_runaway_number(client, container, clock, sms, email):
    worker = dispatcher(container, clock, sms, email, sms_per_number_per_day=5)
    for day in range(6):
        book(client, start=f"2026-03-{24 + day // 3}T{9 + day % 3:02d}:00:00+01:00", email=None)
        worker.run_until_idle()
    assert len(sms.sent) == 5
    assert rows(container, kind="confirmation")[5].error.startswith("fuse")


def test_two_dispatchers_racing_send_each_message_once(client, container, clock, sms, email):
    for index in range(12):
        book(
            client,
            start=f"2026-03-{24 + index // 6}T{9 + index % 3:02d}:{15 * (index % 2):02d}:00+01:00",
            phone=f"06 12 34 56 {10 + index}",
        )
    workers = [dispatcher(container, clock, sms, email, batch=3) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda w: w.run_until_idle(), workers))
    sent_ids = [m.id for m in sms.sent + email.sent]
    assert len(sent_ids) == len(set(sent_ids)) == 24
    assert {n.status for n in rows(container, kind="confirmation")} == {"sent"}


def test_a_dead_workers_messages_are_reclaimed_without_sending_twice(
    client, container, clock, sms, email
):
    book(client)
    with container.engine.begin() as connection:  # a worker claims, hands one over, then dies
        claimed = claim(connection, "dead-worker", clock.moment, 10, timedelta(minutes=2))
    handed = claimed[0]
    sms.sent.append(Outgoing(handed.id, handed.channel, handed.recipient, handed.body))
    with container.engine.begin() as connection:
        connection.execute(
            update(table).where(table.c.id == handed.id).values(handed_at=clock.moment)
        )
    worker = dispatcher(container, clock, sms, email)
    assert worker.run_until_idle() == 0  # still leased to the dead worker
    clock.set(clock.moment + timedelta(minutes=3))
    worker.run_until_idle()
    assert len([m for m in sms.sent + email.sent if m.id == handed.id]) == 1
    assert {n.status for n in rows(container, kind="confirmation")} == {"sent"}


def test_shared_rate_bucket_never_counts_an_interval_twice(container):
    from notifications.rate import take_tokens

    start = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    assert take_tokens(container.uow, "sms", 10.0, 5, start)[0] == 1  # full bucket: 1 token
    assert take_tokens(container.uow, "sms", 10.0, 5, start + timedelta(seconds=1))[0] == 1
    # a worker that read the clock before waiting for the lock must not refill again
    assert take_tokens(container.uow, "sms", 10.0, 5, start + timedelta(seconds=0.5))[0] == 0
    granted, wait = take_tokens(container.uow, "sms", 10.0, 5, start + timedelta(seconds=1.05))
    assert granted == 0 and 0 < wait <= 0.1


def test_quiet_hours_with_the_real_clock_travelled(client, container, sms, email):
    """The dispatcher's own clock (no injected one), frozen with freezegun."""
    from freezegun import freeze_time

    book(client, start="2026-03-24T13:30:00+01:00", email=None)
    worker = Dispatcher(container.uow, {"sms": sms, "email": email})
    with freeze_time(datetime(2026, 3, 23, 22, 30, tzinfo=PARIS)):
        worker.run_until_idle()  # the confirmation of a booking just made goes out at night
        assert len(sms.sent) == 1
    with container.engine.begin() as connection:  # make the reminder due in the night
        connection.execute(
            update(table)
            .where(table.c.kind == "reminder")
            .values(due_at=datetime(2026, 3, 23, 22, 0, tzinfo=PARIS))
        )
    with freeze_time(datetime(2026, 3, 23, 22, 30, tzinfo=PARIS)):
        worker.run_until_idle()
    reminder = rows(container, kind="reminder")[0]
    assert len(sms.sent) == 1 and reminder.status == "pending"
    assert reminder.due_at == datetime(2026, 3, 24, 8, 0, tzinfo=PARIS)
    with freeze_time(datetime(2026, 3, 24, 8, 0, 5, tzinfo=PARIS)):
        worker.run_until_idle()
    assert len(sms.sent) == 2 and rows(container, kind="reminder")[0].status == "sent"


def test_a_message_that_keeps_crashing_the_sender_is_given_up_not_retried_forever(
    client, container, clock, email
):
    class Broken(RecordingSender):
        def send(self, message: Outgoing) -> str:
            raise RuntimeError("bug in a sender")

    book(client, email=None)
    worker = dispatcher(container, clock, Broken(), email, max_attempts=3)
    for minutes in range(0, 40, 5):
        clock.set(datetime(2026, 3, 23, 7, 0, tzinfo=UTC) + timedelta(minutes=minutes))
        worker.run_until_idle()
    confirmation = rows(container, kind="confirmation")[0]
    assert confirmation.status == "failed" and "gave up after 3 attempts" in confirmation.error


@pytest.mark.parametrize("zone", ["Europe/Paris", "Indian/Reunion"])
def test_the_dispatcher_keeps_quiet_from_21_00_00_and_sends_from_08_00_00(
    container, clock, sms, email, zone
):
    tz = ZoneInfo(zone)
    nine_pm = datetime(2026, 3, 23, 21, 0, tzinfo=tz)
    message = Message(
        idempotency_key="quiet-edge",
        channel="sms",
        kind="reminder",
        recipient=PHONE,
        body="RDV demain",
        due_at=nine_pm,
        timezone=zone,
    )
    with container.uow.writing() as session:
        enqueue(session, [message], nine_pm)
    worker = dispatcher(container, clock, sms, email)
    clock.set(nine_pm)
    worker.run_until_idle()
    (waiting,) = outbox(container)
    assert sms.sent == [] and waiting.status == "pending"
    assert waiting.due_at == datetime(2026, 3, 24, 8, 0, tzinfo=tz)
    clock.set(datetime(2026, 3, 24, 7, 59, 59, tzinfo=tz))
    worker.run_until_idle()
    assert sms.sent == []
    clock.set(datetime(2026, 3, 24, 8, 0, tzinfo=tz))
    worker.run_until_idle()
    assert len(sms.sent) == 1 and outbox(container)[0].status == "sent"


def test_on_the_night_the_clocks_go_back_a_reminder_waits_for_08_00_winter_time(
    container, clock, sms, email
):
    """A visit at 02:30 on 25 October (the hour that happens twice): its reminder at 18:00 the
    day before goes out then; a message falling due in the repeated hour waits for 08:00 CET."""
    visit = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)
    due = reminder_due(visit, "Europe/Paris", 18, now=datetime(2026, 10, 20, tzinfo=UTC))
    repeated_hour = datetime(2026, 10, 25, 1, 40, tzinfo=UTC)  # 02:40 CET, the second time
    with container.uow.writing() as session:
        enqueue(
            session,
            [
                Message("reminder", "sms", "reminder", PHONE, "RDV demain", due),
                Message("night", "sms", "change", "+33698765432", "RDV déplacé", repeated_hour),
            ],
            due,
        )
    worker = dispatcher(container, clock, sms, email)
    clock.set(due)
    worker.run_until_idle()
    assert [m.body for m in sms.sent] == ["RDV demain"]
    clock.set(repeated_hour)
    worker.run_until_idle()
    night = next(n for n in outbox(container) if n.idempotency_key == "night")
    assert night.status == "pending"
    assert night.due_at == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_links_and_codes_are_filled_in_only_when_sent(client, container, clock, sms, email):
    booked = book(client, email="amina@example.org")
    reference, token = booked["reference"], booked["token"]
    with container.engine.connect() as conn:
        stored = [row.body for row in conn.execute(text("SELECT body FROM notification"))]
    assert stored and all(token not in body for body in stored)  # nothing in the outbox opens it
    assert any("[[token]]" in body and "[[code]]" in body for body in stored)
    dispatcher(container, clock, sms, email).run_until_idle()
    code = container.visits.open_with_code(reference, _code_in(sms.sent[0].body)).token
    canonical = reference.replace("-", "")
    assert code == token and f"/r/{canonical}#{token}" in sms.sent[0].body
    assert "[[" not in sms.sent[0].body and "[[" not in email.sent[0].body
    # A new link sent on request: the reminder still queued leaves with it, not the old one.
    container.visits.resend_link(reference)
    clock.set(clock.moment + timedelta(hours=11))  # the day before, at the reminder hour
    sms.sent.clear()
    dispatcher(container, clock, sms, email).run_until_idle()
    reminder = next(m.body for m in sms.sent if m.body.startswith("RDV demain"))
    assert token not in reminder and f"/r/{canonical}#" in reminder


def _code_in(body: str) -> str:
    import re

    return re.search(r"code ([A-Z0-9]{8})", body).group(1)


def test_the_fuse_holds_inside_one_batch(container, clock, sms, email):
    now = clock.moment
    with container.uow.writing() as session:
        enqueue(
            session,
            [
                Message(
                    idempotency_key=f"burst-{i}",
                    channel="sms",
                    kind="confirmation",
                    recipient=PHONE,
                    body=f"message {i}",
                    due_at=now,
                    quiet_hours_apply=False,
                )
                for i in range(7)
            ],
            now,
        )
    dispatcher(container, clock, sms, email, sms_per_number_per_day=5).tick()  # one batch
    assert len(sms.sent) == 5
    assert count(container, "SELECT count(*) FROM notification WHERE error LIKE 'fuse%'") == 2


def test_a_known_opted_out_number_gets_the_email_instead(client, container, clock, sms, email):
    sms.failures[PHONE] = [SendError("twilio 21610", permanent=True, opted_out=True)]
    book(client, notify=["sms"])
    worker = dispatcher(container, clock, sms, email)
    worker.run_until_idle()
    email.sent.clear()
    book(client, start="2026-03-25T09:00:00+01:00", notify=["sms"])  # the number is known now
    worker.run_until_idle()
    assert sms.sent == []
    assert [m.recipient for m in email.sent] == ["amina@example.fr"]
    assert "25 mars" in email.sent[0].body


def test_the_workers_own_dispatcher_fills_the_markers(container, clock):
    """`guichet worker` and `serve` build their dispatcher with the secrets: a message leaves
    with the visit's real link and code, never a marker."""
    from booking.worker import build_dispatcher
    from tests.support.scenarios import request

    view = container.visits.book(request())  # the module's site (an autouse fixture)
    worker = build_dispatcher(container)
    sms, email = RecordingSender(), RecordingSender()
    worker.senders = {"sms": sms, "email": email}
    worker.tick()
    sent = [message.body for message in sms.sent]
    assert sent and all("[[" not in body for body in sent)
    assert any(view.token in body for body in sent)


def test_a_worker_told_to_stop_gives_back_what_it_has_not_sent(container, clock):
    """SIGTERM mid-batch: the batch stops between two messages and the rest goes back to the
    queue at once, for another worker (no lease to wait out)."""
    from booking.worker import build_dispatcher

    with container.uow.writing() as session:
        enqueue(
            session,
            [
                Message(
                    idempotency_key=f"stop-{n}",
                    channel="sms",
                    kind="reminder",
                    recipient=f"+3361200000{n}",
                    body="x",
                    due_at=clock.moment,
                    quiet_hours_apply=False,
                )
                for n in range(5)
            ],
            clock.moment,
        )
    worker = build_dispatcher(container)

    class StopAfterOne(RecordingSender):
        def send(self, message: Outgoing) -> str:
            worker.stopping.set()  # as the signal handler does
            return super().send(message)

    sms = StopAfterOne()
    worker.senders = {"sms": sms, "email": RecordingSender()}
    assert worker.tick() == 5
    assert len(sms.sent) == 1
    assert worker.give_back() == 4
    pending = "SELECT count(*) FROM notification WHERE status = 'pending' AND claimed_by IS NULL"
    assert count(container, pending) == 4
    other = dispatcher(container, clock, RecordingSender(), RecordingSender())
    assert other.tick() == 4  # at once, not after the lease
