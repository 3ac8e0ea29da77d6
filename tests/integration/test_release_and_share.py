"""New days open at a civil hour, and a share of seats kept for staff channels (issue 16,
parts 4 and 5), on both engines with a moved clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from booking.container import build_container
from booking.demo.builders import add_counter, add_site
from booking.domain.models import DayRelease, Site
from tests.integration.test_staff_access import page_session
from tests.support.settings import count, make_settings
from tests.support.staff import add_everyone, add_staff, bearer

PICKUP = "residence-permit-pickup"  # horizon 30 days
FILE = ["pickup-notification", "passport", "tax-stamp"]
# Tuesday 24 March 2026 (CET): the last bookable day is Thursday 23 April (CEST).
NEW_DAY = "2026-04-23"
NEW_START = "2026-04-23T09:00:00+02:00"


def paris(hour: int, minute: int = 0, day: int = 24) -> datetime:
    """A moment of March 2026 in Paris (CET, UTC+1)."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


@pytest.fixture
def container(database_url, clock):
    built = build_container(
        make_settings(database_url, forwarded_allow_ips="testclient"), clock=clock
    )
    with built.uow.writing() as session:
        add_counter(session, add_site(session), capacity=2, procedures=(PICKUP,))
        add_site(session, "lyon")  # for the staff accounts of tests.support.staff
    yield built
    built.engine.dispose()


def starts(client, day: str, site: str = "paris") -> list[str]:  # type: ignore[no-untyped-def]
    url = f"/api/v1/sites/{site}/slots?procedure={PICKUP}&from={day}&to={day}"
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return [slot["start"] for slot in answer.json()["slots"]]


def book(client, start: str, phone: str, site: str = "paris"):  # type: ignore[no-untyped-def]
    body = {
        "site_id": site,
        "procedure_id": PICKUP,
        "start": start,
        "name": "Amina Diallo",
        "phone": phone,
        "declared": FILE,
    }
    return client.post("/api/v1/appointments", json=body, headers={"X-Forwarded-For": phone[-5:]})


def staff_book(client, container, start: str, phone: str):  # type: ignore[no-untyped-def]
    agent = bearer(client, add_everyone(container)["agent"])
    body = {
        "site_id": "paris",
        "procedure_id": PICKUP,
        "start": start,
        "name": "Paul Martin",
        "phone": phone,
        "declared": FILE,
        "channel": "phone",
    }
    return client.post("/api/v1/staff/appointments", json=body, headers=agent)


def test_the_new_day_opens_at_eight_not_at_midnight(client, container, clock):
    clock.set(paris(7, 59))
    assert starts(client, NEW_DAY) == []
    early = book(client, NEW_START, "06 12 34 56 01")
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "start"
    site_page = client.get("/rendez-vous/lieu?procedure=" + PICKUP)
    assert "chaque matin à 8 h" in site_page.text
    staff = staff_book(client, container, NEW_START, "06 12 34 56 02")
    assert staff.status_code == 201, staff.text  # staff keep the whole horizon
    clock.set(paris(8, 0))
    assert NEW_START in starts(client, NEW_DAY)
    assert book(client, NEW_START, "06 12 34 56 03").status_code == 201


def test_a_site_may_open_its_new_days_at_its_own_time(client, container, clock):
    with container.uow.writing() as session:
        session.get(Site, "paris").release_time = time(7, 0)
    clock.set(paris(7, 30))
    assert NEW_START in starts(client, NEW_DAY)
    assert "chaque matin à 7 h" in client.get("/rendez-vous/lieu?procedure=" + PICKUP).text


def test_a_random_release_moment_is_drawn_once_per_site_and_day(database_url, clock):
    built = build_container(make_settings(database_url, release_jitter_minutes=30), clock=clock)
    with built.uow.writing() as session:
        add_counter(session, add_site(session), capacity=2, procedures=(PICKUP,))
    from litestar.testing import TestClient

    from booking.web.app import create_app

    with TestClient(create_app(built)) as client:
        clock.set(paris(8, 29))  # not drawn yet: the latest moment, never early
        assert starts(client, NEW_DAY) == []
        clock.set(paris(8, 30))
        assert NEW_START in starts(client, NEW_DAY)
        clock.set(paris(6, 0))
        assert built.housekeeping.draw_releases() > 0
        assert built.housekeeping.draw_releases() == 0  # kept: drawn once
        with built.uow.reading() as session:
            drawn = session.execute(
                select(DayRelease.jitter_seconds).where(DayRelease.day == date(2026, 3, 24))
            ).scalar_one()
        assert 0 <= drawn <= 30 * 60
        opens = paris(8) + timedelta(seconds=drawn)
        clock.set(opens - timedelta(seconds=1))
        assert starts(client, NEW_DAY) == []
        clock.set(opens)
        assert NEW_START in starts(client, NEW_DAY)
    built.engine.dispose()


@pytest.fixture
def shared(container):
    """Share 50 % at Paris; a counter of 4 seats on Thursday 26 March (9:00-10:00, 15 min)."""
    with container.uow.writing() as session:
        site = add_site(session, "lille")
        site.staff_share_percent = 50
        add_counter(session, site, procedures=(PICKUP,), windows=(("09:00", "10:00"),))
    return container


def test_the_staff_share_is_hidden_from_the_public_until_it_opens(client, shared, clock):
    clock.set(paris(9, 0, day=23))  # Monday: Thursday's share opens on Tuesday at 8:00
    day = "2026-03-26"
    times = [f"{day}T09:{m:02d}:00+01:00" for m in (0, 15, 30, 45)]
    assert len(starts(client, day, "lille")) == 4  # two seats each for the public, counted
    assert book(client, times[0], "06 12 34 56 01", "lille").status_code == 201
    assert book(client, times[1], "06 12 34 56 02", "lille").status_code == 201
    assert starts(client, day, "lille") == []  # the other two are the share
    refused = book(client, times[2], "06 12 34 56 03", "lille")
    assert refused.status_code == 409
    add_staff(shared, "agent@lille.example.org", "agent", ("lille",))
    agent = bearer(client, "agent@lille.example.org")
    body = {
        "site_id": "lille",
        "procedure_id": PICKUP,
        "start": times[2],
        "name": "Paul Martin",
        "phone": "06 12 34 56 04",
        "declared": FILE,
        "channel": "desk",
    }
    by_staff = client.post("/api/v1/staff/appointments", json=body, headers=agent)
    assert by_staff.status_code == 201, by_staff.text
    assert starts(client, day, "lille") == []  # what staff took came out of the share
    clock.set(paris(7, 59, day=24))
    assert starts(client, day, "lille") == []
    clock.set(paris(8, 0, day=24))  # two days before, at release time: what is left opens
    assert starts(client, day, "lille") == [times[3]]
    assert book(client, times[3], "06 12 34 56 05", "lille").status_code == 201
    assert count(shared, "SELECT count(*) FROM appointment WHERE site_id = 'lille'") == 4


def test_the_site_admin_sets_the_share_and_the_release_time(client, container):

    cookies, csrf = page_session(container, client, add_everyone(container)["admin"])
    client.cookies.update(cookies)
    form = {"csrf": csrf, "day_closes_at": "18:00", "reminder_hour": "18"}
    path = "/staff/sites/paris/reglages"
    saved = client.post(
        path,
        data={**form, "staff_share_percent": "20", "release_time": "07:30"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with container.uow.reading() as session:
        site = session.get(Site, "paris")
        assert (site.staff_share_percent, site.release_time) == (20, time(7, 30))
    page = client.get(path).text
    assert 'value="07:30"' in page and 'value="20"' in page
    for wrong, field in (
        ({"staff_share_percent": "95"}, "staff_share_percent"),
        ({"release_time": "25:00"}, "release_time"),
    ):
        refused = client.post(path, data={**form, **wrong})
        assert refused.status_code == 422 and f'id="{field}-error"' in refused.text
    logged = "SELECT count(*) FROM audit_event WHERE action = 'site.settings'"
    assert count(container, logged) == 1
