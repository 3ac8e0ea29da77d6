"""Personal data is anonymised after the retention period; statistics survive (both engines)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import select

from booking.demo.builders import add_counter, add_site
from booking.domain.models import Appointment, IdempotentRequest
from booking.web.app import create_app
from notifications.models import Notification
from tests.support.settings import count


def test_old_appointments_lose_personal_data_but_keep_their_statistics(container, clock):
    with container.uow.writing() as session:
        add_counter(session, add_site(session))
    with TestClient(create_app(container)) as client:
        for start in ("2026-03-24T09:00:00+01:00", "2026-03-24T10:00:00+01:00"):
            body = {
                "site_id": "paris",
                "procedure_id": "residence-permit-pickup",
                "start": start,
                "name": "Amina Diallo",
                "phone": "06 12 34 56 78",
                "email": "amina@example.fr",
                "motive": "Retrait",
                "declared": ["passport"],
            }
            headers = {"Idempotency-Key": start}
            assert (
                client.post("/api/v1/appointments", json=body, headers=headers).status_code == 201
            )
    with container.uow.writing() as session:  # the first visit ended long ago
        first = session.exec(select(Appointment).order_by(Appointment.id)).first()
        first.starts_at -= timedelta(days=400)
        first.ends_at -= timedelta(days=400)
    with container.engine.begin() as conn:  # every message with a subject and a fallback address
        conn.execute(
            text("UPDATE notification SET subject = 'Votre RDV', fallback_email = 'a@example.fr'")
        )
    clock.set(clock.moment + timedelta(days=2))
    done = {"anonymised": 1, "idempotency_keys_purged": 2, "audit_events_purged": 0}
    assert container.housekeeping.run() == done
    assert set(container.housekeeping.run().values()) == {0}
    with container.uow.reading() as session:
        old, recent = session.exec(select(Appointment).order_by(Appointment.id)).all()
        assert (old.name, old.phone, old.email, old.motive, old.answers) == (
            None,
            None,
            None,
            None,
            {},
        )
        assert old.anonymised_at is not None
        assert old.status == "booked" and old.procedure_id == "residence-permit-pickup"
        assert old.missing_declared == ["pickup-notification", "tax-stamp"]
        assert recent.name == "Amina Diallo" and recent.phone == "+33612345678"
        messages = session.exec(select(Notification)).all()
        gone = [m for m in messages if m.appointment_id == old.id]
        kept = [m for m in messages if m.appointment_id == recent.id]
        assert gone and all(
            m.body == "" and m.recipient == "" and m.attachment is None for m in gone
        )
        assert all(m.subject is None and m.fallback_email is None for m in gone)
        assert any(m.subject for m in kept) and any(m.fallback_email for m in kept)
        assert kept and all(m.recipient and m.body for m in kept)
        assert session.exec(select(IdempotentRequest)).all() == []


def test_the_audit_log_is_kept_for_its_configured_time(container, clock):
    from booking.core.access import Actor
    from booking.domain import audit

    actor = Actor(1, "agent@paris.example.org", "agent", frozenset({"paris"}), "127.0.0.1")
    with container.uow.writing() as session:
        for days_ago in (800, 10):
            audit.record(session, actor, "visit.call", now=clock.moment - timedelta(days=days_ago))
    assert container.housekeeping.run()["audit_events_purged"] == 1
    assert count(container, "SELECT count(*) FROM audit_event") == 1


def test_a_site_may_keep_personal_data_for_less_time(container, clock):
    from booking.domain.models import Site
    from tests.support.scenarios import request, setup_site

    setup_site(container)
    with container.uow.writing() as session:
        add_counter(session, add_site(session, "lyon"))
    container.visits.book(request())
    container.visits.book(dataclasses.replace(request(), site_id="lyon"))
    clock.set(clock.moment + timedelta(days=40))
    assert container.housekeeping.run()["anonymised"] == 0  # the service keeps 365 days
    with container.uow.writing() as session:
        session.get(Site, "paris").retention_days = 30
    assert container.housekeeping.run()["anonymised"] == 1  # Paris's only
    assert count(container, "SELECT count(*) FROM appointment WHERE name IS NULL") == 1


def test_a_limit_counts_up_to_its_times_and_leaves_a_full_window_alone(container, clock):
    from booking.domain import limits
    from booking.use_cases.citizen_access import WRONG_CREDENTIALS as limit

    with container.uow.writing() as session:
        taken = [
            limits.take(session, limit, "203.0.113.7", clock.moment) for _ in range(limit.times + 2)
        ]
    assert taken == [True] * limit.times + [False, False]
    assert count(container, "SELECT max(count) FROM rate_limit") == limit.times


def test_the_limits_counters_are_forgotten_after_a_day(container, clock):
    from booking.domain import limits
    from booking.use_cases.citizen_access import WRONG_CREDENTIALS

    with container.uow.writing() as session:
        limits.count(session, WRONG_CREDENTIALS, "203.0.113.9", clock.moment)
    clock.set(clock.moment + timedelta(hours=25))
    container.housekeeping.run()
    assert count(container, "SELECT count(*) FROM rate_limit") == 0
