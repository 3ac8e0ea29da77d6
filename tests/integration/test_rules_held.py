"""Rules that one-line changes to the code once left unnoticed (issue 15, item 18), each with a
test that fails on its mutation, on both engines: the late cancellation and its rate, the
site settings' bounds, the agenda's way back, the visit cookie's scope."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from booking.core.errors import InvalidRequest
from booking.queries.figures import Attendance
from booking.use_cases.site_admin import SiteSettings
from tests.integration.test_staff_access import page_session
from tests.support.scenarios import TUESDAY_9, request
from tests.support.staff import add_everyone

pytestmark = pytest.mark.usefixtures("two_sites")


def test_a_cancellation_is_late_under_24_hours_before_the_visit(container, clock):
    nine, ten = TUESDAY_9, TUESDAY_9.replace(hour=10)
    early = container.visits.book(request(start=nine))
    late = container.visits.book(request(start=ten))
    clock.set(nine - timedelta(hours=24))  # exactly a day before: not late
    assert not container.visits.cancel(
        early.appointment.reference, early.token
    ).appointment.cancelled_late
    clock.set(ten - timedelta(hours=23, minutes=59))
    assert container.visits.cancel(
        late.appointment.reference, late.token
    ).appointment.cancelled_late


def test_the_late_cancellation_rate_counts_them_among_due_visits():
    figures = Attendance(key="x", due=8, seen=6, no_show=1, unrecorded=1, cancelled_late=2)
    assert (figures.late_cancellation_rate.count, figures.late_cancellation_rate.total) == (2, 10)
    assert figures.no_show_rate.rate == pytest.approx(1 / 7)


@pytest.mark.parametrize(
    ("hour", "days", "field"),
    [(24, None, "reminder_hour"), (-1, None, "reminder_hour"), (18, 29, "retention_days"),
     (18, 3651, "retention_days")],
)  # fmt: skip
def test_site_settings_out_of_bounds_are_refused(container, hour, days, field):
    admin = _sign_in(container, add_everyone(container)["site_admin"])
    changes = SiteSettings(hour, False, False, time(18), days)
    with pytest.raises(InvalidRequest) as refused:
        container.site_admin.update_settings(admin, "paris", changes)
    assert refused.value.errors[0].field == field


def test_site_settings_at_their_bounds_are_kept(container):
    admin = _sign_in(container, add_everyone(container)["site_admin"])
    for hour, days in ((0, 30), (23, 3650)):
        site = container.site_admin.update_settings(
            admin, "paris", SiteSettings(hour, True, True, time(17, 30), days)
        )
        assert (site.reminder_hour, site.retention_days) == (hour, days)


def test_the_agendas_way_back_stays_on_the_sites_agenda(container, client):
    emails = add_everyone(container)
    reference = container.visits.book(request()).appointment.reference
    cookies, csrf = page_session(container, client, emails["admin"])
    client.cookies.update(cookies)
    url = f"/staff/sites/paris/visits/{reference}/call"
    for back in ("https://evil.example/agenda", "/staff/sites/lyon/agenda", "//evil.example"):
        answer = client.post(url, data={"csrf": csrf, "back": back}, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/sites/paris/agenda"), back


def test_a_visits_cookie_opens_that_visit_only(container, client):
    first = container.visits.book(request())
    second = container.visits.book(request(start=TUESDAY_9.replace(hour=10)))
    answer = client.post(
        f"/r/{first.appointment.reference}",
        data={"token": first.token},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert f"Path=/r/{first.appointment.reference}" in cookie and "HttpOnly" in cookie
    token = answer.cookies["guichet_visit"]
    client.cookies.set("guichet_visit", token)
    other = client.get(f"/r/{second.appointment.reference}/rendez-vous", follow_redirects=False)
    assert other.status_code == 303 and "expired=1" in other.headers["location"]
    own = client.get(f"/r/{first.appointment.reference}/rendez-vous")
    assert own.status_code == 200


def _sign_in(container, email: str):  # type: ignore[no-untyped-def]
    return container.staff.sign_in(
        email, "correct horse battery staple", address="x", kind="bearer"
    ).actor
