"""Closing the day by itself where a site asks (`auto_no_show`), on both engines, with the
clock frozen by freezegun: no-shows for the still booked, seen for the arrived, once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from freezegun import freeze_time
from sqlalchemy import text

from booking.models import Site
from booking.services import build_services
from tests.conftest import make_settings
from tests.scenarios import PARIS, TUESDAY_9, request, setup_site


def statuses(services) -> list[str]:
    with services.engine.connect() as connection:
        return (
            connection.execute(text("SELECT status FROM appointment ORDER BY id")).scalars().all()
        )


def test_the_day_closes_at_the_sites_local_time_once(database_url):
    services = build_services(make_settings(database_url))  # the real clock, frozen below
    with freeze_time(TUESDAY_9 - timedelta(days=1)):
        setup_site(services, capacity=3)
        with services.uow.writing() as session:
            site = session.get(Site, "paris")
            site.auto_no_show, site.day_closes_at = True, time(16, 0)
        services.visits.book(request())  # never comes
        arrived = services.visits.book(request()).appointment.reference
        services.visits.book(request(start=TUESDAY_9.replace(hour=16, minute=15)))  # after
        services.visits.book(request(start=TUESDAY_9 + timedelta(days=1)))  # Wednesday
    with freeze_time(TUESDAY_9 + timedelta(minutes=5)):
        services.visits.check_in(arrived)
    with freeze_time(datetime(2026, 3, 24, 15, 59, tzinfo=PARIS)):
        assert services.day_closing.run() == 0  # not yet
    with freeze_time(datetime(2026, 3, 24, 16, 0, tzinfo=PARIS)):
        assert services.day_closing.run() == 2
        assert services.day_closing.run() == 0  # idempotent
    assert statuses(services) == ["no_show", "seen", "booked", "booked"]
    with freeze_time(datetime(2026, 3, 25, 16, 30, tzinfo=PARIS)):
        assert services.day_closing.run() == 1  # Wednesday's
    services.engine.dispose()


def test_a_site_that_does_not_ask_is_left_alone(database_url):
    services = build_services(make_settings(database_url))
    with freeze_time(TUESDAY_9 - timedelta(days=1)):
        setup_site(services)
        services.visits.book(request())
    with freeze_time(datetime(2026, 3, 24, 23, 0, tzinfo=PARIS)):
        assert services.day_closing.run() == 0
    assert statuses(services) == ["booked"]
    services.engine.dispose()
