"""Rules written once and read from several places agree wherever they are read: the figures'
"unrecorded" in SQL and in Python, a day's revision bumped by the bookings of that day and the
site's by changes of its configuration, "today" in the default zone where no site is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from booking.core.lifecycle import unrecorded
from booking.core.statuses import AppointmentStatus
from booking.demo.builders import add_closure
from booking.domain.appointments import SlotTaken
from booking.domain.models import Appointment, Site, SiteDayRevision, SiteRevision
from booking.queries import sql
from tests.support.scenarios import TUESDAY_9, request, setup_site


def test_the_figures_unrecorded_is_the_cores_rule_in_sql(container, clock):
    setup_site(container, capacity=len(AppointmentStatus))
    for _ in AppointmentStatus:
        container.visits.book(request())
    with container.engine.begin() as conn:
        for number, status in enumerate(AppointmentStatus, start=1):
            conn.execute(
                text("UPDATE appointment SET status = :s WHERE id = :id"),
                {"s": status.value, "id": number},
            )
    now = TUESDAY_9 + timedelta(hours=1)
    with container.uow.reading() as session:
        visits = list(session.execute(select(Appointment)).scalars())
        in_sql = set(
            session.execute(select(Appointment.id).where(sql.is_unrecorded(now))).scalars()
        )
    in_python = {v.id for v in visits if unrecorded(v.status, v.ends_at, now)}
    assert in_sql == in_python == {1}  # the booked one only


def revision(container) -> int:
    with container.uow.reading() as session:
        row = session.get(SiteRevision, "paris")
        return row.revision if row else 0


def day_revision(container, day) -> int:
    with container.uow.reading() as session:
        row = session.get(SiteDayRevision, ("paris", day))
        return row.revision if row else 0


def test_a_booking_bumps_its_days_revision_and_a_closure_the_sites(container, clock):
    setup_site(container)
    day = TUESDAY_9.date()
    before, site_before = day_revision(container, day), revision(container)
    container.visits.book(request())
    assert day_revision(container, day) == before + 1
    assert day_revision(container, day + timedelta(days=1)) == 0  # other days stay cached
    assert revision(container) == site_before  # the configuration did not change
    with container.uow.writing() as session:  # a configuration change, through the ORM
        paris = session.get(Site, "paris")
        add_closure(session, paris, TUESDAY_9 + timedelta(days=1), TUESDAY_9 + timedelta(days=2))
    assert revision(container) > site_before


def test_a_refused_booking_bumps_nothing_and_a_cancellation_its_day(container, clock):
    setup_site(container)
    day = TUESDAY_9.date()
    booked = container.visits.book(request())
    after_booking = day_revision(container, day)
    with pytest.raises(SlotTaken):
        container.visits.book(request(name="Autre", phone="06 11 22 33 44"))
    assert day_revision(container, day) == after_booking
    container.visits.cancel_by_office(booked.appointment.reference, "Agent absent")
    assert day_revision(container, day) == after_booking + 1


def test_today_without_a_site_is_the_default_zones(container, clock):
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # already 2027 in Paris
    assert container.context.today().isoformat() == "2027-01-01"
    assert container.context.today("America/Cayenne").isoformat() == "2026-12-31"
