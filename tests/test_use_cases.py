"""The application layer on a real database (SQLite and PostgreSQL): each use case changes the
visit and writes its messages in one transaction, and follows the visit's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text

from booking.builders import add_closure
from booking.errors import Conflict, InvalidRequest, NotFound
from booking.models import Site
from notifications.calendar import calendar_file
from tests.conftest import count
from tests.histories import ADMIN
from tests.scenarios import TUESDAY_9, request, setup_site


def messages(services, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, channel, status) of every message, oldest first."""
    sql = "SELECT kind, channel, status, body FROM notification ORDER BY id"
    with services.engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    return [tuple(row) for row in rows if kind is None or row[0] == kind]


def test_a_booking_and_its_messages_are_one_transaction(services):
    setup_site(services)
    view = services.visits.book(request(email="amina@example.org"))
    assert view.appointment.status == "booked" and view.token
    kinds = sorted((kind, channel) for kind, channel, _, _ in messages(services))
    assert kinds == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder", "email"),
        ("reminder", "sms"),
    ]
    with pytest.raises(InvalidRequest):  # refused: neither the visit nor a message is written
        services.visits.book(request(phone="not a phone"))
    assert count(services, "SELECT count(*) FROM appointment") == 1
    assert len(messages(services)) == 4


def test_the_office_cancels_frees_the_slot_and_tells_the_citizen_why(services):
    setup_site(services)
    view = services.visits.book(request(email="amina@example.org"))
    reference = view.appointment.reference
    cancelled = services.visits.cancel_by_office(reference, "  Fermeture pour travaux  ")
    assert cancelled.appointment.status == "cancelled_by_office"
    assert cancelled.appointment.cancel_reason == "Fermeture pour travaux"
    told = messages(services, "cancellation")
    assert sorted(channel for _, channel, _, _ in told) == ["email", "sms"]
    sms = next(body for _, channel, _, body in told if channel == "sms")
    assert "Motif : Fermeture pour travaux" in sms and "Reprendre RDV : http" in sms
    assert {status for _, _, status, _ in messages(services, "reminder")} == {"cancelled"}
    again = services.visits.cancel_by_office(reference, "Fermeture pour travaux")
    assert again.appointment.status == "cancelled_by_office"
    assert len(messages(services, "cancellation")) == 2  # the repeat told nobody twice
    rebooked = services.visits.book(request(name="Someone Else"))
    assert rebooked.appointment.starts_at == TUESDAY_9


def test_an_office_cancellation_in_english_says_why_in_english(services):
    setup_site(services)
    view = services.visits.book(request(language="en"))
    services.visits.cancel_by_office(view.appointment.reference, "Strike")
    (sms,) = [body for _, _, _, body in messages(services, "cancellation")]
    assert "cancelled by the office" in sms and "Reason: Strike" in sms


def test_a_started_visit_can_no_longer_be_cancelled_or_moved_by_its_citizen(services, clock):
    setup_site(services)
    view = services.visits.book(request())
    reference, token = view.appointment.reference, view.token
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    with pytest.raises(Conflict):
        services.visits.cancel(reference, token)
    with pytest.raises(Conflict):
        services.visits.reschedule(reference, token, TUESDAY_9 + timedelta(days=7))
    assert services.visits.show(reference, token).appointment.status == "booked"
    assert services.visits.mark_no_show(reference).appointment.status == "no_show"
    assert messages(services, "cancellation") == []


def test_counter_moves_follow_the_rules_and_repeat_as_before(services, clock):
    setup_site(services)
    reference = services.visits.book(request()).appointment.reference
    with pytest.raises(Conflict):  # the day before
        services.visits.check_in(reference)
    clock.set(TUESDAY_9 - timedelta(minutes=20))
    with pytest.raises(Conflict):  # not started: not absent yet
        services.visits.mark_no_show(reference)
    arrived = services.visits.check_in(reference).appointment
    assert arrived.status == "checked_in" and arrived.checked_in_at == clock.moment
    clock.set(TUESDAY_9 + timedelta(minutes=3))
    called = services.visits.call(reference).appointment
    again = services.visits.call(reference).appointment
    assert called.status == again.status == "called" and again.called_at == called.called_at
    # Arrived 20 minutes early, called 3 minutes after the appointment time: waited 3 minutes.
    assert called.wait_seconds == again.wait_seconds == 180
    seen = services.visits.mark_seen(reference).appointment
    assert seen.status == "seen"
    assert count(services, "SELECT count(*) FROM counter_load WHERE booked > 0") == 0
    with pytest.raises(Conflict):
        services.visits.mark_no_show(reference)
    with pytest.raises(NotFound):
        services.visits.check_in("AAA-AAA-AA")


def test_seen_sends_the_survey_only_where_the_site_asks(services, clock):
    setup_site(services)
    first = services.visits.book(request()).appointment.reference
    second = services.visits.book(request(start=TUESDAY_9 + timedelta(hours=1))).appointment
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    services.visits.call(first)
    services.visits.mark_seen(first)
    assert messages(services, "survey") == []
    with services.uow.writing() as session:
        session.get(Site, "paris").survey_enabled = True
    clock.set(second.starts_at + timedelta(minutes=1))
    services.visits.call(second.reference)
    services.visits.mark_seen(second.reference)
    services.visits.mark_seen(second.reference)  # a repeat asks nothing more
    assert [channel for _, channel, _, _ in messages(services, "survey")] == ["sms"]
    asked = services.visits.for_staff(second.reference, ADMIN).appointment.survey_asked_at
    assert asked == second.starts_at + timedelta(minutes=1)
    assert services.visits.for_staff(first, ADMIN).appointment.survey_asked_at is None


def test_documents_presented_make_the_file_complete_or_incomplete(services):
    setup_site(services)
    complete = services.visits.book(request()).appointment.reference
    partial = services.visits.book(request(start=TUESDAY_9 + timedelta(hours=1)))
    assert services.visits.record_documents(complete).file_status == "complete"
    recorded = services.visits.record_documents(
        partial.appointment.reference, not_presented=["tax-stamp"]
    )
    assert recorded.file_status == "incomplete"
    assert recorded.appointment.missing_presented == ["tax-stamp"]
    with pytest.raises(InvalidRequest):
        services.visits.record_documents(complete, ["no-such-document"])


def test_a_moved_visits_calendar_keeps_its_uid_and_raises_its_sequence(services):
    setup_site(services)
    view = services.visits.book(request())
    reference, token = view.appointment.reference, view.token

    def event() -> tuple[str, int, str]:
        calendar = Calendar.from_ical(
            calendar_file(services.visits.calendar(reference, token, "fr").event)
        )
        (vevent,) = calendar.walk("VEVENT")
        return str(vevent["UID"]), int(vevent["SEQUENCE"]), str(calendar["METHOD"])

    uid, first_sequence, method = event()
    services.visits.reschedule(reference, token, TUESDAY_9 + timedelta(days=7))
    moved_uid, moved_sequence, _ = event()
    services.visits.cancel(reference, token)
    cancelled_uid, cancelled_sequence, cancelled_method = event()
    assert uid == moved_uid == cancelled_uid
    assert first_sequence < moved_sequence < cancelled_sequence
    assert (method, cancelled_method) == ("REQUEST", "CANCEL")


def test_booking_or_moving_into_a_closure_is_refused_as_closed_with_its_reason(services):
    setup_site(services)
    view = services.visits.book(request(start=TUESDAY_9 + timedelta(days=1)))
    with services.uow.writing() as session:
        site = session.get(Site, "paris")
        add_closure(
            session,
            site,
            TUESDAY_9 - timedelta(hours=1),
            TUESDAY_9 + timedelta(hours=3),
            reason="Exercice incendie",
        )
    for attempt in (
        lambda: services.visits.book(request()),
        lambda: services.visits.reschedule(view.appointment.reference, view.token, TUESDAY_9),
    ):
        with pytest.raises(InvalidRequest) as refused:
            attempt()
        assert refused.value.status_code == 422
        assert refused.value.params == {"reason": "Exercice incendie"}
        assert refused.value.errors[0].field == "start"


def test_annuler_by_sms_ignores_unknown_cancelled_and_past_visits(services, clock):
    setup_site(services)
    phone = "+33612345678"
    past = services.visits.book(request()).appointment.reference
    cancelled = services.visits.book(request(start=TUESDAY_9 + timedelta(hours=1)))
    services.visits.cancel(cancelled.appointment.reference, cancelled.token)
    before = messages(services)
    assert services.replies.sms_received(phone, "ANNULER AAA-AAA-AA") == "ignored"
    assert services.replies.sms_received(phone, f"ANNULER {cancelled.appointment.reference}") == (
        "ignored"
    )
    clock.set(TUESDAY_9 + timedelta(minutes=30))  # the first visit has started
    assert services.replies.sms_received(phone, f"ANNULER {past}") == "ignored"
    assert messages(services) == before
    statuses = "SELECT status FROM appointment ORDER BY id"
    with services.engine.connect() as connection:
        assert connection.execute(text(statuses)).scalars().all() == [
            "booked",
            "cancelled_by_citizen",
        ]
    future = services.visits.book(request(start=TUESDAY_9 + timedelta(days=7)))
    assert services.replies.sms_received(phone, f"annuler {future.appointment.reference}") == (
        "cancelled"
    )
    assert len(messages(services, "cancellation")) == 2


def test_reads_are_served_while_a_write_transaction_holds_sqlite(services, engine_name):
    """A read scope never asks for SQLite's write lock: GET /api/v1/sites and the slot search
    answer while a writer holds it, with the committed state."""
    if engine_name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    import threading

    from litestar.testing import TestClient

    from booking.web.app import create_app

    setup_site(services)
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with services.uow.writing() as session:
            session.get(Site, "paris").name = "Préfecture (en travaux)"
            session.flush()
            holding.set()
            release.wait(10)

    with TestClient(create_app(services)) as client:
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


def test_the_management_code_opens_the_visit_and_wrong_codes_lock_it(services, clock):
    from booking.use_cases.visits import CODE_TRIES, TooManyTries

    setup_site(services)
    view = services.visits.book(request())
    reference, code = view.appointment.reference, services.visits.management_code(view)
    assert len(code) == 8 and code.isalnum()
    opened = services.visits.open_with_code(reference.lower(), code.lower())
    assert opened.appointment.id == view.appointment.id and opened.token == view.token
    for _ in range(CODE_TRIES):
        with pytest.raises(NotFound):
            services.visits.open_with_code(reference, "AAAAAAAA")
    with pytest.raises(TooManyTries):  # even the right code, for a while
        services.visits.open_with_code(reference, code)
    clock.set(clock.moment + timedelta(minutes=16))
    assert services.visits.open_with_code(reference, code).appointment.id == view.appointment.id
    with pytest.raises(NotFound):  # an unknown reference looks like a wrong code
        services.visits.open_with_code("AAA-AAA-AA", code)


def test_the_link_is_sent_again_at_most_three_times_a_day_and_never_to_strangers(services, clock):
    setup_site(services)
    view = services.visits.book(request(email="amina@example.org"))
    reference = view.appointment.reference
    for _ in range(5):
        services.visits.resend_link(reference)
    services.visits.resend_link("AAA-AAA-AA")  # unknown: nothing, and no error either
    links = messages(services, "link")
    assert sorted(channel for _, channel, _, _ in links) == ["email"] * 3 + ["sms"] * 3
    sms = next(body for _, channel, _, body in links if channel == "sms")
    assert services.visits.management_code(view) in sms and f"/r/{reference}#" in sms
    clock.set(clock.moment + timedelta(days=1, minutes=1))
    services.visits.resend_link(reference)
    assert len(messages(services, "link")) == 8
    services.visits.cancel(reference, view.token)
    services.visits.resend_link(reference)  # a cancelled visit has nothing to manage
    assert len(messages(services, "link")) == 8
