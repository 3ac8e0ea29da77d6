"""The application layer on a real database (SQLite and PostgreSQL): each use case changes the
visit and writes its messages in one transaction, and follows the visit's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text

from booking.core.errors import Conflict, InvalidRequest, NotFound
from booking.demo.builders import add_closure
from booking.domain import appointments, credentials
from booking.domain.models import Site
from booking.use_cases.citizen_access import TooManyTries
from notifications.calendar import calendar_file
from tests.support.histories import ADMIN
from tests.support.scenarios import TUESDAY_9, request, setup_site
from tests.support.settings import count


def messages(container, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, channel, status) of every message, oldest first."""
    sql = "SELECT kind, channel, status, body FROM notification ORDER BY id"
    with container.engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    return [tuple(row) for row in rows if kind is None or row[0] == kind]


def test_a_booking_and_its_messages_are_one_transaction(container):
    setup_site(container)
    view = container.visits.book(request(email="amina@example.org"))
    assert view.appointment.status == "booked" and view.token
    kinds = sorted((kind, channel) for kind, channel, _, _ in messages(container))
    assert kinds == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder", "email"),
        ("reminder", "sms"),
    ]
    with pytest.raises(InvalidRequest):  # refused: neither the visit nor a message is written
        container.visits.book(request(phone="not a phone"))
    assert count(container, "SELECT count(*) FROM appointment") == 1
    assert len(messages(container)) == 4


def test_the_office_cancels_frees_the_slot_and_tells_the_citizen_why(container):
    setup_site(container)
    view = container.visits.book(request(email="amina@example.org"))
    reference = view.appointment.reference
    cancelled = container.visits.cancel_by_office(reference, "  Fermeture pour travaux  ")
    assert cancelled.appointment.status == "cancelled_by_office"
    assert cancelled.appointment.cancel_reason == "Fermeture pour travaux"
    told = messages(container, "cancellation")
    assert sorted(channel for _, channel, _, _ in told) == ["email", "sms"]
    sms = next(body for _, channel, _, body in told if channel == "sms")
    assert "Motif : Fermeture pour travaux" in sms and "Reprendre RDV : http" in sms
    assert {status for _, _, status, _ in messages(container, "reminder")} == {"cancelled"}
    again = container.visits.cancel_by_office(reference, "Fermeture pour travaux")
    assert again.appointment.status == "cancelled_by_office"
    assert len(messages(container, "cancellation")) == 2  # the repeat told nobody twice
    rebooked = container.visits.book(request(name="Someone Else"))
    assert rebooked.appointment.starts_at == TUESDAY_9


def test_an_office_cancellation_in_english_says_why_in_english(container):
    setup_site(container)
    view = container.visits.book(request(language="en"))
    container.visits.cancel_by_office(view.appointment.reference, "Strike")
    (sms,) = [body for _, _, _, body in messages(container, "cancellation")]
    assert "cancelled by the office" in sms and "Reason: Strike" in sms


def test_a_started_visit_can_no_longer_be_cancelled_or_moved_by_its_citizen(container, clock):
    setup_site(container)
    view = container.visits.book(request())
    reference, token = view.appointment.reference, view.token
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    with pytest.raises(Conflict):
        container.visits.cancel(reference, token)
    with pytest.raises(Conflict):
        container.visits.reschedule(reference, token, TUESDAY_9 + timedelta(days=7))
    assert container.visits.show(reference, token).appointment.status == "booked"
    assert container.visits.mark_no_show(reference).appointment.status == "no_show"
    assert messages(container, "cancellation") == []


def test_counter_moves_follow_the_rules_and_repeat_as_before(container, clock):
    setup_site(container)
    reference = container.visits.book(request()).appointment.reference
    with pytest.raises(Conflict):  # the day before
        container.visits.check_in(reference)
    clock.set(TUESDAY_9 - timedelta(minutes=20))
    with pytest.raises(Conflict):  # not started: not absent yet
        container.visits.mark_no_show(reference)
    arrived = container.visits.check_in(reference).appointment
    assert arrived.status == "checked_in" and arrived.checked_in_at == clock.moment
    clock.set(TUESDAY_9 + timedelta(minutes=3))
    called = container.visits.call(reference).appointment
    again = container.visits.call(reference).appointment
    assert called.status == again.status == "called" and again.called_at == called.called_at
    # Arrived 20 minutes early, called 3 minutes after the appointment time: waited 3 minutes.
    assert called.wait_seconds == again.wait_seconds == 180
    seen = container.visits.mark_seen(reference).appointment
    assert seen.status == "seen"
    assert count(container, "SELECT count(*) FROM counter_load WHERE booked > 0") == 0
    with pytest.raises(Conflict):
        container.visits.mark_no_show(reference)
    with pytest.raises(NotFound):
        container.visits.check_in("AAA-AAA-AA")


def test_seen_sends_the_survey_only_where_the_site_asks(container, clock):
    setup_site(container)
    first = container.visits.book(request()).appointment.reference
    second = container.visits.book(request(start=TUESDAY_9 + timedelta(hours=1))).appointment
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    container.visits.call(first)
    container.visits.mark_seen(first)
    assert messages(container, "survey") == []
    with container.uow.writing() as session:
        session.get(Site, "paris").survey_enabled = True
    clock.set(second.starts_at + timedelta(minutes=1))
    container.visits.call(second.reference)
    container.visits.mark_seen(second.reference)
    container.visits.mark_seen(second.reference)  # a repeat asks nothing more
    assert [channel for _, channel, _, _ in messages(container, "survey")] == ["sms"]
    asked = container.visits.for_staff(second.reference, ADMIN).appointment.survey_asked_at
    assert asked == second.starts_at + timedelta(minutes=1)
    assert container.visits.for_staff(first, ADMIN).appointment.survey_asked_at is None


def test_documents_presented_make_the_file_complete_or_incomplete(container):
    setup_site(container)
    complete = container.visits.book(request()).appointment.reference
    partial = container.visits.book(request(start=TUESDAY_9 + timedelta(hours=1)))
    assert container.visits.record_documents(complete).file_status == "complete"
    recorded = container.visits.record_documents(
        partial.appointment.reference, not_presented=["tax-stamp"]
    )
    assert recorded.file_status == "incomplete"
    assert recorded.appointment.missing_presented == ["tax-stamp"]
    with pytest.raises(InvalidRequest):
        container.visits.record_documents(complete, ["no-such-document"])


def test_a_moved_visits_calendar_keeps_its_uid_and_raises_its_sequence(container):
    setup_site(container)
    view = container.visits.book(request())
    reference, token = view.appointment.reference, view.token

    def event() -> tuple[str, int, str]:
        calendar = Calendar.from_ical(
            calendar_file(container.visits.calendar(reference, token, "fr").event)
        )
        (vevent,) = calendar.walk("VEVENT")
        return str(vevent["UID"]), int(vevent["SEQUENCE"]), str(calendar["METHOD"])

    uid, first_sequence, method = event()
    container.visits.reschedule(reference, token, TUESDAY_9 + timedelta(days=7))
    moved_uid, moved_sequence, _ = event()
    container.visits.cancel(reference, token)
    cancelled_uid, cancelled_sequence, cancelled_method = event()
    assert uid == moved_uid == cancelled_uid
    assert first_sequence < moved_sequence < cancelled_sequence
    assert (method, cancelled_method) == ("REQUEST", "CANCEL")


def test_booking_or_moving_into_a_closure_is_refused_as_closed_with_its_reason(container):
    setup_site(container)
    view = container.visits.book(request(start=TUESDAY_9 + timedelta(days=1)))
    with container.uow.writing() as session:
        site = session.get(Site, "paris")
        add_closure(
            session,
            site,
            TUESDAY_9 - timedelta(hours=1),
            TUESDAY_9 + timedelta(hours=3),
            reason="Exercice incendie",
        )
    for attempt in (
        lambda: container.visits.book(request()),
        lambda: container.visits.reschedule(view.appointment.reference, view.token, TUESDAY_9),
    ):
        with pytest.raises(InvalidRequest) as refused:
            attempt()
        assert refused.value.status_code == 422
        assert refused.value.params == {"reason": "Exercice incendie"}
        assert refused.value.errors[0].field == "start"


def test_annuler_by_sms_ignores_unknown_cancelled_and_past_visits(container, clock):
    setup_site(container)
    phone = "+33612345678"
    past = container.visits.book(request()).appointment.reference
    cancelled = container.visits.book(request(start=TUESDAY_9 + timedelta(hours=1)))
    container.visits.cancel(cancelled.appointment.reference, cancelled.token)
    before = messages(container)
    assert container.replies.sms_received(phone, "ANNULER AAA-AAA-AA") == "ignored"
    assert container.replies.sms_received(phone, f"ANNULER {cancelled.appointment.reference}") == (
        "ignored"
    )
    clock.set(TUESDAY_9 + timedelta(minutes=30))  # the first visit has started
    assert container.replies.sms_received(phone, f"ANNULER {past}") == "ignored"
    assert messages(container) == before
    statuses = "SELECT status FROM appointment ORDER BY id"
    with container.engine.connect() as connection:
        assert connection.execute(text(statuses)).scalars().all() == [
            "booked",
            "cancelled_by_citizen",
        ]
    future = container.visits.book(request(start=TUESDAY_9 + timedelta(days=7)))
    assert container.replies.sms_received(phone, f"annuler {future.appointment.reference}") == (
        "cancelled"
    )
    assert len(messages(container, "cancellation")) == 2


def test_reads_are_served_while_a_write_transaction_holds_sqlite(container, engine_name):
    """A read scope never asks for SQLite's write lock: GET /api/v1/sites and the slot search
    answer while a writer holds it, with the committed state."""
    if engine_name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    import threading

    from litestar.testing import TestClient

    from booking.web.app import create_app

    setup_site(container)
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with container.uow.writing() as session:
            session.get(Site, "paris").name = "Préfecture (en travaux)"
            session.flush()
            holding.set()
            release.wait(10)

    with TestClient(create_app(container)) as client:
        writer = threading.Thread(target=long_write)
        writer.start()
        try:
            assert holding.wait(5)
            done = threading.Event()
            answers: list[object] = []

            def read() -> None:
                answers.append([site["name"] for site in client.get("/api/v1/sites").json()])
                slots = client.get(
                    "/api/v1/sites/paris/slots?procedure=residence-permit-pickup"
                    "&from=2026-03-24&to=2026-03-24"
                )
                answers.append(slots.json()["slots"][0]["start"])
                done.set()

            threading.Thread(target=read, daemon=True).start()
            assert done.wait(3), "a read waited for the write lock"
            assert answers == [["Site paris"], "2026-03-24T09:00:00+01:00"]
        finally:
            release.set()
            writer.join()


def test_wrong_codes_and_tokens_are_limited_per_address_never_per_visit(container, clock):
    setup_site(container)
    view = container.visits.book(request())
    reference, code = view.appointment.reference, container.visits.management_code(view)
    assert len(code) == 8 and code.isalnum()
    opened = container.visits.open_with_code(reference.lower(), code.lower(), address="10.0.0.1")
    assert opened.appointment.id == view.appointment.id and opened.token == view.token
    for attempt in range(20):  # 20 wrong ones an hour, codes and tokens together
        with pytest.raises(NotFound):
            if attempt % 2:
                container.visits.open_with_code(reference, "AAAAAAAA", address="10.0.0.1")
            else:
                container.visits.show(reference, "not-the-token", address="10.0.0.1")
    with pytest.raises(TooManyTries) as refused:  # even the right code, from that address
        container.visits.open_with_code(reference, code, address="10.0.0.1")
    assert 0 < int(refused.value.headers["Retry-After"]) <= 3600
    with pytest.raises(TooManyTries):  # and an unknown reference alike: nothing is told
        container.visits.open_with_code("AAA-AAA-AA", code, address="10.0.0.1")
    # The citizen, from anywhere else, is not locked out.
    assert container.visits.open_with_code(reference, code, address="10.0.0.2").token
    with pytest.raises(NotFound):  # an unknown reference looks like a wrong code
        container.visits.open_with_code("AAA-AAA-AA", code, address="10.0.0.2")
    clock.set(clock.moment + timedelta(hours=1))
    assert container.visits.open_with_code(reference, code, address="10.0.0.1").token


def test_a_new_link_replaces_the_old_one_once_it_is_first_used(container, clock):
    setup_site(container)
    view = container.visits.book(request())
    reference, old_token = view.appointment.reference, view.token
    old_code = container.visits.management_code(view)
    container.visits.resend_link(reference)  # "lost link": a new link and code are sent
    assert container.visits.show(reference, old_token).appointment.id  # the old one still works
    keys = container.keys
    with container.uow.reading() as session:
        renewed = credentials.token(keys, appointments.find(session, reference))
    assert renewed != old_token
    container.visits.show(reference, renewed)  # its first use makes it the only one
    with pytest.raises(NotFound):
        container.visits.show(reference, old_token)
    with pytest.raises(NotFound):
        container.visits.open_with_code(reference, old_code)
    assert container.visits.show(reference, renewed).appointment.reference == reference


def test_lost_links_are_limited_to_ten_an_hour_per_address(container, clock):
    setup_site(container, capacity=5)
    visits = [
        container.visits.book(request(phone=None, email=f"p{i}@example.org")) for i in range(5)
    ]
    for attempt in range(12):  # 2 or 3 a visit: each visit's own limit (3 a day) never bites
        reference = visits[attempt % 5].appointment.reference
        container.visits.resend_link(reference, address="1.2.3.4")
    assert len(messages(container, "link")) == 10
    container.visits.resend_link(visits[4].appointment.reference, address="1.2.3.5")
    assert len(messages(container, "link")) == 11  # another address is not held back


def test_the_link_is_sent_again_at_most_three_times_a_day_and_never_to_strangers(container, clock):
    setup_site(container)
    view = container.visits.book(request(email="amina@example.org"))
    reference = view.appointment.reference
    for _ in range(5):
        container.visits.resend_link(reference)
    container.visits.resend_link("AAA-AAA-AA")  # unknown: nothing, and no error either
    links = messages(container, "link")
    assert sorted(channel for _, channel, _, _ in links) == ["email"] * 3 + ["sms"] * 3
    sms = next(body for _, channel, _, body in links if channel == "sms")
    # The stored body holds markers: the link and code are filled in when it is sent.
    assert "[[code]]" in sms and f"/r/{reference}#[[token]]" in sms
    assert container.visits.management_code(view) not in sms
    clock.set(clock.moment + timedelta(days=1, minutes=1))
    container.visits.resend_link(reference)
    assert len(messages(container, "link")) == 8
    with container.uow.reading() as session:
        token = credentials.token(container.keys, appointments.find(session, reference))
    container.visits.cancel(reference, token)
    container.visits.resend_link(reference)  # a cancelled visit has nothing to manage
    assert len(messages(container, "link")) == 8
