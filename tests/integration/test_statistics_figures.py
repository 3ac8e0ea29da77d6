"""Waiting, completeness, capacity, affluence, repeats, satisfaction and fill on both engines,
on synthetic histories whose figures are known by construction; CSV; who may read them."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from booking.core.contacts import phone_key
from booking.core.errors import InvalidRequest
from booking.demo.load import load_demo
from booking.demo.past import months_before, write_history
from booking.domain.models import Site
from booking.domain.retention import anonymise_past
from booking.queries.statistics import GROUPINGS
from tests.support.histories import ADMIN, MANAGER, MONDAY, history, mondays
from tests.support.scenarios import TUESDAY_9, request, setup_site
from tests.support.settings import ROOT
from tests.support.staff import add_everyone, bearer
from tests.support.statements import statements_run

ASKED = datetime(2026, 1, 5, 12, tzinfo=UTC)
RANGE = "site=paris&from=2026-01-01&to=2026-03-22"
FIRST, LAST = MONDAY - timedelta(days=4), MONDAY + timedelta(days=76)

# Waits in minutes, each placed in its band: 2 of the 13 are over the hour.
WAITS = [2, 5, 8, 10, 20, 29, 30, 45, 60, 61, 90]


def waits_in_every_band(container) -> None:
    rows = [{"day": MONDAY, "status": "seen", "called": wait} for wait in WAITS]
    rows += [
        # Arrived 40 minutes late, called 7 minutes after arriving: the wait is 7, not 47.
        {"day": MONDAY, "status": "seen", "arrived": 40, "called": 47},
        # Arrived early, called before the appointment time: no wait at all.
        {"day": MONDAY, "status": "seen", "arrived": -10, "called": -2},
        # Seen without the call button: counted apart.
        *({"day": MONDAY, "status": "seen"} for _ in range(3)),
        # Absent, and booked but never recorded: no wait to count.
        {"day": MONDAY, "status": "no_show"},
        {"day": MONDAY, "status": "booked"},
    ]
    history(container, rows)


def test_waits_are_counted_in_their_colour_bands(container, two_sites, client):
    waits_in_every_band(container)
    manager = bearer(client, add_everyone(container)["manager"])
    answer = client.get(f"/api/v1/stats/waiting?{RANGE}", headers=manager)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Sorted waits: 0 2 5 7 8 10 | 20 | 29 30 45 60 61 90 -> the median is the 7th, 20.
    assert body["seen_with_call"] == 13
    assert body["within_10_min"] == 6  # 0, 2, 5, 7, 8 and 10: ten minutes is within
    assert body["bands"] == {"green": 8, "orange": 3, "red": 2}  # 30 and 60 are orange
    assert body["median_minutes"] == 20
    assert body["seen_without_call"] == 3
    assert body["share_within_10_min"] == 6 / 13
    assert body["ci_low"] < 6 / 13 < body["ci_high"]
    table = list(
        csv.reader(
            io.StringIO(
                client.get(f"/api/v1/stats/waiting?{RANGE}&format=csv", headers=manager).text
            )
        )
    )
    assert table[0][:3] == ["seen_with_call", "within_10_min", "share_within_10_min"]
    assert table[0][5:8] == ["green", "orange", "red"]
    assert table[1][5:8] == ["8", "3", "2"] and len(table) == 2


def test_the_median_of_an_even_count_is_between_the_middle_two(container, two_sites, client):
    history(container, [{"day": MONDAY, "status": "seen", "called": w} for w in (4, 10, 30, 90)])
    waiting = container.statistics.waiting(MANAGER, "paris", FIRST, LAST)
    assert waiting.median_minutes == 20
    assert (waiting.green, waiting.orange, waiting.red) == (2, 1, 1)


def test_completeness_by_procedure_and_by_counter(container, two_sites, client):
    pickup, renewal = "residence-permit-pickup", "residence-permit-renewal"
    days = mondays(80)
    history(
        container,
        [{"day": d, "file_complete": i < 30} for i, d in enumerate(days[:40])]
        + [
            {"day": d, "procedure_id": renewal, "file_complete": i < 4}
            for i, d in enumerate(days[40:50])
        ]
        + [{"day": d} for d in days[50:]],  # never checked at the counter: not recorded
    )
    manager = bearer(client, add_everyone(container)["manager"])
    body = client.get(f"/api/v1/stats/completeness?{RANGE}&by=procedure", headers=manager).json()
    assert [(r["key"], r["recorded"], r["complete"]) for r in body["rows"]] == [
        (pickup, 40, 30),
        (renewal, 10, 4),
    ]
    assert body["rows"][0]["rate"] == 0.75
    assert body["rows"][1]["ci_low"] < 0.4 < body["rows"][1]["ci_high"]
    assert (body["total"]["recorded"], body["total"]["complete"]) == (50, 34)
    by_counter = client.get(
        f"/api/v1/stats/completeness?{RANGE}&by=counter", headers=manager
    ).json()
    assert [(r["key"], r["recorded"]) for r in by_counter["rows"]] == [(1, 50)]


def tail_above(n: int, p: float, seats: int) -> float:
    """P(Binomial(n, p) > seats), term by term with exact binomial coefficients."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(seats + 1, n + 1))


def direct_advice(seats: int, p: float, risk: float) -> int:
    n = seats
    while tail_above(n + 1, p, seats) <= risk:
        n += 1
    return n


@pytest.mark.parametrize("risk", [0.05, 0.2])
def test_capacity_advice_matches_a_direct_binomial_computation(container, two_sites, client, risk):
    days = mondays(1020)
    few = "residence-permit-renewal"
    history(
        container,
        [{"day": d, "status": "no_show" if i < 150 else "seen"} for i, d in enumerate(days[:1000])]
        + [{"day": d, "procedure_id": few, "status": "seen"} for d in days[1000:1010]]
        + [{"day": d, "procedure_id": few, "status": "no_show"} for d in days[1010:]],
    )
    manager = bearer(client, add_everyone(container)["manager"])
    answer = client.get(f"/api/v1/stats/capacity?{RANGE}&risk={risk}", headers=manager)
    assert answer.status_code == 200, answer.text
    pickup, renewal = answer.json()["rows"]
    site_rate = 860 / 1020
    # The pickup counter opens 6 hours a weekday on a 15-minute grid, one seat: 24 a day.
    assert pickup["procedure"] == "residence-permit-pickup"
    assert (pickup["visits"], pickup["shows"], pickup["seats_per_day"]) == (1000, 850, 24)
    assert pickup["show_rate"] == pytest.approx((850 + 30 * site_rate) / 1030)
    assert pickup["advised_per_day"] == direct_advice(24, pickup["show_rate"], risk)
    assert pickup["advised_per_day"] > 24 and pickup["risk"] == risk
    # 10 of 20 came for the renewal, few visits: its rate leans on the site's, not on 0.5.
    assert renewal["show_rate"] == pytest.approx((10 + 30 * site_rate) / 50)
    assert renewal["show_rate"] > 0.7
    # No counter serves it: no seats to advise on.
    assert (renewal["seats_per_day"], renewal["advised_per_day"]) == (0, 0)
    assert tail_above(pickup["advised_per_day"], pickup["show_rate"], 24) <= risk
    assert tail_above(pickup["advised_per_day"] + 1, pickup["show_rate"], 24) > risk


def test_a_risk_out_of_bounds_is_refused(container, two_sites, client):
    manager = bearer(client, add_everyone(container)["manager"])
    answer = client.get(f"/api/v1/stats/capacity?{RANGE}&risk=0.9", headers=manager)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "risk", "message": "Indiquez un risque compris entre 0,001 et 0,5."}
    ]
    with pytest.raises(InvalidRequest):
        container.statistics.capacity(MANAGER, "paris", FIRST, LAST, risk=0.9)


def test_affluence_counts_the_visitors_who_came_by_weekday_and_hour(container, two_sites, client):
    tuesday = MONDAY + timedelta(days=1)
    history(
        container,
        [{"day": MONDAY, "status": "seen", "local_hour": 9} for _ in range(3)]
        + [{"day": MONDAY, "status": "no_show", "local_hour": 9}]
        + [{"day": MONDAY, "status": "seen", "local_hour": 10}]
        + [{"day": tuesday, "status": "seen", "local_hour": 14} for _ in range(2)],
    )
    manager = bearer(client, add_everyone(container)["manager"])
    rows = client.get(f"/api/v1/stats/affluence?{RANGE}", headers=manager).json()["rows"]
    assert rows == [
        {"weekday": 0, "hour": 9, "arrivals": 3},
        {"weekday": 0, "hour": 10, "arrivals": 1},
        {"weekday": 1, "hour": 14, "arrivals": 2},
    ]
    csv_text = client.get(f"/api/v1/stats/affluence?{RANGE}&format=csv", headers=manager).text
    assert csv_text == "weekday,hour,arrivals\r\n0,9,3\r\n0,10,1\r\n1,14,2\r\n"


def test_repeat_visits_linked_by_staff_or_by_the_same_phone(container, clock):
    setup_site(container)
    first = container.visits.book(request()).appointment.reference
    # Booked before the first file is found incomplete: it becomes a repeat once it is.
    before = container.visits.book(request(TUESDAY_9 + timedelta(days=14))).appointment
    other = container.visits.book(request(TUESDAY_9 + timedelta(days=7), phone="0698765432"))
    clock.set(TUESDAY_9 + timedelta(minutes=1))
    container.visits.record_documents(first, not_presented=["tax-stamp"])  # incomplete
    clock.set(TUESDAY_9 + timedelta(days=27))
    after = container.visits.book(request(TUESDAY_9 + timedelta(days=35))).appointment
    clock.set(TUESDAY_9 + timedelta(days=50))
    too_late = container.visits.book(request(TUESDAY_9 + timedelta(days=63))).appointment
    linked = container.visits.return_visit(first, actor=ADMIN).appointment

    def repeats() -> list[str]:
        with container.engine.connect() as conn:
            return sorted(
                conn.execute(
                    text("SELECT reference FROM appointment WHERE repeat_of_incomplete")
                ).scalars()
            )

    # 14 and 35 days after the incomplete file; not 63 days after, not another phone; the
    # return visit has the same phone but is counted as linked by staff.
    assert set(repeats()) - {linked.reference} == {before.reference, after.reference}
    assert too_late.reference not in repeats() and other.appointment.reference not in repeats()
    found = container.statistics.dashboard(MANAGER, "paris", TUESDAY_9.date(), too_late.local_date)
    assert (found.current.repeats.linked_by_staff, found.current.repeats.same_phone) == (1, 2)
    assert found.current.repeats.due == 6
    # The file was complete after all: no repeat any more.
    container.visits.record_documents(first)
    assert repeats() in ([], [linked.reference])
    again = container.statistics.dashboard(MANAGER, "paris", TUESDAY_9.date(), too_late.local_date)
    assert again.current.repeats.same_phone == 0


def test_the_phone_key_survives_anonymisation(container, two_sites, client, clock):
    booked = client.post(
        "/api/v1/appointments",
        json={
            "site_id": "paris",
            "procedure_id": "residence-permit-pickup",
            "start": "2026-03-25T09:00:00+01:00",
            "name": "Amina Diallo",
            "phone": "06 12 34 56 78",
        },
    )
    assert booked.status_code == 201, booked.text
    with container.uow.writing() as session:
        assert anonymise_past(session, now=clock() + timedelta(days=400), retention_days=30)
    with container.engine.connect() as conn:
        phone, key = conn.execute(text("SELECT phone, phone_key FROM appointment")).one()
    assert phone is None
    assert key == phone_key(container.settings.secret_key, "+33612345678")


def test_satisfaction_and_fill_rate(container, two_sites, client):
    history(
        container,
        [
            {"day": MONDAY, "status": "seen", "satisfaction": score, "survey_asked_at": ASKED}
            for score in (5, 5, 4, 2)
        ]
        + [{"day": MONDAY, "status": "seen", "survey_asked_at": ASKED} for _ in range(4)]
        + [
            {
                "day": MONDAY,
                "status": "cancelled_by_citizen",
                "cancelled_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        ],
    )
    monday_only = container.statistics.dashboard(MANAGER, "paris", MONDAY, MONDAY)
    satisfaction = monday_only.current.satisfaction
    assert (satisfaction.surveys_asked, satisfaction.replies) == (8, 4)
    assert satisfaction.mean == 4.0 and satisfaction.by_score[5] == 2
    assert satisfaction.reply_rate.rate == 0.5
    # 8 visits of 10 minutes, one 15-minute cell each, of the 24 cells of a Monday.
    fill = monday_only.current.fill
    assert (fill.booked_seats, fill.offered_seats) == (8, 24)
    assert monday_only.previous.fill.offered_seats == 0  # the Sunday before: closed


STATS_PATHS = ("attendance", "waiting", "completeness", "capacity", "affluence")


@pytest.mark.parametrize("path", STATS_PATHS)
def test_each_table_is_for_managers_and_admins_of_the_site(container, two_sites, client, path):
    emails = add_everyone(container)
    url = f"/api/v1/stats/{path}?{RANGE}"
    assert client.get(url).status_code == 401
    for who, status in (("manager", 200), ("admin", 200), ("agent", 403), ("stranger", 403)):
        assert client.get(url, headers=bearer(client, emails[who])).status_code == status
    manager = bearer(client, emails["manager"])
    assert client.get(url.replace("paris", "nowhere"), headers=manager).status_code == 403
    admin = bearer(client, emails["admin"])
    assert client.get(url.replace("paris", "nowhere"), headers=admin).status_code == 404
    assert client.get(url.replace("2026-01-01", "2026-13-01"), headers=admin).status_code == 422
    as_csv = client.get(url, headers={**manager, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")


def test_no_statistics_query_returns_more_rows_than_its_groups(container, two_sites, client):
    """The figures are GROUP BYs: re-run every statement the dashboard sent and count the
    rows each returns; over 3,000 visits, none returns more than a week of hours."""
    days = [MONDAY + timedelta(days=i % 70) for i in range(3000)]
    history(
        container,
        [
            {
                "day": d,
                "status": ("seen", "no_show", "booked")[i % 3],
                "called": i % 95,
                "local_hour": 8 + i % 10,
                "file_complete": i % 4 == 0,
                "phone_key": f"{i % 500:032d}",
                "satisfaction": 1 + i % 5,
            }
            for i, d in enumerate(days)
        ],
    )
    with statements_run(container.engine) as statements:
        for by in GROUPINGS:
            container.statistics.dashboard(MANAGER, "paris", FIRST, LAST, by=by)
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) > 20
    with container.engine.connect() as conn:
        largest = max(
            len(conn.exec_driver_sql(statement, parameters).fetchall())
            for statement, parameters in selects
        )
    assert 0 < largest <= 7 * 24


def test_the_demo_history_shows_every_figure(container):
    """Three months of the demo's past: no-shows worse on Mondays, waits in every band, a few
    visits unrecorded, replies, repeats: a dashboard with something to say."""
    with container.uow.writing() as session:
        load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
        sites = list(session.execute(select(Site).order_by(Site.id)).scalars())
        first, last = months_before(container.now().date(), 3)
        assert write_history(session, sites, first, last, container.settings.secret_key) > 5000
    found = container.statistics.dashboard(ADMIN, "paris", first, last)
    by_day = {row.key: row.no_show_rate.rate for row in found.attendance}
    assert by_day[0] > by_day[3]  # Mondays worse than Thursdays
    now = found.current
    assert min(now.waiting.green, now.waiting.orange, now.waiting.red) > 0
    assert now.attendance.unrecorded > 0 and now.attendance.cancelled_late > 0
    assert now.satisfaction.replies > 0 and now.repeats.same_phone > 0
    assert 0 < now.completeness.rate.rate < 1 and 0 < now.fill.rate.rate < 1
