"""Closing the day by itself where a site asks (`auto_no_show`), on both engines, with the
clock frozen by freezegun: no-shows for the still booked, seen for the arrived, once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from freezegun import freeze_time
from sqlalchemy import text

from booking.container import build_container
from booking.domain.models import Site
from tests.support.scenarios import PARIS, TUESDAY_9, request, setup_site
from tests.support.settings import make_settings


def statuses(container) -> list[str]:
    with container.engine.connect() as connection:
        return (
            connection.execute(text("SELECT status FROM appointment ORDER BY id")).scalars().all()
        )


def test_the_day_closes_at_the_sites_local_time_once(database_url):
    container = build_container(make_settings(database_url))  # the real clock, frozen below
    with freeze_time(TUESDAY_9 - timedelta(days=1)):
        setup_site(container, capacity=3)
        with container.uow.writing() as session:
            site = session.get(Site, "paris")
            site.auto_no_show, site.day_closes_at = True, time(16, 0)
        container.visits.book(request())  # never comes
        arrived = container.visits.book(request()).appointment.reference
        container.visits.book(request(start=TUESDAY_9.replace(hour=16, minute=15)))  # after
        container.visits.book(request(start=TUESDAY_9 + timedelta(days=1)))  # Wednesday
    with freeze_time(TUESDAY_9 + timedelta(minutes=5)):
        container.visits.check_in(arrived)
    with freeze_time(datetime(2026, 3, 24, 15, 59, tzinfo=PARIS)):
        assert container.day_closing.run() == 0  # not yet
    with freeze_time(datetime(2026, 3, 24, 16, 0, tzinfo=PARIS)):
        assert container.day_closing.run() == 2
        assert container.day_closing.run() == 0  # idempotent
    assert statuses(container) == ["no_show", "seen", "booked", "booked"]
    with freeze_time(datetime(2026, 3, 25, 16, 30, tzinfo=PARIS)):
        assert container.day_closing.run() == 1  # Wednesday's
    container.engine.dispose()


def test_a_site_that_does_not_ask_is_left_alone(database_url):
    container = build_container(make_settings(database_url))
    with freeze_time(TUESDAY_9 - timedelta(days=1)):
        setup_site(container)
        container.visits.book(request())
    with freeze_time(datetime(2026, 3, 24, 23, 0, tzinfo=PARIS)):
        assert container.day_closing.run() == 0
    assert statuses(container) == ["booked"]
    container.engine.dispose()
